export * from './api-tokens';
export * from './auth.decorators';
export * from './auth.guard';
export * from './rate-limiter';
export * from './tokens.controller';
