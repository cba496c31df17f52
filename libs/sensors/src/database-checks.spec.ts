import { Database } from '@tributary/persistence';
import { AssetCheck, DatabaseChecks, ExternalTaskCheck } from './database-checks';

const asset = (name: string, partition: string): AssetCheck => ({ family: 'asset', asset: name, partition });

// Embedded PGlite in memory: the same SQL and migrations as PostgreSQL.
describe('DatabaseChecks', () => {
  let db: Database;
  let checks: DatabaseChecks;

  beforeAll(async () => {
    db = await Database.open({ dataDir: 'memory://' });
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(() => {
    checks = new DatabaseChecks(db);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const insertDag = (dagId: string) =>
    db.manager.query(
      `INSERT INTO dags (dag_id, bundle_version, file, definition, timezone, schedule_kind, schedule_description, deployed_at, updated_at)
       VALUES ($1, 'v1', 'f.ts', $2, 'UTC', 'cron', 'daily', now(), now())`,
      [dagId, { dagId }],
    );
  const insertRun = async (
    dagId: string,
    runId: string,
    logicalDate: string,
    state: string,
    runType = 'scheduled',
  ) => {
    const [{ id }] = await db.manager.query(
      `INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, bundle_version, queued_at)
       VALUES ($1, $2, $3, $4, $5, 'v1', now()) RETURNING id`,
      [dagId, runId, runType, state, logicalDate],
    );
    return id as string;
  };
  const insertTi = (runPk: string, dagId: string, runId: string, taskId: string, state: string) =>
    db.manager.query(
      `INSERT INTO task_instances (run_pk, dag_id, run_id, task_id, state, updated_at) VALUES ($1, $2, $3, $4, $5, now())`,
      [runPk, dagId, runId, taskId, state],
    );
  const setTiState = (dagId: string, runId: string, taskId: string, state: string) =>
    db.manager.query(
      `UPDATE task_instances SET state = $4 WHERE dag_id = $1 AND run_id = $2 AND task_id = $3`,
      [dagId, runId, taskId, state],
    );
  // What the assets service records for an event that completes its partition.
  const insertAssetEvent = async (
    eventId: string,
    asset: string,
    partition: string | null,
    createdAt: string,
  ) => {
    const [{ id }] = await db.manager.query(
      `INSERT INTO asset_events (event_id, asset_name, partition, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
      [eventId, asset, partition, createdAt],
    );
    if (partition === null) return;
    await db.manager.query(
      `INSERT INTO asset_partitions (asset_name, partition, completed_at, completed_by_event_id, updated_at)
       VALUES ($1, $2, $3, $4, $3)
       ON CONFLICT (asset_name, partition) DO UPDATE SET completed_at = $3, completed_by_event_id = $4, updated_at = $3`,
      [asset, partition, createdAt, id],
    );
  };

  const externalTask = (dagId: string, logicalDate: string, taskId?: string): ExternalTaskCheck => ({
    family: 'external_task',
    dagId,
    ...(taskId ? { taskId } : {}),
    logicalDate,
    allowedStates: ['success'],
    failedStates: ['failed', 'upstream_failed'],
  });

  describe('external_task', () => {
    it("follows the other DAG's task instance from no run, to running, to success", async () => {
      await insertDag('upstream1');
      const check = externalTask('upstream1', '2026-04-25T00:00:00.000Z', 'load');
      expect(await checks.checkExternalTask(check)).toEqual({
        status: 'waiting',
        message: 'no run of DAG upstream1 for 2026-04-25T00:00:00.000Z yet',
      });

      const runPk = await insertRun('upstream1', 'scheduled__2026-04-25', '2026-04-25T00:00:00Z', 'running');
      expect(await checks.checkExternalTask(check)).toEqual({
        status: 'waiting',
        message:
          'run scheduled__2026-04-25 of DAG upstream1 for 2026-04-25T00:00:00.000Z has no task load yet',
      });

      await insertTi(runPk, 'upstream1', 'scheduled__2026-04-25', 'load', 'running');
      await insertTi(runPk, 'upstream1', 'scheduled__2026-04-25', 'other', 'success');
      expect(await checks.checkExternalTask(check)).toEqual({
        status: 'waiting',
        message:
          'task load of DAG upstream1 for 2026-04-25T00:00:00.000Z is running (run scheduled__2026-04-25); waiting for success',
      });

      await setTiState('upstream1', 'scheduled__2026-04-25', 'load', 'success');
      expect(await checks.checkExternalTask(check)).toEqual({
        status: 'met',
        details: { dagId: 'upstream1', runId: 'scheduled__2026-04-25', taskId: 'load', state: 'success' },
      });
      // Another date of the same DAG is not this one.
      expect(
        await checks.checkExternalTask(externalTask('upstream1', '2026-04-26T00:00:00Z', 'load')),
      ).toMatchObject({
        status: 'waiting',
      });
    });

    it('fails at once when the task is in a failed state, naming DAG, task, date and state', async () => {
      await insertDag('upstream2');
      const runPk = await insertRun('upstream2', 'scheduled__1', '2026-04-25T00:00:00Z', 'failed');
      await insertTi(runPk, 'upstream2', 'scheduled__1', 'load', 'upstream_failed');
      expect(
        await checks.checkExternalTask(externalTask('upstream2', '2026-04-25T00:00:00Z', 'load')),
      ).toEqual({
        status: 'failed',
        message:
          'task load of DAG upstream2 for 2026-04-25T00:00:00.000Z is upstream_failed (run scheduled__1)',
      });
    });

    it("uses the run's state without a task id, and takes a manual re-run at the same date", async () => {
      await insertDag('upstream3');
      await insertRun('upstream3', 'scheduled__1', '2026-04-25T00:00:00Z', 'failed');
      const check = externalTask('upstream3', '2026-04-25T00:00:00.000Z');
      expect(await checks.checkExternalTask(check)).toEqual({
        status: 'failed',
        message: 'DAG upstream3 for 2026-04-25T00:00:00.000Z is failed (run scheduled__1)',
      });
      // Re-run by hand: while it runs, the older failure is not the last word.
      await insertRun('upstream3', 'manual__1', '2026-04-25T00:00:00Z', 'running', 'manual');
      expect(await checks.checkExternalTask(check)).toMatchObject({ status: 'waiting' });
      await db.manager.query(`UPDATE dag_runs SET state = 'success' WHERE run_id = 'manual__1'`);
      expect(await checks.checkExternalTask(check)).toEqual({
        status: 'met',
        details: { dagId: 'upstream3', runId: 'manual__1', state: 'success' },
      });
    });

    it('fails at once on a logical date that is not a date', async () => {
      expect(await checks.checkExternalTask(externalTask('x', 'soon'))).toEqual({
        status: 'failed',
        message: "invalid logical date 'soon'",
      });
    });

    it('waits (and does not throw) when the database lookup fails', async () => {
      jest.spyOn(db.manager, 'query').mockRejectedValueOnce(new Error('connection terminated'));
      expect(await checks.checkExternalTask(externalTask('x', '2026-04-25T00:00:00Z'))).toEqual({
        status: 'waiting',
        message: 'cannot look up DAG x: connection terminated',
      });
    });
  });

  describe('asset', () => {
    it('waits for an event of the asset for the partition, then reports the latest', async () => {
      expect(await checks.checkAsset(asset('raw.events', '2026-04-25'))).toEqual({
        status: 'waiting',
        message: 'no event of asset raw.events for partition 2026-04-25 yet',
      });
      await insertAssetEvent('e-other-partition', 'raw.events', '2026-04-24', '2026-04-25T01:00:00Z');
      await insertAssetEvent('e-no-partition', 'raw.events', null, '2026-04-25T01:00:00Z');
      await insertAssetEvent('e-other-asset', 'raw.users', '2026-04-25', '2026-04-25T01:00:00Z');
      expect(await checks.checkAsset(asset('raw.events', '2026-04-25'))).toMatchObject({ status: 'waiting' });

      await insertAssetEvent('e1', 'raw.events', '2026-04-25', '2026-04-26T03:00:00Z');
      await insertAssetEvent('e2', 'raw.events', '2026-04-25', '2026-04-26T04:00:00Z');
      expect(await checks.checkAsset(asset('raw.events', '2026-04-25'))).toEqual({
        status: 'met',
        details: { eventId: 'e2', createdAt: '2026-04-26T04:00:00.000Z' },
      });
    });
  });

  describe('batching', () => {
    it('answers 200 concurrent asset checks with one query, each with its own result', async () => {
      await insertAssetEvent('batch-e', 'batch.asset', 'p7', '2026-04-26T00:00:00Z');
      const query = jest.spyOn(db.manager, 'query');
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => checks.checkAsset(asset(`batch.asset`, `p${i % 20}`))),
      );
      expect(query).toHaveBeenCalledTimes(1);
      outcomes.forEach((outcome, i) => expect(outcome.status).toBe(i % 20 === 7 ? 'met' : 'waiting'));
      expect(checks.stats().asset).toEqual({ batches: 1, keys: 20, loads: 200 });
    });

    it('answers concurrent external-task checks of different DAGs and tasks with one query', async () => {
      await insertDag('batch-up');
      const runPk = await insertRun('batch-up', 'r1', '2026-05-01T00:00:00Z', 'running');
      await insertTi(runPk, 'batch-up', 'r1', 'a', 'success');
      await insertTi(runPk, 'batch-up', 'r1', 'b', 'failed');
      const query = jest.spyOn(db.manager, 'query');
      const [a, b, c, run, missing] = await Promise.all([
        checks.checkExternalTask(externalTask('batch-up', '2026-05-01T00:00:00Z', 'a')),
        checks.checkExternalTask(externalTask('batch-up', '2026-05-01T00:00:00Z', 'b')),
        checks.checkExternalTask(externalTask('batch-up', '2026-05-01T00:00:00Z', 'c')),
        checks.checkExternalTask(externalTask('batch-up', '2026-05-01T00:00:00Z')),
        checks.checkExternalTask(externalTask('nobody', '2026-05-01T00:00:00Z', 'a')),
      ]);
      expect(query).toHaveBeenCalledTimes(1);
      expect(a).toMatchObject({ status: 'met', details: { taskId: 'a', state: 'success' } });
      expect(b).toMatchObject({ status: 'failed' });
      expect(c).toMatchObject({ status: 'waiting', message: expect.stringContaining('has no task c yet') });
      expect(run).toMatchObject({ status: 'waiting', message: expect.stringContaining('DAG batch-up for') });
      expect(missing).toMatchObject({
        status: 'waiting',
        message: expect.stringContaining('no run of DAG nobody'),
      });
    });

    it('splits a large batch into statements of at most maxBatchSize keys', async () => {
      const small = new DatabaseChecks(db, 50);
      const query = jest.spyOn(db.manager, 'query');
      await Promise.all(Array.from({ length: 120 }, (_, i) => small.checkAsset(asset('split', `p${i}`))));
      expect(query).toHaveBeenCalledTimes(3);
    });
  });
});
