import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { eventually } from '../support/cluster';

// The fixture DAGs read these when the bundle loads (in beforeAll) and report through this probe.
const probe = ((globalThis as { sensorProbe?: SensorProbe }).sensorProbe ??= {
  ran: [],
  found: [],
  predicateReady: false,
});
interface SensorProbe {
  ran: string[];
  found: Record<string, unknown>[];
  predicateReady: boolean;
}

jest.setTimeout(120_000);

const DAGS = path.resolve(__dirname, '..', 'fixtures', 'sensors');
const DAY = new Date('2026-04-25T12:00:00Z');

interface TiView {
  state: string;
  try_number: number;
  sensor_checks: number;
  worker: string | null;
}

describe('sensors in standalone mode: poke, reschedule and deferrable, each family, timeouts', () => {
  const sensorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sensors-'));
  let server: http.Server;
  let ready = false;
  let httpHits = 0;
  let o: StandaloneOrchestrator;

  const ti = async (dagId: string, runId: string, taskId: string): Promise<TiView | undefined> => {
    const [row] = await o.db.manager.query(
      `SELECT state, try_number, sensor_checks, worker FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND task_id = $3`,
      [dagId, runId, taskId],
    );
    return row;
  };
  const lastTry = async (dagId: string, runId: string, taskId: string) => {
    const [row] = await o.db.manager.query(
      `SELECT t.try_number, t.state, t.exit_reason, t.error, t.worker FROM task_instance_tries t
       JOIN task_instances ti ON ti.id = t.ti_id WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3
       ORDER BY t.try_number DESC LIMIT 1`,
      [dagId, runId, taskId],
    );
    return row;
  };
  const logOf = async (dagId: string, runId: string, taskId: string): Promise<string[]> =>
    (
      await o.db.manager.query(
        `SELECT l.message FROM task_instance_logs l JOIN task_instances ti ON ti.id = l.ti_id
         WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 ORDER BY l.id`,
        [dagId, runId, taskId],
      )
    ).map((l: { message: string }) => l.message);
  const stateIs = (dagId: string, runId: string, taskId: string, ...states: string[]) =>
    eventually(`${dagId}.${taskId} in ${states.join('/')}`, async () => {
      const row = await ti(dagId, runId, taskId);
      return row && states.includes(row.state) ? row : undefined;
    });
  const runState = (dagId: string, runId: string, state: string) =>
    eventually(
      `run ${dagId}/${runId} ${state}`,
      async () => {
        const [row] = await o.db.manager.query(
          `SELECT state FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
          [dagId, runId],
        );
        return row?.state === state ? row : undefined;
      },
      {
        describe: async () =>
          JSON.stringify(
            await o.db.manager.query(
              `SELECT ti.task_id, ti.state, ti.try_number, ti.sensor_checks, (SELECT string_agg(message, ' | ') FROM task_instance_logs l WHERE l.ti_id = ti.id) AS log
             FROM task_instances ti WHERE dag_id = $1 AND run_id = $2`,
              [dagId, runId],
            ),
            null,
            1,
          ),
      },
    );
  const trigger = (dagId: string, runId: string, conf: Record<string, unknown> = {}, logicalDate = DAY) =>
    o.scheduler.requestManualRun(dagId, { runId, logicalDate, conf });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      httpHits++;
      if (!ready) {
        res.writeHead(503).end('{"ready": false}');
      } else if (req.url === '/2026-04-25') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready": true}');
      } else {
        res.writeHead(404).end('no such day');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.TRIBUTARY_TEST_SENSOR_DIR = sensorDir;
    process.env.TRIBUTARY_TEST_HTTP_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    o = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir: 'memory://',
      http: false,
      logLevels: false,
      pollIntervalMs: 50,
      workerId: 'standalone-sensors',
    });
  });

  afterAll(async () => {
    await o?.stop();
    server?.closeAllConnections();
    server?.close();
    fs.rmSync(sensorDir, { recursive: true, force: true });
  });

  it('waits for a file with content in all three modes; only the deferrable one holds no executor slot', async () => {
    await trigger('file_modes', 'files');
    const poking = await stateIs('file_modes', 'files', 'wait_poke', 'running');
    expect(poking.worker).toBe('standalone-sensors');
    await eventually(
      'a reschedule-mode check',
      async () => (await ti('file_modes', 'files', 'wait_reschedule'))!.sensor_checks >= 1,
    );
    const deferred = await stateIs('file_modes', 'files', 'wait_deferrable', 'deferred');
    expect(deferred.worker).toBeNull();
    await eventually('the trigger leased by the triggerer', async () => {
      const [row] = await o.db.manager.query(
        `SELECT t.lease_owner FROM triggers t JOIN task_instances ti ON ti.id = t.ti_id
         WHERE ti.dag_id = 'file_modes' AND ti.task_id = 'wait_deferrable'`,
      );
      return row?.lease_owner === 'standalone-sensors';
    });

    // An empty file is the half-written trap: it must not count.
    fs.mkdirSync(path.join(sensorDir, '2026-04-25'), { recursive: true });
    fs.writeFileSync(path.join(sensorDir, '2026-04-25', '_SUCCESS'), '');
    const checksBefore = (await ti('file_modes', 'files', 'wait_reschedule'))!.sensor_checks;
    await eventually(
      'two more reschedule checks',
      async () => (await ti('file_modes', 'files', 'wait_reschedule'))!.sensor_checks >= checksBefore + 2,
    );
    for (const mode of ['poke', 'reschedule', 'deferrable']) {
      expect((await ti('file_modes', 'files', `wait_${mode}`))!.state).not.toBe('success');
    }

    fs.writeFileSync(path.join(sensorDir, '2026-04-25', '_SUCCESS'), 'ok');
    await runState('file_modes', 'files', 'success');
    expect(probe.ran).toEqual(expect.arrayContaining(['after_poke', 'after_reschedule', 'after_deferrable']));
    for (const mode of ['poke', 'reschedule', 'deferrable']) {
      // Pokes and reschedules are one try: they do not spend the retry budget.
      expect(await lastTry('file_modes', 'files', `wait_${mode}`)).toMatchObject({
        try_number: 1,
        state: 'success',
      });
    }
    expect((await lastTry('file_modes', 'files', 'wait_deferrable')).worker).toBeNull();
    const deferredLog = await logOf('file_modes', 'files', 'wait_deferrable');
    expect(deferredLog[0]).toMatch(
      /^deferred to the triggerer \(trigger \d+\): file .*2026-04-25\/_SUCCESS$/,
    );
    expect(deferredLog[1]).toMatch(
      /fired on standalone-sensors after \d+ check\(s\).*condition met .*"size":2/,
    );
    expect((await logOf('file_modes', 'files', 'wait_reschedule')).join('\n')).toMatch(/is 0 bytes/);
  });

  it('times out: fails for good despite retries, or is skipped with softFail (and so is what follows)', async () => {
    await trigger('sensor_timeouts', 'timeouts');
    await runState('sensor_timeouts', 'timeouts', 'failed');
    for (const taskId of ['deferred_fails', 'rescheduled_fails']) {
      expect(await ti('sensor_timeouts', 'timeouts', taskId)).toMatchObject({
        state: 'failed',
        try_number: 1,
      });
      expect(await lastTry('sensor_timeouts', 'timeouts', taskId)).toMatchObject({
        state: 'failed',
        exit_reason: 'sensor_timeout',
        error: 'sensor timed out after 1 second',
      });
    }
    expect((await ti('sensor_timeouts', 'timeouts', 'deferred_soft'))!.state).toBe('skipped');
    expect((await lastTry('sensor_timeouts', 'timeouts', 'deferred_soft')).exit_reason).toBe(
      'sensor_timeout',
    );
    expect((await ti('sensor_timeouts', 'timeouts', 'after_soft'))!.state).toBe('skipped');
    expect(probe.ran).not.toContain('after_soft');
    expect((await ti('sensor_timeouts', 'timeouts', 'poked_soft'))!.state).toBe('skipped');
    // The timed-out trigger is gone: no triggerer keeps watching it.
    const [{ open }] = await o.db.manager.query(
      `SELECT count(*)::int AS open FROM triggers t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE ti.dag_id = 'sensor_timeouts' AND t.fired_at IS NULL`,
    );
    expect(open).toBe(0);
  });

  it('an http sensor in the triggerer waits for the expected status and body', async () => {
    await trigger('http_ready', 'http');
    await eventually('a few 503 answers', async () => httpHits >= 3);
    expect((await ti('http_ready', 'http', 'wait_ready'))!.state).toBe('deferred');
    ready = true;
    await runState('http_ready', 'http', 'success');
    expect((await logOf('http_ready', 'http', 'wait_ready')).join('\n')).toMatch(/"status":200/);
  });

  it("an external-task sensor waits for the other DAG's task of the same date, and fails fast when it failed", async () => {
    await trigger('ext_downstream', 'ok');
    await stateIs('ext_downstream', 'ok', 'wait_load', 'deferred');
    await trigger('ext_upstream', 'up_ok');
    await runState('ext_downstream', 'ok', 'success');

    const otherDay = new Date('2026-04-26T12:00:00Z');
    await trigger('ext_downstream', 'bad', {}, otherDay);
    await stateIs('ext_downstream', 'bad', 'wait_load', 'deferred');
    await trigger('ext_upstream', 'up_bad', { fail: true }, otherDay);
    await runState('ext_downstream', 'bad', 'failed');
    // Failing fast spends no retries (it has 3): the upstream will not change by waiting.
    expect(await lastTry('ext_downstream', 'bad', 'wait_load')).toMatchObject({
      try_number: 1,
      exit_reason: 'sensor_failed',
      error: 'task load of DAG ext_upstream for 2026-04-26T12:00:00.000Z is failed (run up_bad)',
    });
  });

  it('an asset sensor resumes on an executor for its onMet work, with what the trigger found', async () => {
    // 2026-04-26T05:00Z is still April 25 in Los Angeles: the partition is the DAG's local day.
    const evening = new Date('2026-04-26T05:00:00Z');
    await trigger('orders_consumer', 'consume', {}, evening);
    await stateIs('orders_consumer', 'consume', 'wait_orders', 'deferred');
    await trigger('orders_producer', 'produce', {}, new Date('2026-04-25T18:00:00Z'));
    await runState('orders_consumer', 'consume', 'success');
    expect(probe.found).toEqual([
      expect.objectContaining({ taskId: 'wait_orders', tryNumber: 1, eventId: expect.any(String) }),
    ]);
    const resumed = await lastTry('orders_consumer', 'consume', 'wait_orders');
    expect(resumed).toMatchObject({ try_number: 1, state: 'success', worker: 'standalone-sensors' });
  });

  it('a predicate sensor in reschedule mode backs off between checks and succeeds when its code says so', async () => {
    await trigger('predicate_reschedule', 'flag');
    await eventually(
      'three checks',
      async () => (await ti('predicate_reschedule', 'flag', 'wait_flag'))!.sensor_checks >= 3,
    );
    const timers = await o.db.manager.query(
      `SELECT due_at - created_at AS delay FROM timers t WHERE kind = 'reschedule' AND timer_key LIKE 'ti:' || (
         SELECT id FROM task_instances WHERE dag_id = 'predicate_reschedule') || ':%'`,
    );
    expect(timers.length).toBeLessThanOrEqual(1); // one pending check at a time
    probe.predicateReady = true;
    await runState('predicate_reschedule', 'flag', 'success');
    const log = (await logOf('predicate_reschedule', 'flag', 'wait_flag')).join('\n');
    expect(log).toMatch(/check 1: not yet/);
    expect(await lastTry('predicate_reschedule', 'flag', 'wait_flag')).toMatchObject({
      try_number: 1,
      state: 'success',
    });
  });
});

describe('sensor timeouts and reschedules are database timers: they survive a restart', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sensor-restart-'));
  const sensorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sensors-'));

  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(sensorDir, { recursive: true, force: true });
  });

  it('a deferred and a rescheduled sensor time out after the process that started them is gone', async () => {
    process.env.TRIBUTARY_TEST_SENSOR_DIR = sensorDir;
    const start = new Date('2026-04-25T12:00:00Z');
    const first = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir,
      clock: new ManualClock(start),
      http: false,
      logLevels: false,
      workerId: 'before-crash',
    });
    await first.scheduler.requestManualRun('sensor_timeouts', { runId: 'restart', logicalDate: start });
    await first.settle();
    await first.tick();
    await first.settle();
    const states = await first.db.manager.query(
      `SELECT task_id, state FROM task_instances WHERE run_id = 'restart' ORDER BY task_id`,
    );
    expect(
      Object.fromEntries(states.map((r: { task_id: string; state: string }) => [r.task_id, r.state])),
    ).toMatchObject({
      deferred_fails: 'deferred',
      rescheduled_fails: 'up_for_reschedule',
    });
    await first.crash();

    const second = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir,
      clock: new ManualClock(new Date(start.getTime() + 5_000)),
      http: false,
      logLevels: false,
      workerId: 'after-crash',
    });
    try {
      await second.advanceTo(new Date(start.getTime() + 10_000));
      const after = await second.db.manager.query(
        `SELECT ti.task_id, ti.state, t.exit_reason FROM task_instances ti
         LEFT JOIN task_instance_tries t ON t.ti_id = ti.id AND t.try_number = ti.try_number
         WHERE ti.run_id = 'restart' ORDER BY ti.task_id`,
      );
      expect(after).toEqual([
        { task_id: 'after_soft', state: 'skipped', exit_reason: null },
        { task_id: 'deferred_fails', state: 'failed', exit_reason: 'sensor_timeout' },
        { task_id: 'deferred_soft', state: 'skipped', exit_reason: 'sensor_timeout' },
        { task_id: 'poked_soft', state: 'skipped', exit_reason: 'sensor_timeout' },
        { task_id: 'rescheduled_fails', state: 'failed', exit_reason: 'sensor_timeout' },
      ]);
    } finally {
      await second.stop();
    }
  });
});
