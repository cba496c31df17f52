import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { callJson } from '../support/http';

jest.setTimeout(60_000);

// The REST API of the standalone process, over real HTTP on 127.0.0.1.
describe('REST API /api/v1 (standalone)', () => {
  let o: StandaloneOrchestrator;
  const call = (method: string, url: string, body?: unknown) =>
    callJson(o.url as string, method, url, body, o.adminToken);

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(__dirname, '..', 'fixtures', 'outage'),
      dataDir: 'memory://',
      clock: new ManualClock(new Date('2026-04-25T00:00:00Z')),
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
    await o.advanceTo(new Date('2026-04-25T02:00:00Z'));
  });

  afterAll(() => o?.stop());

  it('lists DAGs with their schedule in words and their next run', async () => {
    const { status, body } = await call('GET', '/api/v1/dags');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 4, limit: 50, offset: 0 });
    const hourly = body.items.find((d: { dagId: string }) => d.dagId === 'hourly_catchup');
    expect(hourly).toMatchObject({
      schedule: 'Every hour (UTC)',
      isPaused: false,
      nextRun: { logicalDate: '2026-04-25T02:00:00.000Z', runAfter: '2026-04-25T03:00:00.000Z' },
    });
    expect(body.items.find((d: { dagId: string }) => d.dagId === 'clearable').nextRun).toBeNull();
  });

  it('triggers a run, then shows it with its task instances, tries and logs', async () => {
    const triggered = await call('POST', '/api/v1/dags/clearable/runs', {
      runId: 'api-run',
      conf: { k: 'v' },
    });
    expect(triggered).toEqual({
      status: 202,
      body: { dagId: 'clearable', runId: 'api-run', status: 'requested' },
    });
    await o.settle();

    const runs = await call('GET', '/api/v1/dags/clearable/runs');
    expect(runs.body.items.map((r: { runId: string; state: string }) => [r.runId, r.state])).toEqual([
      ['api-run', 'failed'],
    ]);

    const run = await call('GET', '/api/v1/dags/clearable/runs/api-run');
    expect(run.status).toBe(200);
    expect(run.body.conf).toEqual({ k: 'v' });
    const b = run.body.taskInstances.find((t: { taskId: string }) => t.taskId === 'b');
    expect(b).toMatchObject({ state: 'failed', tryNumber: 1 });
    expect(b.tries).toEqual([
      expect.objectContaining({
        tryNumber: 1,
        state: 'failed',
        error: 'b fails until cleared',
        exitReason: 'exception',
      }),
    ]);

    const logs = await call('GET', '/api/v1/dags/clearable/runs/api-run/tasks/b/logs');
    expect(logs.status).toBe(200);
    expect(logs.body.lines.map((l: { message: string }) => l.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Error: b fails until cleared'),
        'failed: b fails until cleared',
      ]),
    );
  });

  it('clears a failed task instance with its downstream and the run resumes', async () => {
    const cleared = await call('POST', '/api/v1/dags/clearable/runs/api-run/tasks/b/clear', {
      downstream: true,
    });
    expect(cleared).toEqual({
      status: 200,
      body: { dagId: 'clearable', runId: 'api-run', dryRun: false, cleared: ['b', 'c'], skipped: [] },
    });
    await o.settle();
    const run = await call('GET', '/api/v1/dags/clearable/runs/api-run');
    expect(run.body.state).toBe('success');
    expect(run.body.taskInstances.find((t: { taskId: string }) => t.taskId === 'b').tries).toHaveLength(2);
  });

  it('pauses and unpauses a DAG', async () => {
    expect((await call('PATCH', '/api/v1/dags/hourly_latest', { isPaused: true })).body.isPaused).toBe(true);
    expect((await call('PATCH', '/api/v1/dags/hourly_latest', { isPaused: false })).body.isPaused).toBe(
      false,
    );
  });

  it.each([
    [
      'POST',
      '/api/v1/dags/clearable/runs',
      { logicalDate: 'tomorrow', extra: 1 },
      400,
      {
        logicalDate: ['logicalDate must be an ISO 8601 instant, e.g. 2026-04-25T00:00:00Z'],
        extra: ['property extra should not exist'],
      },
    ],
    [
      'PATCH',
      '/api/v1/dags/hourly_latest',
      { isPaused: 'yes' },
      400,
      { isPaused: ['isPaused must be true or false'] },
    ],
  ])('%s %s with a bad body is a 400 naming each field', async (method, url, body, status, fields) => {
    const response = await call(method, url, body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code: 'validation_failed', fields });
  });

  it.each([
    ['GET', '/api/v1/dags/nope', "no DAG 'nope'"],
    ['POST', '/api/v1/dags/nope/runs', "no DAG 'nope'"],
    ['GET', '/api/v1/dags/clearable/runs/nope', "DAG 'clearable' has no run 'nope'"],
    ['POST', '/api/v1/dags/clearable/runs/api-run/tasks/zzz/clear', "DAG 'clearable' has no task 'zzz'"],
  ])('%s %s is a 404 that says what is missing', async (method, url, message) => {
    const response = await call(method, url, method === 'POST' ? {} : undefined);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ statusCode: 404, code: 'not_found', message });
  });
});
