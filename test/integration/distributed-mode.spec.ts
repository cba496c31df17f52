// Distributed mode end to end: every service its own process (two schedulers, two
// coordinators, two executors, assets, api) over the suite's real Kafka broker and
// PostgreSQL, seen from outside through plain kafkajs clients, as a user's services would.
import { randomUUID } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Consumer, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { decodeMessage } from '@tributary/messaging';
import { REPO_ROOT, TestCluster, eventually } from '../support/cluster';

jest.setTimeout(240_000);

interface Observed {
  topic: string;
  key: string | null;
  value: string;
}

describe('distributed mode (services as processes, real Kafka and PostgreSQL)', () => {
  let cluster: TestCluster;
  let kafka: Kafka;
  let producer: Producer;
  let observer: Consumer;
  const observed: Observed[] = [];

  beforeAll(async () => {
    // The default prefix, so the topic names below are the documented ones, literally.
    cluster = await TestCluster.create({
      dagsDir: 'test/fixtures/distributed',
      topicPrefix: 'tributary.',
      services: { coordinator: 2, executor: 2, assets: 1, api: 1, scheduler: 2 },
    });
    await cluster.start();
    kafka = new Kafka({
      clientId: 'it-outside',
      brokers: cluster.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    observer = kafka.consumer({ groupId: `it-observer-${randomUUID()}` });
    await observer.connect();
    await observer.subscribe({
      topics: ['tributary.asset.events', 'tributary.dlq', 'tributary.run.requested'],
      fromBeginning: true,
    });
    await observer.run({
      eachMessage: async ({ topic, message }) => {
        observed.push({
          topic,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
        });
      },
    });
  });

  afterAll(async () => {
    await observer?.disconnect();
    await producer?.disconnect();
    await cluster?.stop();
  });

  const describeState = async () =>
    `${JSON.stringify(await cluster.query(`SELECT dag_id, run_id, state FROM dag_runs ORDER BY id DESC LIMIT 20`))}\n${cluster.logs()}`;

  const runRequested = (payload: Record<string, unknown>, eventId: string = randomUUID()) =>
    JSON.stringify({
      eventId,
      type: 'run.requested',
      version: 1,
      occurredAt: new Date().toISOString(),
      payload,
    });

  it('two schedulers create each scheduled run exactly once, and every run succeeds', async () => {
    const runs = await eventually(
      'four successful ticker runs',
      async () => {
        const rows = await cluster.query<{ logical_date: Date; state: string }>(
          `SELECT logical_date, state FROM dag_runs WHERE dag_id = 'ticker' AND state = 'success' ORDER BY logical_date`,
        );
        return rows.length >= 4 ? rows : undefined;
      },
      { timeoutMs: 90_000, describe: describeState },
    );
    const first = runs[0].logical_date.getTime();
    const last = runs[runs.length - 1].logical_date.getTime();
    // Each 5-second interval between the first and last run was scheduled, once.
    const requested = observed
      .filter((m) => m.topic === 'tributary.run.requested')
      .map((m) => JSON.parse(m.value).payload)
      .filter((p) => p.dagId === 'ticker' && p.runType === 'scheduled')
      .map((p) => Date.parse(p.logicalDate))
      .filter((t) => t >= first && t <= last);
    const expected = Array.from({ length: (last - first) / 5000 + 1 }, (_, i) => first + i * 5000);
    expect(requested.sort((a, b) => a - b)).toEqual(expected);
    const all = await cluster.query<{ logical_date: Date; n: number }>(
      `SELECT logical_date, count(*)::int AS n FROM dag_runs WHERE dag_id = 'ticker' GROUP BY logical_date HAVING count(*) > 1`,
    );
    expect(all).toEqual([]);
    // Both schedulers were alive and ticking all along (a second one that never started would prove nothing).
    for (const scheduler of cluster.of('scheduler')) expect((await scheduler.health()).status).toBe(200);
    const tis = await cluster.query<{ state: string; n: number }>(
      `SELECT ti.state, count(*)::int AS n FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk
       WHERE r.dag_id = 'ticker' AND r.state = 'success' GROUP BY ti.state`,
    );
    expect(tis).toEqual([{ state: 'success', n: runs.length * 2 }]);
  });

  it('an outside consumer of tributary.asset.events receives the documented schema', async () => {
    const events = await eventually('asset events for ticker.out', async () => {
      const found = observed.filter((m) => m.topic === 'tributary.asset.events' && m.key === 'ticker.out');
      return found.length >= 2 ? found : undefined;
    });
    const documented = documentedExample('tributary.asset.events');
    for (const message of events) {
      const decoded = decodeMessage('asset.events', message.value);
      const raw = JSON.parse(message.value);
      expect(Object.keys(raw).sort()).toEqual(Object.keys(documented).sort());
      expect(decoded.type).toBe('asset.event');
      expect(decoded.version).toBe(1);
      expect(raw.payload.asset).toBe('ticker.out');
      expect(raw.payload.source).toEqual({
        dagId: 'ticker',
        runId: expect.stringMatching(/^scheduled__/),
        taskId: 'load',
        tryNumber: 1,
      });
      for (const key of Object.keys(raw.payload)) expect(Object.keys(documented.payload)).toContain(key);
    }
    // The assets service turned them into runs of the asset-scheduled DAG.
    await eventually('a successful downstream run', async () => {
      const [row] = await cluster.query(
        `SELECT 1 FROM dag_runs WHERE dag_id = 'downstream' AND state = 'success'`,
      );
      return row;
    });
  });

  it('a message from an outside producer starts a run; the same idempotency key again starts nothing', async () => {
    const send = (value: string) =>
      producer.send({ topic: 'tributary.run.requested', messages: [{ key: 'manual_chain', value }] });
    const original = randomUUID();
    await send(
      runRequested(
        { dagId: 'manual_chain', runType: 'external', idempotencyKey: 'order-42', conf: { order: 42 } },
        original,
      ),
    );
    const [run] = await eventually(
      'the externally requested run to succeed',
      async () => {
        const rows = await cluster.query<{ run_id: string; state: string; conf: unknown }>(
          `SELECT run_id, state, conf FROM dag_runs WHERE dag_id = 'manual_chain' AND idempotency_key = 'order-42'`,
        );
        return rows.length === 1 && rows[0].state === 'success' ? rows : undefined;
      },
      { describe: describeState },
    );
    expect(run.conf).toEqual({ order: 42 });
    // A retried send (new event id, same key), and a replay of the very same message.
    await send(runRequested({ dagId: 'manual_chain', runType: 'external', idempotencyKey: 'order-42' }));
    await send(
      runRequested(
        { dagId: 'manual_chain', runType: 'external', idempotencyKey: 'order-42', conf: { order: 42 } },
        original,
      ),
    );
    // Same key, same partition, in order: once this later request has its run, the duplicates were handled.
    await send(runRequested({ dagId: 'manual_chain', runType: 'external', idempotencyKey: 'order-43' }));
    await eventually('the run of the next request', async () => {
      const [row] = await cluster.query(
        `SELECT 1 FROM dag_runs WHERE dag_id = 'manual_chain' AND idempotency_key = 'order-43' AND state = 'success'`,
      );
      return row;
    });
    const runs = await cluster.query<{ idempotency_key: string; n: number }>(
      `SELECT idempotency_key, count(*)::int AS n FROM dag_runs WHERE dag_id = 'manual_chain' GROUP BY idempotency_key ORDER BY 1`,
    );
    expect(runs).toEqual([
      { idempotency_key: 'order-42', n: 1 },
      { idempotency_key: 'order-43', n: 1 },
    ]);
    const lines = readFileSync(path.join(cluster.markersDir, 'manual_chain'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith(`${run.run_id} `))).toEqual([
      `${run.run_id} a`,
      `${run.run_id} b`,
      `${run.run_id} c`,
    ]);
  });

  it('a malformed message lands in tributary.dlq with the reason, and the partition keeps flowing', async () => {
    const marker = randomUUID();
    await producer.send({
      topic: 'tributary.run.requested',
      messages: [
        { key: 'manual_chain', value: `{"not json ${marker}` },
        {
          key: 'manual_chain',
          value: runRequested({ dagId: 'manual chain!', runType: 'sometimes', note: marker }),
        },
        {
          key: 'manual_chain',
          value: runRequested({
            dagId: 'manual_chain',
            runType: 'external',
            idempotencyKey: `after-${marker}`,
          }),
        },
      ],
    });
    const dead = await eventually('two dead letters', async () => {
      const found = observed
        .filter((m) => m.topic === 'tributary.dlq' && m.value.includes(marker))
        .map((m) => decodeMessage('dlq', m.value).payload as unknown as Record<string, unknown>);
      return found.length >= 2 ? found : undefined;
    });
    expect(dead).toEqual([
      expect.objectContaining({
        topic: 'tributary.run.requested',
        consumerGroup: 'coordinator',
        reason: expect.stringContaining('value is not JSON'),
        originalValue: `{"not json ${marker}`,
        attempts: 0,
      }),
      expect.objectContaining({
        topic: 'tributary.run.requested',
        reason: expect.stringMatching(/payload\.dagId.*payload\.runType/s),
        attempts: 0,
      }),
    ]);
    await eventually('the valid message behind them to be handled', async () => {
      const [row] = await cluster.query(
        `SELECT 1 FROM dag_runs WHERE dag_id = 'manual_chain' AND idempotency_key = $1 AND state = 'success'`,
        [`after-${marker}`],
      );
      return row;
    });
    for (const coordinator of cluster.of('coordinator')) expect(coordinator.running).toBe(true);
  });

  it('every service reports health and Prometheus metrics', async () => {
    for (const proc of cluster.processes) {
      const health = await proc.health();
      expect(health).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          service: proc.service,
          checks: { database: 'ok', kafka: 'ok' },
        }),
      });
    }
    const executorMetrics = await Promise.all(cluster.of('executor').map((p) => p.metrics()));
    const merged = executorMetrics.join('\n');
    expect(merged).toMatch(
      /tributary_events_handled_total\{topic="tributary\.task\.commands",group="tributary\.executor",outcome="handled"/,
    );
    expect(merged).toMatch(/tributary_task_queue_latency_seconds_count\{service="executor"\} [1-9]/);
    expect(merged).toMatch(
      /tributary_consumer_lag\{group="tributary\.executor",topic="tributary\.task\.commands"/,
    );
    expect(merged).toMatch(/tributary_task_instances\{state="success",service="executor"\} [1-9]/);
    // One consumer group: both executors got partitions of task.commands, and ran tasks.
    const workers = await cluster.query<{ worker: string }>(
      `SELECT DISTINCT worker FROM task_instance_tries WHERE state = 'success'`,
    );
    expect(workers.map((w) => w.worker).sort()).toEqual(
      cluster
        .of('executor')
        .map((p) => p.env.TRIBUTARY_WORKER_ID)
        .sort(),
    );
  });
});

/** The JSON example docs/events.md gives for a topic. */
function documentedExample(topic: string): { payload: Record<string, unknown> } & Record<string, unknown> {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'events.md'), 'utf8');
  const heading = `### Example: ${topic}`;
  const start = doc.indexOf(heading);
  if (start < 0) throw new Error(`docs/events.md has no '${heading}'`);
  const block = /```json\n([\s\S]*?)```/.exec(doc.slice(start));
  return JSON.parse(block![1]);
}
