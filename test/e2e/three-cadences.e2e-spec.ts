import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import type { SqlQuery } from '@tributary/sdk';
import { queryRows } from '@tributary/persistence';
import { StandaloneOrchestrator } from '@tributary/standalone';
import {
  ACCOUNTS,
  SAMPLE_DAY,
  addDays,
  generateDay,
  injectFaults,
  laMidnight,
} from '../../examples/three-cadences/warehouse';
import {
  KAFKA,
  MART,
  REVENUE_DATES,
  SALESFORCE,
  SAMPLE_DAY_MART,
  STRIPE,
  expectBatchesChained,
  expectRawEventPartitionsComplete,
  expectSourcesAsGenerated,
  ingestBatches,
  iso,
  martFromSources,
  martTries,
  runId,
} from '../support/three-cadences';

// Two simulated days of 5-minute runs (~900 runs, ~2,500 task instances) on PGlite.
jest.setTimeout(180_000);

const BUNDLE = path.resolve(__dirname, '..', '..', 'examples', 'three-cadences');

async function start(at: string): Promise<StandaloneOrchestrator> {
  return StandaloneOrchestrator.start({
    dagsDir: BUNDLE,
    dataDir: 'memory://',
    clock: new ManualClock(new Date(at)),
    http: false,
    logLevels: false,
  });
}

/** The example's helpers take the tasks' SqlQuery: rows back, whatever the statement. */
function sqlOf(o: StandaloneOrchestrator): SqlQuery {
  return (<T>(text: string, params: unknown[] = []) => queryRows<T>(o.db.manager, text, params)) as SqlQuery;
}

