import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, TriggerEvent } from '@tributary/messaging';
import { TRIGGERER_GROUP, TriggererService } from './triggerer.service';

@Controller()
export class TriggererConsumer {
  constructor(private readonly triggerer: TriggererService) {}

  @EventPattern(TOPICS.triggers, { group: TRIGGERER_GROUP })
  onTrigger(@Payload() event: TriggerEvent): Promise<void> {
    return this.triggerer.onTrigger(event);
  }
}
