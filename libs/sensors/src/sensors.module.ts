import { BeforeApplicationShutdown, Inject, Module } from '@nestjs/common';
import type { Database } from '@tributary/persistence';
import { DATABASE, RUNTIME_OPTIONS, RuntimeOptions, SENSOR_CHECKER } from '@tributary/runtime';
import { DefaultSensorChecker } from './default-sensor-checker';
import type { SensorChecker } from './sensor-checker';

/**
 * Provides the process's one `SENSOR_CHECKER` (executors and the triggerer share it, with its
 * Kafka admin clients). Needs `DATABASE` and `RUNTIME_OPTIONS` from the global RuntimeModule.
 */
@Module({
  providers: [
    {
      provide: SENSOR_CHECKER,
      inject: [DATABASE, RUNTIME_OPTIONS],
      useFactory: (db: Database, options: RuntimeOptions): SensorChecker =>
        new DefaultSensorChecker({
          db,
          defaultKafkaBrokers: options.kafkaBrokers,
          kafkaClientId: `tributary-sensors-${options.workerId}`,
        }),
    },
  ],
  exports: [SENSOR_CHECKER],
})
export class SensorsModule implements BeforeApplicationShutdown {
  constructor(@Inject(SENSOR_CHECKER) private readonly checker: SensorChecker) {}

  // After every module's onModuleDestroy: the triggerer and executors have stopped checking by then.
  async beforeApplicationShutdown(): Promise<void> {
    await this.checker.close();
  }
}
