import { Module } from '@nestjs/common';
import { ExecutorConsumer } from './executor.consumer';
import { ExecutorService } from './executor.service';

@Module({ controllers: [ExecutorConsumer], providers: [ExecutorService], exports: [ExecutorService] })
export class ExecutorModule {}