describe('three-cadences: two Los Angeles days with injected faults', () => {
  const START = '2026-04-25T07:00:00Z'; // 00:00 PDT on 2026-04-25
  const END = '2026-04-27T14:00:00Z'; // 07:00 PDT on 2026-04-27: both marts built
  let o: StandaloneOrchestrator;
  let q: SqlQuery;

  beforeAll(async () => {
    o = await start(START);
    q = sqlOf(o);
    // The first mart build crashes after inserting its rows, before commit.
    await injectFaults(q, MART, 'build_mart', 1);
    await o.advanceTo(new Date('2026-04-25T16:10:00Z')); // 09:10 PDT
    // The next Kafka land (window 09:10-09:15, holding evt_1) crashes twice before commit;
    // the next Stripe land (window 09:00-09:15, holding pay_1) once; the first Salesforce fetch once.
    await injectFaults(q, KAFKA, 'land', 2);
    await injectFaults(q, STRIPE, 'land', 1);
    await injectFaults(q, SALESFORCE, 'fetch_accounts', 1);
    await o.advanceTo(new Date('2026-04-26T19:00:00Z')); // 12:00 PDT on 2026-04-26
    // A Salesforce outage the next night: fetch fails at 01:00, 01:45 and 03:15, succeeds at
    // 06:15, after the mart's 05:00 run has started waiting for fresh accounts.
    await injectFaults(q, SALESFORCE, 'fetch_accounts', 3);
    await o.advanceTo(new Date(END));
  });

  afterAll(async () => {
    await o?.stop();
  });

  it('builds the sample day exactly', async () => {
    expect(
      await q(
        `SELECT account_id, account_name, region, revenue_date, event_count, revenue_usd
         FROM mart.daily_revenue_by_account WHERE revenue_date = $1 ORDER BY account_id`,
        [SAMPLE_DAY],
      ),
    ).toEqual(SAMPLE_DAY_MART);
  });

  it('matches the sources on every day: revenue sums source payments, event_count counts distinct source events', async () => {
    const expected = await martFromSources(q, REVENUE_DATES);
    const mart = await q(
      `SELECT account_id, account_name, region, revenue_date::text AS revenue_date, event_count,
              revenue_usd::text AS revenue_usd
       FROM mart.daily_revenue_by_account ORDER BY revenue_date, account_id`,
    );
    expect(mart).toEqual(expected);
    // The random day is not trivial: a new account, activity, and redelivered messages to drop.
    const day2 = mart.filter((r) => r.revenue_date === '2026-04-26');
    expect(day2.map((r) => r.account_id)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(day2.reduce((n, r) => n + Number(r.event_count), 0)).toBeGreaterThan(0);
    expect(day2.some((r) => Number(r.revenue_usd) > 0)).toBe(true);
  });

  it('lands every source row exactly once despite the crashes before commit', async () => {
    const [events] = await q<{ covered_until: Date }>(
      `SELECT covered_until FROM warehouse.ingest_state WHERE source = 'kafka.clickstream'`,
    );
    const [payments] = await q<{ covered_until: Date }>(
      `SELECT covered_until FROM warehouse.ingest_state WHERE source = 'stripe.payments'`,
    );
    expect(iso(events.covered_until)).toBe(iso(END));
    expect(iso(payments.covered_until)).toBe(iso(END));
    const ids = async (text: string, params: unknown[] = []) =>
      (await q<{ id: string }>(text, params)).map((r) => r.id);

    // Raw holds each source event produced before the committed position once (the topic's
    // redeliveries included: there are some, and they must be dropped).
    const landedEvents = await ids(`SELECT event_id AS id FROM warehouse.raw_events ORDER BY event_id`);
    const sourceMessages = await ids(
      `SELECT event_id AS id FROM warehouse.src_kafka_clickstream WHERE produced_at < $1 ORDER BY event_id`,
      [END],
    );
    expect(landedEvents).toEqual([...new Set(sourceMessages)]);
    const [{ redelivered }] = await q(
      `SELECT count(*)::int - count(DISTINCT event_id)::int AS redelivered FROM warehouse.src_kafka_clickstream
       WHERE produced_at >= $1 AND produced_at < $2`,
      [laMidnight('2026-04-26'), laMidnight('2026-04-27')],
    );
    expect(redelivered).toBeGreaterThan(0);

    const landedPayments = await ids(
      `SELECT payment_id AS id FROM warehouse.raw_payments ORDER BY payment_id`,
    );
    const sourcePayments = await ids(
      `SELECT payment_id AS id FROM warehouse.src_stripe_payments WHERE created_at < $1 ORDER BY payment_id`,
      [END],
    );
    expect(landedPayments).toEqual(sourcePayments);

    // The latest snapshot (as of 01:00 PDT on 2026-04-27) holds every account created before it.
    const landedAccounts = await ids(
      `SELECT account_id AS id FROM warehouse.raw_accounts ORDER BY account_id`,
    );
    expect(landedAccounts).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);

    // The crashed tries had inserted their rows before failing: the retry landed them for good.
    const [evt1] = await q(`SELECT landed_by_run FROM warehouse.raw_events WHERE event_id = 'evt_1'`);
    expect(evt1.landed_by_run).toBe(runId('2026-04-25T16:10:00Z'));
    const [pay1] = await q(`SELECT landed_by_run FROM warehouse.raw_payments WHERE payment_id = 'pay_1'`);
    expect(pay1.landed_by_run).toBe(runId('2026-04-25T16:00:00Z'));
  });

  it('chains the batches: each starts where the previous committed and ends at its run interval end', async () => {
    for (const [source, dagId] of [
      ['kafka.clickstream', KAFKA],
      ['stripe.payments', STRIPE],
    ]) {
      const batches = await ingestBatches(q, source, dagId);
      const [{ runs }] = await q<{ runs: number }>(
        `SELECT count(*)::int AS runs FROM dag_runs WHERE dag_id = $1`,
        [dagId],
      );
      expect(batches).toHaveLength(runs);
      expectBatchesChained(batches, START);
      // The nightly renewal burst needs more than one page of the Stripe list API.
      if (dagId === STRIPE) expect(Math.max(...batches.map((b) => b.pages ?? 0))).toBeGreaterThan(1);
    }
  });

  it('ends every run of every DAG in success', async () => {
    const runs = await q(
      `SELECT dag_id, state, count(*)::int AS n FROM dag_runs GROUP BY dag_id, state ORDER BY dag_id, state`,
    );
    // 55 hours of 5- and 15-minute intervals; one Salesforce snapshot and one mart per day.
    expect(runs).toEqual([
      { dag_id: MART, state: 'success', n: 2 },
      { dag_id: KAFKA, state: 'success', n: 660 },
      { dag_id: SALESFORCE, state: 'success', n: 2 },
      { dag_id: STRIPE, state: 'success', n: 220 },
    ]);
  });

  it('retried only the failing task instances: their upstreams and downstreams stayed at try 1', async () => {
    const retried = await q<{ dag_id: string; run_id: string; task_id: string; try_number: number }>(
      `SELECT dag_id, run_id, task_id, try_number FROM task_instances WHERE try_number > 1
       ORDER BY dag_id, run_id, task_id`,
    );
    const tries = Object.fromEntries(
      retried.map((t) => [`${t.dag_id}/${t.run_id}/${t.task_id}`, t.try_number]),
    );
    expect(tries).toEqual({
      [`${MART}/${runId('2026-04-25T12:00:00Z')}/build_mart`]: 2,
      [`${MART}/${runId('2026-04-26T12:00:00Z')}/check_freshness`]: expect.any(Number),
      [`${KAFKA}/${runId('2026-04-25T16:10:00Z')}/land`]: 3,
      [`${SALESFORCE}/${runId('2026-04-25T08:00:00Z')}/fetch_accounts`]: 2,
      [`${SALESFORCE}/${runId('2026-04-26T08:00:00Z')}/fetch_accounts`]: 4,
      [`${STRIPE}/${runId('2026-04-25T16:00:00Z')}/land`]: 2,
    });
    const tiTries = async (dagId: string, logical: string) =>
      Object.fromEntries(
        (
          await q<{ task_id: string; try_number: number }>(
            `SELECT task_id, try_number FROM task_instances WHERE dag_id = $1 AND run_id = $2`,
            [dagId, runId(logical)],
          )
        ).map((t) => [t.task_id, t.try_number]),
      );
    expect(await tiTries(KAFKA, '2026-04-25T16:10:00Z')).toEqual({
      micro_batch_consume: 1,
      land: 3,
      register_partition: 1,
    });
    expect(await tiTries(STRIPE, '2026-04-25T16:00:00Z')).toEqual({ fetch_pages: 1, land: 2 });
    expect(await tiTries(SALESFORCE, '2026-04-26T08:00:00Z')).toEqual({ fetch_accounts: 4, land: 1 });
    expect(await tiTries(MART, '2026-04-25T12:00:00Z')).toEqual({ check_freshness: 1, build_mart: 2 });

    // Every failed try failed for the reason we caused: an injected crash or stale inputs.
    const failed = await q<{ dag_id: string; task_id: string; error: string }>(
      `SELECT ti.dag_id, ti.task_id, t.error FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE t.state = 'failed'`,
    );
    for (const f of failed) {
      if (f.task_id === 'check_freshness') expect(f.error).toMatch(/not fresh yet: raw\.accounts/);
      else expect(f.error).toMatch(/injected fault/);
    }
    // The Kafka and Stripe crashes happened with the window's rows already inserted.
    const landErrors = failed.filter((f) => f.task_id === 'land').map((f) => `${f.dag_id}: ${f.error}`);
    expect(landErrors.sort()).toEqual([
      `${KAFKA}: injected fault in ${KAFKA}.land: crashed after inserting 1 rows, before commit`,
      `${KAFKA}: injected fault in ${KAFKA}.land: crashed after inserting 1 rows, before commit`,
      `${STRIPE}: injected fault in ${STRIPE}.land: crashed after inserting 1 rows, before commit`,
    ]);
  });

  it('starts the mart for D only once every input covers D, and waits (retrying) while one does not', async () => {
    for (const day of REVENUE_DATES) {
      const dayEnd = laMidnight(addDays(day, 1));
      // When each input first committed a batch reaching the end of D (its land TI's end).
      const freshAt: Date[] = [];
      for (const [source, dagId] of [
        ['kafka.clickstream', KAFKA],
        ['stripe.payments', STRIPE],
        ['salesforce.accounts', SALESFORCE],
      ]) {
        const [{ at }] = await q<{ at: Date | null }>(
          `SELECT min(ti.ended_at) AS at FROM warehouse.ingest_batches b
           JOIN task_instances ti ON ti.dag_id = $2 AND ti.run_id = b.run_id AND ti.task_id = 'land' AND ti.state = 'success'
           WHERE b.source = $1 AND b.to_time >= $3 AND b.landed_try IS NOT NULL`,
          [source, dagId, dayEnd],
        );
        expect(at).not.toBeNull();
        freshAt.push(new Date(at as Date));
      }
      const inputsFresh = Math.max(...freshAt.map((d) => d.getTime()));
      const tries = await martTries(q, day);
      const checks = tries.filter((t) => t.task_id === 'check_freshness');
      const passed = checks.filter((t) => t.state === 'success');
      expect(passed).toHaveLength(1);
      expect(new Date(passed[0].started_at).getTime()).toBeGreaterThanOrEqual(inputsFresh);
      for (const failedCheck of checks.filter((t) => t.state === 'failed')) {
        expect(new Date(failedCheck.started_at).getTime()).toBeLessThan(inputsFresh);
      }
      for (const build of tries.filter((t) => t.task_id === 'build_mart')) {
        expect(new Date(build.started_at).getTime()).toBeGreaterThanOrEqual(
          new Date(passed[0].ended_at).getTime(),
        );
      }
      if (day === '2026-04-26') {
        // The Salesforce outage kept the guard closed from 05:00 until the snapshot landed at 06:15 PDT.
        expect(checks.length).toBeGreaterThan(1);
        expect(iso(new Date(inputsFresh))).toBe('2026-04-27T13:15:00.000Z');
      }
    }
  });

  it('registers complete raw.events partitions with their row counts', async () => {
    await expectRawEventPartitionsComplete(q, REVENUE_DATES);
  });

  it('generates sources as a pure function of seed and day, written once whoever asked first', async () => {
    expect(generateDay('2026-04-26')).toEqual(generateDay('2026-04-26'));
    expect(generateDay(SAMPLE_DAY).messages.map((m) => `${m.eventId}:${m.accountId}`)).toEqual([
      'evt_1:a1',
      'evt_2:a1',
      'evt_3:a2',
      'evt_4:a1',
    ]);
    await expectSourcesAsGenerated(q, [...REVENUE_DATES, '2026-04-27']);
    // Activity only ever belongs to accounts that exist and are active at that moment.
    for (const day of REVENUE_DATES) {
      for (const m of generateDay(day).messages) {
        const account = ACCOUNTS.find((a) => a.accountId === m.accountId);
        expect(account?.active && account.createdAt <= m.occurredAt).toBe(true);
      }
    }
  });
});

