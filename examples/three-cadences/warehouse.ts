// The warehouse side of the three-cadences example: DDL, Los Angeles calendar helpers, the
// deterministic source generator (simulated Kafka topic, Stripe API, Salesforce accounts),
// ingest cursors and fault injection. Plain helpers only: no DAG is exported from this file.
import type { SqlQuery, TaskContext } from '@tributary/sdk';

/** Revenue dates, partitions and source days are Los Angeles calendar days. */
export const ZONE = 'America/Los_Angeles';
/** Every source row is a pure function of this seed and its LA day. */
export const SEED = 20260425;
/** The LA day whose sources are the hand-written sample (see SAMPLE_DAY_SOURCES). */
export const SAMPLE_DAY = '2026-04-25';

/** The source keys of `warehouse.ingest_state` and `warehouse.ingest_batches`. */
export const SOURCES = {
  events: 'kafka.clickstream',
  payments: 'stripe.payments',
  accounts: 'salesforce.accounts',
} as const;

/** What tasks need from their context to reach the database. */
export type Db = Pick<TaskContext, 'sql' | 'transaction'>;

// ---------------------------------------------------------------------------------------
// Los Angeles calendar (Intl only: DAG files import nothing but the SDK and relative files)
// ---------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const wallClock = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The LA wall-clock time of `instant`, read as if it were UTC (whole seconds). */
function wallMs(instant: number): number {
  const p: Record<string, string> = {};
  for (const part of wallClock.formatToParts(new Date(instant))) p[part.type] = part.value;
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
}

/** The LA calendar date ('YYYY-MM-DD') of an instant. */
export function laDate(instant: Date): string {
  return new Date(wallMs(instant.getTime())).toISOString().slice(0, 10);
}

