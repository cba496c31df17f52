import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RunRequestedEvent, TOPICS, TaskEventEvent, TriggerFiredEvent } from '@tributary/messaging';
import { COORDINATOR_GROUP, CoordinatorService } from './coordinator.service';

@Controller()
export class CoordinatorConsumer {
  constructor(private readonly coordinator: CoordinatorService) {}

  @EventPattern(TOPICS.runRequested, { group: COORDINATOR_GROUP })
  onRunRequested(@Payload() event: RunRequestedEvent): Promise<void> {
    return this.coordinator.onRunRequested(event);
  }

  @EventPattern(TOPICS.taskEvents, { group: COORDINATOR_GROUP })
  onTaskEvent(@Payload() event: TaskEventEvent): Promise<void> {
    return this.coordinator.onTaskEvent(event);
  }

  @EventPattern(TOPICS.triggerEvents, { group: COORDINATOR_GROUP })
  onTriggerFired(@Payload() event: TriggerFiredEvent): Promise<void> {
    return this.coordinator.onTriggerFired(event);
  }
}
