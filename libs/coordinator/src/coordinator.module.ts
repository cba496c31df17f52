import { Module } from '@nestjs/common';
import { CoordinatorConsumer } from './coordinator.consumer';
import { CoordinatorService } from './coordinator.service';

/**
 * The coordinator's state changes, for whoever needs them (the API clears and reruns).
 * Needs the runtime providers (DATABASE, CLOCK, TOPIC_CATALOG, OUTBOX_RELAY, RUNTIME_OPTIONS) from a global module.
 */
@Module({ providers: [CoordinatorService], exports: [CoordinatorService] })
export class CoordinatorModule {}

/** The coordinator service proper: its consumers of `run.requested` and `task.events`. */
@Module({ imports: [CoordinatorModule], controllers: [CoordinatorConsumer] })
export class CoordinatorConsumerModule {}
