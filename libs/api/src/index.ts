export * from './api.module';
export * from './assets.controller';
export * from './assets.dto';
export * from './dags.controller';
export * from './dto';
export * from './http-errors';
export * from './webhooks';
