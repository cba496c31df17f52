export * from './service-host';
export * from './health.controller';
export * from './prometheus-metrics';
