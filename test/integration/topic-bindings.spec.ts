// Topic bindings against the suite's real Kafka broker and PostgreSQL: a standalone
// orchestrator whose DAGs are scheduled on Kafka topics, fed by a plain kafkajs producer.
import { randomBytes } from 'crypto';
import * as path from 'path';
import { Admin, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { DeadLetterEvent, TOPICS, decodeMessage } from '@tributary/messaging';
import { TopicBindingCommit } from '@tributary/scheduler';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { eventually, infraEnv } from '../support/cluster';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDatabase } = require('../../scripts/local-infra') as {
  createDatabase(baseUrl: string, name: string): Promise<string>;
};

jest.setTimeout(180_000);

// Fresh topics for this run (the fixture DAGs read the suffix when the bundle loads).
const SUFFIX = randomBytes(4).toString('hex');
process.env.TOPIC_BINDINGS_IT_SUFFIX = SUFFIX;
const ORDERS = `it.orders.${SUFFIX}`;
const READINGS = `it.readings.${SUFFIX}`;
const LATE = `it.late.${SUFFIX}`;
const ORDERS_GROUP = 'tributary.binding.order_placed';
const READINGS_GROUP = 'tributary.binding.readings_batch';
const DAGS = path.resolve(__dirname, '..', 'fixtures', 'topic-bindings');

interface Produced {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
}

interface RunRow {
  run_id: string;
  run_type: string;
  logical_date: Date;
  data_interval_start: Date;
  data_interval_end: Date;
  conf: Record<string, unknown>;
}

interface MessageConf {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  value: Record<string, unknown>;
}

