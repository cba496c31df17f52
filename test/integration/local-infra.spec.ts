import { randomBytes } from 'crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

// The integration project's globalSetup (test/support/integration-global-setup.js) starts a local Kafka broker and
// PostgreSQL from scripts/local-infra, or takes the ones KAFKA_BROKERS / DATABASE_URL name; these tests check what
// the other integration tests get, and that a local broker keeps its data across a restart.

interface LocalKafkaBroker {
  readonly brokers: string;
  readonly pid: number | undefined;
  start(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}
// scripts/local-infra is plain CommonJS (jest's globalSetup loads it without a build): typed here by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { KafkaBroker } = require('../../scripts/local-infra') as {
  KafkaBroker: { create(options?: { dataDir?: string; port?: number }): Promise<LocalKafkaBroker> };
};

jest.setTimeout(120_000);

const unique = (prefix: string) => `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;

function kafkaAt(brokers: string): Kafka {
  return new Kafka({ clientId: 'local-infra-spec', brokers: [brokers], logLevel: logLevel.NOTHING });
}

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

async function produce(kafka: Kafka, topic: string, value: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
  } finally {
    await producer.disconnect();
  }
}

/** The first message of `topic`, read from the beginning by a new consumer group. */
async function consumeFirst(kafka: Kafka, topic: string, waitMs = 90_000): Promise<string> {
  const consumer = kafka.consumer({ groupId: unique('local-infra-spec') });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${waitMs} ms`)), waitMs);
      consumer
        .run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

describe('local infrastructure for the integration tests', () => {
  it('provides a Kafka broker in KAFKA_BROKERS: create a topic, produce, consume', async () => {
    const brokers = process.env.KAFKA_BROKERS;
    expect(brokers).toBeTruthy();
    const kafka = kafkaAt(brokers!);
    const topic = unique('local-infra');
    await createTopic(kafka, topic);
    try {
      await produce(kafka, topic, 'hello');
      expect(await consumeFirst(kafka, topic)).toBe('hello');
    } finally {
      await deleteTopic(kafka, topic);
    }
  });

  it('provides PostgreSQL in DATABASE_URL', async () => {
    expect(process.env.DATABASE_URL).toBeTruthy();
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('select 1 as one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('a KafkaBroker keeps its topics and messages across restart()', async () => {
    const broker = await KafkaBroker.create();
    try {
      await broker.start();
      const address = broker.brokers;
      const pidBefore = broker.pid;
      const topic = unique('durable');
      await createTopic(kafkaAt(address), topic);
      await produce(kafkaAt(address), topic, 'survives a restart');

      await broker.restart();

      expect(broker.brokers).toBe(address);
      expect(broker.pid).not.toBe(pidBefore);
      expect(await consumeFirst(kafkaAt(address), topic)).toBe('survives a restart');
    } finally {
      await broker.destroy();
    }
  });
});
