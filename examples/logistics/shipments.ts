// Hourly: the shipping team lands each hour's carrier export into logistics.shipments. The
// export is generated on request; on Black Friday the carriers' export service needs three
// hours per export, and with two exports in flight at most (maxActiveRuns 2) the hours queue up.
import { type TaskContext, cron, dag } from '@tributary/sdk';
import { rawShipments } from './assets';
import {
  FLAKY_HOUR,
  ZONE,
  ensureLogistics,
  ensureSourceDays,
  laMinute,
  requestCarrierExport,
} from './warehouse';

/**
 * The sensor's check (reschedule mode: no executor slot is held between checks). The first
 * check asks the carriers for the hour's export; every check compares the orchestrator's
 * clock with when the export will be ready.
 */
async function carrierExportReady(ctx: TaskContext): Promise<boolean> {
  await ensureLogistics(ctx);
  const hour = ctx.dataInterval.start;
  const request = await requestCarrierExport(ctx.sql, hour, ctx.now(), ctx.runId);
  const ready = ctx.now().getTime() >= request.availableAt.getTime();
  if (!ready) {
    ctx.log.info(
      `carrier export for ${laMinute(hour)} not ready: asked at ${request.requestedAt.toISOString()}, ready at ${request.availableAt.toISOString()}`,
    );
  }
  return ready;
}

/**
 * Loads the hour's shipments idempotently: rows keyed by shipment id (ON CONFLICT DO
 * NOTHING) and one shipment_loads row per hour, in one transaction. The first try of the
 * FLAKY_HOUR loses the carrier connection after inserting its rows: nothing is committed,
 * and the retry 20 minutes later loads the hour for good.
 */
async function loadShipments(ctx: TaskContext) {
  await ensureLogistics(ctx);
  const { start, end } = ctx.dataInterval;
  const result = await ctx.transaction(async (sql) => {
    await ensureSourceDays(sql, start, end);
    const [{ exported }] = await sql<{ exported: number }>(
      `SELECT count(*)::int AS exported FROM logistics.src_carrier_shipments WHERE shipped_at >= $1 AND shipped_at < $2`,
      [start, end],
    );
    const loaded = await sql(
      `INSERT INTO logistics.shipments (shipment_id, warehouse_id, carrier, units, shipped_at, loaded_by_run)
       SELECT shipment_id, warehouse_id, carrier, units, shipped_at, $3 FROM logistics.src_carrier_shipments
       WHERE shipped_at >= $1 AND shipped_at < $2
       ON CONFLICT (shipment_id) DO NOTHING RETURNING shipment_id`,
      [start, end, ctx.runId],
    );
    if (laMinute(start) === FLAKY_HOUR && ctx.tryNumber === 1) {
      throw new Error(
        `carrier connection reset after ${loaded.length} of ${exported} rows of the ${FLAKY_HOUR} export (simulated): nothing committed`,
      );
    }
    await sql(
      `INSERT INTO logistics.shipment_loads (hour_start, hour_end, run_id, exported_rows, loaded_rows, try_number, loaded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (hour_start) DO UPDATE SET run_id = $3, exported_rows = $4, loaded_rows = $5, try_number = $6, loaded_at = $7`,
      [start, end, ctx.runId, exported, loaded.length, ctx.tryNumber, ctx.now()],
    );
    return { exported, loaded: loaded.length };
  });
  ctx.log.info(`loaded ${result.loaded} of ${result.exported} shipments for ${laMinute(start)}`);
  return result;
}

export const shipments = dag(
  'shipments',
  {
    schedule: cron('0 * * * *', { timezone: ZONE }),
    startDate: '2026-04-20',
    catchup: true,
    // The carriers allow two export jobs at a time.
    maxActiveRuns: 2,
    tags: ['logistics', 'ingest', 'shipments'],
    owner: 'shipping',
    description: 'Lands each hour of carrier shipment exports into logistics.shipments (asset raw.shipments)',
  },
  (d) => {
    const exportReady = d.sensor('wait_for_carrier_export', carrierExportReady, {
      mode: 'reschedule',
      pokeInterval: '10m',
      timeout: '6h',
    });
    const load = d.task('load_shipments', loadShipments, {
      outlets: [rawShipments],
      retries: 2,
      retryDelay: '20m',
      timeout: '10m',
    });
    exportReady.then(load);
  },
);
