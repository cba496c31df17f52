export * from './api.module';
export * from './dags.controller';
export * from './dto';
export * from './http-errors';
export * from './webhooks';
