// Every 15 minutes: page through the payments created between the high-water mark and the
// run's interval end, then land them and advance the mark in one transaction.
import { type TaskContext, dag, every } from '@tributary/sdk';
import { rawPayments } from './assets';
import {
  InjectedFault,
  SOURCES,
  ZONE,
  ensureSourceDays,
  ensureWarehouse,
  failIfInjected,
  openCursor,
  readCursor,
  stagedBatch,
  takeFault,
} from './warehouse';

const SOURCE = SOURCES.payments;
/** Small pages, as the Stripe list API returns them, so paging is exercised. */
const PAGE_SIZE = 2;

/**
 * Lists payments with created_at in [high-water mark, interval end), page by page with a
 * (created_at, id) cursor like Stripe's `starting_after`, and stages them keyed by run id.
 * The mark has not moved if an earlier run failed, so this window then covers both.
 */
async function fetchPages(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  await failIfInjected(ctx);
  const end = ctx.dataInterval.end;
  const batch = await ctx.transaction(async (sql) => {
    const cursor = await openCursor(sql, SOURCE, ctx.dataInterval.start);
    const from = cursor.coveredUntil;
    await ensureSourceDays(sql, from, end);
    await sql(`DELETE FROM warehouse.staging_payments WHERE run_id = $1`, [ctx.runId]);
    let after: { createdAt: Date; id: string } = { createdAt: from, id: '' };
    let pages = 0;
    let rows = 0;
    for (;;) {
      const page = await sql<{ payment_id: string; created_at: Date }>(
        `SELECT payment_id, created_at FROM warehouse.src_stripe_payments
         WHERE created_at >= $1 AND created_at < $2 AND (created_at, payment_id) > ($3::timestamptz, $4::text)
         ORDER BY created_at, payment_id LIMIT ${PAGE_SIZE}`,
        [from, end, after.createdAt, after.id],
      );
      if (page.length === 0) break;
      pages++;
      rows += page.length;
      await sql(
        `INSERT INTO warehouse.staging_payments (run_id, payment_id, page, account_id, amount_cents, currency, created_at)
         SELECT $1, payment_id, $2, account_id, amount_cents, currency, created_at FROM warehouse.src_stripe_payments
         WHERE payment_id = ANY($3::text[])`,
        [ctx.runId, pages, page.map((p) => p.payment_id)],
      );
      const last = page[page.length - 1];
      after = { createdAt: new Date(last.created_at), id: last.payment_id };
      if (page.length < PAGE_SIZE) break;
    }
    await sql(
      `INSERT INTO warehouse.ingest_batches (source, run_id, from_time, to_time, staged_rows, pages, staged_try)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (source, run_id) DO UPDATE SET from_time = $3, to_time = $4, staged_rows = $5, pages = $6,
         staged_try = $7, landed_rows = NULL, landed_try = NULL`,
      [SOURCE, ctx.runId, from, end, rows, pages, ctx.tryNumber],
    );
    return { from, pages, rows };
  });
  ctx.log.info(`fetched ${batch.rows} payments in ${batch.pages} pages`, {
    from: batch.from.toISOString(),
    until: end.toISOString(),
  });
  return { pages: batch.pages, rows: batch.rows };
}

/**
 * Lands the staged payments and moves the high-water mark in ONE transaction: it advances
 * only when the rows are committed. Payment ids guard against landing one twice.
 */
async function land(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  const fault = await takeFault(ctx);
  const result = await ctx.transaction(async (sql) => {
    const cursor = await readCursor(sql, SOURCE, true);
    const batch = await stagedBatch(sql, SOURCE, ctx.runId);
    if (batch.landedTry !== null) return { landed: 0, note: `already landed by try ${batch.landedTry}` };
    // A window starting after the mark would leave a gap of payments nobody fetched.
    if (!cursor || !batch.fromTime || batch.fromTime.getTime() > cursor.coveredUntil.getTime()) {
      throw new Error(
        `window starts at ${batch.fromTime?.toISOString()}, after the mark ${cursor?.coveredUntil.toISOString()}`,
      );
    }
    const landed = await sql(
      `INSERT INTO warehouse.raw_payments (payment_id, account_id, amount_cents, currency, created_at, landed_by_run)
       SELECT payment_id, account_id, amount_cents, currency, created_at, run_id FROM warehouse.staging_payments
       WHERE run_id = $1 ORDER BY created_at, payment_id
       ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id`,
      [ctx.runId],
    );
    if (fault) {
      throw new InjectedFault(
        ctx.dagId,
        ctx.taskId,
        `crashed after inserting ${landed.length} rows, before commit`,
      );
    }
    await sql(
      `UPDATE warehouse.ingest_state SET covered_until = GREATEST(covered_until, $2), updated_by_run = $3 WHERE source = $1`,
      [SOURCE, batch.toTime, ctx.runId],
    );
    await sql(
      `UPDATE warehouse.ingest_batches SET landed_rows = $3, landed_try = $4 WHERE source = $1 AND run_id = $2`,
      [SOURCE, ctx.runId, landed.length, ctx.tryNumber],
    );
    await sql(`DELETE FROM warehouse.staging_payments WHERE run_id = $1`, [ctx.runId]);
    return { landed: landed.length, note: `high-water mark ${batch.toTime.toISOString()}` };
  });
  ctx.log.info(`landed ${result.landed} payments (${result.note})`);
  return result;
}

export const stripePaymentsToRaw = dag(
  'stripe_payments_to_raw',
  {
    schedule: every('15m'),
    timezone: ZONE,
    // One window at a time: the high-water mark is a single cursor.
    maxActiveRuns: 1,
    tags: ['three-cadences', 'ingest', 'stripe'],
    owner: 'data-platform',
    description: 'Lands Stripe payments into warehouse.raw_payments (asset raw.payments) every 15 minutes',
    defaults: {
      retries: 3,
      retryDelay: '1m',
      exponentialBackoff: true,
      maxRetryDelay: '10m',
      timeout: '10m',
    },
  },
  (d) => {
    const fetch = d.task('fetch_pages', fetchPages);
    d.task('land', land, { outlets: [rawPayments] }).after(fetch);
  },
);
