import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AssetsModule } from '@tributary/assets';
import { CoordinatorModule } from '@tributary/coordinator';
import { SchedulerModule } from '@tributary/scheduler';
import { AssetsController } from './assets.controller';
import { API_AUTH_OPTIONS, ApiAuthGuard, TokensController, apiAuthOptionsFromEnv } from './auth';
import { DagsController } from './dags.controller';
import { ApiExceptionFilter } from './http-errors';
import { WebhookIntake, WebhooksController } from './webhooks';

@Module({
  imports: [SchedulerModule, CoordinatorModule, AssetsModule],
  controllers: [DagsController, AssetsController, WebhooksController, TokensController],
  providers: [
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: API_AUTH_OPTIONS, useFactory: () => apiAuthOptionsFromEnv() },
    { provide: APP_GUARD, useClass: ApiAuthGuard },
    WebhookIntake,
  ],
})
export class ApiModule {}
