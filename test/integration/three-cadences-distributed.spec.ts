// The three-cadences example end to end in distributed mode: coordinator, two executors,
// assets, api and scheduler as separate processes over the suite's real Kafka broker and
// PostgreSQL. The schedules are shortened by configuration only: the whole cluster runs on a
// shared sped-up clock (TRIBUTARY_CLOCK_*), so two Los Angeles days of 5-minute, 15-minute
// and daily runs (and the marts built from them) happen in a few real minutes.
//
// The standalone e2e (test/e2e/three-cadences.e2e-spec.ts) also injects faults through
// `warehouse.fault_injection` between simulated-clock steps it controls; here the clock runs
// on its own and the tasks run in other processes, so there are no fault injections: every
// failed try must be the freshness guard doing its job, and nothing else.
import { Kafka, logLevel } from 'kafkajs';
import { ServiceName, TestCluster, eventually } from '../support/cluster';
import { ACCOUNTS, SAMPLE_DAY, addDays, laMidnight } from '../../examples/three-cadences/warehouse';
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

/**
 * Simulated ms per real ms: a 5-minute interval closes every 417 real ms, and the 55 simulated
 * hours take about 4.6 real minutes. With catchup off, an interval the scheduler is late for by
 * more than 5 simulated minutes is skipped for good (that is what catchup off means); at 900
 * (333 real ms) a loaded 2-core machine occasionally got there, at 720 it keeps a margin.
 */
const SPEED = 720;
/** 00:00 PDT on 2026-04-25, the first day the standalone e2e covers: the DAGs are deployed then. */
const START = '2026-04-25T07:00:00Z';
/** 07:00 PDT on 2026-04-27, as in the standalone e2e: both marts built (the second at 05:00). */
const END = '2026-04-27T14:00:00Z';
/** Real time for the services to boot while the clock still reads the evening before START. */
const BOOT_MS = 20_000;

const MINUTE = 60_000;
const windowMs = Date.parse(END) - Date.parse(START);
/** The scheduled runs whose interval ends by END: 55 hours of 5- and 15-minute intervals, two of each daily. */
const EXPECTED_RUNS: Record<string, number> = {
  [MART]: 2,
  [KAFKA]: windowMs / (5 * MINUTE),
  [SALESFORCE]: 2,
  [STRIPE]: windowMs / (15 * MINUTE),
};
const TOTAL_RUNS = Object.values(EXPECTED_RUNS).reduce((a, b) => a + b, 0);

jest.setTimeout(BOOT_MS + windowMs / SPEED + 150_000);

