import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, TaskCommandEvent } from '@tributary/messaging';
import { EXECUTOR_GROUP, ExecutorService } from './executor.service';

@Controller()
export class ExecutorConsumer {
  constructor(private readonly executor: ExecutorService) {}

  @EventPattern(TOPICS.taskCommands, { group: EXECUTOR_GROUP })
  onTaskCommand(@Payload() event: TaskCommandEvent): Promise<void> {
    return this.executor.onTaskCommand(event);
  }
}
