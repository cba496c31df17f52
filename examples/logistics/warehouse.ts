// The data side of the logistics example: DDL, Los Angeles calendar helpers, the
// deterministic source generator (the carriers' shipment exports, the warehouse management
// system's inventory ledger and nightly cycle counts) and the simulated carrier export queue.
// Plain helpers only: no DAG is exported from this file.
import { addDays, dayOf, startOfDay, wallTimeOf } from '@tributary/sdk';
import type { SqlQuery, TaskContext } from '@tributary/sdk';

/** Every day, partition and wall-clock rule of the example is Los Angeles time. */
export const ZONE = 'America/Los_Angeles';
/** Every source row is a pure function of this seed and its LA day. */
export const SEED = 20260420;
/** The first LA day the ingest DAGs cover (their startDate). */
export const FIRST_DAY = '2026-04-20';
/** Black Friday: three times the shipments, and a carrier export service that needs hours per export. */
export const BLACK_FRIDAY = '2026-04-24';
export const BLACK_FRIDAY_MULTIPLIER = 3;
/** On Black Friday an hour's carrier export is ready this long after the run asked for it. */
export const BLACK_FRIDAY_EXPORT_DELAY_MS = 3 * 3_600_000;
/** The hour (LA wall time) whose first load try loses its connection mid-export. */
export const FLAKY_HOUR = '2026-04-25T10:00';

/** What tasks need from their context to reach the database. */
export type Db = Pick<TaskContext, 'sql' | 'transaction'>;

export interface Warehouse {
  warehouseId: string;
  city: string;
  /** Shipments in a busy hour of a normal day, on average. */
  peakShipmentsPerHour: number;
}

export const WAREHOUSES: readonly Warehouse[] = [
  { warehouseId: 'LAX1', city: 'Los Angeles', peakShipmentsPerHour: 8 },
  { warehouseId: 'OAK1', city: 'Oakland', peakShipmentsPerHour: 5 },
  { warehouseId: 'PDX1', city: 'Portland', peakShipmentsPerHour: 4 },
  { warehouseId: 'SEA1', city: 'Seattle', peakShipmentsPerHour: 6 },
];

export const CARRIERS = ['UPS', 'FedEx', 'USPS', 'OnTrac'] as const;

// ---------------------------------------------------------------------------------------
// Los Angeles calendar (the SDK's day helpers, bound to the example's zone)
// ---------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;

export { addDays };

/** The LA calendar date ('YYYY-MM-DD') of an instant. */
export const laDate = (instant: Date): string => dayOf(instant, ZONE);

/** The LA wall time of an instant to the minute ('YYYY-MM-DDTHH:MM'). */
export const laMinute = (instant: Date): string => wallTimeOf(instant, ZONE);

/** The instant an LA calendar day starts. */
export const laMidnight = (day: string): Date => startOfDay(day, ZONE);

/** The LA days that [from, to) touches (at least the day of `from`). */
export function laDaysBetween(from: Date, to: Date): string[] {
  const last = laDate(new Date(Math.max(from.getTime(), to.getTime() - 1)));
  const days = [laDate(from)];
  while (days[days.length - 1] < last) days.push(addDays(days[days.length - 1], 1));
  return days;
}

/** The hours of an LA day, as their start instants (23 or 25 on DST change days). */
export function hoursOf(day: string): Date[] {
  const hours: Date[] = [];
  const end = laMidnight(addDays(day, 1)).getTime();
  for (let t = laMidnight(day).getTime(); t < end; t += HOUR_MS) hours.push(new Date(t));
  return hours;
}

export const isBlackFriday = (instant: Date) => laDate(instant) === BLACK_FRIDAY;

// ---------------------------------------------------------------------------------------
// Deterministic sources
// ---------------------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG, so the same seed always yields the same day. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** One parcel handed to a carrier, as the carrier's export lists it. */
export interface Shipment {
  shipmentId: string;
  warehouseId: string;
  carrier: string;
  units: number;
  shippedAt: Date;
}

/** One line of the warehouse management system's ledger: a truck received, or a parcel picked. */
export interface Movement {
  movementId: string;
  warehouseId: string;
  kind: 'receipt' | 'pick';
  units: number;
  movedAt: Date;
}