describe('three-cadences in distributed mode: two Los Angeles days on a sped-up clock', () => {
  let cluster: TestCluster;
  let clockEpoch: number;
  const simNow = () => new Date(Date.parse(START) + (Date.now() - clockEpoch) * SPEED);
  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    cluster.query<T>(text, params);
  /** The scheduled runs of a DAG whose interval ended by END. */
  const IN_WINDOW = `run_type = 'scheduled' AND data_interval_end <= '${END}'`;

  /**
   * Intervals of the 5- and 15-minute DAGs with a later run but none of their own, each with
   * how late (simulated) the scheduler created the run that followed it.
   */
  const missingIntervals = () =>
    q<{ dag_id: string; logical_date: Date; next_requested_late_by: string | null }>(
      `SELECT d.dag_id, g AS logical_date,
              (SELECT ((o.payload->>'occurredAt')::timestamptz - (o.payload->'payload'->>'dataIntervalEnd')::timestamptz)::text
               FROM outbox o WHERE o.topic = $4 AND o.payload->'payload'->>'dagId' = d.dag_id
                 AND (o.payload->'payload'->>'logicalDate')::timestamptz > g
               ORDER BY (o.payload->'payload'->>'logicalDate')::timestamptz LIMIT 1) AS next_requested_late_by
       FROM (VALUES ($1::text, interval '5 minutes'), ($2::text, interval '15 minutes')) AS d (dag_id, step)
       CROSS JOIN LATERAL generate_series($3::timestamptz,
         (SELECT max(logical_date) FROM dag_runs r WHERE r.dag_id = d.dag_id), d.step) AS g
       WHERE NOT EXISTS (SELECT 1 FROM dag_runs r WHERE r.dag_id = d.dag_id AND r.logical_date = g)
       ORDER BY 1, 2`,
      [KAFKA, STRIPE, START, cluster.topic('run.requested')],
    );

  const describeState = async () => {
    const runs = await q(
      `SELECT dag_id, state, count(*)::int AS n, max(logical_date) AS latest FROM dag_runs
       GROUP BY dag_id, state ORDER BY dag_id, state`,
    );
    return `simulated now ${simNow().toISOString()}\n${JSON.stringify(runs, null, 1)}\n${cluster.logs()}`;
  };

  beforeAll(async () => {
    // `tributary migrate` deploys the DAGs, and the first deploy anchors the interval DAGs on
    // its minute. It runs on a clock that reads START at real speed, so they are anchored on
    // 00:00 PDT like in the standalone run (on the sped-up clock, the minute it happened to
    // finish on would be a random one).
    cluster = await TestCluster.create({
      dagsDir: 'examples/three-cadences',
      env: {
        TRIBUTARY_CLOCK_START: START,
        TRIBUTARY_CLOCK_EPOCH: new Date().toISOString(),
        TRIBUTARY_CLOCK_SPEED: '1',
      },
    });
    // The services share one sped-up clock that reads START BOOT_MS from now: until then it
    // reads the evening before, and nothing is due, so no interval is missed while they boot.
    clockEpoch = Date.now() + BOOT_MS;
    const clock = {
      TRIBUTARY_CLOCK_START: START,
      TRIBUTARY_CLOCK_EPOCH: new Date(clockEpoch).toISOString(),
      TRIBUTARY_CLOCK_SPEED: String(SPEED),
      // Heartbeats every 500 real ms = 6 simulated minutes; a worker is dead after 5 real s.
      TRIBUTARY_WORKER_TIMEOUT_MS: String(5_000 * SPEED),
    };
    const services: Record<Exclude<ServiceName, 'triggerer' | 'scheduler'>, number> = {
      coordinator: 1,
      executor: 2,
      assets: 1,
      api: 1,
    };
    const started: Promise<unknown>[] = [];
    for (const [service, count] of Object.entries(services)) {
      for (let i = 0; i < count; i++) started.push(cluster.add(service as ServiceName, clock));
    }
    await Promise.all(started);
    // The scheduler last, as cluster.start() does (which has no per-process environment).
    await cluster.add('scheduler', clock);
    const firstRunAt = Date.parse(START) + 5 * MINUTE;
    if (simNow().getTime() >= firstRunAt) {
      // Not a check of the system: the setup assumes the scheduler is up before the first
      // interval closes (catchup is off, so an interval it is late for is skipped for good).
      throw new Error(
        `the services took more than BOOT_MS (${BOOT_MS} ms) to boot: the clock reads ${simNow().toISOString()}, past the first run at ${new Date(firstRunAt).toISOString()}; raise BOOT_MS\n${cluster.logs()}`,
      );
    }

    // Until every scheduled run of the window has ended (and so both marts were built).
    await eventually(
      `the ${TOTAL_RUNS} scheduled runs ending by ${END} to finish`,
      async () => {
        const [{ done }] = await q<{ done: number }>(
          `SELECT count(*)::int AS done FROM dag_runs WHERE ${IN_WINDOW} AND state IN ('success', 'failed')`,
        );
        // A skipped interval never comes back: stop waiting, the tests below show it.
        if ((await missingIntervals()).length > 0) return true;
        return done >= TOTAL_RUNS && Date.now() > clockEpoch + windowMs / SPEED;
      },
      {
        timeoutMs: BOOT_MS + windowMs / SPEED + 60_000,
        intervalMs: 2_000,
        describe: describeState,
      },
    );
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates every scheduled run of the window exactly once per logical date, and every one succeeds', async () => {
    expect(await missingIntervals()).toEqual([]);
    const runs = await q<{ dag_id: string; state: string; n: number }>(
      `SELECT dag_id, state, count(*)::int AS n FROM dag_runs WHERE ${IN_WINDOW}
       GROUP BY dag_id, state ORDER BY dag_id, state`,
    );
    expect(runs).toEqual(
      Object.entries(EXPECTED_RUNS)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([dagId, n]) => ({ dag_id: dagId, state: 'success', n })),
    );
    // The very intervals of the standalone run, none missing, none twice, in the whole table.
    const step: Record<string, number> = { [KAFKA]: 5 * MINUTE, [STRIPE]: 15 * MINUTE };
    for (const [dagId, every] of Object.entries(step)) {
      const rows = await q<{ run_id: string; logical_date: Date; data_interval_end: Date }>(
        `SELECT run_id, logical_date, data_interval_end FROM dag_runs WHERE dag_id = $1 AND ${IN_WINDOW}
         ORDER BY logical_date`,
        [dagId],
      );
      expect(rows.map((r) => [r.run_id, iso(r.data_interval_end)])).toEqual(
        Array.from({ length: EXPECTED_RUNS[dagId] }, (_, k) => {
          const at = Date.parse(START) + k * every;
          return [runId(at), iso(at + every)];
        }),
      );
    }
    const daily = await q<{ dag_id: string; run_id: string }>(
      `SELECT dag_id, run_id FROM dag_runs WHERE dag_id IN ($1, $2) AND ${IN_WINDOW} ORDER BY dag_id, logical_date`,
      [SALESFORCE, MART],
    );
    expect(daily).toEqual([
      { dag_id: MART, run_id: runId('2026-04-25T12:00:00Z') },
      { dag_id: MART, run_id: runId('2026-04-26T12:00:00Z') },
      { dag_id: SALESFORCE, run_id: runId('2026-04-25T08:00:00Z') },
      { dag_id: SALESFORCE, run_id: runId('2026-04-26T08:00:00Z') },
    ]);
    expect(
      await q(
        `SELECT dag_id, logical_date, count(*)::int AS n FROM dag_runs GROUP BY dag_id, logical_date
         HAVING count(*) > 1`,
      ),
    ).toEqual([]);
    expect(await q(`SELECT DISTINCT run_type FROM dag_runs`)).toEqual([{ run_type: 'scheduled' }]);
    // Every task instance of those runs succeeded (3 + 2 per ingest run, 2 per daily run).
    const tis = await q(
      `SELECT ti.state, count(*)::int AS n FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk
       WHERE r.${IN_WINDOW} GROUP BY ti.state`,
    );
    expect(tis).toEqual([
      {
        state: 'success',
        n:
          EXPECTED_RUNS[KAFKA] * 3 +
          EXPECTED_RUNS[STRIPE] * 2 +
          EXPECTED_RUNS[SALESFORCE] * 2 +
          EXPECTED_RUNS[MART] * 2,
      },
    ]);
  });

  it('builds the sample day exactly', async () => {
    expect(
      await q(
        `SELECT account_id, account_name, region, revenue_date::text AS revenue_date, event_count,
                revenue_usd::text AS revenue_usd
         FROM mart.daily_revenue_by_account WHERE revenue_date = $1 ORDER BY account_id`,
        [SAMPLE_DAY],
      ),
    ).toEqual(SAMPLE_DAY_MART);
  });

  it('matches the sources on every day: revenue sums source payments, event_count counts distinct source events', async () => {
    const expected = await martFromSources(q, REVENUE_DATES);
    // The cluster keeps running: only the covered revenue dates are in scope.
    const mart = await q(
      `SELECT account_id, account_name, region, revenue_date::text AS revenue_date, event_count,
              revenue_usd::text AS revenue_usd
       FROM mart.daily_revenue_by_account WHERE revenue_date = ANY($1::date[]) ORDER BY revenue_date, account_id`,
      [REVENUE_DATES],
    );
    expect(mart).toEqual(expected);
    const day2 = mart.filter((r) => r.revenue_date === '2026-04-26');
    expect(day2.map((r) => r.account_id)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(day2.reduce((n, r) => n + Number(r.event_count), 0)).toBeGreaterThan(0);
    expect(day2.some((r) => Number(r.revenue_usd) > 0)).toBe(true);
  });

  it('lands every source row exactly once', async () => {
    const [cursors] = await q<{ events: Date; payments: Date; accounts: Date }>(
      `SELECT (SELECT covered_until FROM warehouse.ingest_state WHERE source = 'kafka.clickstream') AS events,
              (SELECT covered_until FROM warehouse.ingest_state WHERE source = 'stripe.payments') AS payments,
              (SELECT covered_until FROM warehouse.ingest_state WHERE source = 'salesforce.accounts') AS accounts`,
    );
    // The cluster ran on past END: the cursors are at or beyond it.
    expect(new Date(cursors.events).getTime()).toBeGreaterThanOrEqual(Date.parse(END));
    expect(new Date(cursors.payments).getTime()).toBeGreaterThanOrEqual(Date.parse(END));
    expect(iso(cursors.accounts)).toBe('2026-04-27T08:00:00.000Z');
    const ids = async (text: string, params: unknown[] = []) =>
      (await q<{ id: string }>(text, params)).map((r) => r.id);
    const windowRuns = `SELECT run_id FROM dag_runs WHERE dag_id = $1 AND ${IN_WINDOW}`;

    // What the window's runs landed is each source event produced before END once (the topic's
    // redeliveries included: there are some, and they must be dropped), its first delivery.
    const landedEvents = await ids(
      `SELECT event_id AS id FROM warehouse.raw_events WHERE landed_by_run IN (${windowRuns}) ORDER BY event_id`,
      [KAFKA],
    );
    const sourceEvents = await ids(
      `SELECT DISTINCT event_id AS id FROM warehouse.src_kafka_clickstream WHERE produced_at < $1 ORDER BY event_id`,
      [END],
    );
    expect(landedEvents).toEqual(sourceEvents);
    expect(
      await q(
        `SELECT e.event_id FROM warehouse.raw_events e
         WHERE e.kafka_offset <> (SELECT min(s.kafka_offset) FROM warehouse.src_kafka_clickstream s WHERE s.event_id = e.event_id)`,
      ),
    ).toEqual([]);
    const [{ redelivered }] = await q(
      `SELECT count(*)::int - count(DISTINCT event_id)::int AS redelivered FROM warehouse.src_kafka_clickstream
       WHERE produced_at >= $1 AND produced_at < $2`,
      [laMidnight('2026-04-26'), laMidnight('2026-04-27')],
    );
    expect(redelivered).toBeGreaterThan(0);

    const landedPayments = await ids(
      `SELECT payment_id AS id FROM warehouse.raw_payments WHERE landed_by_run IN (${windowRuns}) ORDER BY payment_id`,
      [STRIPE],
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
  });

  it('chains the batches: each starts where the previous committed and ends at its run interval end', async () => {
    for (const [source, dagId] of [
      ['kafka.clickstream', KAFKA],
      ['stripe.payments', STRIPE],
    ]) {
      const batches = await ingestBatches(q, source, dagId, `r.${IN_WINDOW}`);
      expect(batches).toHaveLength(EXPECTED_RUNS[dagId]);
      expectBatchesChained(batches, START);
      // The nightly renewal burst needs more than one page of the Stripe list API.
      if (dagId === STRIPE) expect(Math.max(...batches.map((b) => b.pages ?? 0))).toBeGreaterThan(1);
    }
  });

  it('retried nothing but the freshness guard, and nothing reached the DLQ', async () => {
    // No faults are injected (see the header): any other failed try is a bug.
    const failed = await q<{ dag_id: string; task_id: string; error: string }>(
      `SELECT ti.dag_id, ti.task_id, t.error FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE t.state = 'failed' ORDER BY ti.dag_id, ti.task_id`,
    );
    for (const f of failed) {
      expect(`${f.dag_id}.${f.task_id}: ${f.error}`).toMatch(
        new RegExp(`^${MART}\\.check_freshness: inputs for .* are not fresh yet: `),
      );
    }
    expect(
      await q(
        `SELECT dag_id, task_id, run_id, try_number FROM task_instances
         WHERE try_number > 1 AND task_id <> 'check_freshness'`,
      ),
    ).toEqual([]);

    const kafka = new Kafka({
      clientId: 'three-cadences-it',
      brokers: cluster.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const dlq = cluster.topic('dlq');
      const topics = await admin.listTopics();
      const offsets = topics.includes(dlq) ? await admin.fetchTopicOffsets(dlq) : [];
      const messages = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      expect({ topic: dlq, messages }).toEqual({ topic: dlq, messages: 0 });
    } finally {
      await admin.disconnect();
    }
  });

  it('starts the mart for D only once every input covers D (a check that finds one stale is retried)', async () => {
    for (const day of REVENUE_DATES) {
      const dayEnd = laMidnight(addDays(day, 1));
      // The land TI of each input's first committed batch reaching the end of D. Its start and
      // end bound the commit: started_at is the executor's claim, ended_at the coordinator's
      // record of the success, after the commit.
      const lands: { started_at: Date; ended_at: Date }[] = [];
      for (const [source, dagId] of [
        ['kafka.clickstream', KAFKA],
        ['stripe.payments', STRIPE],
        ['salesforce.accounts', SALESFORCE],
      ]) {
        const [land] = await q<{ started_at: Date; ended_at: Date }>(
          `SELECT ti.started_at, ti.ended_at FROM warehouse.ingest_batches b
           JOIN task_instances ti ON ti.dag_id = $2 AND ti.run_id = b.run_id AND ti.task_id = 'land' AND ti.state = 'success'
           WHERE b.source = $1 AND b.to_time >= $3 AND b.landed_try IS NOT NULL ORDER BY b.to_time LIMIT 1`,
          [source, dagId, dayEnd],
        );
        expect(land).toBeDefined();
        lands.push(land);
      }
      const latest = (key: 'started_at' | 'ended_at') =>
        Math.max(...lands.map((l) => new Date(l[key]).getTime()));
      const tries = await martTries(q, day);
      const checks = tries.filter((t) => t.task_id === 'check_freshness');
      const passed = checks.filter((t) => t.state === 'success');
      expect(passed).toHaveLength(1);
      // Different processes stamp these times (on the same clock), so only causal order is
      // asserted: a passing check started after every input's land did; a failing one started
      // before the last of them was recorded as done.
      expect(new Date(passed[0].started_at).getTime()).toBeGreaterThanOrEqual(latest('started_at'));
      for (const failedCheck of checks.filter((t) => t.state === 'failed')) {
        expect(new Date(failedCheck.started_at).getTime()).toBeLessThan(latest('ended_at'));
      }
      const builds = tries.filter((t) => t.task_id === 'build_mart');
      expect(builds.map((b) => b.state)).toEqual(['success']);
      expect(new Date(builds[0].started_at).getTime()).toBeGreaterThanOrEqual(
        new Date(passed[0].ended_at).getTime(),
      );
    }
  });

  it('registers complete raw.events partitions with their row counts', async () => {
    await expectRawEventPartitionsComplete(q, REVENUE_DATES);
  });

  it('generates sources as a pure function of seed and day, written once whichever executor asked first', async () => {
    await expectSourcesAsGenerated(q, [...REVENUE_DATES, '2026-04-27']);
    expect(
      (await q(`SELECT account_id FROM warehouse.src_salesforce_accounts ORDER BY account_id`)).map(
        (a) => a.account_id,
      ),
    ).toEqual(ACCOUNTS.map((a) => a.accountId).sort());
  });
});
