export * from './executor.service';
export * from './executor.consumer';
export * from './executor.module';
export * from './task-runner';