/** The nightly cycle count: what each warehouse holds when its LA day starts. */
export interface CycleCount {
  warehouseId: string;
  day: string;
  openingUnits: number;
}

export interface SourceDay {
  day: string;
  shipments: Shipment[];
  movements: Movement[];
  cycleCounts: CycleCount[];
}

/** How busy an LA wall-clock hour is, relative to the peak. */
function hourProfile(hour: number): number {
  if (hour < 6) return 0.2;
  if (hour < 7) return 0.6;
  if (hour < 18) return 1;
  if (hour < 22) return 0.7;
  return 0.4;
}

/**
 * Everything the sources hold for one LA day: a pure function of SEED and the day. Each
 * warehouse ships every hour (more in business hours, three times as much on Black Friday);
 * each parcel is picked from stock when it ships; two to four trucks are received between
 * 05:00 and 19:00 (four to six on Black Friday).
 */
export function generateDay(day: string): SourceDay {
  const ymd = day.replace(/-/g, '');
  const multiplier = day === BLACK_FRIDAY ? BLACK_FRIDAY_MULTIPLIER : 1;
  const shipments: Shipment[] = [];
  const movements: Movement[] = [];
  const cycleCounts: CycleCount[] = [];
  for (const w of WAREHOUSES) {
    const rand = mulberry32(hash32(`${SEED}:${day}:${w.warehouseId}`));
    cycleCounts.push({ warehouseId: w.warehouseId, day, openingUnits: 4000 + Math.floor(rand() * 4000) });
    hoursOf(day).forEach((hourStart, index) => {
      const hour = Number(laMinute(hourStart).slice(11, 13));
      const expected = w.peakShipmentsPerHour * hourProfile(hour) * multiplier;
      const count = Math.round(expected * (0.6 + 0.8 * rand()));
      const times = Array.from(
        { length: count },
        () => hourStart.getTime() + Math.floor(rand() * 3600) * 1000,
      );
      times.sort((a, b) => a - b);
      times.forEach((t, i) => {
        const shipment: Shipment = {
          // The hour's index in the day, not its wall time: 01:00 happens twice when DST ends.
          shipmentId: `shp_${ymd}_${w.warehouseId}_${String(index).padStart(2, '0')}_${String(i + 1).padStart(3, '0')}`,
          warehouseId: w.warehouseId,
          carrier: CARRIERS[Math.floor(rand() * CARRIERS.length)],
          units: 1 + Math.floor(rand() * 12),
          shippedAt: new Date(t),
        };
        shipments.push(shipment);
        movements.push({
          movementId: `pick_${shipment.shipmentId}`,
          warehouseId: w.warehouseId,
          kind: 'pick',
          units: shipment.units,
          movedAt: shipment.shippedAt,
        });
      });
    });
    const trucks = (day === BLACK_FRIDAY ? 4 : 2) + Math.floor(rand() * 3);
    const dayStart = laMidnight(day).getTime();
    for (let i = 0; i < trucks; i++) {
      movements.push({
        movementId: `rcv_${ymd}_${w.warehouseId}_${i + 1}`,
        warehouseId: w.warehouseId,
        kind: 'receipt',
        units: 200 + Math.floor(rand() * 600),
        movedAt: new Date(dayStart + 5 * HOUR_MS + Math.floor(rand() * 14 * 3600) * 1000),
      });
    }
  }
  return { day, shipments, movements, cycleCounts };
}

/**
 * Makes sure the sources hold every LA day that [from, to) touches. Each day is written
 * once, in the caller's transaction, the first time any task needs it; its content does not
 * depend on who asked first. Rows for later in the day exist already, but readers never look
 * past their data interval's end.
 */
