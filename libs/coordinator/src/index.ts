export * from './coordinator.service';
export * from './coordinator.consumer';
export * from './coordinator.module';
export * from './clear-plan';
