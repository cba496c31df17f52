export * from './runtime.module';
export * from './standalone.module';
export * from './standalone-orchestrator';
