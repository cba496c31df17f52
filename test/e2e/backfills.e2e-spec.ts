import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RunRequestedEvent, RunRequestedPayload, envelope } from '@tributary/messaging';
import { ManualClock } from '@tributary/runtime';
import { BackfillService } from '@tributary/scheduler';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { backfillControl } from '../fixtures/backfills/backfills';
import { callJson } from '../support/http';

jest.setTimeout(60_000);

const BUNDLE = path.resolve(__dirname, '..', 'fixtures', 'backfills');
const iso = (date: string) => `${date}T00:00:00.000Z`;

interface RunRow {
  id: string;
  run_id: string;
  run_type: string;
  state: string;
  logical_date: Date;
  backfill_id: string | null;
  ended_at: Date | null;
}

const runsOf = (o: StandaloneOrchestrator, dagId: string): Promise<RunRow[]> =>
  o.db.manager.query(
    `SELECT id, run_id, run_type, state, logical_date, backfill_id, ended_at FROM dag_runs
     WHERE dag_id = $1 ORDER BY logical_date, id`,
    [dagId],
  );

const runOn = async (o: StandaloneOrchestrator, dagId: string, date: string): Promise<RunRow | undefined> =>
  (await runsOf(o, dagId)).find((r) => r.logical_date.toISOString() === iso(date));

const tryNumberOf = async (o: StandaloneOrchestrator, runPk: string): Promise<number> =>
  (await o.db.manager.query(`SELECT try_number FROM task_instances WHERE run_pk = $1`, [runPk]))[0]
    .try_number;

/** Task starts of one DAG (and run type) since `since`, as YYYY-MM-DD. */
const startsOf = (dagId: string, runType: string, since = 0): string[] =>
  backfillControl.starts
    .slice(since)
    .filter((s) => s.startsWith(`${dagId}@`) && s.endsWith(`@${runType}`))
    .map((s) => s.split('@')[1]);

