import * as fs from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import type { InputFreshness } from '@tributary/sdk';

// Asset schedules, freshness contracts, fallbacks and run deadlines on a simulated clock.
jest.setTimeout(180_000);

const DAGS = path.resolve(__dirname, '..', 'fixtures', 'assets-core');
const probe = ((globalThis as { assetsProbe?: AssetsProbe }).assetsProbe ??= { inputs: {}, ran: [] });
interface AssetsProbe {
  inputs: Record<string, InputFreshness[]>;
  ran: string[];
}

/** Los Angeles wall time (PDT in April) as an instant. */
const la = (local: string) => new Date(`${local}-07:00`);

interface AlertRow {
  kind: string;
  subject: string;
  asset: string | null;
  partition: string | null;
  dag_id: string | null;
  run_id: string | null;
  raised_at: Date;
  recovered_at: Date | null;
  message: string;
}

describe('assets: partitions, per-event and batched runs, freshness, fallbacks, run deadlines', () => {
  let o: StandaloneOrchestrator;
  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> =>
    o.db.manager.query(text, params);
  const runsOf = (dagId: string) =>
    q<{
      run_id: string;
      state: string;
      logical_date: Date;
      conf: Record<string, unknown>;
      queued_at: Date;
      started_at: Date;
      ended_at: Date;
      input_freshness: InputFreshness[] | null;
    }>(
      `SELECT run_id, state, logical_date, conf, queued_at, started_at, ended_at, input_freshness FROM dag_runs WHERE dag_id = $1 ORDER BY id`,
      [dagId],
    );
  const triggering = async (dagId: string, runId: string) =>
    (
      await q<{ asset_name: string; event_id: string }>(
        `SELECT e.asset_name, e.event_id FROM run_asset_events x JOIN dag_runs r ON r.id = x.run_pk
         JOIN asset_events e ON e.id = x.asset_event_id WHERE r.dag_id = $1 AND r.run_id = $2 ORDER BY e.id`,
        [dagId, runId],
      )
    ).map((r) => r.event_id);
  const alerts = (kind: string) =>
    q<AlertRow>(
      `SELECT kind, subject, asset, partition, dag_id, run_id, raised_at, recovered_at, message FROM alerts WHERE kind = $1 ORDER BY id`,
      [kind],
    );
  const alertMessages = async () =>
    (
      await q<{ payload: { payload: { alertId: string; subject: string; recovery: boolean } } }>(
        `SELECT payload FROM outbox WHERE topic = 'tributary.alerts' ORDER BY id`,
      )
    ).map((r) => r.payload.payload);
  const publish = (asset: string, extra: { partition?: string } = {}) =>
    o.assets.publishEvent({ asset, ...extra });

  const events: Record<string, string> = {};

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir: 'memory://',
      clock: new ManualClock(la('2026-04-25T00:00:00')),
      http: false,
      logLevels: false,
    });
    await o.assets.registerAsset({ name: 'ext.lagging', freshness: { maxLag: '1h' } });

    await o.advanceTo(la('2026-04-25T01:30:00'));
    events.lag1 = await publish('ext.lagging');
    // and(a, b): batched takes a1, a2 and b1 in one run; per-event pairs a1 with b1, then a2 with b2.
    events.a1 = await publish('ext.a');
    await o.settle();
    events.a2 = await publish('ext.a');
    await o.settle();
    events.b1 = await publish('ext.b');
    await o.settle();
    events.b2 = await publish('ext.b');
    // Three events at once for a DAG that runs one at a time, each run holding an hour.
    events.burst1 = await publish('ext.burst');
    events.burst2 = await publish('ext.burst');
    events.burst3 = await publish('ext.burst');
    await o.settle();

    await o.advanceTo(la('2026-04-25T03:00:00'));
    events.lag2 = await publish('ext.lagging');
    await o.settle();
    await o.advanceTo(la('2026-04-26T09:00:00'));
    // The fallback ran 04-25 without the partner feed; the feed arrives late and 04-25 runs for real.
    events.partner = await publish('ext.partner_feed', { partition: '2026-04-25' });
    await o.settle();
    // A manual run of the hourly producer covers no known hour: it must not complete 04-26.
    await o.scheduler.requestRun('hourly_producer', 'manual', { runId: 'manual_reland' });
    await o.settle();
  });

  afterAll(async () => {
    await o?.stop();
  });

  it('runs the partitioned consumer once per complete day, after its last hourly piece landed', async () => {
    const runs = await runsOf('daily_consumer');
    expect(runs.map((r) => [r.run_id, r.state])).toEqual([['asset_triggered__2026-04-25', 'success']]);
    expect(runs[0].logical_date.toISOString()).toBe(la('2026-04-25T00:00:00').toISOString());
    const [partition] = await q<{ completed_at: Date }>(
      `SELECT completed_at FROM asset_partitions WHERE asset_name = 'raw.hourly' AND partition = '2026-04-25'`,
    );
    // The 23:00 hour failed at midnight and landed on its retry at 03:00: that completed the day.
    expect(partition.completed_at.toISOString()).toBe(la('2026-04-26T03:00:00').toISOString());
    expect(runs[0].started_at.getTime()).toBeGreaterThanOrEqual(partition.completed_at.getTime());
    // Each of the 24 hourly events of 04-25 is recorded as triggering the run.
    expect(await triggering('daily_consumer', 'asset_triggered__2026-04-25')).toHaveLength(24);
    const [{ n }] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM asset_partitions WHERE asset_name = 'raw.hourly' AND completed_at IS NOT NULL`,
    );
    expect(n).toBe(1); // 04-26 has pieces but is not complete
    const [manual] = await q<{ partition: string | null; interval_start: Date | null }>(
      `SELECT partition, interval_start FROM asset_events WHERE source_run_id = 'manual_reland'`,
    );
    expect(manual).toEqual({ partition: null, interval_start: null });
  });

  it('records how the inputs stood against their contracts when the run started, and shows it to the task', async () => {
    const [run] = await runsOf('daily_consumer');
    const expected = {
      asset: 'raw.hourly',
      partition: '2026-04-25',
      status: 'late',
      satisfied: false,
      deadline: la('2026-04-26T02:00:00').toISOString(),
      completedAt: la('2026-04-26T03:00:00').toISOString(),
      lateByMs: 3_600_000,
    };
    expect(run.input_freshness).toEqual([expect.objectContaining(expected)]);
    expect(probe.inputs['daily_consumer/asset_triggered__2026-04-25']).toEqual([
      expect.objectContaining(expected),
    ]);
  });

  it('alerts the missed 02:00 contract once and recovers it once when the day lands', async () => {
    const missed = (await alerts('freshness_missed')).filter((a) => a.asset === 'raw.hourly');
    expect(missed).toEqual([
      expect.objectContaining({
        subject: 'asset:raw.hourly:2026-04-25',
        partition: '2026-04-25',
        raised_at: la('2026-04-26T02:00:00'),
        recovered_at: la('2026-04-26T03:00:00'),
      }),
    ]);
    const published = (await alertMessages()).filter((m) => m.subject === 'asset:raw.hourly:2026-04-25');
    expect(published.map((m) => m.recovery)).toEqual([false, true]);
    expect(new Set(published.map((m) => m.alertId)).size).toBe(1);
  });

  it('alerts a max-lag contract per silent window and recovers on the next event', async () => {
    const lag = (await alerts('freshness_missed')).filter((a) => a.asset === 'ext.lagging');
    // Registered at 00:00: silent until 01:00 (alert), event at 01:30 (recovery), silent 02:30 (alert),
    // event at 03:00 (recovery), then silent from 04:00 until the end.
    expect(lag.map((a) => [a.raised_at.toISOString(), a.recovered_at?.toISOString() ?? null])).toEqual([
      [la('2026-04-25T01:00:00').toISOString(), la('2026-04-25T01:30:00').toISOString()],
      [la('2026-04-25T02:30:00').toISOString(), la('2026-04-25T03:00:00').toISOString()],
      [la('2026-04-25T04:00:00').toISOString(), null],
    ]);
  });

  it('batches every queued event into one run, or runs once per set of events', async () => {
    const batched = await runsOf('batched_consumer');
    expect(batched).toHaveLength(1);
    expect(await triggering('batched_consumer', batched[0].run_id)).toEqual([
      events.a1,
      events.a2,
      events.b1,
    ]);
    // b2 waits for the next ext.a.
    const waiting = await q<{ event_id: string }>(
      `SELECT e.event_id FROM asset_dag_queue x JOIN asset_events e ON e.id = x.asset_event_id WHERE x.dag_id = 'batched_consumer'`,
    );
    expect(waiting.map((w) => w.event_id)).toEqual([events.b2]);
    const perEvent = await runsOf('per_event_consumer');
    expect(perEvent).toHaveLength(2);
    expect(await triggering('per_event_consumer', perEvent[0].run_id)).toEqual([events.a1, events.b1]);
    expect(await triggering('per_event_consumer', perEvent[1].run_id)).toEqual([events.a2, events.b2]);
  });

  it('queues runs behind maxActiveRuns without losing an event', async () => {
    const runs = await runsOf('busy_consumer');
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    const byRun = await Promise.all(runs.map((r) => triggering('busy_consumer', r.run_id)));
    expect(byRun).toEqual([[events.burst1], [events.burst2], [events.burst3]]);
    // One at a time: each started only after the one before had held its slot for an hour.
    expect(runs[1].started_at.getTime()).toBeGreaterThanOrEqual(runs[0].logical_date.getTime() + 3_600_000);
    expect(runs[2].started_at.getTime()).toBeGreaterThanOrEqual(runs[1].ended_at.getTime());
    expect(runs[1].started_at.getTime()).toBeGreaterThanOrEqual(runs[0].ended_at.getTime());
    const [{ n }] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM asset_dag_queue WHERE dag_id = 'busy_consumer'`,
    );
    expect(n).toBe(0);
  });

  it('runs anyway at the fallback when an input is missing, alerts, and runs for real when it arrives', async () => {
    const runs = await runsOf('fallback_runner');
    expect(runs.map((r) => [r.run_id, r.state, r.conf])).toEqual([
      ['asset_triggered__2026-04-25__fallback', 'success', { fallback: true }],
      ['asset_triggered__2026-04-25', 'success', {}],
    ]);
    expect(runs[0].queued_at.toISOString()).toBe(la('2026-04-26T04:00:00').toISOString());
    expect(await triggering('fallback_runner', 'asset_triggered__2026-04-25')).toContain(events.partner);
    const fallbacks = await alerts('asset_fallback');
    // Only 04-25: the DAG was deployed on 04-25, so the 04:00 fallback on 04-25 (for 04-24) promised nothing.
    expect(fallbacks).toEqual([
      expect.objectContaining({
        subject: 'dag:fallback_runner:2026-04-25',
        raised_at: la('2026-04-26T04:00:00'),
        recovered_at: la('2026-04-26T09:00:00'),
      }),
    ]);
    expect(fallbacks[0].message).toContain('ext.partner_feed');
  });

  it('alerts a run not done by its deadline once, and recovers it when the run succeeds', async () => {
    const deadlines = await alerts('run_deadline_missed');
    const slow = (await runsOf('slow_cron'))[0];
    expect(
      deadlines.map((a) => [a.dag_id, a.run_id, a.raised_at.toISOString(), a.recovered_at?.toISOString()]),
    ).toEqual([
      // daily_consumer's 04-25 run did not exist at its 02:30 deadline (the day landed at 03:00):
      // raised then by the assets service, recovered by the coordinator when the run succeeded.
      [
        'daily_consumer',
        'asset_triggered__2026-04-25',
        la('2026-04-26T02:30:00').toISOString(),
        la('2026-04-26T03:00:00').toISOString(),
      ],
      // slow_cron was queued at 06:00 with an hour's budget and took two.
      [
        'slow_cron',
        slow.run_id,
        la('2026-04-26T07:00:00').toISOString(),
        la('2026-04-26T08:00:00').toISOString(),
      ],
    ]);
  });

  it('publishes every alert change once on tributary.alerts', async () => {
    const rows = await q<{ n: number }>(`SELECT (count(*) + count(recovered_at))::int AS n FROM alerts`);
    expect((await alertMessages()).length).toBe(rows[0].n);
  });
});

