import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CoordinatorModule } from '@tributary/coordinator';
import { SchedulerModule } from '@tributary/scheduler';
import { DagsController } from './dags.controller';
import { ApiExceptionFilter } from './http-errors';

@Module({
  imports: [SchedulerModule, CoordinatorModule],
  controllers: [DagsController],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
export class ApiModule {}
