import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { opsControl } from '../fixtures/operations-api/operations-api';
import { callJson } from '../support/http';

jest.setTimeout(60_000);

const CHAIN_TASKS = ['extract', 'transform', 'audit', 'load'];

// The operations part of the REST API over real HTTP on a standalone process with a simulated
// clock: DAGs (list, filters, show, pause, grid), runs (trigger, lists, detail, rerun) and task
// instances (tries, logs, clear with its dry run, mark success / failed), and who may do what.
describe('REST API /api/v1 operations: DAGs, runs, task instances (standalone)', () => {
  let o: StandaloneOrchestrator;
  const clock = new ManualClock(new Date('2026-04-25T00:30:00Z'));
  const call = (method: string, url: string, body?: unknown, token?: string | null) =>
    callJson(o.url as string, method, url, body, token === undefined ? o.adminToken : token);
  const ids = (items: { dagId?: string; runId?: string }[], key: 'dagId' | 'runId') =>
    items.map((i) => i[key]);

  /** The run's TIs as `taskId: state#try`, straight from the API. */
  const tis = async (runId: string) => {
    const run = await call('GET', `/api/v1/dags/ops_chain/runs/${runId}`);
    expect(run.status).toBe(200);
    return Object.fromEntries(
      run.body.taskInstances.map((t: { taskId: string; state: string; tryNumber: number }) => [
        t.taskId,
        `${t.state}#${t.tryNumber}`,
      ]),
    );
  };

  /** Polls a TI until it reaches a state (a hanging try is running: settle() would wait for it). */
  const waitForState = async (runId: string, taskId: string, state: string) => {
    for (let i = 0; i < 500; i++) {
      const ti = await call('GET', `/api/v1/dags/ops_chain/runs/${runId}/tasks/${taskId}`);
      if (ti.body?.state === state) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${runId}/${taskId} never became ${state}`);
  };

  const trigger = async (runId: string, logicalDate: string) => {
    const response = await call('POST', '/api/v1/dags/ops_chain/runs', { runId, logicalDate });
    expect(response).toEqual({ status: 202, body: { dagId: 'ops_chain', runId, status: 'requested' } });
  };

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(__dirname, '..', 'fixtures', 'operations-api'),
      dataDir: 'memory://',
      clock,
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
    // 01:00: ops_hourly's first run (logical date 00:00).
    await o.advanceTo(new Date('2026-04-25T01:00:00Z'));
  });

  afterAll(async () => {
    for (const key of [...opsControl.waiting.keys()]) opsControl.release(key);
    await o?.stop();
  });

  describe('DAGs', () => {
    it('lists deployed DAGs with schedule in words, next run, latest run and the page', async () => {
      const { status, body } = await call('GET', '/api/v1/dags');
      expect(status).toBe(200);
      expect(body).toMatchObject({ total: 4, limit: 50, offset: 0 });
      expect(ids(body.items, 'dagId')).toEqual(['ops_chain', 'ops_hourly', 'ops_on_asset', 'other_waits']);
      const [chain, hourly] = body.items;
      expect(chain).toEqual({
        dagId: 'ops_chain',
        description: 'extract, transform, load; audit on the side',
        owner: 'data-eng',
        tags: ['ops', 'etl'],
        schedule: expect.any(String),
        scheduleKind: 'none',
        timezone: 'UTC',
        isPaused: false,
        isActive: true,
        file: expect.stringContaining('operations-api'),
        bundleVersion: expect.any(String),
        maxActiveRuns: 16,
        backfillWindow: '30 days',
        nextRun: null,
        latestRun: null,
      });
      expect(hourly).toMatchObject({
        schedule: 'Every hour (UTC)',
        scheduleKind: 'cron',
        backfillWindow: null,
        nextRun: { logicalDate: '2026-04-25T01:00:00.000Z', runAfter: '2026-04-25T02:00:00.000Z' },
        latestRun: {
          runId: expect.stringMatching(/^scheduled__/),
          runType: 'scheduled',
          state: 'success',
          logicalDate: '2026-04-25T00:00:00.000Z',
        },
      });
    });

    it.each([
      ['limit=2&offset=1', ['ops_hourly', 'ops_on_asset'], 4, 2, 1],
      ['offset=10', [], 4, 50, 10],
      ['tag=ops', ['ops_chain', 'ops_hourly'], 2, 50, 0],
      ['q=OPS_', ['ops_chain', 'ops_hourly', 'ops_on_asset'], 3, 50, 0],
      ['q=ops&tag=etl', ['ops_chain'], 1, 50, 0],
      ['q=ops&limit=1', ['ops_chain'], 3, 1, 0],
      ['paused=false&tag=sensors', ['other_waits'], 1, 50, 0],
      ['paused=true', [], 0, 50, 0],
    ])('GET /dags?%s pages and filters', async (query, expected, total, limit, offset) => {
      const { status, body } = await call('GET', `/api/v1/dags?${query}`);
      expect(status).toBe(200);
      expect({ ...body, items: ids(body.items, 'dagId') }).toEqual({ items: expected, total, limit, offset });
    });

    it('shows a DAG with its tasks in topological order: upstreams, kind, retries, rule, assets, sensor', async () => {
      const { status, body } = await call('GET', '/api/v1/dags/ops_chain');
      expect(status).toBe(200);
      expect(body.dagId).toBe('ops_chain');
      expect(body.tasks).toEqual([
        {
          taskId: 'extract',
          upstreams: [],
          kind: 'function',
          retries: 0,
          triggerRule: 'all_success',
          inlets: [],
          outlets: ['ops.extracted'],
        },
        {
          taskId: 'transform',
          upstreams: ['extract'],
          kind: 'function',
          retries: 1,
          triggerRule: 'all_success',
          inlets: ['ops.extracted'],
          outlets: [],
        },
        expect.objectContaining({ taskId: 'audit', upstreams: ['extract'] }),
        expect.objectContaining({ taskId: 'load', upstreams: ['transform'] }),
      ]);
      const waits = await call('GET', '/api/v1/dags/other_waits');
      expect(waits.body.tasks).toEqual([
        expect.objectContaining({
          taskId: 'ready',
          kind: 'sensor',
          sensor: {
            mode: 'reschedule',
            check: 'predicate',
            pokeInterval: '5 minutes',
            timeout: '2 hours',
            softFail: true,
          },
        }),
        expect.objectContaining({ taskId: 'after', upstreams: ['ready'], triggerRule: 'all_done' }),
      ]);
      expect(waits.body.tasks[1].sensor).toBeUndefined();
      expect(await call('GET', '/api/v1/dags/nope')).toEqual({
        status: 404,
        body: { statusCode: 404, code: 'not_found', message: "no DAG 'nope'" },
      });
    });

    it.each([
      ['limit=0', { limit: ['limit must be a whole number from 1 to 1000'] }],
      [
        'limit=1001&offset=-1',
        {
          limit: ['limit must be a whole number from 1 to 1000'],
          offset: ['offset must be a whole number, 0 or more'],
        },
      ],
      ['limit=abc', { limit: expect.arrayContaining(['limit must be a whole number from 1 to 1000']) }],
      ['paused=maybe', { paused: ['paused must be true or false'] }],
      ['sort=dagId', { sort: ['property sort should not exist'] }],
    ])('GET /dags?%s is a 400 naming each bad field', async (query, fields) => {
      const { status, body } = await call('GET', `/api/v1/dags?${query}`);
      expect(status).toBe(400);
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'validation_failed',
        message: 'the request is invalid; fix the fields listed',
        fields,
      });
    });

    it('PATCH with a bad body is a 400; an unknown DAG a 404', async () => {
      expect(await call('PATCH', '/api/v1/dags/ops_hourly', { isPaused: 'yes', extra: 1 })).toMatchObject({
        status: 400,
        body: {
          code: 'validation_failed',
          fields: {
            isPaused: ['isPaused must be true or false'],
            extra: ['property extra should not exist'],
          },
        },
      });
      expect(await call('PATCH', '/api/v1/dags/nope', { isPaused: true })).toMatchObject({
        status: 404,
        body: { code: 'not_found', message: "no DAG 'nope'" },
      });
    });
  });

  describe('pause and unpause', () => {
    const hourlyRuns = async () =>
      (await call('GET', '/api/v1/runs?dagId=ops_hourly')).body.items.map(
        (r: { logicalDate: string }) => r.logicalDate,
      );

    it('a paused DAG gets no scheduled runs; unpaused, it is planned from now again', async () => {
      const paused = await call('PATCH', '/api/v1/dags/ops_hourly', { isPaused: true });
      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({ dagId: 'ops_hourly', isPaused: true, nextRun: null });
      expect(paused.body.tasks.map((t: { taskId: string }) => t.taskId)).toEqual(['work']);
      expect(ids((await call('GET', '/api/v1/dags?paused=true')).body.items, 'dagId')).toEqual([
        'ops_hourly',
      ]);

      await o.advanceTo(new Date('2026-04-25T03:30:00Z'));
      expect(await hourlyRuns()).toEqual(['2026-04-25T00:00:00.000Z']);

      const unpaused = await call('PATCH', '/api/v1/dags/ops_hourly', { isPaused: false });
      expect(unpaused.body).toMatchObject({
        isPaused: false,
        // catchup false: the latest interval only, due at once.
        nextRun: { logicalDate: '2026-04-25T02:00:00.000Z', runAfter: '2026-04-25T03:00:00.000Z' },
      });
      await o.advanceTo(new Date('2026-04-25T04:00:00Z'));
      expect(await hourlyRuns()).toEqual([
        '2026-04-25T03:00:00.000Z',
        '2026-04-25T02:00:00.000Z',
        '2026-04-25T00:00:00.000Z',
      ]);
    });

    it('a run triggered while paused waits queued and starts with the unpause', async () => {
      expect((await call('PATCH', '/api/v1/dags/other_waits', { isPaused: true })).status).toBe(200);
      expect((await call('POST', '/api/v1/dags/other_waits/runs', { runId: 'while_paused' })).status).toBe(
        202,
      );
      await o.settle();
      const waiting = await call('GET', '/api/v1/dags/other_waits/runs/while_paused');
      expect(waiting.body).toMatchObject({ state: 'queued', startedAt: null });
      expect(waiting.body.taskInstances.every((t: { state: string }) => t.state === 'scheduled')).toBe(true);

      expect((await call('PATCH', '/api/v1/dags/other_waits', { isPaused: false })).status).toBe(200);
      // Started by the PATCH's own transaction: nothing else was ticked or settled in between.
      const started = await call('GET', '/api/v1/dags/other_waits/runs/while_paused');
      expect(started.body.state).not.toBe('queued');
      expect(started.body.startedAt).not.toBeNull();
      await o.settle();
      expect((await call('GET', '/api/v1/dags/other_waits/runs/while_paused')).body.state).toBe('success');
    });

    it('unpausing an asset-scheduled DAG releases the events queued while it was paused, with the unpause', async () => {
      expect((await call('PATCH', '/api/v1/dags/ops_on_asset', { isPaused: true })).status).toBe(200);
      const posted = await call('POST', '/api/v1/assets/events', { asset: 'ops.landed' });
      expect(posted.status).toBe(202);
      await o.settle();
      expect((await call('GET', '/api/v1/dags/ops_on_asset/runs')).body.total).toBe(0);

      expect((await call('PATCH', '/api/v1/dags/ops_on_asset', { isPaused: false })).status).toBe(200);
      // The run request was committed by the PATCH itself (before anything else ran).
      const [{ requested }] = await o.db.manager.query(
        `SELECT count(*)::int AS requested FROM outbox
         WHERE topic LIKE '%run.requested' AND payload::text LIKE '%ops_on_asset%'`,
      );
      expect(requested).toBe(1);
      await o.settle();
      const runs = await call('GET', '/api/v1/dags/ops_on_asset/runs');
      expect(runs.body).toMatchObject({
        total: 1,
        items: [{ runType: 'asset_triggered', state: 'success' }],
      });
      const detail = await call('GET', `/api/v1/dags/ops_on_asset/runs/${runs.body.items[0].runId}`);
      expect(detail.body.triggeringAssetEvents).toEqual([
        expect.objectContaining({ asset: 'ops.landed', eventId: posted.body.eventId }),
      ]);
    });
  });

  describe('runs and task instances', () => {
    it('a failed try retries: the TI shows both tries, the run fails, each try has its logs', async () => {
      opsControl.plans['r1/transform'] = ['fail', 'fail', 'ok'];
      await trigger('r1', '2026-04-20T00:00:00Z');
      await o.settle();
      expect(await tis('r1')).toEqual({
        extract: 'success#1',
        transform: 'up_for_retry#1',
        audit: 'success#1',
        load: 'scheduled#0',
      });
      await o.advanceTo(new Date(clock.now().getTime() + 60_000));
      expect(await tis('r1')).toEqual({
        extract: 'success#1',
        transform: 'failed#2',
        audit: 'success#1',
        load: 'upstream_failed#0',
      });

      const ti = await call('GET', '/api/v1/dags/ops_chain/runs/r1/tasks/transform');
      expect(ti.status).toBe(200);
      expect(ti.body).toMatchObject({
        dagId: 'ops_chain',
        runId: 'r1',
        taskId: 'transform',
        state: 'failed',
      });
      expect(ti.body.tryNumber).toBe(2);
      expect(ti.body.tries).toEqual([
        expect.objectContaining({
          tryNumber: 1,
          state: 'failed',
          exitReason: 'exception',
          error: 'transform fails on try 1 (planned)',
        }),
        expect.objectContaining({
          tryNumber: 2,
          state: 'failed',
          error: 'transform fails on try 2 (planned)',
        }),
      ]);
      const firstTry = await call('GET', '/api/v1/dags/ops_chain/runs/r1/tasks/transform/logs?try=1');
      expect(firstTry.body.tryNumber).toBe(1);
      expect(firstTry.body.lines.map((l: { message: string }) => l.message)).toContain(
        'failed: transform fails on try 1 (planned)',
      );
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r1/tasks/transform/logs')).body.tryNumber).toBe(
        2,
      );
      expect(await call('GET', '/api/v1/dags/ops_chain/runs/r1/tasks/transform/logs?try=3')).toMatchObject({
        status: 404,
        body: { code: 'not_found', message: "task 'transform' of run 'r1' has no try 3 (it is on try 2)" },
      });
      expect(await call('GET', '/api/v1/dags/ops_chain/runs/r1/tasks/transform/logs?try=0')).toMatchObject({
        status: 400,
        body: { fields: { try: ['try must be a try number: a whole number, 1 or more'] } },
      });
      expect(await call('GET', '/api/v1/dags/ops_chain/runs/r1/tasks/nope')).toMatchObject({
        status: 404,
        body: { message: "run 'r1' of DAG 'ops_chain' has no task 'nope'" },
      });
    });

    it('a dry run lists what a clear would do and changes nothing; the clear then does exactly that', async () => {
      const before = await tis('r1');
      const request = { taskIds: ['transform', 'audit'], downstream: true };
      const dry = await call('POST', '/api/v1/dags/ops_chain/runs/r1/clear', { ...request, dryRun: true });
      expect(dry).toEqual({
        status: 200,
        body: {
          dagId: 'ops_chain',
          runId: 'r1',
          dryRun: true,
          // only failed by default: audit succeeded, so it stays; load is downstream of transform.
          cleared: ['transform', 'load'],
          skipped: [{ taskId: 'audit', state: 'success', reason: 'it is success, not failed (onlyFailed)' }],
        },
      });
      await o.settle();
      expect(await tis('r1')).toEqual(before);
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r1')).body.state).toBe('failed');

      const real = await call('POST', '/api/v1/dags/ops_chain/runs/r1/clear', request);
      expect(real.body).toEqual({ ...dry.body, dryRun: false });
      await o.settle();
      // transform's third try (a fresh retry budget) succeeds, then load; audit is untouched.
      expect(await tis('r1')).toEqual({
        extract: 'success#1',
        transform: 'success#3',
        audit: 'success#1',
        load: 'success#1',
      });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r1')).body.state).toBe('success');
    });

    it('onlyFailed=false clears a successful TI; the per-task clear answers the same shape', async () => {
      const kept = await call('POST', '/api/v1/dags/ops_chain/runs/r1/tasks/audit/clear', {});
      expect(kept.body).toEqual({
        dagId: 'ops_chain',
        runId: 'r1',
        dryRun: false,
        cleared: [],
        skipped: [{ taskId: 'audit', state: 'success', reason: 'it is success, not failed (onlyFailed)' }],
      });
      const cleared = await call('POST', '/api/v1/dags/ops_chain/runs/r1/tasks/audit/clear', {
        onlyFailed: false,
      });
      expect(cleared.body).toMatchObject({ cleared: ['audit'], skipped: [] });
      await o.settle();
      expect(await tis('r1')).toMatchObject({ audit: 'success#2', transform: 'success#3' });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r1')).body.state).toBe('success');
    });

    it.each([
      [{}, { taskIds: ['taskIds must be a list of task ids, e.g. ["transform"]'] }],
      [{ taskIds: [] }, { taskIds: ['taskIds must name at least one task'] }],
      [
        { taskIds: ['a b'], dryRun: 'yes', downstream: 1 },
        {
          taskIds: ['taskIds must hold task ids (letters, digits, _ . -); "a b" is not one'],
          dryRun: ['dryRun must be true or false'],
          downstream: ['downstream must be true or false'],
        },
      ],
      [
        { taskIds: ['load'], onlyFailed: 'no', force: true },
        {
          onlyFailed: ['onlyFailed must be true or false'],
          force: ['property force should not exist'],
        },
      ],
    ])('clear with body %j is a 400 naming each field', async (body, fields) => {
      const response = await call('POST', '/api/v1/dags/ops_chain/runs/r1/clear', body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', fields });
      expect(Object.keys(response.body.fields).sort()).toEqual(Object.keys(fields).sort());
    });

    it('clear names what is unknown with a 404', async () => {
      expect(
        await call('POST', '/api/v1/dags/ops_chain/runs/r1/clear', { taskIds: ['load', 'zzz', 'yyy'] }),
      ).toEqual({
        status: 404,
        body: { statusCode: 404, code: 'not_found', message: "DAG 'ops_chain' has no task 'zzz', 'yyy'" },
      });
      expect(
        await call('POST', '/api/v1/dags/ops_chain/runs/nope/clear', { taskIds: ['load'] }),
      ).toMatchObject({
        status: 404,
        body: { message: "DAG 'ops_chain' has no run 'nope'" },
      });
    });

    it('a running TI is never cleared; marked success, the run goes on and its late result is ignored', async () => {
      opsControl.plans['r2/transform'] = ['hang'];
      await trigger('r2', '2026-04-21T00:00:00Z');
      await waitForState('r2', 'transform', 'running');

      const refused = await call('POST', '/api/v1/dags/ops_chain/runs/r2/clear', {
        taskIds: ['transform'],
        onlyFailed: false,
      });
      expect(refused).toEqual({
        status: 409,
        body: {
          statusCode: 409,
          code: 'illegal_transition',
          message:
            "cannot clear task 'transform': its task instance is running on an executor; wait for it to finish and clear it then",
        },
      });
      expect(
        (
          await call('POST', '/api/v1/dags/ops_chain/runs/r2/tasks/transform/clear', {
            onlyFailed: false,
            dryRun: true,
          })
        ).status,
      ).toBe(409);
      // Only failed ones by default: the running one is simply not selected.
      expect(
        (await call('POST', '/api/v1/dags/ops_chain/runs/r2/tasks/transform/clear', {})).body,
      ).toMatchObject({
        cleared: [],
        skipped: [{ taskId: 'transform', state: 'running' }],
      });
      // Clearing extract with downstream would rerun transform under the running try: refused too.
      expect(
        (
          await call('POST', '/api/v1/dags/ops_chain/runs/r2/clear', {
            taskIds: ['extract'],
            onlyFailed: false,
            downstream: true,
          })
        ).status,
      ).toBe(409);
      expect(await call('POST', '/api/v1/dags/ops_chain/runs/r2/rerun')).toMatchObject({
        status: 409,
        body: { code: 'illegal_transition' },
      });

      const marked = await call('POST', '/api/v1/dags/ops_chain/runs/r2/tasks/transform/mark', {
        state: 'success',
      });
      expect(marked).toEqual({
        status: 200,
        body: {
          dagId: 'ops_chain',
          runId: 'r2',
          taskId: 'transform',
          state: 'success',
          previousState: 'running',
        },
      });
      opsControl.release('r2/transform'); // the executor's try finishes now: its result is for a TI already done
      await o.settle();
      expect(await tis('r2')).toEqual({
        extract: 'success#1',
        transform: 'success#1',
        audit: 'success#1',
        load: 'success#1',
      });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r2')).body.state).toBe('success');
      const ti = await call('GET', '/api/v1/dags/ops_chain/runs/r2/tasks/transform');
      expect(ti.body.tries).toEqual([
        expect.objectContaining({ tryNumber: 1, state: 'success', exitReason: 'marked_success' }),
      ]);
      const logs = await call('GET', '/api/v1/dags/ops_chain/runs/r2/tasks/transform/logs');
      expect(logs.body.lines.map((l: { message: string }) => l.message)).toContain(
        'marked success (was running) by first admin',
      );
    });

    it('marking a failed TI success lets its downstream run and the run succeed', async () => {
      opsControl.plans['r3/transform'] = ['fail'];
      await trigger('r3', '2026-04-22T00:00:00Z');
      await o.settle();
      await o.advanceTo(new Date(clock.now().getTime() + 60_000));
      expect(await tis('r3')).toMatchObject({ transform: 'failed#2', load: 'upstream_failed#0' });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r3')).body.state).toBe('failed');

      const marked = await call('POST', '/api/v1/dags/ops_chain/runs/r3/tasks/transform/mark', {
        state: 'success',
      });
      expect(marked.body).toMatchObject({ state: 'success', previousState: 'failed' });
      await o.settle();
      expect(await tis('r3')).toEqual({
        extract: 'success#1',
        transform: 'success#2',
        audit: 'success#1',
        load: 'success#1',
      });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r3')).body.state).toBe('success');
      // The failed try keeps what happened; the mark is on the TI.
      const ti = await call('GET', '/api/v1/dags/ops_chain/runs/r3/tasks/transform');
      expect(ti.body.tries.map((t: { state: string }) => t.state)).toEqual(['failed', 'failed']);
    });

    it('marking a running TI failed fails its downstream by the trigger rules and the run', async () => {
      opsControl.plans['r4/transform'] = ['hang'];
      await trigger('r4', '2026-04-23T00:00:00Z');
      await waitForState('r4', 'transform', 'running');
      const marked = await call('POST', '/api/v1/dags/ops_chain/runs/r4/tasks/transform/mark', {
        state: 'failed',
      });
      expect(marked.body).toMatchObject({ state: 'failed', previousState: 'running' });
      opsControl.release('r4/transform'); // its success comes too late
      await o.settle();
      expect(await tis('r4')).toEqual({
        extract: 'success#1',
        transform: 'failed#1',
        audit: 'success#1',
        load: 'upstream_failed#0',
      });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r4')).body.state).toBe('failed');
      const ti = await call('GET', '/api/v1/dags/ops_chain/runs/r4/tasks/transform');
      expect(ti.body.tries).toEqual([
        expect.objectContaining({ tryNumber: 1, state: 'failed', exitReason: 'marked_failed' }),
      ]);
    });

    it('a mark the state machine refuses is a 409; a bad state a 400', async () => {
      expect(
        await call('POST', '/api/v1/dags/ops_chain/runs/r2/tasks/extract/mark', { state: 'success' }),
      ).toEqual({
        status: 409,
        body: {
          statusCode: 409,
          code: 'illegal_transition',
          message:
            "cannot mark task 'extract' success: illegal task instance transition: 'mark_success' is not allowed from state 'success' (allowed from 'success': clear, mark_failed)",
        },
      });
      expect(
        await call('POST', '/api/v1/dags/ops_chain/runs/r2/tasks/extract/mark', { state: 'done' }),
      ).toMatchObject({ status: 400, body: { fields: { state: ['state must be one of success, failed'] } } });
      expect(
        (await call('POST', '/api/v1/dags/ops_chain/runs/r2/tasks/zzz/mark', { state: 'failed' })).body,
      ).toMatchObject({ code: 'not_found', message: "DAG 'ops_chain' has no task 'zzz'" });
    });

    it('reruns a whole finished run as a deliberate call: every TI runs again', async () => {
      opsControl.plans['r4/transform'] = ['ok'];
      const rerun = await call('POST', '/api/v1/dags/ops_chain/runs/r4/rerun');
      expect(rerun).toEqual({ status: 202, body: { dagId: 'ops_chain', runId: 'r4', status: 'queued' } });
      await o.settle();
      expect(await tis('r4')).toEqual({
        extract: 'success#2',
        transform: 'success#2',
        audit: 'success#2',
        load: 'success#1',
      });
      expect((await call('GET', '/api/v1/dags/ops_chain/runs/r4')).body.state).toBe('success');
      expect(await call('POST', '/api/v1/dags/ops_chain/runs/nope/rerun')).toMatchObject({ status: 404 });
    });

    it('shows a run with conf, backfillId, task instances with tries', async () => {
      const { status, body } = await call('GET', '/api/v1/dags/ops_chain/runs/r1');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        dagId: 'ops_chain',
        runId: 'r1',
        runType: 'manual',
        state: 'success',
        logicalDate: '2026-04-20T00:00:00.000Z',
        dataInterval: null,
        backfillId: null,
        conf: {},
        // transform reads ops.extracted: how it stood when the run started.
        inputFreshness: [expect.objectContaining({ asset: 'ops.extracted', partition: '2026-04-20' })],
        triggeringAssetEvents: [],
      });
      expect(
        body.taskInstances.map((t: { taskId: string; tries: unknown[] }) => [t.taskId, t.tries.length]),
      ).toEqual([
        ['extract', 1],
        ['transform', 3],
        ['load', 1],
        ['audit', 2],
      ]);
    });
  });

  describe('run lists and the grid', () => {
    it("lists a DAG's runs newest logical date first, paged and filtered", async () => {
      const all = await call('GET', '/api/v1/dags/ops_chain/runs');
      expect(all.status).toBe(200);
      expect({ ...all.body, items: ids(all.body.items, 'runId') }).toEqual({
        items: ['r4', 'r3', 'r2', 'r1'],
        total: 4,
        limit: 50,
        offset: 0,
      });
      expect(all.body.items[0]).toEqual({
        dagId: 'ops_chain',
        runId: 'r4',
        runType: 'manual',
        state: 'success',
        logicalDate: '2026-04-23T00:00:00.000Z',
        dataInterval: null,
        queuedAt: expect.any(String),
        startedAt: expect.any(String),
        endedAt: expect.any(String),
        backfillId: null,
      });
      const page = await call('GET', '/api/v1/dags/ops_chain/runs?limit=2&offset=1&runType=manual');
      expect({ ...page.body, items: ids(page.body.items, 'runId') }).toEqual({
        items: ['r3', 'r2'],
        total: 4,
        limit: 2,
        offset: 1,
      });
      expect(
        ids((await call('GET', '/api/v1/dags/ops_chain/runs?state=success')).body.items, 'runId'),
      ).toEqual(['r4', 'r3', 'r2', 'r1']);
      expect((await call('GET', '/api/v1/dags/ops_chain/runs?state=failed')).body).toEqual({
        items: [],
        total: 0,
        limit: 50,
        offset: 0,
      });
      expect(await call('GET', '/api/v1/dags/nope/runs')).toMatchObject({ status: 404 });
    });

    it('lists runs across DAGs with dagId, state and runType filters', async () => {
      const all = await call('GET', '/api/v1/runs');
      expect(all.body.total).toBe(9); // 4 ops_chain, 3 ops_hourly, 1 ops_on_asset, 1 other_waits
      expect(new Set(all.body.items.map((r: { dagId: string }) => r.dagId))).toEqual(
        new Set(['ops_chain', 'ops_hourly', 'ops_on_asset', 'other_waits']),
      );
      const logicalDates = all.body.items.map((r: { logicalDate: string }) => r.logicalDate);
      expect(logicalDates).toEqual([...logicalDates].sort().reverse());

      const scheduled = await call('GET', '/api/v1/runs?runType=scheduled');
      expect(scheduled.body.total).toBe(3);
      expect(scheduled.body.items.every((r: { dagId: string }) => r.dagId === 'ops_hourly')).toBe(true);
      const combo = await call('GET', '/api/v1/runs?dagId=ops_chain&state=success&runType=manual&limit=1');
      expect({ ...combo.body, items: ids(combo.body.items, 'runId') }).toEqual({
        items: ['r4'],
        total: 4,
        limit: 1,
        offset: 0,
      });
      expect((await call('GET', '/api/v1/runs?dagId=ops_chain&runType=scheduled')).body.total).toBe(0);
    });

    it.each([
      ['/api/v1/runs?state=done', { state: ['state must be one of queued, running, success, failed'] }],
      [
        '/api/v1/runs?runType=cron&limit=0',
        {
          runType: ['runType must be one of scheduled, manual, backfill, asset_triggered, external'],
          limit: ['limit must be a whole number from 1 to 1000'],
        },
      ],
      ['/api/v1/dags/ops_chain/runs?dagId=ops_chain', { dagId: ['property dagId should not exist'] }],
      ['/api/v1/dags/ops_chain/grid?limit=0', { limit: ['limit must be a whole number from 1 to 1000'] }],
    ])('GET %s is a 400 naming each bad field', async (url, fields) => {
      const response = await call('GET', url);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', fields });
    });

    it('the grid: tasks in topological order, newest runs first with every TI state and try', async () => {
      const { status, body } = await call('GET', '/api/v1/dags/ops_chain/grid?limit=2');
      expect(status).toBe(200);
      expect(body).toEqual({
        dagId: 'ops_chain',
        tasks: CHAIN_TASKS,
        runs: [
          {
            runId: 'r4',
            runType: 'manual',
            state: 'success',
            logicalDate: '2026-04-23T00:00:00.000Z',
            tis: {
              extract: { state: 'success', tryNumber: 2 },
              transform: { state: 'success', tryNumber: 2 },
              audit: { state: 'success', tryNumber: 2 },
              load: { state: 'success', tryNumber: 1 },
            },
          },
          {
            runId: 'r3',
            runType: 'manual',
            state: 'success',
            logicalDate: '2026-04-22T00:00:00.000Z',
            tis: {
              extract: { state: 'success', tryNumber: 1 },
              transform: { state: 'success', tryNumber: 2 },
              audit: { state: 'success', tryNumber: 1 },
              load: { state: 'success', tryNumber: 1 },
            },
          },
        ],
      });
      const rest = await call('GET', '/api/v1/dags/ops_chain/grid?offset=2');
      expect(rest.body.runs.map((r: { runId: string }) => r.runId)).toEqual(['r2', 'r1']);
      expect((await call('GET', '/api/v1/dags/ops_hourly/grid')).body.runs).toHaveLength(3);
      expect(await call('GET', '/api/v1/dags/nope/grid')).toMatchObject({ status: 404 });
    });

    it("the DAG list shows each DAG's latest run", async () => {
      const { body } = await call('GET', '/api/v1/dags?tag=ops');
      expect(body.items.map((d: { latestRun: unknown }) => d.latestRun)).toEqual([
        { runId: 'r4', runType: 'manual', state: 'success', logicalDate: '2026-04-23T00:00:00.000Z' },
        expect.objectContaining({ runType: 'scheduled', logicalDate: '2026-04-25T03:00:00.000Z' }),
      ]);
    });
  });

  it('documents the operations in the OpenAPI document, DTO fields included', async () => {
    const { status, body } = await call('GET', '/api/docs-json', undefined, null);
    expect(status).toBe(200);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/dags',
        '/api/v1/dags/{dagId}',
        '/api/v1/dags/{dagId}/grid',
        '/api/v1/dags/{dagId}/runs',
        '/api/v1/runs',
        '/api/v1/dags/{dagId}/runs/{runId}',
        '/api/v1/dags/{dagId}/runs/{runId}/rerun',
        '/api/v1/dags/{dagId}/runs/{runId}/clear',
        '/api/v1/dags/{dagId}/runs/{runId}/tasks/{taskId}',
        '/api/v1/dags/{dagId}/runs/{runId}/tasks/{taskId}/logs',
        '/api/v1/dags/{dagId}/runs/{runId}/tasks/{taskId}/clear',
        '/api/v1/dags/{dagId}/runs/{runId}/tasks/{taskId}/mark',
      ]),
    );
    expect(Object.keys(body.components.schemas.ClearRunDto.properties).sort()).toEqual([
      'downstream',
      'dryRun',
      'onlyFailed',
      'taskIds',
    ]);
    expect(body.components.schemas.MarkTaskInstanceDto.properties.state.enum).toEqual(['success', 'failed']);
    const listRuns = body.paths['/api/v1/runs'].get;
    expect(listRuns.tags).toEqual(['runs']);
    expect(listRuns.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'dagId',
      'limit',
      'offset',
      'runType',
      'state',
    ]);
    expect(listRuns.security).toEqual([{ bearer: [] }]);
  });

  describe('who may do what', () => {
    let viewer: string;

    beforeAll(async () => {
      const created = await call('POST', '/api/v1/tokens', { role: 'viewer', name: 'ops-viewer' });
      expect(created.status).toBe(201);
      viewer = created.body.token;
    });

    it.each([
      '/api/v1/dags',
      '/api/v1/dags/ops_chain',
      '/api/v1/dags/ops_chain/grid',
      '/api/v1/dags/ops_chain/runs',
      '/api/v1/runs',
      '/api/v1/dags/ops_chain/runs/r1',
      '/api/v1/dags/ops_chain/runs/r1/tasks/transform',
      '/api/v1/dags/ops_chain/runs/r1/tasks/transform/logs',
    ])('a viewer reads GET %s', async (url) => {
      expect((await call('GET', url, undefined, viewer)).status).toBe(200);
    });

    it.each([
      ['PATCH', '/api/v1/dags/ops_chain', { isPaused: true }],
      ['POST', '/api/v1/dags/ops_chain/runs', {}],
      ['POST', '/api/v1/dags/ops_chain/runs/r1/rerun', undefined],
      ['POST', '/api/v1/dags/ops_chain/runs/r1/clear', { taskIds: ['load'], dryRun: true }],
      ['POST', '/api/v1/dags/ops_chain/runs/r1/tasks/load/clear', { dryRun: true }],
      ['POST', '/api/v1/dags/ops_chain/runs/r1/tasks/load/mark', { state: 'failed' }],
    ])('a viewer may not %s %s (403 forbidden)', async (method, url, body) => {
      const response = await call(method, url, body, viewer);
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ statusCode: 403, code: 'forbidden' });
    });

    it('nothing changed for the viewer: r1 is as it was', async () => {
      expect(await tis('r1')).toMatchObject({ load: 'success#1' });
      expect((await call('GET', '/api/v1/dags/ops_chain')).body.isPaused).toBe(false);
    });

    it.each([
      ['GET', '/api/v1/dags'],
      ['GET', '/api/v1/runs'],
      ['POST', '/api/v1/dags/ops_chain/runs/r1/tasks/load/mark'],
    ])('without a token %s %s is a 401', async (method, url) => {
      const response = await call(method, url, method === 'POST' ? { state: 'failed' } : undefined, null);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    });
  });
});
