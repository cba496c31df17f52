import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { outageControl } from '../fixtures/outage/outage';

jest.setTimeout(60_000);

const BUNDLE = path.resolve(__dirname, '..', 'fixtures', 'outage');

const logicalDates = (o: StandaloneOrchestrator, dagId: string): Promise<string[]> =>
  o.db.manager
    .query(`SELECT logical_date FROM dag_runs WHERE dag_id = $1 ORDER BY logical_date`, [dagId])
    .then((rows: { logical_date: Date }[]) => rows.map((r) => r.logical_date.toISOString().slice(11, 16)));

describe('restarts, outages and crashes (PGlite on disk)', () => {
  let dataDir: string;
  let o: StandaloneOrchestrator;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-restart-'));
    // Phase 1: run the first hour, start the blocker, and crash while its task hangs.
    const clock = new ManualClock(new Date('2026-04-25T00:00:00Z'));
    const first = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir,
      clock,
      http: false,
      logLevels: false,
      workerId: 'worker-before-crash',
    });
    await first.advanceTo(new Date('2026-04-25T01:00:30Z'));
    await first.scheduler.requestManualRun('blocker', { runId: 'blocked-run' });
    await first.relay.whenIdle();
    while (!outageControl.calls.includes('blocker.hang#1')) await new Promise((r) => setTimeout(r, 5));
    await first.crash();

    // Phase 2: six hours later, a new process on the same data directory.
    o = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir,
      clock: new ManualClock(new Date('2026-04-25T07:10:00Z')),
      http: false,
      logLevels: false,
      workerId: 'worker-after-restart',
    });
    await o.advanceTo(new Date('2026-04-25T07:15:00Z'));
  });

  afterAll(async () => {
    await o?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('catchup on: every interval missed during the 6-hour outage runs (6 runs), oldest first', async () => {
    expect(await logicalDates(o, 'hourly_catchup')).toEqual([
      '00:00',
      '01:00',
      '02:00',
      '03:00',
      '04:00',
      '05:00',
      '06:00',
    ]);
  });

  it('catchup off: only the latest interval runs after the outage (1 run)', async () => {
    expect(await logicalDates(o, 'hourly_latest')).toEqual(['00:00', '06:00']);
  });

  it('no scheduled run is lost or duplicated across the restart', async () => {
    const calls = outageControl.calls.filter((c) => c.startsWith('hourly_catchup@'));
    expect(calls).toHaveLength(7);
    expect(new Set(calls).size).toBe(7);
  });

  it('a task running when the process died is retried once its worker is presumed dead, and the run completes', async () => {
    const [run] = await o.db.manager.query(
      `SELECT state FROM dag_runs WHERE dag_id = 'blocker' AND run_id = 'blocked-run'`,
    );
    expect(run.state).toBe('success');
    const tries = await o.db.manager.query(
      `SELECT t.try_number, t.state, t.worker, t.exit_reason FROM task_instance_tries t
       JOIN task_instances ti ON ti.id = t.ti_id WHERE ti.dag_id = 'blocker' AND ti.task_id = 'hang' ORDER BY t.try_number`,
    );
    expect(tries).toEqual([
      { try_number: 1, state: 'failed', worker: 'worker-before-crash', exit_reason: 'worker_lost' },
      { try_number: 2, state: 'success', worker: 'worker-after-restart', exit_reason: null },
    ]);
    const [first] = await o.db.manager.query(
      `SELECT state, try_number FROM task_instances WHERE dag_id = 'blocker' AND task_id = 'first'`,
    );
    expect(first).toEqual({ state: 'success', try_number: 1 });
  });

  it('clearing a failed task instance with downstream re-runs only it and its downstream', async () => {
    await o.scheduler.requestManualRun('clearable', { runId: 'to-clear' });
    await o.settle();
    const before = await o.db.manager.query(`SELECT state FROM dag_runs WHERE run_id = 'to-clear'`);
    expect(before[0].state).toBe('failed');
    const state = async () =>
      Object.fromEntries(
        (
          await o.db.manager.query(
            `SELECT task_id, state, try_number FROM task_instances WHERE run_id = 'to-clear' ORDER BY task_id`,
          )
        ).map((r: { task_id: string; state: string; try_number: number }) => [
          r.task_id,
          `${r.state}#${r.try_number}`,
        ]),
      );
    expect(await state()).toEqual({
      a: 'success#1',
      b: 'failed#1',
      c: 'upstream_failed#0',
      side: 'success#1',
    });
    const callsBefore = outageControl.calls.length;

    expect(
      await o.coordinator.clearTaskInstances('clearable', 'to-clear', ['b'], { downstream: true }),
    ).toEqual(['b', 'c']);
    await o.settle();

    expect(await state()).toEqual({ a: 'success#1', b: 'success#2', c: 'success#1', side: 'success#1' });
    expect(outageControl.calls.slice(callsBefore)).toEqual(['clearable.b#2', 'clearable.c']);
    const after = await o.db.manager.query(`SELECT state FROM dag_runs WHERE run_id = 'to-clear'`);
    expect(after[0].state).toBe('success');
  });
});
