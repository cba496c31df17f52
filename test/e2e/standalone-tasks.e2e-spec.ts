import * as path from 'path';
import { envelope } from '@tributary/messaging';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { probe } from '../fixtures/tasks/tasks';

jest.setTimeout(60_000);

describe('executor: task kinds, logs, timeouts and limits', () => {
  let o: StandaloneOrchestrator;

  const tryOf = async (dagId: string, runId: string, taskId: string) => {
    const [row] = await o.db.manager.query(
      `SELECT t.state, t.exit_reason, t.error FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 ORDER BY t.try_number DESC LIMIT 1`,
      [dagId, runId, taskId],
    );
    return row;
  };
  const logOf = async (dagId: string, runId: string, taskId: string) =>
    (
      await o.db.manager.query(
        `SELECT l.stream, l.level, l.message FROM task_instance_logs l JOIN task_instances ti ON ti.id = l.ti_id
         WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 ORDER BY l.id`,
        [dagId, runId, taskId],
      )
    ).map(
      (l: { stream: string; level: string | null; message: string }) =>
        `${l.stream}${l.level ? `:${l.level}` : ''} ${l.message}`,
    );

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(__dirname, '..', 'fixtures', 'tasks'),
      dataDir: 'memory://',
      clock: new ManualClock(new Date('2026-04-25T00:00:00Z')),
      http: false,
      logLevels: false,
    });
    await o.scheduler.requestManualRun('shell_tasks', { runId: 'sh' });
    await o.scheduler.requestManualRun('function_tasks', { runId: 'fn' });
    for (const runId of ['l1', 'l2', 'l3']) await o.scheduler.requestManualRun('limited', { runId });
    await o.settle();
  });

  afterAll(() => o?.stop());

  it('a shell task captures stdout and stderr line by line and sees the run facts and its env', async () => {
    expect(await tryOf('shell_tasks', 'sh', 'echoes')).toEqual({
      state: 'success',
      exit_reason: null,
      error: null,
    });
    const lines = await logOf('shell_tasks', 'sh', 'echoes');
    expect(lines).toEqual(
      expect.arrayContaining([
        'stdout out for shell_tasks try 1',
        'stderr to stderr',
        'stdout hello from env',
      ]),
    );
  });

  it('a non-zero exit fails the try with the exit code', async () => {
    expect(await tryOf('shell_tasks', 'sh', 'exits_3')).toEqual({
      state: 'failed',
      exit_reason: 'exit_code',
      error: 'exit code 3',
    });
    expect(await logOf('shell_tasks', 'sh', 'exits_3')).toContain('stdout partial');
  });

  it('a shell task over its timeout is killed and fails with exit reason timeout', async () => {
    expect(await tryOf('shell_tasks', 'sh', 'too_slow')).toEqual({
      state: 'failed',
      exit_reason: 'timeout',
      error: 'timed out after 300 ms',
    });
  });

  it('a function task logs through ctx.log per try, and its return value is logged', async () => {
    const lines = await logOf('function_tasks', 'fn', 'logs');
    expect(lines).toEqual(
      expect.arrayContaining([
        'log:info hello {"logicalDate":"2026-04-25T00:00:00.000Z"}',
        'log:warn careful',
        'log:info returned {"rows":3}',
      ]),
    );
  });

  it('a function task over its timeout fails with exit reason timeout', async () => {
    expect(await tryOf('function_tasks', 'fn', 'hangs')).toEqual({
      state: 'failed',
      exit_reason: 'timeout',
      error: 'timed out after 200 ms',
    });
  });

  it('maxActiveTasks bounds task instances across all runs of a DAG, and every run still completes', async () => {
    const runs = await o.db.manager.query(`SELECT state FROM dag_runs WHERE dag_id = 'limited'`);
    expect(runs.map((r: { state: string }) => r.state)).toEqual(['success', 'success', 'success']);
    expect(probe.maxInFlight).toBe(2);
    const [{ starved }] = await o.db.manager.query(
      `SELECT slot_starved AS starved FROM dags WHERE dag_id = 'limited'`,
    );
    expect(starved).toBe(false);
  });

  it('a malformed or unprocessable message goes to the DLQ with the reason and the partition keeps flowing', async () => {
    const dlq: string[] = [];
    const publish = o.transport.publish.bind(o.transport);
    const spy = jest.spyOn(o.transport, 'publish').mockImplementation(async (topic, messages) => {
      if (topic === 'tributary.dlq') messages.forEach((m) => dlq.push(m.value));
      return publish(topic, messages);
    });
    try {
      await o.transport.publish('tributary.run.requested', [
        { key: 'x', value: 'this is not json' },
        {
          key: 'x',
          value: JSON.stringify(
            envelope('run.requested', { dagId: 'no_such_dag', runType: 'manual' }, new Date()),
          ),
        },
        {
          key: 'x',
          value: JSON.stringify(
            envelope(
              'run.requested',
              { dagId: 'limited', runType: 'manual', runId: 'after-poison' },
              new Date(),
            ),
          ),
        },
      ]);
      await o.settle();
    } finally {
      spy.mockRestore();
    }
    const reasons = dlq.map((value) => JSON.parse(value).payload);
    expect(reasons).toEqual([
      expect.objectContaining({
        topic: 'tributary.run.requested',
        consumerGroup: 'coordinator',
        originalValue: 'this is not json',
        reason: expect.stringContaining('value is not JSON'),
      }),
      expect.objectContaining({
        reason: "unknown DAG 'no_such_dag': it is not in the deployed bundle; check the dagId",
      }),
    ]);
    const [run] = await o.db.manager.query(
      `SELECT state FROM dag_runs WHERE dag_id = 'limited' AND run_id = 'after-poison'`,
    );
    expect(run.state).toBe('success');
  });
});
