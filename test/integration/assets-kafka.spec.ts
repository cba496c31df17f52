// Assets over the suite's real Kafka broker and PostgreSQL, seen from outside: a plain kafkajs
// producer announces assets on <prefix>asset.events as an outside system would (its own literal
// JSON envelope), and a plain kafkajs consumer reads <prefix>alerts and <prefix>dlq. The
// coordinator, an executor and the assets service run as processes (distributed mode); the
// assets service's loop fires the freshness timers in real time.
import { randomUUID } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Admin, Consumer, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { AlertEvent, DeadLetterEvent, decodeMessage } from '@tributary/messaging';
import { TestCluster, eventually } from '../support/cluster';

jest.setTimeout(240_000);

interface Observed {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
}

const CONSUMER = 'daily_orders_report';
const DAY = '2026-04-25';

describe('assets over real Kafka and PostgreSQL (outside producers and consumers)', () => {
  let cluster: TestCluster;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let observer: Consumer;
  const observed: Observed[] = [];

  beforeAll(async () => {
    // `migrate` deploys the bundle: the heartbeat's 2-second max-lag window starts then.
    cluster = await TestCluster.create({
      dagsDir: 'test/fixtures/assets-kafka',
      services: { coordinator: 1, executor: 1, assets: 1 },
    });
    await cluster.start();
    kafka = new Kafka({
      clientId: 'it-assets-outside',
      brokers: cluster.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // An outside service's own group; from the beginning, so an alert raised before it joined is seen.
    observer = kafka.consumer({ groupId: `it-pager-${randomUUID()}` });
    await observer.connect();
    await observer.subscribe({
      topics: [cluster.topic('alerts'), cluster.topic('dlq')],
      fromBeginning: true,
    });
    await observer.run({
      eachMessage: async ({ topic, partition, message }) => {
        observed.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
        });
      },
    });
  });

  afterAll(async () => {
    await observer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await cluster?.stop();
  });

  const describeState = async () =>
    [
      JSON.stringify(await cluster.query(`SELECT dag_id, run_id, state FROM dag_runs ORDER BY id`)),
      JSON.stringify(await cluster.query(`SELECT id, kind, subject, recovered_at FROM alerts ORDER BY id`)),
      JSON.stringify(observed.map((m) => `${m.topic}: ${m.value.slice(0, 300)}`)),
      cluster.logs(),
    ].join('\n');

  /** An asset event exactly as an outside system writes it: its own envelope, no Tributary code. */
  const assetEvent = (payload: Record<string, unknown>, eventId: string = randomUUID()) =>
    JSON.stringify({
      eventId,
      type: 'asset.event',
      version: 1,
      occurredAt: new Date().toISOString(),
      payload,
    });

  const send = (key: string, ...values: string[]) =>
    producer.send({
      topic: cluster.topic('asset.events'),
      messages: values.map((value) => ({ key, value })),
    });

  /** The assets service recorded these event ids (in the transaction of their effects). */
  const processed = (what: string, eventIds: string[]) =>
    eventually(
      what,
      async () => {
        const rows = await cluster.query<{ event_id: string }>(
          `SELECT event_id FROM processed_events WHERE consumer_group = 'assets' AND event_id = ANY($1::text[])`,
          [eventIds],
        );
        return rows.length === eventIds.length;
      },
      { describe: describeState },
    );

  /** Every alert Tributary committed is published, and the outside consumer has read the topic to its end. */
  const alertsDrained = async () => {
    await eventually(
      'every alert outbox row to be published',
      async () => {
        const [row] = await cluster.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM outbox WHERE topic = $1 AND published_at IS NULL`,
          [cluster.topic('alerts')],
        );
        return row.n === 0;
      },
      { describe: describeState },
    );
    await eventually(
      'the outside consumer to reach the end of the alerts topic',
      async () => {
        const ends = await admin.fetchTopicOffsets(cluster.topic('alerts'));
        return ends.every((p) => {
          const read = observed.filter(
            (m) => m.topic === cluster.topic('alerts') && m.partition === p.partition,
          );
          const next = read.length ? Math.max(...read.map((m) => Number(m.offset))) + 1 : 0;
          return next >= Number(p.high);
        });
      },
      { describe: describeState },
    );
  };

  /** Alerts the outside consumer received, decoded, one per eventId (delivery is at least once). */
  const alerts = () => {
    const byEventId = new Map<string, AlertEvent>();
    for (const m of observed.filter((o) => o.topic === cluster.topic('alerts'))) {
      const event = decodeMessage<AlertEvent>('alerts', m.value);
      byEventId.set(event.eventId, event);
    }
    return [...byEventId.values()];
  };

  it('events for both inputs of a partitioned DAG, from an outside producer, start exactly one run for the day', async () => {
    const ordersEvent = randomUUID();
    const customersEvent = randomUUID();
    await send(
      'ext.orders',
      assetEvent(
        { asset: 'ext.orders', partition: DAY, metadata: { rows: 1200, landedBy: 'billing-service' } },
        ordersEvent,
      ),
    );
    await send('ext.customers', assetEvent({ asset: 'ext.customers', partition: DAY }, customersEvent));
    await processed('both asset events to be processed', [ordersEvent, customersEvent]);

    // Every run request comes from the assets service's outbox, written with the events' effects: one.
    const requests = await cluster.query<{ payload: { payload: Record<string, unknown> } }>(
      `SELECT payload FROM outbox WHERE topic = $1 AND payload -> 'payload' ->> 'dagId' = $2`,
      [cluster.topic('run.requested'), CONSUMER],
    );
    expect(requests.map((r) => r.payload.payload)).toEqual([
      expect.objectContaining({
        dagId: CONSUMER,
        runType: 'asset_triggered',
        runId: `asset_triggered__${DAY}`,
        triggeringAssetEventIds: expect.arrayContaining([ordersEvent, customersEvent]),
      }),
    ]);
    expect(
      await cluster.query(`SELECT partition, run_id, fallback FROM asset_partition_runs WHERE dag_id = $1`, [
        CONSUMER,
      ]),
    ).toEqual([{ partition: DAY, run_id: `asset_triggered__${DAY}`, fallback: false }]);
    expect(await cluster.query(`SELECT 1 FROM asset_dag_queue WHERE dag_id = $1`, [CONSUMER])).toEqual([]);

    const [run] = await eventually(
      'the run for the day to succeed',
      async () => {
        const rows = await cluster.query<{
          id: string;
          run_id: string;
          run_type: string;
          state: string;
          logical_date: Date;
        }>(`SELECT id, run_id, run_type, state, logical_date FROM dag_runs WHERE dag_id = $1`, [CONSUMER]);
        return rows.length === 1 && rows[0].state === 'success' ? rows : undefined;
      },
      { describe: describeState },
    );
    expect(run.run_id).toBe(`asset_triggered__${DAY}`);
    expect(run.run_type).toBe('asset_triggered');
    // Midnight of the day in the DAG's zone (America/Los_Angeles, PDT).
    expect(run.logical_date).toEqual(new Date('2026-04-25T07:00:00.000Z'));

    // Both outside events are recorded as the run's triggering events.
    const triggering = await cluster.query<{ event_id: string; asset_name: string; partition: string }>(
      `SELECT e.event_id, e.asset_name, e.partition FROM run_asset_events r
       JOIN asset_events e ON e.id = r.asset_event_id WHERE r.run_pk = $1 ORDER BY e.asset_name`,
      [run.id],
    );
    expect(triggering).toEqual([
      { event_id: customersEvent, asset_name: 'ext.customers', partition: DAY },
      { event_id: ordersEvent, asset_name: 'ext.orders', partition: DAY },
    ]);

    // The task saw how its inputs stood when the run started (ctx.inputs): both complete for the day.
    const line = readFileSync(path.join(cluster.markersDir, CONSUMER), 'utf8').trim();
    expect(line.startsWith(`asset_triggered__${DAY} `)).toBe(true);
    const inputs = JSON.parse(line.slice(line.indexOf(' ') + 1));
    expect(inputs).toEqual([
      expect.objectContaining({
        asset: 'ext.customers',
        partition: DAY,
        status: 'complete',
        satisfied: true,
      }),
      expect.objectContaining({ asset: 'ext.orders', partition: DAY, status: 'complete', satisfied: true }),
    ]);
  });

  it('malformed asset events land on the DLQ with the reason, and the consumer keeps going', async () => {
    const marker = randomUUID();
    const after = randomUUID();
    // One key, so one partition, in this order: the valid event is behind the two bad ones.
    await send(
      'ext.orders',
      `{"not json ${marker}`,
      assetEvent({ asset: 'ext orders', partition: '2026-04-26', metadata: { marker } }),
      assetEvent({ asset: 'ext.orders', partition: '2026-04-26', metadata: { marker } }, after),
    );
    const dead = await eventually(
      'two dead letters',
      async () => {
        const found = observed
          .filter((m) => m.topic === cluster.topic('dlq') && m.value.includes(marker))
          .map((m) => decodeMessage<DeadLetterEvent>('dlq', m.value).payload);
        const unique = [...new Map(found.map((d) => [`${d.partition}:${d.offset}`, d])).values()];
        return unique.length >= 2 ? unique : undefined;
      },
      { describe: describeState },
    );
    expect(dead).toEqual([
      expect.objectContaining({
        topic: cluster.topic('asset.events'),
        consumerGroup: 'assets',
        key: 'ext.orders',
        reason: expect.stringContaining('value is not JSON'),
        originalValue: `{"not json ${marker}`,
        attempts: 0,
      }),
      expect.objectContaining({
        topic: cluster.topic('asset.events'),
        consumerGroup: 'assets',
        key: 'ext.orders',
        reason: expect.stringMatching(/^malformed message: payload\.asset must be a name without spaces/),
        attempts: 0,
      }),
    ]);
    // Nothing of the bad ones was recorded; the valid one behind them was.
    await processed('the valid event behind them to be processed', [after]);
    expect(
      await cluster.query(
        `SELECT asset_name, partition FROM asset_events WHERE metadata ->> 'marker' = $1 ORDER BY id`,
        [marker],
      ),
    ).toEqual([{ asset_name: 'ext.orders', partition: '2026-04-26' }]);
    for (const proc of cluster.of('assets')) expect(proc.running).toBe(true);
  });

  it('an outside consumer of alerts gets one freshness_missed for a max-lag asset, then one recovery after an event', async () => {
    const missed = await eventually(
      'a freshness_missed alert for ext.heartbeat',
      async () =>
        alerts().find(
          (a) =>
            a.payload.kind === 'freshness_missed' &&
            a.payload.asset === 'ext.heartbeat' &&
            !a.payload.recovery,
        ),
      { describe: describeState },
    );
    expect(missed.type).toBe('alert');
    expect(missed.payload).toEqual({
      alertId: expect.stringMatching(/^\d+$/),
      kind: 'freshness_missed',
      subject: expect.stringMatching(/^asset:ext\.heartbeat:lag:/),
      severity: 'critical',
      message: 'ext.heartbeat has had no event since it was registered (an event at least every 2 seconds)',
      asset: 'ext.heartbeat',
      deadline: expect.any(String),
      raisedAt: expect.any(String),
      recovery: false,
      details: expect.objectContaining({
        contract: expect.objectContaining({ maxLag: '2s' }),
        lastEventAt: null,
      }),
    });
    expect(missed.payload.subject).toBe(`asset:ext.heartbeat:lag:${missed.payload.deadline}`);

    await send('ext.heartbeat', assetEvent({ asset: 'ext.heartbeat' }));
    const recovered = await eventually(
      'the recovery of that alert',
      async () => alerts().find((a) => a.payload.alertId === missed.payload.alertId && a.payload.recovery),
      { describe: describeState },
    );
    expect(recovered.payload).toEqual({
      ...missed.payload,
      severity: 'info',
      message: 'ext.heartbeat has a new event (an event at least every 2 seconds)',
      recovery: true,
      recoveredAt: expect.any(String),
    });
    expect(Date.parse(recovered.payload.recoveredAt!)).toBeGreaterThanOrEqual(
      Date.parse(missed.payload.raisedAt),
    );

    // Another event, then everything published and read: still one raise and one recovery of that alert.
    const again = randomUUID();
    await send('ext.heartbeat', assetEvent({ asset: 'ext.heartbeat' }, again));
    await processed('the second heartbeat event to be processed', [again]);
    await alertsDrained();
    const ofThat = alerts().filter((a) => a.payload.alertId === missed.payload.alertId);
    expect(ofThat.map((a) => a.payload.recovery).sort()).toEqual([false, true]);
    const [row] = await cluster.query<{ recovered_at: Date | null }>(
      `SELECT recovered_at FROM alerts WHERE id = $1`,
      [missed.payload.alertId],
    );
    expect(row.recovered_at).not.toBeNull();
  });
});
