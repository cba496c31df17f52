export * from './cli-error';
export * from './cron-explain.command';
export * from './dags-validate.command';
export * from './program';
export * from './demo.command';
export * from './standalone.command';
export * from './webhook.command';
