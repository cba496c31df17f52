export * from './scheduler.service';
export * from './backfill.service';
export * from './scheduler.module';
export * from './topic-bindings/topic-binding.service';
export * from './topic-bindings/topic-binding-consumer';