export async function ensureSourceDays(sql: SqlQuery, from: Date, to: Date): Promise<void> {
  for (const day of laDaysBetween(from, to)) {
    const [done] = await sql(`SELECT 1 FROM logistics.src_generated_days WHERE day = $1`, [day]);
    if (done) continue;
    const { shipments, movements, cycleCounts } = generateDay(day);
    await sql(
      `INSERT INTO logistics.src_carrier_shipments (shipment_id, warehouse_id, carrier, units, shipped_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[])
       ON CONFLICT (shipment_id) DO NOTHING`,
      [
        shipments.map((s) => s.shipmentId),
        shipments.map((s) => s.warehouseId),
        shipments.map((s) => s.carrier),
        shipments.map((s) => s.units),
        shipments.map((s) => s.shippedAt.toISOString()),
      ],
    );
    await sql(
      `INSERT INTO logistics.src_wms_movements (movement_id, warehouse_id, kind, units, moved_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[])
       ON CONFLICT (movement_id) DO NOTHING`,
      [
        movements.map((m) => m.movementId),
        movements.map((m) => m.warehouseId),
        movements.map((m) => m.kind),
        movements.map((m) => m.units),
        movements.map((m) => m.movedAt.toISOString()),
      ],
    );
    await sql(
      `INSERT INTO logistics.src_cycle_counts (warehouse_id, day, opening_units)
       SELECT * FROM unnest($1::text[], $2::date[], $3::integer[])
       ON CONFLICT (warehouse_id, day) DO NOTHING`,
      [
        cycleCounts.map((c) => c.warehouseId),
        cycleCounts.map((c) => c.day),
        cycleCounts.map((c) => c.openingUnits),
      ],
    );
    await sql(
      `INSERT INTO logistics.src_generated_days (day, seed, shipments, movements) VALUES ($1, $2, $3, $4)
       ON CONFLICT (day) DO NOTHING`,
      [day, SEED, shipments.length, movements.length],
    );
  }
}

// ---------------------------------------------------------------------------------------
// The carriers' export service
// ---------------------------------------------------------------------------------------

export interface ExportRequest {
  requestedAt: Date;
  availableAt: Date;
}

/**
 * Asks the carriers for an hour's export (the first ask is recorded; later asks read it).
 * Normally the export is ready at once. On Black Friday the export service is swamped: an
 * export is ready three hours after it was first asked for.
 */
export async function requestCarrierExport(
  sql: SqlQuery,
  hourStart: Date,
  now: Date,
  runId: string,
): Promise<ExportRequest> {
  const delay = isBlackFriday(hourStart) ? BLACK_FRIDAY_EXPORT_DELAY_MS : 0;
  await sql(
    `INSERT INTO logistics.carrier_export_requests (hour_start, requested_at, available_at, requested_by_run)
     VALUES ($1, $2, $3, $4) ON CONFLICT (hour_start) DO NOTHING`,
    [hourStart, now, new Date(now.getTime() + delay), runId],
  );
  const [row] = await sql<{ requested_at: Date; available_at: Date }>(
    `SELECT requested_at, available_at FROM logistics.carrier_export_requests WHERE hour_start = $1`,
    [hourStart],
  );
  return { requestedAt: new Date(row.requested_at), availableAt: new Date(row.available_at) };
}

// ---------------------------------------------------------------------------------------
// DDL
// ---------------------------------------------------------------------------------------

