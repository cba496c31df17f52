import { Module } from '@nestjs/common';
import { BackfillService } from './backfill.service';
import { SchedulerService } from './scheduler.service';

@Module({ providers: [SchedulerService, BackfillService], exports: [SchedulerService, BackfillService] })
export class SchedulerModule {}