describe('assets: freshness and run-deadline timers survive a crash', () => {
  let dataDir: string;
  let o: StandaloneOrchestrator;

  afterAll(async () => {
    await o?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('raises the misses that fell due while the process was down, once, on restart', async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-assets-restart-'));
    const start = (at: string) =>
      StandaloneOrchestrator.start({
        dagsDir: DAGS,
        dataDir,
        clock: new ManualClock(la(at)),
        http: false,
        logLevels: false,
      });
    const first = await start('2026-04-25T00:00:00');
    await first.assets.registerAsset({ name: 'ext.lagging', freshness: { maxLag: '1h' } });
    await first.advanceTo(la('2026-04-25T00:30:00'));
    await first.crash();

    // Down from 00:30 to 07:00: the hourly producer's day, the lag window and slow_cron's runs wait.
    o = await start('2026-04-26T07:00:00');
    await o.tick();
    await o.settle();
    const raised = await o.db.manager.query(
      `SELECT kind, subject, raised_at, deadline FROM alerts WHERE kind = 'freshness_missed' ORDER BY subject`,
    );
    expect(raised.map((r: { subject: string }) => r.subject)).toEqual([
      'asset:ext.lagging:lag:' + la('2026-04-25T01:00:00').toISOString(),
      'asset:raw.hourly:2026-04-25',
    ]);
    for (const r of raised) expect(r.raised_at.toISOString()).toBe(la('2026-04-26T07:00:00').toISOString());
    // A second restart does not raise them again.
    await o.tick();
    await o.settle();
    const [{ n }] = await o.db.manager.query(
      `SELECT count(*)::int AS n FROM alerts WHERE kind = 'freshness_missed'`,
    );
    expect(n).toBe(2);
  });
});
