export * from './clock';
export * from './tokens';
export * from './dag-registry';
export * from './runtime.module';
export * from './service-metrics';
