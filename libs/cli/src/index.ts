export * from './cli-error';
export * from './cron-explain.command';
export * from './dags-validate.command';
export * from './program';
