import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { control } from '../fixtures/lifecycle/lifecycle';

jest.setTimeout(60_000);

const BUNDLE = path.resolve(__dirname, '..', 'fixtures', 'lifecycle');

async function runs(o: StandaloneOrchestrator, dagId: string) {
  return o.db.manager.query(
    `SELECT run_id, run_type, state, logical_date FROM dag_runs WHERE dag_id = $1 ORDER BY logical_date, id`,
    [dagId],
  );
}

async function tis(o: StandaloneOrchestrator, dagId: string, runId: string) {
  const rows = await o.db.manager.query(
    `SELECT task_id, state, try_number FROM task_instances WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id`,
    [dagId, runId],
  );
  return Object.fromEntries(
    rows.map((r: { task_id: string; state: string; try_number: number }) => [
      r.task_id,
      `${r.state}#${r.try_number}`,
    ]),
  );
}

describe('standalone orchestrator on a simulated clock', () => {
  let o: StandaloneOrchestrator;
  let clock: ManualClock;

  beforeAll(async () => {
    control.failuresLeft.set('chain.transform', 2);
    clock = new ManualClock(new Date('2026-04-25T00:00:00Z'));
    o = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir: 'memory://',
      clock,
      http: false,
      logLevels: false,
    });
    await o.advanceTo(new Date('2026-04-25T06:30:00Z'));
  });

  afterAll(async () => {
    await o?.stop();
  });

  it('runs every hourly interval to success', async () => {
    const chainRuns = await runs(o, 'chain');
    expect(chainRuns.map((r: { logical_date: Date }) => r.logical_date.toISOString())).toEqual([
      '2026-04-25T00:00:00.000Z',
      '2026-04-25T01:00:00.000Z',
      '2026-04-25T02:00:00.000Z',
      '2026-04-25T03:00:00.000Z',
      '2026-04-25T04:00:00.000Z',
      '2026-04-25T05:00:00.000Z',
    ]);
    expect(chainRuns.every((r: { state: string }) => r.state === 'success')).toBe(true);
  });

  it('retries a failing task instance alone: its successful upstream keeps try 1', async () => {
    expect(await tis(o, 'chain', 'scheduled__2026-04-25T00:00:00.000Z')).toEqual({
      extract: 'success#1',
      transform: 'success#3',
      load: 'success#1',
    });
    const calls = control.calls.filter(
      (c) => c.startsWith('chain.') && c.includes('@scheduled__2026-04-25T00:00:00.000Z'),
    );
    expect(calls).toEqual([
      'chain.extract@scheduled__2026-04-25T00:00:00.000Z#1',
      'chain.transform@scheduled__2026-04-25T00:00:00.000Z#1',
      'chain.transform@scheduled__2026-04-25T00:00:00.000Z#2',
      'chain.transform@scheduled__2026-04-25T00:00:00.000Z#3',
      'chain.load@scheduled__2026-04-25T00:00:00.000Z#1',
    ]);
  });

  it('never lets two runs of a maxActiveRuns: 1 DAG overlap', async () => {
    const probe = await runs(o, 'overlap_probe');
    expect(probe.length).toBeGreaterThanOrEqual(36);
    expect(probe.every((r: { state: string }) => r.state === 'success')).toBe(true);
    expect(control.maxInFlight).toBe(1);
  });

  it("starts an asset-scheduled DAG once per asset event, for the event's partition", async () => {
    const produced = (await runs(o, 'producer_a')).filter((r: { state: string }) => r.state === 'success');
    expect(produced.length).toBe(5); // logical 01:00..05:00, finished at 02:00..06:00
    const consumerRuns = await runs(o, 'consumer');
    expect(consumerRuns).toHaveLength(produced.length);
    for (const run of consumerRuns) {
      expect(run.run_type).toBe('asset_triggered');
      expect(run.state).toBe('success');
      expect(run.logical_date.toISOString()).toBe('2026-04-25T00:00:00.000Z');
    }
    const [{ per_run }] = await o.db.manager.query(
      `SELECT max(n)::int AS per_run FROM (SELECT count(*) AS n FROM run_asset_events r
         JOIN dag_runs d ON d.id = r.run_pk WHERE d.dag_id = 'consumer' GROUP BY r.run_pk) x`,
    );
    expect(per_run).toBe(1);
  });

  it('starts a DAG that needs two inputs for the same partition only when the last one lands', async () => {
    const bothRuns = await runs(o, 'needs_both');
    expect(bothRuns).toHaveLength(1);
    const [started] = await o.db.manager.query(`SELECT started_at FROM dag_runs WHERE dag_id = 'needs_both'`);
    expect(started.started_at.toISOString()).toBe('2026-04-25T06:00:00.000Z');
    const events = await o.db.manager.query(
      `SELECT e.asset_name, e.partition, count(*)::int AS n FROM run_asset_events r
       JOIN asset_events e ON e.id = r.asset_event_id JOIN dag_runs d ON d.id = r.run_pk
       WHERE d.dag_id = 'needs_both' GROUP BY e.asset_name, e.partition ORDER BY e.asset_name`,
    );
    // Every raw.a event of the partition queued until raw.b landed is recorded as a trigger of that run.
    expect(events.map((e: { asset_name: string; partition: string }) => [e.asset_name, e.partition])).toEqual(
      [
        ['raw.a', '2026-04-25'],
        ['raw.b', '2026-04-25'],
      ],
    );
    expect(events[0].n).toBeGreaterThanOrEqual(4);
  });

  it('with catchup off, an hourly DAG created only the latest interval at start', async () => {
    const latest = await runs(o, 'hourly_no_catchup');
    expect(latest[0].logical_date.toISOString()).toBe('2026-04-25T00:00:00.000Z');
    expect(latest.every((r: { state: string }) => r.state === 'success')).toBe(true);
  });
});
