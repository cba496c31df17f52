import { Module } from '@nestjs/common';
import { SensorsModule } from '@tributary/sensors';
import { TriggererConsumer } from './triggerer.consumer';
import { TriggererService } from './triggerer.service';

@Module({ imports: [SensorsModule], providers: [TriggererService], exports: [TriggererService] })
export class TriggererModule {}

/** The triggerer service proper: its consumer of `triggers`. */
@Module({ imports: [TriggererModule], controllers: [TriggererConsumer] })
export class TriggererConsumerModule {}
