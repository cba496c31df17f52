// What the logistics example must produce, computed independently of its DAGs: from the
// simulated sources, with PostgreSQL's own time zone rules. `q` reads the example's database.
import type { SqlQuery } from '@tributary/sdk';
import { addDays, generateDay, laMidnight } from '../../examples/logistics/warehouse';

export const SHIPMENTS = 'shipments';
export const INVENTORY = 'inventory';
export const ANALYTICS = 'analytics';
export const ALERTS_TOPIC = 'tributary.alerts';

/** Timestamps come back as Date, bound parameters are strings: compare both as ISO text. */
export const iso = (d: unknown) => new Date(d as Date | string).toISOString();
export const scheduledRunId = (logicalDate: string | Date) =>
  `scheduled__${new Date(logicalDate).toISOString()}`;
export const partitionRunId = (day: string) => `asset_triggered__${day}`;

/** An LA wall-clock time ('2026-04-25 05:00') as an instant. */
export function laTime(text: string): Date {
  const [day, time] = text.split(' ');
  const [h, m] = time.split(':').map(Number);
  return new Date(laMidnight(day).getTime() + (h * 60 + m) * 60_000);
}

/** The LA days from `first` to `last`, inclusive. */
export function daysFrom(first: string, last: string): string[] {
  const days = [first];
  while (days[days.length - 1] < last) days.push(addDays(days[days.length - 1], 1));
  return days;
}

/**
 * The daily report the sources imply for `days`: per warehouse, the carriers' shipments of
 * the LA day, the ledger's receipts and picks, and the cycle count plus the day's net movement.
 */
export function reportFromSources(q: SqlQuery, days: string[]) {
  return q(
    `WITH days AS (SELECT unnest($1::date[]) AS report_date),
     sh AS (SELECT warehouse_id, (shipped_at AT TIME ZONE 'America/Los_Angeles')::date AS d,
                   count(*)::int AS n, sum(units)::int AS units
            FROM logistics.src_carrier_shipments GROUP BY 1, 2),
     mv AS (SELECT warehouse_id, (moved_at AT TIME ZONE 'America/Los_Angeles')::date AS d,
                   COALESCE(sum(units) FILTER (WHERE kind = 'receipt'), 0)::int AS received,
                   COALESCE(sum(units) FILTER (WHERE kind = 'pick'), 0)::int AS picked
            FROM logistics.src_wms_movements GROUP BY 1, 2)
     SELECT days.report_date::text AS report_date, c.warehouse_id, COALESCE(sh.n, 0) AS shipments,
            COALESCE(sh.units, 0) AS units_shipped, COALESCE(mv.received, 0) AS units_received,
            COALESCE(mv.picked, 0) AS units_picked,
            c.opening_units + COALESCE(mv.received, 0) - COALESCE(mv.picked, 0) AS closing_on_hand
     FROM days JOIN logistics.src_cycle_counts c ON c.day = days.report_date
     LEFT JOIN sh ON sh.warehouse_id = c.warehouse_id AND sh.d = days.report_date
     LEFT JOIN mv ON mv.warehouse_id = c.warehouse_id AND mv.d = days.report_date
     ORDER BY report_date, warehouse_id`,
    [days],
  );
}

/** The simulated sources of each LA day hold exactly what the generator gives for it. */
export async function expectSourcesAsGenerated(q: SqlQuery, days: string[]): Promise<void> {
  for (const day of days) {
    const generated = generateDay(day);
    const start = laMidnight(day);
    const end = laMidnight(addDays(day, 1));
    const shipments = await q(
      `SELECT shipment_id, warehouse_id, carrier, units, shipped_at FROM logistics.src_carrier_shipments
       WHERE shipped_at >= $1 AND shipped_at < $2`,
      [start, end],
    );
    expect(
      byId(shipments.map((s) => [s.shipment_id, s.warehouse_id, s.carrier, s.units, iso(s.shipped_at)])),
    ).toEqual(
      byId(
        generated.shipments.map((s) => [s.shipmentId, s.warehouseId, s.carrier, s.units, iso(s.shippedAt)]),
      ),
    );
    const movements = await q(
      `SELECT movement_id, warehouse_id, kind, units, moved_at FROM logistics.src_wms_movements
       WHERE moved_at >= $1 AND moved_at < $2`,
      [start, end],
    );
    expect(
      byId(movements.map((m) => [m.movement_id, m.warehouse_id, m.kind, m.units, iso(m.moved_at)])),
    ).toEqual(
      byId(generated.movements.map((m) => [m.movementId, m.warehouseId, m.kind, m.units, iso(m.movedAt)])),
    );
    const counts = await q(
      `SELECT warehouse_id, opening_units FROM logistics.src_cycle_counts WHERE day = $1 ORDER BY warehouse_id`,
      [day],
    );
    expect(counts).toEqual(
      generated.cycleCounts.map((c) => ({ warehouse_id: c.warehouseId, opening_units: c.openingUnits })),
    );
  }
}

/** Rows sorted by their first column, compared as plain strings (no collation). */
function byId(rows: unknown[][]): unknown[][] {
  return [...rows].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));
}
