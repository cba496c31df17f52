import type { Admin, Kafka, KafkaConfig } from 'kafkajs';
import { KafkaAdminPool, clusterKeyOf, kafkaErrorType } from './kafka-admin-pool';

/** A stand-in for kafkajs: admins whose requests the test settles by hand. */
class FakeKafka {
  readonly admins: FakeAdmin[] = [];
  constructor(readonly config: KafkaConfig) {}
  admin(): Admin {
    const admin = new FakeAdmin();
    this.admins.push(admin);
    return admin as unknown as Admin;
  }
}

class FakeAdmin {
  connected = false;
  disconnected = false;
  connectError: Error | null = null;
  readonly requests: { resolve(v: unknown): void; reject(e: unknown): void; what: string }[] = [];
  async connect() {
    if (this.connectError) throw this.connectError;
    this.connected = true;
  }
  async disconnect() {
    this.disconnected = true;
  }
  fetchTopicOffsets(topic: string) {
    return new Promise((resolve, reject) =>
      this.requests.push({ resolve, reject, what: `offsets ${topic}` }),
    );
  }
  fetchOffsets({ groupId, topics }: { groupId: string; topics: string[] }) {
    return new Promise((resolve, reject) =>
      this.requests.push({ resolve, reject, what: `group ${groupId} ${topics.join(',')}` }),
    );
  }
}

/** Lets the pool's connect and request calls run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function protocolError(type: string): Error {
  return Object.assign(new Error('This server does not host this topic-partition'), { type });
}

describe('KafkaAdminPool', () => {
  let kafkas: FakeKafka[];
  let pool: KafkaAdminPool;

  beforeEach(() => {
    kafkas = [];
    pool = new KafkaAdminPool({
      clientId: 'spec',
      createKafka: (config) => {
        const kafka = new FakeKafka(config);
        kafkas.push(kafka);
        return kafka as unknown as Kafka;
      },
    });
  });

  afterEach(() => pool.close());

  it('shares one admin per cluster (brokers in any order) and one request among identical asks', async () => {
    const asks = Array.from({ length: 100 }, (_, i) =>
      pool.topicOffsets(i % 2 ? ['b:9092', 'a:9092'] : ['a:9092', 'b:9092'], 'orders'),
    );
    await settle();
    expect(kafkas).toHaveLength(1);
    expect(kafkas[0].config).toMatchObject({ clientId: 'spec', logLevel: 0 });
    const [admin] = kafkas[0].admins;
    expect(admin.requests.map((r) => r.what)).toEqual(['offsets orders']);
    admin.requests[0].resolve([
      { partition: 1, offset: '5', high: '5', low: '0' },
      { partition: 0, offset: '7', high: '7', low: '2' },
    ]);
    const answers = await Promise.all(asks);
    expect(answers[99]).toEqual([
      { partition: 0, high: 7, low: 2 },
      { partition: 1, high: 5, low: 0 },
    ]);
    expect(pool.stats()).toEqual({ adminClients: 1, requests: 1, coalesced: 99 });
  });

  it('sends a new request once the previous one is answered, and separate ones per topic and group', async () => {
    const first = pool.topicOffsets(['a:1'], 't1');
    const other = pool.topicOffsets(['a:1'], 't2');
    const group = pool.committedOffsets(['a:1'], 'g', 't1');
    await settle();
    const [admin] = kafkas[0].admins;
    expect(admin.requests.map((r) => r.what)).toEqual(['offsets t1', 'offsets t2', 'group g t1']);
    admin.requests[0].resolve([]);
    admin.requests[1].resolve([]);
    admin.requests[2].resolve([{ topic: 't1', partitions: [{ partition: 0, offset: '-1' }] }]);
    await Promise.all([first, other]);
    expect(await group).toEqual([{ partition: 0, offset: -1 }]);
    const again = pool.topicOffsets(['a:1'], 't1');
    await settle();
    admin.requests[3].resolve([]);
    await again;
    expect(pool.stats()).toMatchObject({ adminClients: 1, requests: 4, coalesced: 0 });
  });

  it('keeps the admin after a broker answer (unknown topic) but replaces it after a connection error', async () => {
    const unknown = pool.topicOffsets(['a:1'], 'missing');
    await settle();
    const [first] = kafkas[0].admins;
    first.requests[0].reject(protocolError('UNKNOWN_TOPIC_OR_PARTITION'));
    await expect(unknown).rejects.toThrow('does not host');

    const broken = pool.topicOffsets(['a:1'], 'missing');
    await settle();
    expect(kafkas[0].admins).toHaveLength(1);
    first.requests[1].reject(new Error('Connection error: read ECONNRESET'));
    await expect(broken).rejects.toThrow('ECONNRESET');
    expect(first.disconnected).toBe(true);

    const retried = pool.topicOffsets(['a:1'], 'missing');
    await settle();
    expect(kafkas[0].admins).toHaveLength(2);
    kafkas[0].admins[1].requests[0].resolve([]);
    await retried;
    expect(pool.stats().adminClients).toBe(2);
  });

  it('connects again on the next ask after a failed connect', async () => {
    // The first admin the fake makes refuses to connect.
    const createKafka = (config: KafkaConfig) => {
      const kafka = new FakeKafka(config);
      const admin = kafka.admin.bind(kafka);
      let made = 0;
      kafka.admin = () => {
        const a = admin();
        if (made++ === 0) (a as unknown as FakeAdmin).connectError = new Error('connect ECONNREFUSED');
        return a;
      };
      kafkas.push(kafka);
      return kafka as unknown as Kafka;
    };
    const refusing = new KafkaAdminPool({ clientId: 'spec', createKafka });
    await expect(refusing.topicOffsets(['a:1'], 't')).rejects.toThrow('ECONNREFUSED');
    const next = refusing.topicOffsets(['a:1'], 't');
    await settle();
    kafkas[0].admins[1].requests[0].resolve([]);
    await expect(next).resolves.toEqual([]);
    await refusing.close();
  });

  it('disconnects its admins on close and refuses asks afterwards', async () => {
    const ask = pool.topicOffsets(['a:1'], 't');
    await settle();
    kafkas[0].admins[0].requests[0].resolve([]);
    await ask;
    await pool.close();
    expect(kafkas[0].admins[0].disconnected).toBe(true);
    await expect(pool.topicOffsets(['a:1'], 't')).rejects.toThrow('closed');
  });

  it('names clusters by their sorted brokers and finds broker error types through retry wrappers', () => {
    expect(clusterKeyOf(['b:1', ' a:1'])).toBe('a:1,b:1');
    const wrapped = Object.assign(new Error('retries exceeded'), {
      cause: protocolError('UNKNOWN_TOPIC_OR_PARTITION'),
    });
    expect(kafkaErrorType(wrapped)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(kafkaErrorType(new Error('ECONNREFUSED'))).toBeUndefined();
  });
});
