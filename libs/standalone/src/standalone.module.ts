import { DynamicModule, Module } from '@nestjs/common';
import { ApiModule } from '@tributary/api';
import { AssetsConsumerModule } from '@tributary/assets';
import { CoordinatorConsumerModule } from '@tributary/coordinator';
import { ExecutorConsumerModule } from '@tributary/executor';
import { SchedulerModule } from '@tributary/scheduler';
import { RuntimeModule, RuntimeParts } from '@tributary/runtime';
import { TriggererConsumerModule } from '@tributary/triggerer';

/** Every service module in one process (DESIGN §6, standalone mode). */
@Module({})
export class StandaloneModule {
  static forRoot(parts: RuntimeParts): DynamicModule {
    return {
      module: StandaloneModule,
      imports: [
        RuntimeModule.forRoot(parts),
        SchedulerModule,
        CoordinatorConsumerModule,
        ExecutorConsumerModule,
        AssetsConsumerModule,
        TriggererConsumerModule,
        ApiModule,
      ],
    };
  }
}
