import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Database } from '@tributary/persistence';
import { DefaultSensorChecker, PREDICATE_RUNS_ON_EXECUTOR } from './default-sensor-checker';
import { NO_KAFKA_CLUSTER } from './kafka-offset-check';

// The families that need no database get a dummy one: touching it would throw.
const noDatabase = new Proxy(
  {},
  {
    get: (_target, property) => {
      throw new Error(`the database was used (${String(property)})`);
    },
  },
) as Database;

describe('DefaultSensorChecker', () => {
  let checker: DefaultSensorChecker;

  beforeEach(() => {
    checker = new DefaultSensorChecker({ db: noDatabase });
  });

  afterEach(() => checker.close());

  it('refuses predicate sensors: the executor runs them itself', async () => {
    expect(await checker.check({ family: 'predicate' })).toEqual({
      status: 'failed',
      message: PREDICATE_RUNS_ON_EXECUTOR,
    });
  });

  it('fails a Kafka sensor at once when no cluster is configured, without creating a client', async () => {
    expect(await checker.check({ family: 'kafka_offset', topic: 't', minOffset: 1 })).toEqual({
      status: 'failed',
      message: NO_KAFKA_CLUSTER,
    });
    expect(checker.stats().kafka.adminClients).toBe(0);
  });

  it('runs file checks with the caller-given content function', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checker-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.csv'), 'id\n');
      const content = jest.fn(() => false);
      const outcome = await checker.check(
        { family: 'file', path: path.join(dir, '*.csv') },
        { code: { content } },
      );
      expect(outcome).toMatchObject({ status: 'waiting' });
      expect(content).toHaveBeenCalledWith(Buffer.from('id\n'), path.join(dir, 'a.csv'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers "waiting" once closed, and closes once', async () => {
    await checker.close();
    await checker.close();
    expect(await checker.check({ family: 'predicate' })).toEqual({
      status: 'waiting',
      message: 'the sensor checker is closed (process stopping)',
    });
  });
});
