// The analytics team's daily report: scheduled on the two raw assets, partition by
// partition. The run for day D starts when raw.shipments AND raw.inventory are both complete
// for D, whenever that is: midnight on a normal day, mid-afternoon after Black Friday.
import { type InputFreshness, type TaskContext, and, assets, dag } from '@tributary/sdk';
import { dailyLogisticsReport, rawInventory, rawShipments } from './assets';
import { WAREHOUSES, ZONE, addDays, ensureLogistics, hoursOf, laDate, laMidnight } from './warehouse';

/** Input statuses that mean "complete for D" (late is complete, only after its deadline). */
const COMPLETE: ReadonlySet<InputFreshness['status']> = new Set(['fresh', 'late', 'complete']);

/** Why the inputs the orchestrator judged at run start do not allow building `day` (empty: they do). */
function inputProblems(inputs: InputFreshness[], day: string): string[] {
  const problems: string[] = [];
  for (const name of [rawShipments.name, rawInventory.name]) {
    const input = inputs.find((i) => i.asset === name);
    if (!input) problems.push(`${name}: not among the run's inputs`);
    else if (input.partition !== day) problems.push(`${name}: judged for ${input.partition}, not ${day}`);
    else if (!COMPLETE.has(input.status) || input.completedAt === null) {
      problems.push(`${name}: ${input.status} for ${day}`);
    }
  }
  return problems;
}

interface Seen {
  shipment_rows: number;
  shipment_hours: number;
  inventory_rows: number;
  inventory_windows: number;
  inventory_seconds: number;
}

/**
 * Rebuilds day D (the run's logical date, midnight D in Los Angeles) in one transaction:
 * delete D's rows, insert one row per warehouse. Refuses to run, and records why, unless
 * the orchestrator saw both inputs complete for D when the run started; checks the tables
 * agree (every hour loaded, the whole day's inventory windows) before it reads them.
 */
