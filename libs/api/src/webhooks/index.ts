export * from './webhook-intake.service';
export * from './webhook-signature';
export * from './webhooks.controller';
