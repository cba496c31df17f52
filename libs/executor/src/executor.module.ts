import { Module } from '@nestjs/common';
import { SensorsModule } from '@tributary/sensors';
import { ExecutorConsumer } from './executor.consumer';
import { ExecutorService } from './executor.service';

@Module({ imports: [SensorsModule], providers: [ExecutorService], exports: [ExecutorService] })
export class ExecutorModule {}

/** The executor service proper: its consumer of `task.commands`. */
@Module({ imports: [ExecutorModule], controllers: [ExecutorConsumer] })
export class ExecutorConsumerModule {}