/** No message in flight and no outbox row waiting (held tasks may still run: no executor wait). */
async function quiesce(o: StandaloneOrchestrator): Promise<void> {
  for (let quiet = 0; quiet < 2;) {
    await o.relay.whenIdle();
    await o.transport.whenIdle();
    const [{ waiting }] = await o.db.manager.query(
      `SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL`,
    );
    if (waiting > 0) o.relay.kick();
    quiet = waiting > 0 || o.transport.pendingMessages > 0 ? 0 : quiet + 1;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits until every task instance of the DAG that is queued or running has started (and is held). */
async function heldTasks(o: StandaloneOrchestrator, dagId: string): Promise<string[]> {
  await quiesce(o);
  for (let i = 0; ; i++) {
    const [{ active }] = await o.db.manager.query(
      `SELECT count(*)::int AS active FROM task_instances WHERE dag_id = $1 AND state IN ('queued', 'running')`,
      [dagId],
    );
    const held = [...backfillControl.waiting.keys()].filter((k) => k.startsWith(`${dagId}@`));
    if (held.length === active) return held.sort();
    if (i > 2000)
      throw new Error(`${active} active task instances of ${dagId}, but held: ${held.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function release(dagId: string): void {
  for (const [key, resolve] of backfillControl.waiting) {
    if (!key.startsWith(`${dagId}@`)) continue;
    backfillControl.waiting.delete(key);
    resolve();
  }
}

/** A run.requested as a backfill's tick writes it (to replay races: late or racing requests). */
function backfillRequest(dagId: string, date: string, backfillId: number): RunRequestedEvent {
  const payload: RunRequestedPayload = {
    dagId,
    runType: 'backfill',
    runId: `backfill__${iso(date)}`,
    logicalDate: iso(date),
    dataIntervalStart: iso(date),
    dataIntervalEnd: new Date(new Date(iso(date)).getTime() + 86_400_000).toISOString(),
    backfillId: String(backfillId),
  };
  return envelope('run.requested', payload, new Date()) as RunRequestedEvent;
}

// Backfills over REST on a standalone process with a simulated clock: order, reprocess modes,
// the backfill's own max active runs, the lane that keeps live runs going, progress and cancel.
describe('backfills /api/v1 (standalone)', () => {
  let o: StandaloneOrchestrator;
  const call = (method: string, url: string, body?: unknown) =>
    callJson(o.url as string, method, url, body, o.adminToken);
  const create = (dagId: string, body: Record<string, unknown>) =>
    call('POST', `/api/v1/dags/${dagId}/backfills`, body);
  /** Runs the simulated process until the backfills have nothing left to do at this instant. */
  const drain = () => o.advanceTo(o.clock.now());

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir: 'memory://',
      // Each DAG's latest complete interval (logical date 04-24) is scheduled at start.
      clock: new ManualClock(new Date('2026-04-25T12:00:00Z')),
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
    await drain();
  });

  afterAll(async () => {
    backfillControl.hold.clear();
    release('bf_gated');
    release('bf_slots');
    await o?.stop();
  });

  it('creates one backfill run per logical date, in logical-date order, tagged with the backfill', async () => {
    const since = backfillControl.starts.length;
    const created = await create('bf_daily', { from: '2026-04-01', to: '2026-04-05', maxActiveRuns: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      dagId: 'bf_daily',
      from: iso('2026-04-01'),
      to: '2026-04-05T23:59:59.999Z', // a plain day ends with the day
      reprocess: 'none',
      maxActiveRuns: 1,
      reverse: false,
      state: 'running',
      completedAt: null,
      cancelledAt: null,
      progress: { total: 5, queued: 5, running: 0, done: 0, failed: 0, skipped: 0, cancelled: 0 },
    });
    const id = created.body.id;

    await drain();

    expect(startsOf('bf_daily', 'backfill', since)).toEqual([
      '2026-04-01',
      '2026-04-02',
      '2026-04-03',
      '2026-04-04',
      '2026-04-05',
    ]);
    const { status, body } = await call('GET', `/api/v1/backfills/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ state: 'completed', progress: { total: 5, done: 5, queued: 0 } });
    expect(body.completedAt).not.toBeNull();
    expect(
      body.dates.map((d: { logicalDate: string; action: string; runId: string; state: string }) => d),
    ).toEqual(
      ['01', '02', '03', '04', '05'].map((d) =>
        expect.objectContaining({
          logicalDate: iso(`2026-04-${d}`),
          action: 'create',
          runId: `backfill__${iso(`2026-04-${d}`)}`,
          state: 'done',
        }),
      ),
    );
    const runs = (await runsOf(o, 'bf_daily')).filter((r) => r.run_type === 'backfill');
    expect(runs.map((r) => [r.run_id, r.state, Number(r.backfill_id)])).toEqual(
      ['01', '02', '03', '04', '05'].map((d) => [`backfill__${iso(`2026-04-${d}`)}`, 'success', id]),
    );
  });

  it('runs newest first when reversed', async () => {
    const since = backfillControl.starts.length;
    const created = await create('bf_daily', {
      from: '2026-04-06',
      to: '2026-04-09',
      maxActiveRuns: 1,
      reverse: true,
    });
    expect(created.status).toBe(201);
    expect(created.body.reverse).toBe(true);
    await drain();
    expect(startsOf('bf_daily', 'backfill', since)).toEqual([
      '2026-04-09',
      '2026-04-08',
      '2026-04-07',
      '2026-04-06',
    ]);
    const { body } = await call('GET', `/api/v1/backfills/${created.body.id}`);
    expect(body.dates.map((d: { logicalDate: string }) => d.logicalDate.slice(0, 10))).toEqual([
      '2026-04-09',
      '2026-04-08',
      '2026-04-07',
      '2026-04-06',
    ]);
    expect(body.state).toBe('completed');
  });

  it('reprocess none fills gaps, failed also reruns failed runs, all reruns every run (the same run row)', async () => {
    // 04-10..04-13 with 04-11 and 04-12 failing; 04-09 exists from the reversed backfill.
    backfillControl.failing.add('bf_daily@2026-04-11');
    backfillControl.failing.add('bf_daily@2026-04-12');
    const first = await create('bf_daily', { from: '2026-04-10', to: '2026-04-13' });
    await drain();
    const firstView = await call('GET', `/api/v1/backfills/${first.body.id}`);
    expect(firstView.body).toMatchObject({ state: 'completed', progress: { total: 4, done: 2, failed: 2 } });

    const plan = async (reprocess: string) => {
      const dry = await create('bf_daily', { from: '2026-04-09', to: '2026-04-14', reprocess, dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dagId: 'bf_daily', dryRun: true });
      return dry.body.dates.map(
        (d: { logicalDate: string; action: string }) => `${d.logicalDate.slice(8, 10)}:${d.action}`,
      );
    };
    const before = (await call('GET', '/api/v1/backfills?dagId=bf_daily')).body.total;
    expect(await plan('none')).toEqual(['09:skip', '10:skip', '11:skip', '12:skip', '13:skip', '14:create']);
    expect(await plan('failed')).toEqual([
      '09:skip',
      '10:skip',
      '11:rerun',
      '12:rerun',
      '13:skip',
      '14:create',
    ]);
    expect(await plan('all')).toEqual([
      '09:rerun',
      '10:rerun',
      '11:rerun',
      '12:rerun',
      '13:rerun',
      '14:create',
    ]);
    const dry = await create('bf_daily', { from: '2026-04-11', to: '2026-04-11', dryRun: true });
    expect(dry.body.dates).toEqual([
      {
        logicalDate: iso('2026-04-11'),
        action: 'skip',
        reason: `run 'backfill__${iso('2026-04-11')}' failed (reprocess 'failed' or 'all' reruns it)`,
        runId: `backfill__${iso('2026-04-11')}`,
      },
    ]);
    expect((await call('GET', '/api/v1/backfills?dagId=bf_daily')).body.total).toBe(before); // dry runs record nothing

    // reprocess failed: 04-11 now succeeds, 04-12 still fails.
    backfillControl.failing.delete('bf_daily@2026-04-11');
    const runsBefore = new Map((await runsOf(o, 'bf_daily')).map((r) => [r.logical_date.toISOString(), r]));
    const since = backfillControl.starts.length;
    const second = await create('bf_daily', { from: '2026-04-10', to: '2026-04-14', reprocess: 'failed' });
    expect(second.status).toBe(201);
    await drain();
    expect(startsOf('bf_daily', 'backfill', since).sort()).toEqual([
      '2026-04-11',
      '2026-04-12',
      '2026-04-14',
    ]);
    const after = new Map((await runsOf(o, 'bf_daily')).map((r) => [r.logical_date.toISOString(), r]));
    for (const [date, state] of [
      ['2026-04-11', 'success'],
      ['2026-04-12', 'failed'],
    ]) {
      const run = after.get(iso(date))!;
      expect(run.id).toBe(runsBefore.get(iso(date))!.id); // the same row, rerun
      expect([run.run_id, run.state, Number(run.backfill_id)]).toEqual([
        `backfill__${iso(date)}`,
        state,
        second.body.id,
      ]);
      expect(await tryNumberOf(o, run.id)).toBe(2);
    }
    for (const date of ['2026-04-10', '2026-04-13']) {
      const run = after.get(iso(date))!;
      expect([run.state, Number(run.backfill_id)]).toEqual(['success', first.body.id]); // untouched
      expect(await tryNumberOf(o, run.id)).toBe(1);
    }
    expect(after.get(iso('2026-04-14'))).toMatchObject({ state: 'success', run_type: 'backfill' });
    expect(Number(after.get(iso('2026-04-14'))!.backfill_id)).toBe(second.body.id);
    const secondView = await call('GET', `/api/v1/backfills/${second.body.id}`);
    expect(secondView.body).toMatchObject({
      state: 'completed',
      reprocess: 'failed',
      progress: { total: 5, done: 2, failed: 1, skipped: 2, running: 0, queued: 0, cancelled: 0 },
    });
    expect(
      secondView.body.dates.map((d: { action: string; state: string; reason: string | null }) => [
        d.action,
        d.state,
      ]),
    ).toEqual([
      ['skip', 'skipped'],
      ['rerun', 'done'],
      ['rerun', 'failed'],
      ['skip', 'skipped'],
      ['create', 'done'],
    ]);

    // reprocess all reruns the live scheduled run of 04-24: the same row, still a scheduled run.
    const scheduled = (await runOn(o, 'bf_daily', '2026-04-24'))!;
    expect(scheduled).toMatchObject({ run_type: 'scheduled', state: 'success', backfill_id: null });
    const sinceAll = backfillControl.starts.length;
    const all = await create('bf_daily', { from: '2026-04-24', to: '2026-04-24', reprocess: 'all' });
    expect(all.status).toBe(201);
    await drain();
    expect(backfillControl.starts.slice(sinceAll)).toEqual(['bf_daily@2026-04-24@scheduled']);
    const rerun = (await runOn(o, 'bf_daily', '2026-04-24'))!;
    expect([rerun.id, rerun.run_id, rerun.run_type, rerun.state, Number(rerun.backfill_id)]).toEqual([
      scheduled.id,
      `scheduled__${iso('2026-04-24')}`,
      'scheduled',
      'success',
      all.body.id,
    ]);
    expect((await call('GET', `/api/v1/backfills/${all.body.id}`)).body).toMatchObject({
      state: 'completed',
      progress: { total: 1, done: 1 },
    });
    backfillControl.failing.clear();
  });

  it('refuses a range reaching past the backfill window with 400 backfill_outside_window', async () => {
    const { status, body } = await create('bf_daily', { from: '2026-03-20', to: '2026-04-02' });
    expect(status).toBe(400);
    expect(body).toEqual({
      statusCode: 400,
      code: 'backfill_outside_window',
      message:
        "DAG 'bf_daily': backfill from 2026-03-20T00:00:00Z reaches past the backfill window of 30 days: " +
        'the earliest logical date allowed now is 2026-03-26T12:00:00Z; start the range there or widen ' +
        "the DAG's backfillWindow",
    });
  });

  it('answers 400 with the fields at fault, and explains requests it cannot plan', async () => {
    const bad = await create('bf_daily', {
      from: 'yesterday',
      reprocess: 'some',
      maxActiveRuns: 0,
      reverse: 'yes',
      extra: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    expect(bad.body.fields).toEqual({
      from: ['from must be an ISO 8601 date (2026-04-01) or instant (2026-04-01T00:00:00Z); got "yesterday"'],
      to: ['to is required: an ISO 8601 date (2026-04-10) or instant (2026-04-10T00:00:00Z)'],
      reprocess: ['reprocess must be one of none, failed, all'],
      maxActiveRuns: ['maxActiveRuns must be a whole number from 1 to 100'],
      reverse: ['reverse must be true or false'],
      extra: ['property extra should not exist'],
    });
    for (const maxActiveRuns of [101, 2.5, '3']) {
      const tooMany = await create('bf_daily', { from: '2026-04-01', to: '2026-04-02', maxActiveRuns });
      expect([tooMany.status, Object.keys(tooMany.body.fields)]).toEqual([400, ['maxActiveRuns']]);
    }

    const backwards = await create('bf_daily', { from: '2026-04-10', to: '2026-04-01' });
    expect(backwards.status).toBe(400);
    expect(backwards.body).toMatchObject({
      code: 'validation_failed',
      fields: { to: ['to (2026-04-01T23:59:59.999Z) is before from (2026-04-10T00:00:00Z); swap them'] },
    });

    const manual = await create('bf_manual', { from: '2026-04-01', to: '2026-04-02' });
    expect(manual.status).toBe(400);
    expect(manual.body.code).toBe('backfill_not_schedulable');
    expect(manual.body.message).toContain(
      "DAG 'bf_manual' has no time schedule (Manual only (no schedule)): a backfill needs a cron or interval schedule",
    );

    const future = await create('bf_daily', { from: '2026-04-25', to: '2026-04-30' });
    expect(future.status).toBe(400);
    expect(future.body.code).toBe('backfill_empty');
    expect(future.body.message).toContain(
      'no complete interval of its schedule has a logical date in that range',
    );

    const nothingToDo = await create('bf_daily', { from: '2026-04-01', to: '2026-04-05' });
    expect(nothingToDo.status).toBe(400);
    expect(nothingToDo.body).toMatchObject({ code: 'backfill_empty' });
    expect(nothingToDo.body.message).toContain(
      "every date already has a run (reprocess 'failed' or 'all' reruns finished ones); dryRun shows the plan",
    );

    const badQuery = await call('GET', '/api/v1/backfills?state=done&limit=0');
    expect(badQuery.status).toBe(400);
    expect(Object.keys(badQuery.body.fields).sort()).toEqual(['limit', 'state']);
  });

  it('answers 404 for unknown DAGs and backfills', async () => {
    const unknownDag = await create('nope', { from: '2026-04-01', to: '2026-04-02' });
    expect(unknownDag).toEqual({
      status: 404,
      body: { statusCode: 404, code: 'not_found', message: "no DAG 'nope'" },
    });
    for (const [method, url] of [
      ['GET', '/api/v1/backfills/999999'],
      ['GET', '/api/v1/backfills/abc'],
      ['POST', '/api/v1/backfills/999999/cancel'],
    ]) {
      const { status, body } = await call(method, url);
      expect([url, status, body.code]).toEqual([url, 404, 'not_found']);
    }
  });

  it("holds the backfill's max active runs at every tick, while a live run starts at once (no starvation)", async () => {
    backfillControl.hold.add('bf_gated');
    const since = backfillControl.starts.length;
    const created = await create('bf_gated', { from: '2026-04-01', to: '2026-04-10', maxActiveRuns: 3 });
    expect(created.status).toBe(201);
    const id = created.body.id;
    let maxRunning = 0;
    const batches: string[][] = [];
    /** Ticks twice (the second must not ask for more), then samples the backfill's running runs. */
    const step = async () => {
      await o.tick();
      await heldTasks(o, 'bf_gated');
      await o.tick();
      const held = await heldTasks(o, 'bf_gated');
      const [{ running }] = await o.db.manager.query(
        `SELECT count(*)::int AS running FROM dag_runs WHERE backfill_id = $1 AND state = 'running'`,
        [id],
      );
      expect(running).toBeLessThanOrEqual(3);
      maxRunning = Math.max(maxRunning, running);
      batches.push(held.map((k) => k.split('@')[1]));
    };

    await step();
    expect(batches[0]).toEqual(['2026-04-01', '2026-04-02', '2026-04-03']);
    const midpoint = await call('GET', `/api/v1/backfills/${id}`);
    expect(midpoint.body).toMatchObject({
      state: 'running',
      progress: { total: 10, running: 3, queued: 7, done: 0, failed: 0, skipped: 0, cancelled: 0 },
    });

    // The next interval closes: its live run starts although the DAG's maxActiveRuns is 1, three
    // backfill runs are running and seven more dates wait.
    (o.clock as ManualClock).set(new Date('2026-04-26T00:00:00Z'));
    await o.tick();
    const held = await heldTasks(o, 'bf_gated');
    expect(held).toContain('bf_gated@2026-04-25@scheduled');
    expect(await runOn(o, 'bf_gated', '2026-04-25')).toMatchObject({
      run_type: 'scheduled',
      state: 'running',
      backfill_id: null,
    });
    const [{ running }] = await o.db.manager.query(
      `SELECT count(*)::int AS running FROM dag_runs WHERE backfill_id = $1 AND state = 'running'`,
      [id],
    );
    expect(running).toBe(3);

    release('bf_gated');
    await o.settle();
    await step();
    expect(batches[1]).toEqual(['2026-04-04', '2026-04-05', '2026-04-06']);
    const later = await call('GET', `/api/v1/backfills/${id}`);
    expect(later.body.progress).toEqual({
      total: 10,
      done: 3,
      failed: 0,
      running: 3,
      queued: 4,
      skipped: 0,
      cancelled: 0,
    });
    for (let i = 0; i < 5 && (await call('GET', `/api/v1/backfills/${id}`)).body.state === 'running'; i++) {
      release('bf_gated');
      await o.settle();
      await step();
    }
    expect(batches.slice(2)).toEqual([['2026-04-07', '2026-04-08', '2026-04-09'], ['2026-04-10'], []]);
    expect(maxRunning).toBe(3);
    expect(startsOf('bf_gated', 'backfill', since)).toHaveLength(10);
    const done = await call('GET', `/api/v1/backfills/${id}`);
    expect(done.body).toMatchObject({
      state: 'completed',
      progress: { total: 10, done: 10, running: 0, queued: 0 },
    });
  });

  it('cancels mid-way: finished and running runs untouched, nothing more requested, its queued runs stopped', async () => {
    backfillControl.hold.add('bf_gated');
    const created = await create('bf_gated', { from: '2026-04-11', to: '2026-04-20', maxActiveRuns: 2 });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const overlapping = await create('bf_gated', { from: '2026-04-20', to: '2026-04-22' });
    expect(overlapping.status).toBe(409);
    expect(overlapping.body).toMatchObject({ statusCode: 409, code: 'backfill_overlap' });
    expect(overlapping.body.message).toContain(
      `backfill ${id} (2026-04-11T00:00:00Z to 2026-04-20T23:59:59.999Z)`,
    );

    await o.tick();
    expect(await heldTasks(o, 'bf_gated')).toEqual([
      'bf_gated@2026-04-11@backfill',
      'bf_gated@2026-04-12@backfill',
    ]);
    release('bf_gated');
    await o.settle();
    await o.tick();
    expect(await heldTasks(o, 'bf_gated')).toEqual([
      'bf_gated@2026-04-13@backfill',
      'bf_gated@2026-04-14@backfill',
    ]);

    // Runs of the backfill that wait to start: a racing request for 04-15, and an operator's rerun of 04-11.
    await o.coordinator.onRunRequested(backfillRequest('bf_gated', '2026-04-15', id));
    await o.coordinator.rerunRun('bf_gated', `backfill__${iso('2026-04-11')}`);
    expect((await runOn(o, 'bf_gated', '2026-04-15'))?.state).toBe('queued');
    expect((await runOn(o, 'bf_gated', '2026-04-11'))?.state).toBe('queued');
    const finished = (await runOn(o, 'bf_gated', '2026-04-12'))!;
    expect(finished.state).toBe('success');

    const cancelled = await call('POST', `/api/v1/backfills/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      id,
      state: 'cancelled',
      completedAt: null,
      progress: { total: 10, done: 1, failed: 0, running: 2, queued: 1, skipped: 0, cancelled: 6 },
    });
    expect(cancelled.body.cancelledAt).not.toBeNull();

    expect(await runOn(o, 'bf_gated', '2026-04-15')).toBeUndefined(); // created by the backfill, never started: removed
    // The operator's own rerun is theirs, not the backfill's: cancelling the backfill leaves it queued.
    const operatorRerun = (await runOn(o, 'bf_gated', '2026-04-11'))!;
    expect(operatorRerun.state).toBe('queued');
    expect(await runOn(o, 'bf_gated', '2026-04-12')).toEqual(finished);
    expect((await runOn(o, 'bf_gated', '2026-04-13'))?.state).toBe('running');
    expect((await runOn(o, 'bf_gated', '2026-04-14'))?.state).toBe('running');

    // Nothing more is requested, and a request still on its way creates nothing.
    const runCount = (await runsOf(o, 'bf_gated')).length;
    await o.tick();
    await o.tick();
    await o.coordinator.onRunRequested(backfillRequest('bf_gated', '2026-04-16', id));
    expect(await heldTasks(o, 'bf_gated')).toEqual([
      'bf_gated@2026-04-13@backfill',
      'bf_gated@2026-04-14@backfill',
    ]);
    expect((await runsOf(o, 'bf_gated')).length).toBe(runCount);

    release('bf_gated');
    backfillControl.hold.delete('bf_gated');
    await o.settle();
    await drain();
    const final = await call('GET', `/api/v1/backfills/${id}`);
    expect(final.body).toMatchObject({
      state: 'cancelled',
      completedAt: null,
      progress: { total: 10, done: 4, failed: 0, running: 0, queued: 0, skipped: 0, cancelled: 6 },
    });
    expect(final.body.dates.map((d: { logicalDate: string; state: string }) => d.state)).toEqual([
      'done', // the operator's rerun went on
      'done',
      'done',
      'done',
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(
      (await runsOf(o, 'bf_gated')).filter(
        (r) => r.logical_date >= new Date(iso('2026-04-15')) && r.run_type === 'backfill',
      ),
    ).toEqual([]);

    const again = await call('POST', `/api/v1/backfills/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      statusCode: 409,
      code: 'illegal_transition',
      message: `backfill ${id} is already cancelled: only a running backfill can be cancelled`,
    });
  });

  it('lists backfills newest first with their progress, filtered by DAG and state, in pages', async () => {
    const gated = await call('GET', '/api/v1/backfills?dagId=bf_gated');
    expect(gated.status).toBe(200);
    expect(gated.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect(
      gated.body.items.map((b: { state: string; progress: { done: number } }) => [b.state, b.progress.done]),
    ).toEqual([
      ['cancelled', 4],
      ['completed', 10],
    ]);
    expect(gated.body.items[0].dates).toBeUndefined();

    const completed = await call('GET', '/api/v1/backfills?state=completed');
    expect(completed.body.items.every((b: { state: string }) => b.state === 'completed')).toBe(true);
    expect(completed.body.total).toBe(6);

    const page = await call('GET', '/api/v1/backfills?limit=2&offset=1');
    expect(page.body).toMatchObject({ total: 7, limit: 2, offset: 1 });
    const ids = (await call('GET', '/api/v1/backfills')).body.items.map((b: { id: number }) => b.id);
    expect(page.body.items.map((b: { id: number }) => b.id)).toEqual(ids.slice(1, 3));
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
  });

  it("gives a freed task slot to a live run before the backfill's runs", async () => {
    backfillControl.hold.add('bf_slots');
    const created = await create('bf_slots', { from: '2026-04-01', to: '2026-04-02', maxActiveRuns: 2 });
    expect(created.status).toBe(201);
    await o.tick();
    // Both backfill runs start (their lane has two slots), but the DAG has one task slot.
    expect(await heldTasks(o, 'bf_slots')).toEqual(['bf_slots@2026-04-01@backfill']);
    expect((await runOn(o, 'bf_slots', '2026-04-02'))?.state).toBe('running');

    (o.clock as ManualClock).set(new Date('2026-04-27T00:00:00Z'));
    await o.tick();
    expect(await heldTasks(o, 'bf_slots')).toEqual(['bf_slots@2026-04-01@backfill']);
    expect((await runOn(o, 'bf_slots', '2026-04-26'))?.state).toBe('running');

    release('bf_slots');
    expect(await heldTasks(o, 'bf_slots')).toEqual(['bf_slots@2026-04-26@scheduled']);
    release('bf_slots');
    expect(await heldTasks(o, 'bf_slots')).toEqual(['bf_slots@2026-04-02@backfill']);
    backfillControl.hold.delete('bf_slots');
    release('bf_slots');
    await o.settle();
    await drain();
    expect((await call('GET', `/api/v1/backfills/${created.body.id}`)).body).toMatchObject({
      state: 'completed',
      progress: { total: 2, done: 2 },
    });
  });

  it('holds a backfill while its DAG is paused, and goes on once it is unpaused', async () => {
    expect(await o.scheduler.setPaused('bf_daily', true)).toBe(true);
    const created = await create('bf_daily', { from: '2026-04-15', to: '2026-04-16' });
    expect(created.status).toBe(201);
    await drain();
    await o.tick();
    expect(await runOn(o, 'bf_daily', '2026-04-15')).toBeUndefined();
    expect((await call('GET', `/api/v1/backfills/${created.body.id}`)).body).toMatchObject({
      state: 'running',
      progress: { total: 2, queued: 2 },
    });
    await o.scheduler.setPaused('bf_daily', false);
    await drain();
    expect((await call('GET', `/api/v1/backfills/${created.body.id}`)).body).toMatchObject({
      state: 'completed',
      progress: { total: 2, done: 2 },
    });
  });
});

// A crash in the middle of a backfill, on PGlite on disk: the next process finishes it, one run per date.
describe('backfills across a crash (PGlite on disk)', () => {
  let dataDir: string;
  let o: StandaloneOrchestrator;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-backfill-'));
  });

  afterAll(async () => {
    await o?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('finishes a backfill interrupted with two runs in flight, each date run once', async () => {
    const first = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir,
      clock: new ManualClock(new Date('2026-04-25T12:00:00Z')),
      http: false,
      logLevels: false,
      workerId: 'worker-before-crash',
    });
    await first.advanceTo(first.clock.now());
    backfillControl.hold.add('bf_restart');
    const created = await first.app
      .get(BackfillService)
      .create('bf_restart', { from: '2026-04-10', to: '2026-04-15', maxActiveRuns: 2 });
    const id = (created as { id: number }).id;
    await first.tick();
    expect(await heldTasks(first, 'bf_restart')).toEqual([
      'bf_restart@2026-04-10@backfill',
      'bf_restart@2026-04-11@backfill',
    ]);
    await first.crash();
    backfillControl.hold.delete('bf_restart');
    backfillControl.waiting.clear(); // the crashed process's tasks never finish

    // Ten minutes later a new process on the same data directory: the lost tries retry.
    o = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir,
      clock: new ManualClock(new Date('2026-04-25T12:10:00Z')),
      http: false,
      logLevels: false,
      workerId: 'worker-after-restart',
    });
    await o.advanceTo(new Date('2026-04-25T12:20:00Z'));

    const runs = (await runsOf(o, 'bf_restart')).filter((r) => r.run_type === 'backfill');
    expect(
      runs.map((r) => [r.logical_date.toISOString().slice(0, 10), r.state, Number(r.backfill_id)]),
    ).toEqual(['10', '11', '12', '13', '14', '15'].map((d) => [`2026-04-${d}`, 'success', id]));
    expect(await Promise.all(runs.map((r) => tryNumberOf(o, r.id)))).toEqual([2, 2, 1, 1, 1, 1]);
    const view = await o.app.get(BackfillService).get(String(id));
    expect(view).toMatchObject({ state: 'completed', progress: { total: 6, done: 6 } });
  });
});
