import { randomBytes } from 'crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { ResolvedSensorCheck } from '@tributary/domain';
import type { Database } from '@tributary/persistence';
import { CheckOutcome, DefaultSensorChecker } from '@tributary/sensors';
import { infraEnv } from '../support/cluster';

// Kafka offset sensors against the integration project's real broker (its global setup starts it).
// Kafka checks never touch the database: a dummy that throws when used proves it.

jest.setTimeout(120_000);

const noDatabase = new Proxy(
  {},
  {
    get: (_target, property) => {
      throw new Error(`the database was used (${String(property)})`);
    },
  },
) as Database;

const unique = (prefix: string) => `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;

describe('kafka_offset sensor against a real broker', () => {
  let brokers: string[];
  let kafka: Kafka;
  let checker: DefaultSensorChecker;
  const topics: string[] = [];

  beforeAll(() => {
    brokers = infraEnv().KAFKA_BROKERS.split(',');
    kafka = new Kafka({ clientId: 'kafka-offset-sensor-spec', brokers, logLevel: logLevel.NOTHING });
  });

  beforeEach(() => {
    checker = new DefaultSensorChecker({
      db: noDatabase,
      defaultKafkaBrokers: brokers,
      kafkaClientId: 'kafka-offset-sensor-spec',
    });
  });

  afterEach(() => checker.close());

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  });

  async function createTopic(partitions: number): Promise<string> {
    const topic = unique('sensor');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    topics.push(topic);
    return topic;
  }

  async function produce(topic: string, messages: { partition: number; value: string }[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /** Checks until the outcome is no longer `waiting` (a deadline, not a timed assertion). */
  async function checkUntilSettled(check: ResolvedSensorCheck, waitMs = 60_000): Promise<CheckOutcome> {
    const deadline = Date.now() + waitMs;
    let outcome = await checker.check(check);
    while (outcome.status === 'waiting' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      outcome = await checker.check(check);
    }
    return outcome;
  }

  it('waits until every partition reaches minOffset', async () => {
    const topic = await createTopic(2);
    const check: ResolvedSensorCheck = { family: 'kafka_offset', topic, minOffset: 2 };
    expect(await checker.check(check)).toEqual({
      status: 'waiting',
      message: `topic ${topic} partition 0 ends at offset 0; needs at least 2`,
    });

    await produce(topic, [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
      { partition: 1, value: 'c' },
    ]);
    expect(await checker.check(check)).toEqual({
      status: 'waiting',
      message: `topic ${topic} partition 1 ends at offset 1; needs at least 2`,
    });

    await produce(topic, [{ partition: 1, value: 'd' }]);
    expect(await checker.check(check)).toEqual({
      status: 'met',
      details: {
        topic,
        offsets: [
          { partition: 0, high: 2 },
          { partition: 1, high: 2 },
        ],
      },
    });
  });

  it('waits until a consumer group has committed everything on the topic', async () => {
    const topic = await createTopic(1);
    const groupId = unique('sensor-group');
    await produce(topic, [
      { partition: 0, value: '1' },
      { partition: 0, value: '2' },
      { partition: 0, value: '3' },
    ]);
    const check: ResolvedSensorCheck = { family: 'kafka_offset', topic, consumerGroup: groupId };
    // The group has committed nothing yet: everything the topic holds is lag.
    expect(await checker.check(check)).toEqual({
      status: 'waiting',
      message: `consumer group ${groupId} lags 3 messages behind on topic ${topic}`,
    });

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        },
      });
      expect(await checkUntilSettled(check)).toEqual({
        status: 'met',
        details: { topic, consumerGroup: groupId, lag: 0 },
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('waits on a topic that does not exist', async () => {
    const topic = unique('never-created');
    expect(await checker.check({ family: 'kafka_offset', topic, minOffset: 1 })).toEqual({
      status: 'waiting',
      message: `topic ${topic} does not exist on ${brokers.join(',')}`,
    });
    // The admin client survives a broker's "unknown topic" answer and serves the next check.
    const existing = await createTopic(1);
    expect(await checker.check({ family: 'kafka_offset', topic: existing })).toMatchObject({ status: 'met' });
    expect(checker.stats().kafka.adminClients).toBe(1);
  });

  it('waits, saying so, on a cluster it cannot reach', async () => {
    const outcome = await checker.check({ family: 'kafka_offset', topic: 't', brokers: ['127.0.0.1:1'] });
    expect(outcome.status).toBe('waiting');
    expect((outcome as { message: string }).message).toMatch(
      /^cannot reach Kafka at 127\.0\.0\.1:1 for topic t: /,
    );
  });

  it('serves 500 concurrent checks on one topic with one admin client and one request per round', async () => {
    const topic = await createTopic(3);
    await produce(topic, [{ partition: 0, value: 'x' }]);
    const check: ResolvedSensorCheck = { family: 'kafka_offset', topic, minOffset: 1 };

    const first = await Promise.all(Array.from({ length: 500 }, () => checker.check(check)));
    expect(first.every((o) => o.status === 'waiting')).toBe(true);
    expect(checker.stats().kafka).toEqual({ adminClients: 1, requests: 1, coalesced: 499 });

    await produce(topic, [
      { partition: 1, value: 'y' },
      { partition: 2, value: 'z' },
    ]);
    const second = await Promise.all(Array.from({ length: 500 }, () => checker.check(check)));
    expect(second.every((o) => o.status === 'met')).toBe(true);
    expect(checker.stats().kafka).toEqual({ adminClients: 1, requests: 2, coalesced: 998 });
  });
});
