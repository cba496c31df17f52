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

  it('never starts a partitioned consumer on a day its hourly input has only partly landed', async () => {
    const produced = (await runs(o, 'producer_a')).filter((r: { state: string }) => r.state === 'success');
    expect(produced.length).toBe(5); // logical 01:00..05:00, finished at 02:00..06:00
    // Five hours of 2026-04-25 are pieces of that day, not the day: no run reads it yet.
    expect(await runs(o, 'consumer')).toEqual([]);
    const [day] = await o.db.manager.query(
      `SELECT completed_at FROM asset_partitions WHERE asset_name = 'raw.a' AND partition = '2026-04-25'`,
    );
    expect(day.completed_at).toBeNull();
    // Every event waits in the consumer's queue for the day to complete: none is lost.
    const [{ queued }] = await o.db.manager.query(
      `SELECT count(*)::int AS queued FROM asset_dag_queue WHERE dag_id = 'consumer' AND partition = '2026-04-25'`,
    );
    expect(queued).toBe(produced.length);
  });

  it('keeps a DAG that needs two inputs waiting while either day is incomplete', async () => {
    expect(await runs(o, 'needs_both')).toEqual([]);
    const queued = await o.db.manager.query(
      `SELECT asset_name, count(*)::int AS n FROM asset_dag_queue WHERE dag_id = 'needs_both' GROUP BY asset_name ORDER BY asset_name`,
    );
    expect(queued.map((r: { asset_name: string }) => r.asset_name)).toEqual(['raw.a', 'raw.b']);
  });

  it('with catchup off, an hourly DAG created only the latest interval at start', async () => {
    const latest = await runs(o, 'hourly_no_catchup');
    expect(latest[0].logical_date.toISOString()).toBe('2026-04-25T00:00:00.000Z');
    expect(latest.every((r: { state: string }) => r.state === 'success')).toBe(true);
  });
});
