import { DynamicModule, Module } from '@nestjs/common';
import { ApiModule } from '@tributary/api';
import { AssetsModule } from '@tributary/assets';
import { CoordinatorModule } from '@tributary/coordinator';
import { ExecutorModule } from '@tributary/executor';
import { SchedulerModule } from '@tributary/scheduler';
import { RuntimeModule, RuntimeParts } from './runtime.module';

/** Every service module in one process (DESIGN §6, standalone mode). */
@Module({})
export class StandaloneModule {
  static forRoot(parts: RuntimeParts): DynamicModule {
    return {
      module: StandaloneModule,
      imports: [
        RuntimeModule.forRoot(parts),
        SchedulerModule,
        CoordinatorModule,
        ExecutorModule,
        AssetsModule,
        ApiModule,
      ],
    };
  }
}
