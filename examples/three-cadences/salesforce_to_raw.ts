// Daily at 01:00 Los Angeles time: a full snapshot of the Salesforce accounts. The run with
// logical date D fires at 01:00 on D+1, so its snapshot (as of its interval end) is the
// account dimension for revenue date D.
import { type TaskContext, cron, dag } from '@tributary/sdk';
import { rawAccounts } from './assets';
import {
  InjectedFault,
  SOURCES,
  ZONE,
  ensureWarehouse,
  failIfInjected,
  stagedBatch,
  takeFault,
} from './warehouse';

const SOURCE = SOURCES.accounts;

/** Full fetch: every account that exists at the interval end, staged keyed by run id. */
async function fetchAccounts(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  await failIfInjected(ctx);
  const asOf = ctx.dataInterval.end;
  const rows = await ctx.transaction(async (sql) => {
    await sql(`DELETE FROM warehouse.staging_accounts WHERE run_id = $1`, [ctx.runId]);
    const staged = await sql(
      `INSERT INTO warehouse.staging_accounts (run_id, account_id, name, region, active, created_at)
       SELECT $1, account_id, name, region, active, created_at FROM warehouse.src_salesforce_accounts
       WHERE created_at < $2 RETURNING account_id`,
      [ctx.runId, asOf],
    );
    await sql(
      `INSERT INTO warehouse.ingest_batches (source, run_id, to_time, staged_rows, staged_try) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source, run_id) DO UPDATE SET to_time = $3, staged_rows = $4, staged_try = $5,
         landed_rows = NULL, landed_try = NULL`,
      [SOURCE, ctx.runId, asOf, staged.length, ctx.tryNumber],
    );
    return staged.length;
  });
  ctx.log.info(`fetched ${rows} accounts as of ${asOf.toISOString()}`);
  return { accounts: rows };
}

/**
 * Upserts the snapshot and records how recent the dimension is, in one transaction. An
 * older snapshot landing late never overwrites a newer one.
 */
async function land(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  const fault = await takeFault(ctx);
  const landed = await ctx.transaction(async (sql) => {
    const batch = await stagedBatch(sql, SOURCE, ctx.runId);
    if (batch.landedTry !== null) return 0;
    const rows = await sql(
      `INSERT INTO warehouse.raw_accounts (account_id, name, region, active, created_at, snapshot_as_of, landed_by_run)
       SELECT account_id, name, region, active, created_at, $2, run_id FROM warehouse.staging_accounts WHERE run_id = $1
       ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region, active = EXCLUDED.active,
         created_at = EXCLUDED.created_at, snapshot_as_of = EXCLUDED.snapshot_as_of, landed_by_run = EXCLUDED.landed_by_run
       WHERE warehouse.raw_accounts.snapshot_as_of <= EXCLUDED.snapshot_as_of
       RETURNING account_id`,
      [ctx.runId, batch.toTime],
    );
    if (fault)
      throw new InjectedFault(
        ctx.dagId,
        ctx.taskId,
        `crashed after upserting ${rows.length} rows, before commit`,
      );
    await sql(
      `INSERT INTO warehouse.ingest_state (source, covered_from, covered_until, updated_by_run) VALUES ($1, $2, $2, $3)
       ON CONFLICT (source) DO UPDATE SET covered_until = GREATEST(warehouse.ingest_state.covered_until, EXCLUDED.covered_until),
         updated_by_run = EXCLUDED.updated_by_run`,
      [SOURCE, batch.toTime, ctx.runId],
    );
    await sql(
      `UPDATE warehouse.ingest_batches SET landed_rows = $3, landed_try = $4 WHERE source = $1 AND run_id = $2`,
      [SOURCE, ctx.runId, rows.length, ctx.tryNumber],
    );
    await sql(`DELETE FROM warehouse.staging_accounts WHERE run_id = $1`, [ctx.runId]);
    return rows.length;
  });
  ctx.log.info(`landed ${landed} accounts`);
  return { accounts: landed };
}

export const salesforceToRaw = dag(
  'salesforce_to_raw',
  {
    // The cron's zone is the DAG's zone: 01:00 Los Angeles time, DST-correct.
    schedule: cron('0 1 * * *', { timezone: ZONE }),
    maxActiveRuns: 1,
    tags: ['three-cadences', 'ingest', 'salesforce'],
    owner: 'data-platform',
    description:
      'Lands a full Salesforce account snapshot into warehouse.raw_accounts (asset raw.accounts) daily',
  },
  (d) => {
    // The API is flaky at night: back off 45m, 1h30, 3h (and at most 4h) before giving up.
    const fetch = d.task('fetch_accounts', fetchAccounts, {
      retries: 3,
      retryDelay: '45m',
      exponentialBackoff: true,
      maxRetryDelay: '4h',
      timeout: '15m',
    });
    const landSnapshot = d.task('land', land, {
      outlets: [rawAccounts],
      retries: 2,
      retryDelay: '5m',
      timeout: '15m',
    });
    fetch.then(landSnapshot);
  },
);
