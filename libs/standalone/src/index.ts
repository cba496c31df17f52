export * from './standalone.module';
export * from './standalone-orchestrator';
