// Every 6 hours: the inventory team snapshots each warehouse from the warehouse management
// system's ledger: units received and picked in the window, and stock on hand at its end.
import { type TaskContext, cron, dag } from '@tributary/sdk';
import { rawInventory } from './assets';
import { ZONE, ensureLogistics, ensureSourceDays, laDate, laMidnight, laMinute } from './warehouse';

/**
 * One row per warehouse for the run's window, upserted (a retry or a rerun writes the same
 * row). Stock on hand is the day's cycle count plus receipts minus picks since midnight; the
 * windows (00, 06, 12, 18) never cross an LA midnight.
 */
async function snapshotInventory(ctx: TaskContext) {
  await ensureLogistics(ctx);
  const { start, end } = ctx.dataInterval;
  const day = laDate(start);
  const rows = await ctx.transaction(async (sql) => {
    await ensureSourceDays(sql, start, end);
    const written = await sql(
      `INSERT INTO logistics.inventory_snapshots
         (warehouse_id, window_start, window_end, units_received, units_picked, on_hand_units, snapshot_by_run)
       SELECT c.warehouse_id, $1::timestamptz, $2::timestamptz,
              COALESCE(sum(m.units) FILTER (WHERE m.kind = 'receipt' AND m.moved_at >= $1), 0)::int,
              COALESCE(sum(m.units) FILTER (WHERE m.kind = 'pick' AND m.moved_at >= $1), 0)::int,
              (c.opening_units + COALESCE(sum(CASE m.kind WHEN 'receipt' THEN m.units ELSE -m.units END), 0))::int,
              $5::text
       FROM logistics.src_cycle_counts c
       LEFT JOIN logistics.src_wms_movements m
         ON m.warehouse_id = c.warehouse_id AND m.moved_at >= $3 AND m.moved_at < $2
       WHERE c.day = $4::date
       GROUP BY c.warehouse_id, c.opening_units
       ON CONFLICT (warehouse_id, window_start) DO UPDATE SET window_end = EXCLUDED.window_end,
         units_received = EXCLUDED.units_received, units_picked = EXCLUDED.units_picked,
         on_hand_units = EXCLUDED.on_hand_units, snapshot_by_run = EXCLUDED.snapshot_by_run
       RETURNING warehouse_id`,
      [start, end, laMidnight(day), day, ctx.runId],
    );
    return written.length;
  });
  ctx.log.info(`snapshotted ${rows} warehouses for ${laMinute(start)} to ${laMinute(end)}`);
  return { warehouses: rows };
}

export const inventory = dag(
  'inventory',
  {
    schedule: cron('0 */6 * * *', { timezone: ZONE }),
    startDate: '2026-04-20',
    catchup: true,
    maxActiveRuns: 2,
    tags: ['logistics', 'ingest', 'inventory'],
    owner: 'inventory',
    description:
      'Snapshots inventory per warehouse every 6 hours into logistics.inventory_snapshots (asset raw.inventory)',
  },
  (d) => {
    d.task('snapshot_inventory', snapshotInventory, {
      outlets: [rawInventory],
      retries: 2,
      retryDelay: '10m',
      timeout: '10m',
    });
  },
);