describe('three-cadences: a run that fails for good', () => {
  let o: StandaloneOrchestrator;
  let q: SqlQuery;

  beforeAll(async () => {
    o = await start('2026-04-25T16:00:00Z'); // 09:00 PDT
    q = sqlOf(o);
    await o.advanceTo(new Date('2026-04-25T16:10:00Z'));
    // More crashes than retries (3): the Kafka run for 09:10-09:15 and the Stripe run for
    // 09:00-09:15 fail, with evt_1 and pay_1 in their windows.
    await injectFaults(q, KAFKA, 'land', 4);
    await injectFaults(q, STRIPE, 'land', 4);
    await o.advanceTo(new Date('2026-04-25T17:00:00Z'));
  });

  afterAll(async () => {
    await o?.stop();
  });

  const runState = async (dagId: string, logical: string) =>
    (await q(`SELECT state FROM dag_runs WHERE dag_id = $1 AND run_id = $2`, [dagId, runId(logical)]))[0]
      ?.state;
  const batch = async (source: string, logical: string) =>
    (
      await q(
        `SELECT from_offset, to_offset, from_time, to_time, landed_try FROM warehouse.ingest_batches
         WHERE source = $1 AND run_id = $2`,
        [source, runId(logical)],
      )
    )[0];

  it("Kafka: the next run resumes from the failed run's offset and lands its events once", async () => {
    expect(await runState(KAFKA, '2026-04-25T16:10:00Z')).toBe('failed');
    const failed = await batch('kafka.clickstream', '2026-04-25T16:10:00Z');
    const next = await batch('kafka.clickstream', '2026-04-25T16:15:00Z');
    expect(failed.landed_try).toBeNull();
    expect(next.landed_try).toBe(1);
    expect([next.from_offset, iso(next.from_time)]).toEqual([failed.from_offset, iso(failed.from_time)]);
    expect(iso(next.to_time)).toBe('2026-04-25T16:20:00.000Z');
    const evt1 = await q(`SELECT landed_by_run FROM warehouse.raw_events WHERE event_id = 'evt_1'`);
    expect(evt1).toEqual([{ landed_by_run: runId('2026-04-25T16:15:00Z') }]);
    const [{ landed, source }] = await q(
      `SELECT (SELECT count(*)::int FROM warehouse.raw_events) AS landed,
              (SELECT count(DISTINCT event_id)::int FROM warehouse.src_kafka_clickstream WHERE produced_at < $1) AS source`,
      ['2026-04-25T17:00:00Z'],
    );
    expect(landed).toBe(source);
  });

  it('Stripe: the high-water mark stayed put, so the next run covers both windows', async () => {
    expect(await runState(STRIPE, '2026-04-25T16:00:00Z')).toBe('failed');
    const failed = await batch('stripe.payments', '2026-04-25T16:00:00Z');
    const next = await batch('stripe.payments', '2026-04-25T16:15:00Z');
    expect(failed.landed_try).toBeNull();
    // The first window started at the beginning of the LA day (00:00 PDT), the mark's initial position.
    expect(iso(failed.from_time)).toBe('2026-04-25T07:00:00.000Z');
    expect([iso(next.from_time), iso(next.to_time)]).toEqual([
      iso(failed.from_time),
      '2026-04-25T16:30:00.000Z',
    ]);
    expect(next.landed_try).toBe(1);
    const pay1 = await q(`SELECT landed_by_run FROM warehouse.raw_payments WHERE payment_id = 'pay_1'`);
    expect(pay1).toEqual([{ landed_by_run: runId('2026-04-25T16:15:00Z') }]);
  });
});