describe('topic bindings (real Kafka and PostgreSQL)', () => {
  let brokers: string[];
  let databaseUrl: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let o: StandaloneOrchestrator;
  /** Set by a test to hold one flush between its transaction and its offset commit. */
  let holdNextCommit: ((commit: TopicBindingCommit) => Promise<void> | void) | null = null;

  const start = () =>
    StandaloneOrchestrator.start({
      dagsDir: DAGS,
      databaseUrl,
      kafkaBrokers: brokers,
      http: false,
      logLevels: false,
      pollIntervalMs: 100,
      // A missing topic is looked for again every 2 s.
      topicBindings: { retryMs: 2_000, beforeCommit: (commit) => holdNextCommit?.(commit) },
    });

  beforeAll(async () => {
    const infra = infraEnv();
    brokers = infra.KAFKA_BROKERS.split(',');
    databaseUrl = await createDatabase(infra.DATABASE_URL, `it_bindings_${SUFFIX}`);
    kafka = new Kafka({ clientId: 'it-bindings-outside', brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: ORDERS, numPartitions: 2 },
        { topic: READINGS, numPartitions: 1 },
      ],
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    o = await start();
    // Messages produced before the consumers joined could fall before their starting offsets.
    await o.topicBindings!.ready(['order_placed', 'readings_batch']);
  });

  afterAll(async () => {
    await o?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
  });

  /** Produces messages one send each (in order), returning where each landed. */
  const produce = async (topic: string, key: string, values: unknown[]): Promise<Produced[]> => {
    const produced: Produced[] = [];
    for (const v of values) {
      const value = typeof v === 'string' ? v : JSON.stringify(v);
      const [meta] = await producer.send({ topic, messages: [{ key, value }] });
      produced.push({ topic, partition: meta.partition, offset: meta.baseOffset!, key, value });
    }
    return produced;
  };

  const committedOffsets = async (groupId: string, topic: string) => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(committed.partitions.map((p) => [p.partition, p.offset]));
  };

  const endOffsets = async (topic: string) =>
    Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));

  /** Every message of the topic recorded and its offset committed, then every requested run created. */
  const caughtUp = async (groupId: string, topic: string) => {
    await eventually(
      `${groupId} to commit the end of ${topic}`,
      async () =>
        JSON.stringify(await committedOffsets(groupId, topic)) === JSON.stringify(await endOffsets(topic)),
      {
        describe: async () =>
          `committed ${JSON.stringify(await committedOffsets(groupId, topic))}, end ${JSON.stringify(await endOffsets(topic))}`,
      },
    );
    await o.settle();
  };

  const runsOf = (dagId: string): Promise<RunRow[]> =>
    o.db.manager.query(
      `SELECT run_id, run_type, logical_date, data_interval_start, data_interval_end, conf
       FROM dag_runs WHERE dag_id = $1 ORDER BY id`,
      [dagId],
    );

  const deadLetters = async (): Promise<DeadLetterEvent[]> => {
    const rows: { payload: unknown; published_at: Date | null }[] = await o.db.manager.query(
      `SELECT payload, published_at FROM outbox WHERE topic = $1 ORDER BY id`,
      ['tributary.dlq'],
    );
    // Published to the DLQ topic, and valid against its contract.
    expect(rows.every((r) => r.published_at !== null)).toBe(true);
    return rows.map((r) => decodeMessage<DeadLetterEvent>(TOPICS.dlq, JSON.stringify(r.payload)));
  };

  const runId = (m: Produced) => `event__${m.topic}-${m.partition}-${m.offset}`;

  it('starts one run per matching message, for the partition day in the DAG zone, with the message as conf', async () => {
    const [placed, cancelled, placedDst, updated] = await produce(ORDERS, 'acct-1', [
      { type: 'order.placed', order: { id: 1, date: '2026-04-25' } },
      { type: 'order.cancelled', order: { id: 2, date: '2026-04-25' } },
      { type: 'order.placed', order: { id: 3, date: '2026-03-08' } },
      // Not selected by the filter: skipped, even without the partition field.
      { type: 'order.updated' },
    ]);
    await caughtUp(ORDERS_GROUP, ORDERS);

    const runs = await runsOf('order_placed');
    expect(runs.map((r) => r.run_id)).toEqual([runId(placed), runId(placedDst)]);
    expect(runs.map((r) => r.run_type)).toEqual(['external', 'external']);
    // Midnight in Los Angeles; the spring-forward day is 23 hours long.
    expect(runs.map((r) => [r.logical_date, r.data_interval_start, r.data_interval_end])).toEqual([
      [new Date('2026-04-25T07:00:00Z'), new Date('2026-04-25T07:00:00Z'), new Date('2026-04-26T07:00:00Z')],
      [new Date('2026-03-08T08:00:00Z'), new Date('2026-03-08T08:00:00Z'), new Date('2026-03-09T07:00:00Z')],
    ]);
    const conf = runs[0].conf.message as MessageConf;
    expect(conf).toEqual({
      topic: ORDERS,
      partition: placed.partition,
      offset: placed.offset,
      key: 'acct-1',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      value: { type: 'order.placed', order: { id: 1, date: '2026-04-25' } },
    });
    expect(runs.map((r) => r.run_id)).not.toContain(runId(cancelled));
    expect(runs.map((r) => r.run_id)).not.toContain(runId(updated));
    expect(o.topicBindings!.stats().order_placed).toMatchObject({
      triggered: 2,
      runsRequested: 2,
      skipped: 2,
    });

    await eventually('the triggered runs to succeed', async () => {
      const [{ n }] = await o.db.manager.query(
        `SELECT count(*)::int AS n FROM dag_runs WHERE dag_id = 'order_placed' AND state = 'success'`,
      );
      return n === 2;
    });
  });

  it('dead-letters malformed messages with the reason, and keeps consuming after them', async () => {
    const before = (await runsOf('order_placed')).length;
    const [notJson, noDate, badDate, good] = await produce(ORDERS, 'acct-3', [
      'order 4 placed',
      { type: 'order.placed', order: { id: 5 } },
      { type: 'order.placed', order: { id: 6, date: '25/04/2026' } },
      { type: 'order.placed', order: { id: 7, date: '2026-04-26' } },
    ]);
    await caughtUp(ORDERS_GROUP, ORDERS);

    const letters = (await deadLetters()).map((e) => e.payload);
    expect(letters.map((l) => [l.partition, l.offset, l.originalValue])).toEqual(
      [notJson, noDate, badDate].map((m) => [m.partition, m.offset, m.value]),
    );
    expect(letters.every((l) => l.topic === ORDERS && l.consumerGroup === 'binding:order_placed')).toBe(true);
    expect(letters.every((l) => l.key === 'acct-3' && l.attempts === 0)).toBe(true);
    expect(letters[0].reason).toMatch(/^malformed message: value is not JSON/);
    expect(letters[1].reason).toContain("the message has no 'order.date' (partitionField)");
    expect(letters[2].reason).toContain(`'order.date' (partitionField) is "25/04/2026", not a calendar day`);

    const runs = await runsOf('order_placed');
    expect(runs.slice(before).map((r) => [r.run_id, r.logical_date])).toEqual([
      [runId(good), new Date('2026-04-26T07:00:00Z')],
    ]);
  });

  it('batches: one run per logical date per batch of at most 5, every message in exactly one run', async () => {
    const a = '2026-04-25T10:00:00.000Z';
    const b = '2026-04-25T11:00:00.000Z';
    const ats = [a, a, b, a, b, b, a];
    // One send: the consumer gets them together, so a full batch of 5 flushes, then 2 after maxWait.
    const [meta] = await producer.send({
      topic: READINGS,
      messages: ats.map((at, i) => ({ key: 'sensor-1', value: JSON.stringify({ at, n: i }) })),
    });
    const firstOffset = BigInt(meta.baseOffset!);
    await caughtUp(READINGS_GROUP, READINGS);

    const runs = await runsOf('readings_batch');
    const seen = runs.flatMap((run) => {
      const messages = run.conf.messages as MessageConf[];
      // Every message of a run is of the run's logical date.
      expect(messages.map((m) => m.value.at)).toEqual(messages.map(() => run.logical_date.toISOString()));
      expect(run.run_type).toBe('external');
      return messages.map((m) => Number(m.value.n));
    });
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);

    // Batches are named by their first message: at most 5 messages and one run per date in each.
    const batches = new Map<string, RunRow[]>();
    for (const run of runs) {
      const [prefix, date] = run.run_id.split('__').slice(1);
      expect(date).toBe(run.logical_date.toISOString());
      batches.set(prefix, [...(batches.get(prefix) ?? []), run]);
    }
    for (const [prefix, batchRuns] of batches) {
      const messages = batchRuns.flatMap((r) => r.conf.messages as MessageConf[]);
      expect(messages.length).toBeLessThanOrEqual(5);
      const dates = batchRuns.map((r) => r.logical_date.toISOString());
      expect(new Set(dates).size).toBe(dates.length);
      const first = messages.map((m) => BigInt(m.offset)).reduce((x, y) => (y < x ? y : x));
      expect(prefix).toBe(`${READINGS}-0-${first}`);
    }
    expect([...batches.keys()][0]).toBe(`${READINGS}-0-${firstOffset}`);
    // Batching happened: fewer runs than messages.
    expect(runs.length).toBeLessThan(ats.length);
  });

  it('a crash after the runs are recorded and before the offsets are committed: no second run, none lost', async () => {
    let held!: (commit: TopicBindingCommit) => void;
    const heldCommit = new Promise<TopicBindingCommit>((resolve) => (held = resolve));
    holdNextCommit = (commit) => {
      if (commit.dagId !== 'order_placed') return;
      holdNextCommit = null;
      held(commit);
      // Never resolves: the crash below abandons the flush before its commit.
      return new Promise<void>(() => undefined);
    };
    const committedBefore = await committedOffsets(ORDERS_GROUP, ORDERS);
    const values = [8, 9, 10].map((id) => ({ type: 'order.placed', order: { id, date: '2026-04-27' } }));
    const [meta] = await producer.send({
      topic: ORDERS,
      messages: values.map((v) => ({ key: 'acct-4', value: JSON.stringify(v) })),
    });
    const sent = values.map((v, i) => ({
      topic: ORDERS,
      partition: meta.partition,
      offset: String(BigInt(meta.baseOffset!) + BigInt(i)),
      key: 'acct-4',
      value: JSON.stringify(v),
    }));

    const commit = await heldCommit;
    expect(commit.runIds.length).toBeGreaterThan(0);
    expect(sent.map(runId)).toEqual(expect.arrayContaining(commit.runIds));
    // Recorded: the inbox rows and the run requests are committed in PostgreSQL ...
    const recorded: { n: number }[] = await o.db.manager.query(
      `SELECT count(*)::int AS n FROM processed_events WHERE consumer_group = 'binding:order_placed' AND event_id = ANY($1)`,
      [
        sent
          .filter((m) => commit.runIds.includes(runId(m)))
          .map((m) => `${m.topic}:${m.partition}:${m.offset}`),
      ],
    );
    expect(recorded[0].n).toBe(commit.runIds.length);
    // ... but not the offsets.
    expect(await committedOffsets(ORDERS_GROUP, ORDERS)).toEqual(committedBefore);

    await o.crash();
    o = await start();
    await o.topicBindings!.ready(['order_placed']);
    await caughtUp(ORDERS_GROUP, ORDERS);

    // Redelivered and recognised: the new process requested no run for what the crashed one recorded.
    expect(o.topicBindings!.stats().order_placed.duplicates).toBeGreaterThanOrEqual(commit.runIds.length);
    const requests: { run_id: string; n: number }[] = await o.db.manager.query(
      `SELECT payload->'payload'->>'runId' AS run_id, count(*)::int AS n FROM outbox
       WHERE topic = 'tributary.run.requested' AND payload->'payload'->>'runId' = ANY($1) GROUP BY 1 ORDER BY 1`,
      [sent.map(runId)],
    );
    expect(requests).toEqual(
      sent
        .map(runId)
        .sort()
        .map((id) => ({ run_id: id, n: 1 })),
    );
    const runs = (await runsOf('order_placed')).filter((r) => sent.map(runId).includes(r.run_id));
    expect(runs.map((r) => r.run_id).sort()).toEqual(sent.map(runId).sort());
    expect(runs.every((r) => r.logical_date.getTime() === Date.parse('2026-04-27T07:00:00Z'))).toBe(true);
  });

  it('a topic created after the binding started is read from its beginning: no message is lost', async () => {
    // The binding has been waiting for the topic; create it and produce at once, before it looks again.
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: LATE, numPartitions: 1 }] });
    const early = await produce(LATE, 'k', [{ n: 1 }, { n: 2 }]);
    await o.topicBindings!.ready(['late_topic']);
    await caughtUp('tributary.binding.late_topic', LATE);
    const runs = await runsOf('late_topic');
    expect(runs.map((r) => r.run_id)).toEqual(early.map(runId));
    // No date field configured: the logical date is the Kafka timestamp.
    expect(runs.map((r) => r.logical_date.toISOString())).toEqual(
      runs.map((r) => (r.conf.message as MessageConf).timestamp),
    );
  });

  it('ends with every group offset committed at the end of its topic', async () => {
    expect(await committedOffsets(ORDERS_GROUP, ORDERS)).toEqual(await endOffsets(ORDERS));
    expect(await committedOffsets(READINGS_GROUP, READINGS)).toEqual(await endOffsets(READINGS));
    expect(await committedOffsets('tributary.binding.late_topic', LATE)).toEqual(await endOffsets(LATE));
    const [{ n }] = await o.db.manager.query(
      `SELECT count(*)::int AS n FROM processed_events WHERE consumer_group LIKE 'binding:%'`,
    );
    // Orders recorded (triggered or dead-lettered): 2, then 4, then 3; 7 readings; 2 late. Skipped ones are not recorded.
    expect(n).toBe(2 + 4 + 3 + 7 + 2);
  });
});
