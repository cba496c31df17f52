import { Database } from './database';

// Embedded PGlite in memory: the same SQL and migrations as PostgreSQL (which the integration suite runs).
describe('Database on embedded PGlite', () => {
  let db: Database;

  beforeAll(async () => {
    db = await Database.open({ dataDir: 'memory://' });
    await db.migrate();
  });

  afterAll(async () => {
    await db.close();
  });

  it('applies the migrations once and records them', async () => {
    expect(await db.migrate()).toEqual([]);
    const rows = await db.manager.query(`SELECT name FROM migrations ORDER BY id`);
    expect(rows.map((r: { name: string }) => r.name)).toEqual([
      'InitialSchema1763683200000',
      'DagSlotStarved1763769600000',
      'OutboxProducer1763856000000',
      'SensorsAndTriggers1763942400000',
      'AssetsAndFreshness1764028800000',
      'OperationsSurface1764115200000',
    ]);
    expect(await db.pendingMigrations()).toEqual([]);
  });

  it('lists the migrations a database has not applied yet', async () => {
    const fresh = await Database.open({ dataDir: 'memory://' });
    try {
      expect(await fresh.pendingMigrations()).toEqual([
        'InitialSchema1763683200000',
        'DagSlotStarved1763769600000',
        'OutboxProducer1763856000000',
        'SensorsAndTriggers1763942400000',
        'AssetsAndFreshness1764028800000',
        'OperationsSurface1764115200000',
      ]);
    } finally {
      await fresh.close();
    }
  });

  const insertDag = (dagId: string) =>
    db.manager.query(
      `INSERT INTO dags (dag_id, bundle_version, file, definition, timezone, schedule_kind, schedule_description, deployed_at, updated_at)
       VALUES ($1, 'v1', 'f.ts', $2, 'UTC', 'cron', 'daily', now(), now())`,
      [dagId, { dagId }],
    );
  const insertRun = (dagId: string, runId: string, runType: string, logicalDate: string) =>
    db.manager.query(
      `INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, bundle_version, queued_at)
       VALUES ($1, $2, $3, 'queued', $4, 'v1', now())
       ON CONFLICT DO NOTHING RETURNING id`,
      [dagId, runId, runType, logicalDate],
    );

  it('keeps one scheduled run per (dag, logical date), while manual runs may share the date', async () => {
    await insertDag('d1');
    expect(await insertRun('d1', 'scheduled__1', 'scheduled', '2026-04-25T00:00:00Z')).toHaveLength(1);
    // A second scheduler replica racing for the same interval creates nothing.
    expect(await insertRun('d1', 'scheduled__dup', 'scheduled', '2026-04-25T00:00:00Z')).toHaveLength(0);
    expect(await insertRun('d1', 'manual__1', 'manual', '2026-04-25T00:00:00Z')).toHaveLength(1);
    expect(await insertRun('d1', 'manual__1', 'manual', '2026-04-26T00:00:00Z')).toHaveLength(0);
  });

  it('parses like pg: bigint ids as text, timestamptz as Date, jsonb as objects', async () => {
    const [run] = await db.manager.query(
      `SELECT id, logical_date, conf FROM dag_runs WHERE run_id = 'scheduled__1'`,
    );
    expect(typeof run.id).toBe('string');
    expect(run.logical_date).toEqual(new Date('2026-04-25T00:00:00Z'));
    expect(run.conf).toEqual({});
  });

  it('reports affected rows of UPDATE through TypeORM (the fenced claim relies on it)', async () => {
    const [, affected] = await db.manager.query(
      `UPDATE dag_runs SET state = 'running' WHERE dag_id = 'd1' AND state = 'queued'`,
    );
    expect(affected).toBe(2);
    const [, none] = await db.manager.query(
      `UPDATE dag_runs SET state = 'running' WHERE dag_id = 'd1' AND state = 'queued'`,
    );
    expect(none).toBe(0);
  });

  it('passes JS arrays as PostgreSQL arrays, like pg', async () => {
    const ids = (await db.manager.query(`SELECT id FROM dag_runs WHERE dag_id = 'd1' ORDER BY id`)).map(
      (r: { id: string }) => r.id,
    );
    const rows = await db.manager.query(
      `SELECT run_id FROM dag_runs WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    expect(rows.map((r: { run_id: string }) => r.run_id)).toEqual(['scheduled__1', 'manual__1']);
  });

  it('never interleaves two transactions on the single embedded session', async () => {
    await insertDag('d2');
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = db.transaction(async (em) => {
      order.push('first:begin');
      await em.query(`UPDATE dags SET is_paused = true WHERE dag_id = 'd2'`);
      await firstMayCommit;
      order.push('first:commit');
    });
    const second = db.transaction(async (em) => {
      order.push('second:begin');
      const [row] = await em.query(`SELECT is_paused FROM dags WHERE dag_id = 'd2'`);
      order.push(`second:saw paused=${row.is_paused}`);
    });
    // Let the second transaction try to start while the first holds the session.
    await new Promise((resolve) => setImmediate(resolve));
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first:begin', 'first:commit', 'second:begin', 'second:saw paused=true']);
  });

  it('rolls a failed transaction back entirely', async () => {
    await insertDag('d3');
    await expect(
      db.transaction(async (em) => {
        await em.query(`UPDATE dags SET is_paused = true WHERE dag_id = 'd3'`);
        await em.query(`INSERT INTO dags (dag_id) VALUES ('broken')`);
      }),
    ).rejects.toThrow(/null value/);
    const [row] = await db.manager.query(`SELECT is_paused FROM dags WHERE dag_id = 'd3'`);
    expect(row.is_paused).toBe(false);
  });

  it('refuses a DATABASE_URL that is not PostgreSQL, without echoing the password', async () => {
    await expect(Database.open({ databaseUrl: 'mysql://u:secret@h/db' })).rejects.toThrow(
      "DATABASE_URL must start with postgres:// or postgresql://, got 'mysql://u:***@h/db'",
    );
  });
});
