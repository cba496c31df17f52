import { Module } from '@nestjs/common';
import { CoordinatorConsumer } from './coordinator.consumer';
import { CoordinatorService } from './coordinator.service';

/** Needs the runtime providers (DATABASE, CLOCK, TOPIC_CATALOG, OUTBOX_RELAY, RUNTIME_OPTIONS) from a global module. */
@Module({
  controllers: [CoordinatorConsumer],
  providers: [CoordinatorService],
  exports: [CoordinatorService],
})
export class CoordinatorModule {}
