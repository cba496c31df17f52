import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AssetsModule } from '@tributary/assets';
import { CoordinatorModule } from '@tributary/coordinator';
import { SchedulerModule } from '@tributary/scheduler';
import { AssetsController } from './assets.controller';
import { BackfillsController } from './backfills.controller';
import { API_AUTH_OPTIONS, ApiAuthGuard, TokensController, apiAuthOptionsFromEnv } from './auth';
import { DagsController } from './dags.controller';
import { RunsController } from './runs.controller';
import { TaskInstancesController } from './task-instances.controller';
import { ApiExceptionFilter } from './http-errors';
import { WebUiController } from './web/web-ui.controller';
import { WebhookIntake, WebhooksController } from './webhooks';

@Module({
  imports: [SchedulerModule, CoordinatorModule, AssetsModule],
  controllers: [
    DagsController,
    RunsController,
    TaskInstancesController,
    AssetsController,
    BackfillsController,
    WebhooksController,
    TokensController,
    WebUiController,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: API_AUTH_OPTIONS, useFactory: () => apiAuthOptionsFromEnv() },
    { provide: APP_GUARD, useClass: ApiAuthGuard },
    WebhookIntake,
  ],
})
export class ApiModule {}
