// Daily at 05:00 Los Angeles time: the revenue mart for the LA day that just ended. It reads
// a partition only once every input covers that whole day (the freshness guard).
import { type SqlQuery, type TaskContext, cron, dag } from '@tributary/sdk';
import { martDailyRevenue, rawAccounts, rawEvents, rawPayments } from './assets';
import {
  InjectedFault,
  SOURCES,
  ZONE,
  addDays,
  ensureWarehouse,
  failIfInjected,
  laDate,
  laMidnight,
  readCursor,
  takeFault,
} from './warehouse';

interface RevenueDay {
  /** The revenue date D: the LA calendar date of the run's logical date (05:00 on D). */
  date: string;
  start: Date;
  end: Date;
}

function revenueDayOf(ctx: TaskContext): RevenueDay {
  const date = laDate(ctx.logicalDate);
  return { date, start: laMidnight(date), end: laMidnight(addDays(date, 1)) };
}

/**
 * What keeps revenue date D from being built, empty when every input is fresh: events and
 * payments committed from no later than the start of D through its end, and an account
 * snapshot taken at or after the end of D.
 */
async function staleInputs(sql: SqlQuery, day: RevenueDay): Promise<string[]> {
  const stale: string[] = [];
  const covering = [
    [rawEvents.name, SOURCES.events],
    [rawPayments.name, SOURCES.payments],
  ] as const;
  for (const [assetName, source] of covering) {
    const cursor = await readCursor(sql, source, false);
    if (!cursor) stale.push(`${assetName}: never landed`);
    else if (cursor.coveredFrom > day.start) {
      stale.push(
        `${assetName}: landed only from ${cursor.coveredFrom.toISOString()}, after ${day.date} began`,
      );
    } else if (cursor.coveredUntil < day.end) {
      stale.push(
        `${assetName}: committed through ${cursor.coveredUntil.toISOString()}, needs ${day.end.toISOString()}`,
      );
    }
  }
  const accounts = await readCursor(sql, SOURCES.accounts, false);
  if (!accounts) stale.push(`${rawAccounts.name}: never landed`);
  else if (accounts.coveredUntil < day.end) {
    stale.push(
      `${rawAccounts.name}: latest snapshot as of ${accounts.coveredUntil.toISOString()}, needs ${day.end.toISOString()}`,
    );
  }
  return stale;
}

/** Fails (and retries through the orchestrator's timers) until every input covers D. */
async function checkFreshness(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  await failIfInjected(ctx);
  const day = revenueDayOf(ctx);
  const stale = await staleInputs(ctx.sql, day);
  if (stale.length > 0) throw new Error(`inputs for ${day.date} are not fresh yet: ${stale.join('; ')}`);
  ctx.log.info(`inputs for ${day.date} are fresh`);
}

/**
 * Rebuilds D in one transaction: delete D's rows, insert one row per account active on D
 * (zeros for accounts without activity). Re-checks freshness inside the transaction, so even
 * a build cleared and run on its own never reads a stale partition.
 */
async function buildMart(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  const fault = await takeFault(ctx);
  const day = revenueDayOf(ctx);
  const rows = await ctx.transaction(async (sql) => {
    const stale = await staleInputs(sql, day);
    if (stale.length > 0) throw new Error(`inputs for ${day.date} went stale: ${stale.join('; ')}`);
    await sql(`DELETE FROM mart.daily_revenue_by_account WHERE revenue_date = $1`, [day.date]);
    const inserted = await sql(
      `INSERT INTO mart.daily_revenue_by_account (account_id, account_name, region, revenue_date, event_count, revenue_usd)
       SELECT a.account_id, a.name, a.region, $1::date, COALESCE(e.events, 0), (COALESCE(p.cents, 0) / 100.0)::numeric(12,2)
       FROM warehouse.raw_accounts a
       LEFT JOIN (SELECT account_id, count(DISTINCT event_id)::int AS events FROM warehouse.raw_events
                  WHERE occurred_at >= $2 AND occurred_at < $3 GROUP BY account_id) e ON e.account_id = a.account_id
       LEFT JOIN (SELECT account_id, sum(amount_cents) AS cents FROM warehouse.raw_payments
                  WHERE created_at >= $2 AND created_at < $3 GROUP BY account_id) p ON p.account_id = a.account_id
       WHERE a.active AND a.created_at < $3
       RETURNING account_id`,
      [day.date, day.start, day.end],
    );
    if (fault)
      throw new InjectedFault(
        ctx.dagId,
        ctx.taskId,
        `crashed after inserting ${inserted.length} rows, before commit`,
      );
    return inserted.length;
  });
  ctx.log.info(`built ${rows} rows for ${day.date}`);
  return { revenueDate: day.date, rows };
}

export const dailyRevenueByAccount = dag(
  'daily_revenue_by_account',
  {
    // The run with logical date D (05:00 on D) fires at 05:00 on D+1 and builds revenue date D.
    schedule: cron('0 5 * * *', { timezone: ZONE }),
    maxActiveRuns: 1,
    tags: ['three-cadences', 'mart'],
    owner: 'analytics',
    description: 'Builds mart.daily_revenue_by_account for the Los Angeles day that just ended',
  },
  (d) => {
    const inputs = [rawEvents, rawPayments, rawAccounts];
    // Up to 4 hours of waiting for late inputs, in 10-minute steps, then the run fails loudly.
    const check = d.task('check_freshness', checkFreshness, {
      inlets: inputs,
      retries: 24,
      retryDelay: '10m',
    });
    const build = d.task('build_mart', buildMart, {
      inlets: inputs,
      outlets: [martDailyRevenue],
      retries: 2,
      retryDelay: '5m',
      timeout: '20m',
    });
    check.then(build);
  },
);