// Bump when the DDL changes: tasks compare it with the schema comment to know whether to run it.
const DDL_VERSION = 'tributary logistics v1';

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS logistics`,
  `CREATE TABLE IF NOT EXISTS logistics.warehouses (
     warehouse_id text PRIMARY KEY,
     city text NOT NULL
   )`,
  // Simulated sources.
  `CREATE TABLE IF NOT EXISTS logistics.src_carrier_shipments (
     shipment_id text PRIMARY KEY,
     warehouse_id text NOT NULL,
     carrier text NOT NULL,
     units integer NOT NULL,
     shipped_at timestamptz NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS src_carrier_shipments_shipped_idx ON logistics.src_carrier_shipments (shipped_at)`,
  `CREATE TABLE IF NOT EXISTS logistics.src_wms_movements (
     movement_id text PRIMARY KEY,
     warehouse_id text NOT NULL,
     kind text NOT NULL CHECK (kind IN ('receipt', 'pick')),
     units integer NOT NULL,
     moved_at timestamptz NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS src_wms_movements_moved_idx ON logistics.src_wms_movements (moved_at)`,
  `CREATE TABLE IF NOT EXISTS logistics.src_cycle_counts (
     warehouse_id text NOT NULL,
     day date NOT NULL,
     opening_units integer NOT NULL,
     PRIMARY KEY (warehouse_id, day)
   )`,
  `CREATE TABLE IF NOT EXISTS logistics.src_generated_days (
     day date PRIMARY KEY,
     seed bigint NOT NULL,
     shipments integer NOT NULL,
     movements integer NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS logistics.carrier_export_requests (
     hour_start timestamptz PRIMARY KEY,
     requested_at timestamptz NOT NULL,
     available_at timestamptz NOT NULL,
     requested_by_run text NOT NULL
   )`,
  // What the shipments DAG lands (asset raw.shipments), and one row per hour it loaded.
  `CREATE TABLE IF NOT EXISTS logistics.shipments (
     shipment_id text PRIMARY KEY,
     warehouse_id text NOT NULL,
     carrier text NOT NULL,
     units integer NOT NULL,
     shipped_at timestamptz NOT NULL,
     loaded_by_run text NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS shipments_shipped_idx ON logistics.shipments (shipped_at)`,
  `CREATE TABLE IF NOT EXISTS logistics.shipment_loads (
     hour_start timestamptz PRIMARY KEY,
     hour_end timestamptz NOT NULL,
     run_id text NOT NULL,
     exported_rows integer NOT NULL,
     loaded_rows integer NOT NULL,
     try_number integer NOT NULL,
     loaded_at timestamptz NOT NULL
   )`,
  // What the inventory DAG lands (asset raw.inventory): one row per warehouse per 6-hour window.
  `CREATE TABLE IF NOT EXISTS logistics.inventory_snapshots (
     warehouse_id text NOT NULL,
     window_start timestamptz NOT NULL,
     window_end timestamptz NOT NULL,
     units_received integer NOT NULL,
     units_picked integer NOT NULL,
     on_hand_units integer NOT NULL,
     snapshot_by_run text NOT NULL,
     PRIMARY KEY (warehouse_id, window_start)
   )`,
  // What the analytics DAG builds, and what each build saw when it started.
  `CREATE TABLE IF NOT EXISTS logistics.daily_report (
     report_date date NOT NULL,
     warehouse_id text NOT NULL,
     shipments integer NOT NULL,
     units_shipped integer NOT NULL,
     units_received integer NOT NULL,
     units_picked integer NOT NULL,
     closing_on_hand integer NOT NULL,
     reconciled boolean NOT NULL,
     built_by_run text NOT NULL,
     PRIMARY KEY (report_date, warehouse_id)
   )`,
  `CREATE TABLE IF NOT EXISTS logistics.report_builds (
     run_id text NOT NULL,
     try_number integer NOT NULL,
     report_date date NOT NULL,
     started_at timestamptz NOT NULL,
     inputs jsonb NOT NULL,
     refused text NULL,
     shipment_rows integer NULL,
     shipment_hours integer NULL,
     inventory_rows integer NULL,
     inventory_windows integer NULL,
     PRIMARY KEY (run_id, try_number)
   )`,
];

/**
 * Creates the schema and tables if they are missing (tasks may run against a fresh
 * database). Cheap when done: one probe of the schema comment, which the DDL transaction
 * writes last. On PostgreSQL an advisory lock keeps two first tasks from racing.
 */
export async function ensureLogistics(db: Db): Promise<void> {
  const [probe] = await db.sql<{ version: string | null }>(
    `SELECT obj_description(to_regnamespace('logistics'), 'pg_namespace') AS version`,
  );
  if (probe?.version === DDL_VERSION) return;
  await db.transaction(async (sql) => {
    await sql(`SELECT pg_advisory_xact_lock(${hash32(DDL_VERSION) >>> 1})`);
    for (const statement of DDL) await sql(statement);
    await sql(
      `INSERT INTO logistics.warehouses (warehouse_id, city) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (warehouse_id) DO NOTHING`,
      [WAREHOUSES.map((w) => w.warehouseId), WAREHOUSES.map((w) => w.city)],
    );
    await sql(`COMMENT ON SCHEMA logistics IS '${DDL_VERSION}'`);
  });
}
