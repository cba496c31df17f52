// Every 5 minutes: read the clickstream topic from the committed offset up to the run's
// interval end, land the batch and move the offset in one transaction, register the partition.
import { type TaskContext, dag, every } from '@tributary/sdk';
import { rawEvents } from './assets';
import {
  InjectedFault,
  SOURCES,
  ZONE,
  addDays,
  ensureSourceDays,
  ensureWarehouse,
  failIfInjected,
  laDaysBetween,
  laMidnight,
  openCursor,
  readCursor,
  stagedBatch,
  takeFault,
} from './warehouse';

const SOURCE = SOURCES.events;

/**
 * Stages every message from the committed offset that was produced before the interval
 * end, keyed by run id (tasks share data only through the database). A retry re-stages the
 * same batch: nothing moves until land commits.
 */
async function microBatchConsume(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  await failIfInjected(ctx);
  const end = ctx.dataInterval.end;
  const batch = await ctx.transaction(async (sql) => {
    const cursor = await openCursor(sql, SOURCE, ctx.dataInterval.start);
    await ensureSourceDays(sql, cursor.coveredUntil, end);
    await sql(`DELETE FROM warehouse.staging_events WHERE run_id = $1`, [ctx.runId]);
    const staged = await sql<{ kafka_offset: string }>(
      `INSERT INTO warehouse.staging_events (run_id, kafka_offset, event_id, account_id, event_type, occurred_at)
       SELECT $1, kafka_offset, event_id, account_id, event_type, occurred_at FROM warehouse.src_kafka_clickstream
       WHERE kafka_offset >= $2 AND produced_at < $3
       RETURNING kafka_offset`,
      [ctx.runId, String(cursor.nextOffset), end],
    );
    const fromOffset = cursor.nextOffset as number;
    // Kafka commits "the next offset to read": one past the last message consumed.
    const toOffset = staged.reduce((max, r) => Math.max(max, Number(r.kafka_offset) + 1), fromOffset);
    await sql(
      `INSERT INTO warehouse.ingest_batches (source, run_id, from_offset, to_offset, from_time, to_time, staged_rows, staged_try)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (source, run_id) DO UPDATE SET from_offset = $3, to_offset = $4, from_time = $5, to_time = $6,
         staged_rows = $7, staged_try = $8, landed_rows = NULL, landed_try = NULL`,
      [
        SOURCE,
        ctx.runId,
        String(fromOffset),
        String(toOffset),
        cursor.coveredUntil,
        end,
        staged.length,
        ctx.tryNumber,
      ],
    );
    return { fromOffset, toOffset, messages: staged.length };
  });
  ctx.log.info(`staged ${batch.messages} messages, offsets [${batch.fromOffset}, ${batch.toOffset})`, {
    until: end.toISOString(),
  });
  return batch;
}

/**
 * Exactly-once landing: the staged rows and the committed offset go in ONE transaction, so a
 * failure before commit leaves the offset where it was and the next try (or the next run)
 * reads the same messages again. Event ids are the second guard (ON CONFLICT DO NOTHING),
 * which also drops the topic's redelivered messages.
 */
async function land(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  const fault = await takeFault(ctx);
  const result = await ctx.transaction(async (sql) => {
    const cursor = await readCursor(sql, SOURCE, true);
    const batch = await stagedBatch(sql, SOURCE, ctx.runId);
    if (batch.landedTry !== null) return { landed: 0, note: `already landed by try ${batch.landedTry}` };
    // The batch must start at or before the committed offset, or messages in between would be skipped.
    if (!cursor || (batch.fromOffset as number) > (cursor.nextOffset as number)) {
      throw new Error(
        `batch starts at offset ${batch.fromOffset}, after the committed ${cursor?.nextOffset}`,
      );
    }
    const landed = await sql(
      `INSERT INTO warehouse.raw_events (event_id, account_id, event_type, occurred_at, kafka_offset, landed_by_run)
       SELECT event_id, account_id, event_type, occurred_at, kafka_offset, run_id FROM warehouse.staging_events
       WHERE run_id = $1 ORDER BY kafka_offset
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
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
      `UPDATE warehouse.ingest_state SET next_offset = GREATEST(next_offset, $2), covered_until = GREATEST(covered_until, $3),
         updated_by_run = $4 WHERE source = $1`,
      [SOURCE, String(batch.toOffset), batch.toTime, ctx.runId],
    );
    await sql(
      `UPDATE warehouse.ingest_batches SET landed_rows = $3, landed_try = $4 WHERE source = $1 AND run_id = $2`,
      [SOURCE, ctx.runId, landed.length, ctx.tryNumber],
    );
    await sql(`DELETE FROM warehouse.staging_events WHERE run_id = $1`, [ctx.runId]);
    return { landed: landed.length, note: `committed offset ${batch.toOffset}` };
  });
  ctx.log.info(`landed ${result.landed} events (${result.note})`);
  return result;
}

/** Records the LA day partitions this batch touched in the catalog, complete once covered to their end. */
async function registerPartition(ctx: TaskContext) {
  await ensureWarehouse(ctx);
  await failIfInjected(ctx);
  const batch = await stagedBatch(ctx.sql, SOURCE, ctx.runId);
  const cursor = await readCursor(ctx.sql, SOURCE, false);
  if (!cursor) throw new Error(`${SOURCE} has never been landed`);
  for (const day of laDaysBetween(batch.fromTime ?? batch.toTime, batch.toTime)) {
    const dayEnd = laMidnight(addDays(day, 1));
    const coveredUntil = new Date(Math.min(cursor.coveredUntil.getTime(), dayEnd.getTime()));
    await ctx.sql(
      `INSERT INTO warehouse.partitions (dataset, partition_date, covered_until, row_count, complete, registered_by_run)
       SELECT $1, $2, $3, count(*), $4, $5 FROM warehouse.raw_events WHERE occurred_at >= $6 AND occurred_at < $7
       ON CONFLICT (dataset, partition_date) DO UPDATE SET covered_until = EXCLUDED.covered_until,
         row_count = EXCLUDED.row_count, complete = EXCLUDED.complete, registered_by_run = EXCLUDED.registered_by_run`,
      [
        rawEvents.name,
        day,
        coveredUntil,
        coveredUntil.getTime() >= dayEnd.getTime(),
        ctx.runId,
        laMidnight(day),
        dayEnd,
      ],
    );
  }
}

export const kafkaEventsToRaw = dag(
  'kafka_events_to_raw',
  {
    schedule: every('5m'),
    timezone: ZONE,
    // One consumer: batches commit in offset order, and a failed run's successor resumes from its offset.
    maxActiveRuns: 1,
    tags: ['three-cadences', 'ingest', 'kafka'],
    owner: 'data-platform',
    description: 'Lands the clickstream topic into warehouse.raw_events (asset raw.events) every 5 minutes',
    defaults: { retries: 3, retryDelay: '30s', exponentialBackoff: true, maxRetryDelay: '5m', timeout: '5m' },
  },
  (d) => {
    const consume = d.task('micro_batch_consume', microBatchConsume);
    const landBatch = d.task('land', land);
    const register = d.task('register_partition', registerPartition, { outlets: [rawEvents] });
    consume.then(landBatch).then(register);
  },
);