/** The instant an LA calendar day starts. Midnight never falls in a DST gap in Los Angeles. */
export function laMidnight(day: string): Date {
  const wall = Date.parse(`${day}T00:00:00Z`);
  let guess = wall;
  // Two corrections converge: the first lands on the right side of any DST change.
  for (let i = 0; i < 2; i++) guess = wall - (wallMs(guess) - Math.floor(guess / 1000) * 1000);
  return new Date(guess);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The LA days that [from, to) touches (at least the day of `from`). */
export function laDaysBetween(from: Date, to: Date): string[] {
  const last = laDate(new Date(Math.max(from.getTime(), to.getTime() - 1)));
  const days = [laDate(from)];
  while (days[days.length - 1] < last) days.push(addDays(days[days.length - 1], 1));
  return days;
}

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

export interface SourceAccount {
  accountId: string;
  name: string;
  region: string;
  active: boolean;
  createdAt: Date;
}

/** The Salesforce account dimension: stable, so revenue rows line up day after day. */
export const ACCOUNTS: readonly SourceAccount[] = [
  { accountId: 'a1', name: 'Acme', region: 'US', active: true, createdAt: new Date('2025-11-03T17:00:00Z') },
  {
    accountId: 'a2',
    name: 'Globex',
    region: 'US',
    active: true,
    createdAt: new Date('2025-12-10T18:30:00Z'),
  },
  {
    accountId: 'a3',
    name: 'Initech',
    region: 'EU',
    active: true,
    createdAt: new Date('2026-01-15T09:00:00Z'),
  },
  // Signs up at 09:30 LA on 2026-04-26: in the mart from that revenue date on.
  {
    accountId: 'a4',
    name: 'Hooli',
    region: 'APAC',
    active: true,
    createdAt: new Date('2026-04-26T16:30:00Z'),
  },
  // Churned: never active, so never a mart row and never any activity.
  {
    accountId: 'a5',
    name: 'Soylent',
    region: 'EU',
    active: false,
    createdAt: new Date('2025-10-01T12:00:00Z'),
  },
];

/** One message of the simulated clickstream topic (one partition: offsets follow produced_at). */
export interface KafkaMessage {
  offset: number;
  eventId: string;
  accountId: string;
  eventType: string;
  occurredAt: Date;
  /** Log append time: the message becomes readable at this instant. */
  producedAt: Date;
}

/** One charge of the simulated Stripe API, listed by created_at. */
export interface Payment {
  paymentId: string;
  accountId: string;
  amountCents: number;
  currency: string;
  createdAt: Date;
}

export interface SourceDay {
  day: string;
  messages: KafkaMessage[];
  payments: Payment[];
}

/** The sample day, written out by hand (LA wall times; 2026-04-25 is PDT, UTC-7). */
const SAMPLE_DAY_SOURCES = {
  events: [
    { eventId: 'evt_1', accountId: 'a1', eventType: 'page_view', at: '2026-04-25T09:12:30-07:00' },
    { eventId: 'evt_2', accountId: 'a1', eventType: 'add_to_cart', at: '2026-04-25T11:40:00-07:00' },
    { eventId: 'evt_3', accountId: 'a2', eventType: 'page_view', at: '2026-04-25T13:05:00-07:00' },
    { eventId: 'evt_4', accountId: 'a1', eventType: 'checkout', at: '2026-04-25T18:30:00-07:00' },
  ],
  payments: [
    { paymentId: 'pay_1', accountId: 'a1', amountCents: 1500, at: '2026-04-25T09:05:00-07:00' },
    { paymentId: 'pay_2', accountId: 'a2', amountCents: 2200, at: '2026-04-25T14:20:00-07:00' },
  ],
};

const EVENT_TYPES = ['page_view', 'search', 'add_to_cart', 'checkout'];

/**
 * First offset of an LA day's messages. Offsets grow with days (gaps between days are
 * fine, as after compaction), so "offset ≥ committed" and "produced before T" agree.
 */
export function firstOffsetOf(day: string): number {
  return (Date.parse(`${day}T00:00:00Z`) / DAY_MS) * 1_000_000;
}

/**
 * Everything the sources produce on one LA day: a pure function of SEED and the day. The
 * sample day is fixed; other days are seeded random, with a few redelivered Kafka messages
 * (same event id, later offset: at-least-once producers) that landing must deduplicate.
 */
export function generateDay(day: string): SourceDay {
  const start = laMidnight(day).getTime();
  const end = laMidnight(addDays(day, 1)).getTime();
  const ymd = day.replace(/-/g, '');
  const rand = mulberry32(hash32(`${SEED}:${day}`));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const accountAt = (t: number) =>
    pick(ACCOUNTS.filter((a) => a.active && a.createdAt.getTime() <= t)).accountId;

  type Draft = Omit<KafkaMessage, 'offset'>;
  let drafts: Draft[];
  let payments: Payment[];
  if (day === SAMPLE_DAY) {
    drafts = SAMPLE_DAY_SOURCES.events.map((e) => ({
      eventId: e.eventId,
      accountId: e.accountId,
      eventType: e.eventType,
      occurredAt: new Date(e.at),
      producedAt: new Date(e.at),
    }));
    payments = SAMPLE_DAY_SOURCES.payments.map((p) => ({
      paymentId: p.paymentId,
      accountId: p.accountId,
      amountCents: p.amountCents,
      currency: 'usd',
      createdAt: new Date(p.at),
    }));
  } else {
    const times = (n: number) =>
      Array.from({ length: n }, () => start + Math.floor((rand() * (end - start)) / 1000) * 1000).sort(
        (a, b) => a - b,
      );
    drafts = [];
    times(30 + Math.floor(rand() * 60)).forEach((t, i) => {
      const event = {
        eventId: `evt_${ymd}_${i + 1}`,
        accountId: accountAt(t),
        eventType: pick(EVENT_TYPES),
        occurredAt: new Date(t),
        producedAt: new Date(t),
      };
      drafts.push(event);
      // A redelivery a few seconds later, kept inside the day so offsets stay in day order.
      if (rand() < 0.1) {
        drafts.push({
          ...event,
          producedAt: new Date(Math.min(t + 1000 + Math.floor(rand() * 30) * 1000, end - 1000)),
        });
      }
    });
    // Ad-hoc charges through the day, plus the nightly renewal run between 01:00 and 05:30:
    // one charge per active account seconds apart, a burst that takes several API pages.
    const charges = times(2 + Math.floor(rand() * 6)).map((t) => ({ accountId: accountAt(t), at: t }));
    const renewalAt = start + (1 + Math.floor(rand() * 4)) * 3_600_000 + Math.floor(rand() * 30) * 60_000;
    ACCOUNTS.filter((a) => a.active && a.createdAt.getTime() <= renewalAt).forEach((a, i) =>
      charges.push({ accountId: a.accountId, at: renewalAt + i * 7000 }),
    );
    charges.sort((a, b) => a.at - b.at);
    payments = charges.map((c, i) => ({
      paymentId: `pay_${ymd}_${i + 1}`,
      accountId: c.accountId,
      amountCents: 500 + Math.floor(rand() * 49_500),
      currency: 'usd',
      createdAt: new Date(c.at),
    }));
  }
  drafts.sort(
    (a, b) => a.producedAt.getTime() - b.producedAt.getTime() || a.eventId.localeCompare(b.eventId),
  );
  const base = firstOffsetOf(day);
  return { day, messages: drafts.map((m, i) => ({ ...m, offset: base + i })), payments };
}

/**
 * Makes sure the sources hold every LA day that [from, to) touches. Each day is written
 * once, in the caller's transaction, the first time any task needs it; its content does not
 * depend on who asked first, and a concurrent writer's rows are skipped (ON CONFLICT).
 * Rows for later in the day exist already, but readers never look past their interval end.
 */
export async function ensureSourceDays(sql: SqlQuery, from: Date, to: Date): Promise<void> {
  for (const day of laDaysBetween(from, to)) {
    const [done] = await sql(`SELECT 1 FROM warehouse.src_generated_days WHERE day = $1`, [day]);
    if (done) continue;
    const { messages, payments } = generateDay(day);
    if (messages.length > 0) {
      await sql(
        `INSERT INTO warehouse.src_kafka_clickstream (kafka_offset, event_id, account_id, event_type, occurred_at, produced_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
         ON CONFLICT (kafka_offset) DO NOTHING`,
        [
          messages.map((m) => String(m.offset)),
          messages.map((m) => m.eventId),
          messages.map((m) => m.accountId),
          messages.map((m) => m.eventType),
          messages.map((m) => m.occurredAt.toISOString()),
          messages.map((m) => m.producedAt.toISOString()),
        ],
      );
    }
    if (payments.length > 0) {
      await sql(
        `INSERT INTO warehouse.src_stripe_payments (payment_id, account_id, amount_cents, currency, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::timestamptz[])
         ON CONFLICT (payment_id) DO NOTHING`,
        [
          payments.map((p) => p.paymentId),
          payments.map((p) => p.accountId),
          payments.map((p) => p.amountCents),
          payments.map((p) => p.currency),
          payments.map((p) => p.createdAt.toISOString()),
        ],
      );
    }
    await sql(
      `INSERT INTO warehouse.src_generated_days (day, seed, messages, payments) VALUES ($1, $2, $3, $4)
       ON CONFLICT (day) DO NOTHING`,
      [day, SEED, messages.length, payments.length],
    );
  }
}

// ---------------------------------------------------------------------------------------
// DDL
// ---------------------------------------------------------------------------------------

// Bump when the DDL changes: tasks compare it with the schema comment to know whether to run it.
const DDL_VERSION = 'tributary three-cadences v1';

const FAULT_TABLE = `CREATE TABLE IF NOT EXISTS warehouse.fault_injection (
  dag_id text NOT NULL,
  task_id text NOT NULL,
  remaining integer NOT NULL DEFAULT 0,
  PRIMARY KEY (dag_id, task_id)
)`;

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS warehouse`,
  `CREATE SCHEMA IF NOT EXISTS mart`,
  // Simulated sources.
  `CREATE TABLE IF NOT EXISTS warehouse.src_kafka_clickstream (
     kafka_offset bigint PRIMARY KEY,
     event_id text NOT NULL,
     account_id text NOT NULL,
     event_type text NOT NULL,
     occurred_at timestamptz NOT NULL,
     produced_at timestamptz NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS warehouse.src_stripe_payments (
     payment_id text PRIMARY KEY,
     account_id text NOT NULL,
     amount_cents integer NOT NULL,
     currency text NOT NULL,
     created_at timestamptz NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS src_stripe_payments_created_idx ON warehouse.src_stripe_payments (created_at, payment_id)`,
  `CREATE TABLE IF NOT EXISTS warehouse.src_salesforce_accounts (
     account_id text PRIMARY KEY,
     name text NOT NULL,
     region text NOT NULL,
     active boolean NOT NULL,
     created_at timestamptz NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS warehouse.src_generated_days (
     day date PRIMARY KEY,
     seed bigint NOT NULL,
     messages integer NOT NULL,
     payments integer NOT NULL
   )`,
  // Ingest state: where each source has been read up to, committed with the landed rows.
  `CREATE TABLE IF NOT EXISTS warehouse.ingest_state (
     source text PRIMARY KEY,
     next_offset bigint NULL,
     covered_from timestamptz NOT NULL,
     covered_until timestamptz NOT NULL,
     updated_by_run text NULL
   )`,
  // One row per run and source: what was staged and, once committed, what was landed.
  `CREATE TABLE IF NOT EXISTS warehouse.ingest_batches (
     source text NOT NULL,
     run_id text NOT NULL,
     from_offset bigint NULL,
     to_offset bigint NULL,
     from_time timestamptz NULL,
     to_time timestamptz NOT NULL,
     staged_rows integer NOT NULL,
     pages integer NULL,
     staged_try integer NOT NULL,
     landed_rows integer NULL,
     landed_try integer NULL,
     PRIMARY KEY (source, run_id)
   )`,
  `CREATE TABLE IF NOT EXISTS warehouse.staging_events (
     run_id text NOT NULL,
     kafka_offset bigint NOT NULL,
     event_id text NOT NULL,
     account_id text NOT NULL,
     event_type text NOT NULL,
     occurred_at timestamptz NOT NULL,
     PRIMARY KEY (run_id, kafka_offset)
   )`,
  `CREATE TABLE IF NOT EXISTS warehouse.staging_payments (
     run_id text NOT NULL,
     payment_id text NOT NULL,
     page integer NOT NULL,
     account_id text NOT NULL,
     amount_cents integer NOT NULL,
     currency text NOT NULL,
     created_at timestamptz NOT NULL,
     PRIMARY KEY (run_id, payment_id)
   )`,
  `CREATE TABLE IF NOT EXISTS warehouse.staging_accounts (
     run_id text NOT NULL,
     account_id text NOT NULL,
     name text NOT NULL,
     region text NOT NULL,
     active boolean NOT NULL,
     created_at timestamptz NOT NULL,
     PRIMARY KEY (run_id, account_id)
   )`,
  // Raw landing tables (assets raw.events, raw.payments, raw.accounts).
  `CREATE TABLE IF NOT EXISTS warehouse.raw_events (
     event_id text PRIMARY KEY,
     account_id text NOT NULL,
     event_type text NOT NULL,
     occurred_at timestamptz NOT NULL,
     kafka_offset bigint NOT NULL,
     landed_by_run text NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS raw_events_occurred_idx ON warehouse.raw_events (occurred_at)`,
  `CREATE TABLE IF NOT EXISTS warehouse.raw_payments (
     payment_id text PRIMARY KEY,
     account_id text NOT NULL,
     amount_cents integer NOT NULL,
     currency text NOT NULL,
     created_at timestamptz NOT NULL,
     landed_by_run text NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS raw_payments_created_idx ON warehouse.raw_payments (created_at)`,
  `CREATE TABLE IF NOT EXISTS warehouse.raw_accounts (
     account_id text PRIMARY KEY,
     name text NOT NULL,
     region text NOT NULL,
     active boolean NOT NULL,
     created_at timestamptz NOT NULL,
     snapshot_as_of timestamptz NOT NULL,
     landed_by_run text NOT NULL
   )`,
  // The partition catalog register_partition maintains (what a query engine would discover).
  `CREATE TABLE IF NOT EXISTS warehouse.partitions (
     dataset text NOT NULL,
     partition_date date NOT NULL,
     covered_until timestamptz NOT NULL,
     row_count integer NOT NULL,
     complete boolean NOT NULL,
     registered_by_run text NOT NULL,
     PRIMARY KEY (dataset, partition_date)
   )`,
  FAULT_TABLE,
  `CREATE TABLE IF NOT EXISTS mart.daily_revenue_by_account (
     account_id text,
     account_name text,
     region text,
     revenue_date date,
     event_count integer,
     revenue_usd numeric(12,2),
     PRIMARY KEY (account_id, revenue_date)
   )`,
];

/**
 * Creates the schemas and tables if they are missing (tasks may run against a fresh
 * database). Cheap when done: one probe of the schema comment, which the DDL transaction
 * writes last. On PostgreSQL an advisory lock keeps two first tasks from racing.
 */
export async function ensureWarehouse(db: Db): Promise<void> {
  const [probe] = await db.sql<{ version: string | null }>(
    `SELECT obj_description(to_regnamespace('warehouse'), 'pg_namespace') AS version`,
  );
  if (probe?.version === DDL_VERSION) return;
  await db.transaction(async (sql) => {
    await sql(`SELECT pg_advisory_xact_lock(${hash32(DDL_VERSION) >>> 1})`);
    for (const statement of DDL) await sql(statement);
    await sql(
      `INSERT INTO warehouse.src_salesforce_accounts (account_id, name, region, active, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::timestamptz[])
       ON CONFLICT (account_id) DO NOTHING`,
      [
        ACCOUNTS.map((a) => a.accountId),
        ACCOUNTS.map((a) => a.name),
        ACCOUNTS.map((a) => a.region),
        ACCOUNTS.map((a) => a.active),
        ACCOUNTS.map((a) => a.createdAt.toISOString()),
      ],
    );
    await sql(`COMMENT ON SCHEMA warehouse IS '${DDL_VERSION}'`);
  });
}

// ---------------------------------------------------------------------------------------
// Ingest cursors
// ---------------------------------------------------------------------------------------

export interface Cursor {
  /** Kafka: the committed offset (the next one to read). Null for time-based sources. */
  nextOffset: number | null;
  coveredFrom: Date;
  /** Everything produced before this instant has been landed (the high-water mark). */
  coveredUntil: Date;
}

/**
 * The committed position of a source, read inside the caller's transaction. A source never
 * read before starts at the beginning of the LA day of the run's interval (the topic and
 * the API retain the current day), so the first revenue date it feeds is complete.
 */
export async function openCursor(sql: SqlQuery, source: string, intervalStart: Date): Promise<Cursor> {
  const day = laDate(intervalStart);
  await sql(
    `INSERT INTO warehouse.ingest_state (source, next_offset, covered_from, covered_until) VALUES ($1, $2, $3, $3)
     ON CONFLICT (source) DO NOTHING`,
    [source, source === SOURCES.events ? String(firstOffsetOf(day)) : null, laMidnight(day)],
  );
  return readCursor(sql, source, false) as Promise<Cursor>;
}

/** The committed position (locked FOR UPDATE when `lock`), or null if never read. */
export async function readCursor(sql: SqlQuery, source: string, lock: boolean): Promise<Cursor | null> {
  const [row] = await sql<{ next_offset: string | null; covered_from: Date; covered_until: Date }>(
    `SELECT next_offset, covered_from, covered_until FROM warehouse.ingest_state WHERE source = $1${lock ? ' FOR UPDATE' : ''}`,
    [source],
  );
  if (!row) return null;
  return {
    nextOffset: row.next_offset === null ? null : Number(row.next_offset),
    coveredFrom: new Date(row.covered_from),
    coveredUntil: new Date(row.covered_until),
  };
}

export interface StagedBatch {
  fromOffset: number | null;
  toOffset: number | null;
  fromTime: Date | null;
  toTime: Date;
  stagedRows: number;
  landedTry: number | null;
}

/** The batch a run staged for a source, or an error naming the task that must run first. */
export async function stagedBatch(sql: SqlQuery, source: string, runId: string): Promise<StagedBatch> {
  const [row] = await sql<{
    from_offset: string | null;
    to_offset: string | null;
    from_time: Date | null;
    to_time: Date;
    staged_rows: number;
    landed_try: number | null;
  }>(
    `SELECT from_offset, to_offset, from_time, to_time, staged_rows, landed_try
     FROM warehouse.ingest_batches WHERE source = $1 AND run_id = $2`,
    [source, runId],
  );
  if (!row) throw new Error(`run ${runId} staged nothing for ${source}: its fetch task must succeed first`);
  return {
    fromOffset: row.from_offset === null ? null : Number(row.from_offset),
    toOffset: row.to_offset === null ? null : Number(row.to_offset),
    fromTime: row.from_time === null ? null : new Date(row.from_time),
    toTime: new Date(row.to_time),
    stagedRows: row.staged_rows,
    landedTry: row.landed_try,
  };
}

// ---------------------------------------------------------------------------------------
// Fault injection (tests and the demo)
// ---------------------------------------------------------------------------------------

export class InjectedFault extends Error {
  constructor(dagId: string, taskId: string, detail: string) {
    super(`injected fault in ${dagId}.${taskId}: ${detail}`);
    this.name = 'InjectedFault';
  }
}

/** Makes the next `count` tries of a task fail (whatever run they belong to). */
export async function injectFaults(
  sql: SqlQuery,
  dagId: string,
  taskId: string,
  count: number,
): Promise<void> {
  await sql(`CREATE SCHEMA IF NOT EXISTS warehouse`);
  await sql(FAULT_TABLE);
  await sql(
    `INSERT INTO warehouse.fault_injection (dag_id, task_id, remaining) VALUES ($1, $2, $3)
     ON CONFLICT (dag_id, task_id) DO UPDATE SET remaining = EXCLUDED.remaining`,
    [dagId, taskId, count],
  );
}

/**
 * Takes one injected fault if any is left: true means this try must fail. Committed on its
 * own, so the fault is used up even though the try's own transaction rolls back.
 */
export async function takeFault(ctx: Pick<TaskContext, 'sql' | 'dagId' | 'taskId'>): Promise<boolean> {
  const taken = await ctx.sql(
    `UPDATE warehouse.fault_injection SET remaining = remaining - 1
     WHERE dag_id = $1 AND task_id = $2 AND remaining > 0 RETURNING remaining`,
    [ctx.dagId, ctx.taskId],
  );
  return taken.length > 0;
}

/** Fails the try up front when a fault is injected for this task. */
export async function failIfInjected(ctx: Pick<TaskContext, 'sql' | 'dagId' | 'taskId'>): Promise<void> {
  if (await takeFault(ctx)) throw new InjectedFault(ctx.dagId, ctx.taskId, 'failing before any work');
}