async function buildDailyReport(ctx: TaskContext) {
  await ensureLogistics(ctx);
  const startedAt = ctx.now();
  const day = laDate(ctx.logicalDate);
  const start = laMidnight(day);
  const end = laMidnight(addDays(day, 1));
  const record = (sql: TaskContext['sql'], refused: string | null, seen: Partial<Seen>) =>
    sql(
      `INSERT INTO logistics.report_builds (run_id, try_number, report_date, started_at, inputs, refused,
         shipment_rows, shipment_hours, inventory_rows, inventory_windows)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (run_id, try_number) DO UPDATE SET refused = $6, shipment_rows = $7, shipment_hours = $8,
         inventory_rows = $9, inventory_windows = $10`,
      [
        ctx.runId,
        ctx.tryNumber,
        day,
        startedAt,
        JSON.stringify(ctx.inputs),
        refused,
        seen.shipment_rows ?? null,
        seen.shipment_hours ?? null,
        seen.inventory_rows ?? null,
        seen.inventory_windows ?? null,
      ],
    );

  const problems = inputProblems(ctx.inputs, day);
  if (problems.length > 0) {
    const reason = `inputs not complete for ${day}: ${problems.join('; ')}`;
    await record(ctx.sql, reason, {});
    throw new Error(`refusing to build the report: ${reason}`);
  }

  const result = await ctx.transaction(async (sql) => {
    const [seen] = await sql<Seen>(
      `SELECT (SELECT count(*)::int FROM logistics.shipments WHERE shipped_at >= $1 AND shipped_at < $2) AS shipment_rows,
              (SELECT count(*)::int FROM logistics.shipment_loads WHERE hour_start >= $1 AND hour_end <= $2) AS shipment_hours,
              (SELECT count(*)::int FROM logistics.inventory_snapshots WHERE window_start >= $1 AND window_end <= $2) AS inventory_rows,
              w.windows AS inventory_windows, w.seconds AS inventory_seconds
       FROM (SELECT count(*)::int AS windows, COALESCE(sum(EXTRACT(EPOCH FROM window_end - window_start)), 0)::int AS seconds
             FROM (SELECT DISTINCT window_start, window_end FROM logistics.inventory_snapshots
                   WHERE window_start >= $1 AND window_end <= $2) d) w`,
      [start, end],
    );
    // The orchestrator said complete; the tables must say so too, or something is badly wrong.
    const hours = hoursOf(day).length;
    const daySeconds = (end.getTime() - start.getTime()) / 1000;
    if (seen.shipment_hours !== hours || seen.inventory_seconds !== daySeconds) {
      const reason = `tables disagree for ${day}: ${seen.shipment_hours}/${hours} hours of shipments loaded, inventory windows cover ${seen.inventory_seconds}/${daySeconds}s`;
      throw new Error(`refusing to build the report: ${reason}`);
    }
    await sql(`DELETE FROM logistics.daily_report WHERE report_date = $1`, [day]);
    const rows = await sql<{ warehouse_id: string; reconciled: boolean }>(
      `INSERT INTO logistics.daily_report (report_date, warehouse_id, shipments, units_shipped, units_received,
         units_picked, closing_on_hand, reconciled, built_by_run)
       SELECT $1::date, w.warehouse_id, COALESCE(s.shipments, 0), COALESCE(s.units, 0), i.received, i.picked,
              i.closing, COALESCE(s.units, 0) = i.picked, $4::text
       FROM logistics.warehouses w
       JOIN (SELECT warehouse_id, sum(units_received)::int AS received, sum(units_picked)::int AS picked,
                    (array_agg(on_hand_units ORDER BY window_end DESC))[1] AS closing
             FROM logistics.inventory_snapshots WHERE window_start >= $2 AND window_end <= $3
             GROUP BY warehouse_id) i ON i.warehouse_id = w.warehouse_id
       LEFT JOIN (SELECT warehouse_id, count(*)::int AS shipments, sum(units)::int AS units
                  FROM logistics.shipments WHERE shipped_at >= $2 AND shipped_at < $3
                  GROUP BY warehouse_id) s ON s.warehouse_id = w.warehouse_id
       ORDER BY w.warehouse_id
       RETURNING warehouse_id, reconciled`,
      [day, start, end, ctx.runId],
    );
    if (rows.length !== WAREHOUSES.length) {
      throw new Error(
        `built ${rows.length} rows for ${day}, expected one per warehouse (${WAREHOUSES.length})`,
      );
    }
    await record(sql, null, seen);
    return {
      rows: rows.length,
      unreconciled: rows.filter((r) => !r.reconciled).map((r) => r.warehouse_id),
      seen,
    };
  });
  if (result.unreconciled.length > 0) {
    ctx.log.warn(`units shipped and picked differ for ${day} at ${result.unreconciled.join(', ')}`);
  }
  const late = ctx.inputs.filter((i) => i.status === 'late').map((i) => i.asset);
  ctx.log.info(
    `built ${result.rows} rows for ${day} from ${result.seen.shipment_rows} shipments and ${result.seen.inventory_rows} inventory snapshots${late.length ? ` (late inputs: ${late.join(', ')})` : ''}`,
  );
  return { reportDate: day, rows: result.rows, ...result.seen };
}

export const analytics = dag(
  'analytics',
  {
    // One run per LA day D, once both inputs are complete for D. If they are not by 05:00 on
    // D+1 (an hour after the shipments contract), alert: the report will be late.
    schedule: assets(and(rawShipments, rawInventory), {
      partitioned: true,
      fallback: { at: '0 5 * * *', timezone: ZONE, action: 'alert' },
    }),
    timezone: ZONE,
    maxActiveRuns: 1,
    // The operations managers read the report at 09:00.
    deadline: { by: '09:00', timezone: ZONE },
    tags: ['logistics', 'report'],
    owner: 'analytics',
    description:
      'Builds logistics.daily_report for each Los Angeles day once shipments and inventory are complete',
  },
  (d) => {
    d.task('build_daily_report', buildDailyReport, {
      outlets: [dailyLogisticsReport],
      retries: 1,
      retryDelay: '5m',
      timeout: '15m',
    });
  },
);
