import { Test } from '@nestjs/testing';
import { DATABASE, RUNTIME_OPTIONS, RuntimeOptions, SENSOR_CHECKER } from '@tributary/runtime';
import { DefaultSensorChecker } from './default-sensor-checker';
import { SensorsModule } from './sensors.module';

describe('SensorsModule', () => {
  it('provides one DefaultSensorChecker over the runtime options and closes it at shutdown', async () => {
    const options: RuntimeOptions = {
      workerId: 'w1',
      executorSlots: 1,
      workerTimeoutMs: 30_000,
      heartbeatIntervalMs: 5_000,
      kafkaBrokers: ['127.0.0.1:1'],
    };
    const moduleRef = await Test.createTestingModule({ imports: [SensorsModule] })
      .useMocker((token) => {
        if (token === DATABASE) return {};
        if (token === RUNTIME_OPTIONS) return options;
        throw new Error(`unexpected dependency ${String(token)}`);
      })
      .compile();
    const checker = moduleRef.get<DefaultSensorChecker>(SENSOR_CHECKER);
    expect(checker).toBeInstanceOf(DefaultSensorChecker);
    const close = jest.spyOn(checker, 'close');
    await moduleRef.close();
    expect(close).toHaveBeenCalledTimes(1);
    expect(await checker.check({ family: 'predicate' })).toMatchObject({ status: 'waiting' });
  });
});
