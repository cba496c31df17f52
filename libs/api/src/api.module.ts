import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AssetsModule } from '@tributary/assets';
import { CoordinatorModule } from '@tributary/coordinator';
import { SchedulerModule } from '@tributary/scheduler';
import { AssetsController } from './assets.controller';
import { DagsController } from './dags.controller';
import { ApiExceptionFilter } from './http-errors';
import { WebhookIntake, WebhooksController } from './webhooks';

@Module({
  imports: [SchedulerModule, CoordinatorModule, AssetsModule],
  controllers: [DagsController, AssetsController, WebhooksController],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }, WebhookIntake],
})
export class ApiModule {}
