// What the three-cadences example must produce, checked the same way whichever mode ran it
// (standalone e2e, the demo command, distributed integration). `q` reads the example's database.
import type { SqlQuery } from '@tributary/sdk';
import { addDays, generateDay, laMidnight } from '../../examples/three-cadences/warehouse';

export const KAFKA = 'kafka_events_to_raw';
export const STRIPE = 'stripe_payments_to_raw';
export const SALESFORCE = 'salesforce_to_raw';
export const MART = 'daily_revenue_by_account';
export const REVENUE_DATES = ['2026-04-25', '2026-04-26'];

/** Timestamps come back as Date, bound parameters are strings: compare both as ISO text. */
export const iso = (d: unknown) => new Date(d as Date | string).toISOString();
export const runId = (logicalDate: string | number) => `scheduled__${new Date(logicalDate).toISOString()}`;

/** The hand-written sample day (examples/three-cadences/README.md), row for row. */
export const SAMPLE_DAY_MART = [
  {
    account_id: 'a1',
    account_name: 'Acme',
    region: 'US',
    revenue_date: '2026-04-25',
    event_count: 3,
    revenue_usd: '15.00',
  },
  {
    account_id: 'a2',
    account_name: 'Globex',
    region: 'US',
    revenue_date: '2026-04-25',
    event_count: 1,
    revenue_usd: '22.00',
  },
  {
    account_id: 'a3',
    account_name: 'Initech',
    region: 'EU',
    revenue_date: '2026-04-25',
    event_count: 0,
    revenue_usd: '0.00',
  },
];

/**
 * The mart rows the sources imply for `dates`, computed with PostgreSQL's own time zone rules,
 * independently of the example's Intl-based calendar.
 */
export function martFromSources(q: SqlQuery, dates: string[]) {
  return q(
    `WITH days AS (SELECT unnest($1::date[]) AS revenue_date),
     accounts AS (SELECT a.*, days.revenue_date FROM warehouse.src_salesforce_accounts a CROSS JOIN days
                  WHERE a.active AND (a.created_at AT TIME ZONE 'America/Los_Angeles')::date <= days.revenue_date),
     ev AS (SELECT account_id, (occurred_at AT TIME ZONE 'America/Los_Angeles')::date AS d,
                   count(DISTINCT event_id)::int AS n
            FROM warehouse.src_kafka_clickstream GROUP BY 1, 2),
     py AS (SELECT account_id, (created_at AT TIME ZONE 'America/Los_Angeles')::date AS d, sum(amount_cents) AS cents
            FROM warehouse.src_stripe_payments GROUP BY 1, 2)
     SELECT a.account_id, a.name AS account_name, a.region, a.revenue_date::text AS revenue_date,
            COALESCE(ev.n, 0) AS event_count, (COALESCE(py.cents, 0) / 100.0)::numeric(12,2)::text AS revenue_usd
     FROM accounts a
     LEFT JOIN ev ON ev.account_id = a.account_id AND ev.d = a.revenue_date
     LEFT JOIN py ON py.account_id = a.account_id AND py.d = a.revenue_date
     ORDER BY revenue_date, account_id`,
    [dates],
  );
}

export interface IngestBatch {
  from_offset: string | null;
  to_offset: string | null;
  from_time: Date;
  to_time: Date;
  data_interval_end: Date;
  landed_try: number | null;
  pages: number | null;
}

/** A source's `warehouse.ingest_batches` rows joined to their runs; `runFilter` narrows the runs (alias r). */
export function ingestBatches(q: SqlQuery, source: string, dagId: string, runFilter = 'true') {
  return q<IngestBatch>(
    `SELECT b.from_offset, b.to_offset, b.from_time, b.to_time, b.landed_try, b.pages, r.data_interval_end
     FROM warehouse.ingest_batches b JOIN dag_runs r ON r.dag_id = $2 AND r.run_id = b.run_id
     WHERE b.source = $1 AND ${runFilter} ORDER BY b.to_time`,
    [source, dagId],
  );
}

/** Each batch landed, starts where the previous one committed and ends at its run's interval end. */
export function expectBatchesChained(batches: IngestBatch[], start: string): void {
  expect(iso(batches[0].from_time)).toBe(iso(start));
  batches.forEach((b, i) => {
    expect(b.landed_try).not.toBeNull();
    expect(iso(b.to_time)).toBe(iso(b.data_interval_end));
    if (i > 0) {
      expect(iso(b.from_time)).toBe(iso(batches[i - 1].to_time));
      expect(b.from_offset).toBe(batches[i - 1].to_offset);
    }
  });
}

/** Every try of the mart run for revenue date `day`, in start order. */
export function martTries(q: SqlQuery, day: string) {
  return q<{ task_id: string; try_number: number; state: string; started_at: Date; ended_at: Date }>(
    `SELECT ti.task_id, t.try_number, t.state, t.started_at, t.ended_at
     FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
     WHERE ti.dag_id = $1 AND ti.run_id = $2 ORDER BY t.started_at, ti.task_id`,
    [MART, runId(`${day}T12:00:00Z`)],
  );
}

/** raw.events partitions of `dates` are registered complete, with the row count raw really holds. */
export async function expectRawEventPartitionsComplete(q: SqlQuery, dates: string[]): Promise<void> {
  const partitions = await q(
    `SELECT p.partition_date::text AS day, p.complete, p.row_count,
            (SELECT count(*)::int FROM warehouse.raw_events e
             WHERE (e.occurred_at AT TIME ZONE 'America/Los_Angeles')::date = p.partition_date) AS raw_rows
     FROM warehouse.partitions p WHERE p.dataset = 'raw.events' AND p.partition_date = ANY($1::date[])
     ORDER BY p.partition_date`,
    [dates],
  );
  expect(partitions.map((p) => [p.day, p.complete, Number(p.row_count) === p.raw_rows])).toEqual(
    dates.map((day) => [day, true, true]),
  );
}

/** The simulated topic and payments API of each LA day hold exactly what the generator gives for it. */
export async function expectSourcesAsGenerated(q: SqlQuery, days: string[]): Promise<void> {
  for (const day of days) {
    const generated = generateDay(day);
    const start = laMidnight(day);
    const end = laMidnight(addDays(day, 1));
    const messages = await q(
      `SELECT kafka_offset, event_id, account_id, event_type, occurred_at, produced_at
       FROM warehouse.src_kafka_clickstream WHERE produced_at >= $1 AND produced_at < $2 ORDER BY kafka_offset`,
      [start, end],
    );
    expect(
      messages.map((m) => [
        Number(m.kafka_offset),
        m.event_id,
        m.account_id,
        m.event_type,
        iso(m.occurred_at),
        iso(m.produced_at),
      ]),
    ).toEqual(
      generated.messages.map((m) => [
        m.offset,
        m.eventId,
        m.accountId,
        m.eventType,
        iso(m.occurredAt),
        iso(m.producedAt),
      ]),
    );
    const payments = await q(
      `SELECT payment_id, account_id, amount_cents, created_at FROM warehouse.src_stripe_payments
       WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, payment_id`,
      [start, end],
    );
    expect(
      payments.map((p) => [p.payment_id, p.account_id, Number(p.amount_cents), iso(p.created_at)]),
    ).toEqual(generated.payments.map((p) => [p.paymentId, p.accountId, p.amountCents, iso(p.createdAt)]));
  }
}
