import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import type { InputFreshness, SqlQuery } from '@tributary/sdk';
import { queryRows } from '@tributary/persistence';
import { StandaloneOrchestrator } from '@tributary/standalone';
import {
  BLACK_FRIDAY,
  BLACK_FRIDAY_EXPORT_DELAY_MS,
  WAREHOUSES,
  addDays,
  generateDay,
  isBlackFriday,
  laMidnight,
} from '../../examples/logistics/warehouse';
import {
  ALERTS_TOPIC,
  ANALYTICS,
  INVENTORY,
  SHIPMENTS,
  daysFrom,
  expectSourcesAsGenerated,
  iso,
  laTime,
  partitionRunId,
  reportFromSources,
  scheduledRunId,
} from '../support/logistics';

// A simulated week: ~176 hourly runs (a Black Friday backlog of 3-hour sensor waits, ~430
// reschedule checks), 29 inventory runs and 7 reports, on PGlite: about 30 seconds on two cores.
jest.setTimeout(600_000);

const BUNDLE = path.resolve(__dirname, '..', '..', 'examples', 'logistics');
const START = '2026-04-20T07:00:00Z'; // 00:00 PDT on 2026-04-20
const END = '2026-04-27T15:00:00Z'; // 08:00 PDT on 2026-04-27: every day's report is built
const DAYS = daysFrom('2026-04-20', '2026-04-26');
const FLAKY_RUN = scheduledRunId(laTime('2026-04-25 10:00'));

/** The example's helpers take the tasks' SqlQuery: rows back, whatever the statement. */
function sqlOf(o: StandaloneOrchestrator): SqlQuery {
  return (<T>(text: string, params: unknown[] = []) => queryRows<T>(o.db.manager, text, params)) as SqlQuery;
}

describe('logistics: a simulated week with Black Friday, three teams, contracts and alerts', () => {
  let o: StandaloneOrchestrator;
  let q: SqlQuery;

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: BUNDLE,
      dataDir: 'memory://',
      clock: new ManualClock(new Date(START)),
      http: false,
      logLevels: false,
    });
    q = sqlOf(o);
    await o.advanceTo(new Date(END));
  });

  afterAll(async () => {
    await o?.stop();
  });

  /** When partition `day` of an asset completed, as the assets service recorded it. */
  const completedAt = async (asset: string, day: string) => {
    const [row] = await q<{ completed_at: Date | null }>(
      `SELECT completed_at FROM asset_partitions WHERE asset_name = $1 AND partition = $2`,
      [asset, day],
    );
    return row?.completed_at ? new Date(row.completed_at) : null;
  };

  /** When the last run of a producer whose data interval lies in `day` succeeded (its outlet task's end). */
  const lastPieceEndedAt = async (dagId: string, taskId: string, day: string) => {
    const [row] = await q<{ pieces: number; ended: Date }>(
      `SELECT count(*)::int AS pieces, max(ti.ended_at) AS ended FROM dag_runs r
       JOIN task_instances ti ON ti.run_pk = r.id AND ti.task_id = $2 AND ti.state = 'success'
       WHERE r.dag_id = $1 AND r.data_interval_start >= $3 AND r.data_interval_end <= $4`,
      [dagId, taskId, laMidnight(day), laMidnight(addDays(day, 1))],
    );
    return { pieces: row.pieces, ended: new Date(row.ended) };
  };

  it('runs every interval of the week once and ends every run in success', async () => {
    const runs = await q(
      `SELECT dag_id, state, count(*)::int AS n FROM dag_runs GROUP BY dag_id, state ORDER BY dag_id, state`,
    );
    // 7 days and 8 hours of hourly intervals, 4 six-hour windows a day plus 00:00-06:00 on the 27th, one report a day.
    expect(runs).toEqual([
      { dag_id: ANALYTICS, state: 'success', n: 7 },
      { dag_id: INVENTORY, state: 'success', n: 29 },
      { dag_id: SHIPMENTS, state: 'success', n: 176 },
    ]);
  });

  it('builds exactly one report per day, run asset_triggered__D with logical date midnight D in Los Angeles', async () => {
    const runs = await q(
      `SELECT run_id, run_type, logical_date, state FROM dag_runs WHERE dag_id = $1 ORDER BY logical_date`,
      [ANALYTICS],
    );
    expect(runs.map((r) => [r.run_id, r.run_type, iso(r.logical_date), r.state])).toEqual(
      DAYS.map((day) => [partitionRunId(day), 'asset_triggered', iso(laMidnight(day)), 'success']),
    );
    const [{ failedTries }] = await q<{ failedTries: number }>(
      `SELECT count(*)::int AS "failedTries" FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE ti.dag_id = $1 AND t.state <> 'success'`,
      [ANALYTICS],
    );
    expect(failedTries).toBe(0);
  });

  it('never reads a partition before both inputs are complete for it', async () => {
    for (const day of DAYS) {
      const [run] = await q<{ started_at: Date; input_freshness: InputFreshness[] }>(
        `SELECT started_at, input_freshness FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
        [ANALYTICS, partitionRunId(day)],
      );
      const started = new Date(run.started_at).getTime();
      // The assets service's completion times agree with the producers' own runs: a day of
      // shipments is complete when its 24th hour landed, of inventory when its 4th window did.
      const shipmentsDone = await completedAt('raw.shipments', day);
      const inventoryDone = await completedAt('raw.inventory', day);
      const lastHour = await lastPieceEndedAt(SHIPMENTS, 'load_shipments', day);
      const lastWindow = await lastPieceEndedAt(INVENTORY, 'snapshot_inventory', day);
      expect([lastHour.pieces, lastWindow.pieces]).toEqual([24, 4]);
      expect([iso(shipmentsDone), iso(inventoryDone)]).toEqual([iso(lastHour.ended), iso(lastWindow.ended)]);
      expect(started).toBeGreaterThanOrEqual(shipmentsDone!.getTime());
      expect(started).toBeGreaterThanOrEqual(inventoryDone!.getTime());

      // What the run and its task saw: both inputs complete for D, and every hour and window in the tables.
      const builds = await q<{
        try_number: number;
        report_date: string;
        started_at: Date;
        inputs: InputFreshness[];
        refused: string | null;
        shipment_hours: number;
        inventory_windows: number;
        shipment_rows: number;
      }>(
        `SELECT try_number, report_date::text AS report_date, started_at, inputs, refused, shipment_hours,
                inventory_windows, shipment_rows
         FROM logistics.report_builds WHERE run_id = $1`,
        [partitionRunId(day)],
      );
      expect(builds).toHaveLength(1);
      const [build] = builds;
      expect(build).toMatchObject({
        try_number: 1,
        report_date: day,
        refused: null,
        shipment_hours: 24,
        inventory_windows: 4,
      });
      expect(new Date(build.started_at).getTime()).toBeGreaterThanOrEqual(started);
      expect(build.inputs).toEqual(run.input_freshness);
      expect(build.inputs.map((i) => [i.asset, i.partition, i.completedAt])).toEqual([
        ['raw.inventory', day, iso(inventoryDone)],
        ['raw.shipments', day, iso(shipmentsDone)],
      ]);
      for (const input of build.inputs) {
        expect(['fresh', 'late']).toContain(input.status);
        expect(new Date(input.completedAt!).getTime()).toBeLessThanOrEqual(started);
      }
      const [{ source }] = await q<{ source: number }>(
        `SELECT count(*)::int AS source FROM logistics.src_carrier_shipments WHERE shipped_at >= $1 AND shipped_at < $2`,
        [laMidnight(day), laMidnight(addDays(day, 1))],
      );
      expect(build.shipment_rows).toBe(source);
    }
  });

  it('matches the sources on every day, Black Friday included, and reconciles shipped with picked', async () => {
    const expected = await reportFromSources(q, DAYS);
    const report = await q(
      `SELECT report_date::text AS report_date, warehouse_id, shipments, units_shipped, units_received, units_picked,
              closing_on_hand
       FROM logistics.daily_report ORDER BY report_date, warehouse_id`,
    );
    expect(report).toHaveLength(DAYS.length * WAREHOUSES.length);
    expect(report).toEqual(expected);
    const [{ unreconciled }] = await q<{ unreconciled: number }>(
      `SELECT count(*) FILTER (WHERE NOT reconciled)::int AS unreconciled FROM logistics.daily_report`,
    );
    expect(unreconciled).toBe(0);
    // Black Friday is not a quiet day that happens to be late: about three times the parcels.
    const shipped = (day: string) =>
      report.filter((r) => r.report_date === day).reduce((n, r) => n + Number(r.shipments), 0);
    const ordinary = DAYS.filter((d) => d !== BLACK_FRIDAY).map(shipped);
    expect(shipped(BLACK_FRIDAY)).toBeGreaterThan(2 * Math.max(...ordinary));
  });

  it('Black Friday: exports take 3 hours, two at a time; the day completes at 14:00 on 04-25 and its report starts then', async () => {
    const requests = await q<{
      hour_start: Date;
      requested_at: Date;
      available_at: Date;
      requested_by_run: string;
    }>(
      `SELECT hour_start, requested_at, available_at, requested_by_run FROM logistics.carrier_export_requests
       ORDER BY hour_start`,
    );
    expect(requests).toHaveLength(176);
    const runs = new Map(
      (
        await q<{ run_id: string; started_at: Date; ended_at: Date }>(
          `SELECT run_id, started_at, ended_at FROM dag_runs WHERE dag_id = $1`,
          [SHIPMENTS],
        )
      ).map((r) => [r.run_id, r]),
    );
    for (const r of requests) {
      const run = runs.get(r.requested_by_run)!;
      expect(r.requested_by_run).toBe(scheduledRunId(r.hour_start));
      // The sensor asked when its run started; the run ended when the export was ready.
      expect(iso(r.requested_at)).toBe(iso(run.started_at));
      const wait = new Date(r.available_at).getTime() - new Date(r.requested_at).getTime();
      expect(wait).toBe(isBlackFriday(new Date(r.hour_start)) ? BLACK_FRIDAY_EXPORT_DELAY_MS : 0);
      // (The 04-25 10:00 run ended 20 minutes later: its load was retried.)
      const retryDelay = r.requested_by_run === FLAKY_RUN ? 20 * 60_000 : 0;
      expect(iso(run.ended_at)).toBe(iso(new Date(r.available_at).getTime() + retryDelay));
    }
    // Never more than two shipments runs at once (maxActiveRuns 2).
    const spans = [...runs.values()]
      .map((r) => [new Date(r.started_at).getTime(), new Date(r.ended_at).getTime()])
      .filter(([s, e]) => e > s);
    for (const [at] of spans)
      expect(spans.filter(([s, e]) => s <= at && at < e).length).toBeLessThanOrEqual(2);

    // Hours 00:00 and 01:00 start on time; from then on two exports finish every 3 hours, so
    // the last hour (23:00) starts at 11:00 on 04-25 and lands at 14:00, ten hours after 04:00.
    const shipmentsDone = await completedAt('raw.shipments', BLACK_FRIDAY);
    expect(iso(shipmentsDone)).toBe(iso(laTime('2026-04-25 14:00')));
    expect(iso(await completedAt('raw.inventory', BLACK_FRIDAY))).toBe(iso(laTime('2026-04-25 00:00')));
    const [report] = await q<{ started_at: Date; input_freshness: InputFreshness[] }>(
      `SELECT started_at, input_freshness FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
      [ANALYTICS, partitionRunId(BLACK_FRIDAY)],
    );
    expect(new Date(report.started_at).getTime()).toBeGreaterThan(laTime('2026-04-25 05:00').getTime());
    expect(iso(report.started_at)).toBe(iso(shipmentsDone));
    expect(report.input_freshness.map((i) => [i.asset, i.status, i.satisfied, i.lateByMs])).toEqual([
      ['raw.inventory', 'fresh', true, 0],
      ['raw.shipments', 'late', false, 10 * 3_600_000],
    ]);
    // Every other day's report starts at midnight, as soon as its last hour and window land.
    for (const day of DAYS.filter((d) => d !== BLACK_FRIDAY)) {
      const [run] = await q<{ started_at: Date }>(
        `SELECT started_at FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
        [ANALYTICS, partitionRunId(day)],
      );
      expect(iso(run.started_at)).toBe(iso(laMidnight(addDays(day, 1))));
    }
  });

  it('alerts exactly the Black Friday misses, each raised once and recovered once, in the table and on tributary.alerts', async () => {
    const recovered = iso(laTime('2026-04-25 14:00'));
    const alerts = await q(
      `SELECT id, kind, subject, deadline, raised_at, recovered_at FROM alerts ORDER BY id`,
    );
    expect(
      alerts.map((a) => [a.kind, a.subject, iso(a.deadline), iso(a.raised_at), iso(a.recovered_at)]),
    ).toEqual([
      // 04:00: the shipments contract for 04-24 is missed (hours 16:00 to 23:00 not landed yet).
      [
        'freshness_missed',
        `asset:raw.shipments:${BLACK_FRIDAY}`,
        iso(laTime('2026-04-25 04:00')),
        iso(laTime('2026-04-25 04:00')),
        recovered,
      ],
      // 05:00: the report for 04-24 has not started by its fallback.
      [
        'asset_fallback',
        `dag:${ANALYTICS}:${BLACK_FRIDAY}`,
        iso(laTime('2026-04-25 05:00')),
        iso(laTime('2026-04-25 05:00')),
        recovered,
      ],
      // 09:00 deadline: the run does not exist yet (its inputs are incomplete until 14:00), and
      // the deadline is still judged on time; the run's success at 14:00 recovers it.
      [
        'run_deadline_missed',
        `run:${ANALYTICS}:${partitionRunId(BLACK_FRIDAY)}`,
        iso(laTime('2026-04-25 09:00')),
        iso(laTime('2026-04-25 09:00')),
        recovered,
      ],
    ]);

    // One message when raised and one when recovered, per alert, and nothing else on the topic.
    const messages = await q<{ payload: { type: string; payload: Record<string, unknown> } }>(
      `SELECT payload FROM outbox WHERE topic = $1 ORDER BY id`,
      [ALERTS_TOPIC],
    );
    expect(messages.every((m) => m.payload.type === 'alert')).toBe(true);
    const published = messages.map((m) => m.payload.payload);
    for (const alert of alerts) {
      const about = published.filter((p) => p.alertId === String(alert.id));
      expect(about.map((p) => [p.kind, p.subject, p.recovery, p.severity])).toEqual([
        [alert.kind, alert.subject, false, 'critical'],
        [alert.kind, alert.subject, true, 'info'],
      ]);
      expect(about[1].recoveredAt).toBe(recovered);
    }
    expect(published).toHaveLength(2 * alerts.length);
  });

  it('retries only the 04-25 10:00 load: one TI with 2 tries, every other TI of every run with 1', async () => {
    const retried = await q<{ dag_id: string; run_id: string; task_id: string; try_number: number }>(
      `SELECT dag_id, run_id, task_id, try_number FROM task_instances WHERE try_number <> 1 ORDER BY id`,
    );
    expect(retried).toEqual([
      { dag_id: SHIPMENTS, run_id: FLAKY_RUN, task_id: 'load_shipments', try_number: 2 },
    ]);
    // Tries rows agree: reschedule checks of the Black Friday sensors are not tries.
    const triesPerTi = await q<{
      dag_id: string;
      run_id: string;
      task_id: string;
      tries: number;
      states: string[];
    }>(
      `SELECT ti.dag_id, ti.run_id, ti.task_id, count(*)::int AS tries, array_agg(t.state ORDER BY t.try_number) AS states
       FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
       GROUP BY ti.id, ti.dag_id, ti.run_id, ti.task_id HAVING count(*) <> 1 OR bool_or(t.state <> 'success')`,
    );
    expect(triesPerTi).toEqual([
      {
        dag_id: SHIPMENTS,
        run_id: FLAKY_RUN,
        task_id: 'load_shipments',
        tries: 2,
        states: ['failed', 'success'],
      },
    ]);
    const [{ tis, tries }] = await q<{ tis: number; tries: number }>(
      `SELECT (SELECT count(*)::int FROM task_instances) AS tis, (SELECT count(*)::int FROM task_instance_tries) AS tries`,
    );
    expect([tis, tries]).toEqual([176 * 2 + 29 + 7, 176 * 2 + 29 + 7 + 1]);
    const [{ checks }] = await q<{ checks: number[] }>(
      `SELECT array_agg(DISTINCT sensor_checks) AS checks FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk
       WHERE ti.dag_id = $1 AND ti.task_id = 'wait_for_carrier_export' AND r.data_interval_start >= $2 AND r.data_interval_end <= $3`,
      [SHIPMENTS, laMidnight(BLACK_FRIDAY), laMidnight(addDays(BLACK_FRIDAY, 1))],
    );
    expect(checks.length).toBe(1);
    expect(checks[0]).toBeGreaterThan(1);

    // The failed try rolled back the rows it had inserted; the retry, 20 minutes later, loaded the hour once.
    const tryRows = await q<{
      try_number: number;
      state: string;
      started_at: Date;
      ended_at: Date;
      error: string;
    }>(
      `SELECT t.try_number, t.state, t.started_at, t.ended_at, t.error FROM task_instance_tries t
       JOIN task_instances ti ON ti.id = t.ti_id WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = 'load_shipments'
       ORDER BY t.try_number`,
      [SHIPMENTS, FLAKY_RUN],
    );
    expect(tryRows[0].error).toMatch(/carrier connection reset .* nothing committed/);
    expect(new Date(tryRows[1].started_at).getTime() - new Date(tryRows[0].ended_at).getTime()).toBe(
      20 * 60_000,
    );
    const [load] = await q(
      `SELECT run_id, exported_rows, loaded_rows, try_number FROM logistics.shipment_loads WHERE hour_start = $1`,
      [laTime('2026-04-25 10:00')],
    );
    expect(load).toMatchObject({ run_id: FLAKY_RUN, try_number: 2 });
    expect(load.loaded_rows).toBe(load.exported_rows);
    expect(load.exported_rows).toBeGreaterThan(0);

    // The 04-25 report started only after the retry landed the hour.
    const [report] = await q<{ started_at: Date }>(
      `SELECT started_at FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
      [ANALYTICS, partitionRunId('2026-04-25')],
    );
    expect(new Date(report.started_at).getTime()).toBeGreaterThanOrEqual(
      new Date(tryRows[1].ended_at).getTime(),
    );
  });

  it('lands every exported shipment exactly once, and every hour once', async () => {
    const ids = async (text: string, params: unknown[] = []) =>
      (await q<{ id: string }>(text, params)).map((r) => r.id).sort();
    const landed = await ids(`SELECT shipment_id AS id FROM logistics.shipments`);
    const exported = await ids(
      `SELECT shipment_id AS id FROM logistics.src_carrier_shipments WHERE shipped_at < $1`,
      [END],
    );
    expect(landed).toEqual(exported);
    const loads = await q<{ hour_start: Date; run_id: string; loaded_rows: number; exported_rows: number }>(
      `SELECT hour_start, run_id, loaded_rows, exported_rows FROM logistics.shipment_loads ORDER BY hour_start`,
    );
    expect(loads).toHaveLength(176);
    for (const l of loads) {
      expect(l.run_id).toBe(scheduledRunId(l.hour_start));
      expect(l.loaded_rows).toBe(l.exported_rows);
    }
    const [{ snapshots }] = await q<{ snapshots: number }>(
      `SELECT count(*)::int AS snapshots FROM logistics.inventory_snapshots`,
    );
    expect(snapshots).toBe(29 * WAREHOUSES.length);
  });

  it('generates sources as a pure function of seed and day, written once whoever asked first', async () => {
    expect(generateDay(BLACK_FRIDAY)).toEqual(generateDay(BLACK_FRIDAY));
    await expectSourcesAsGenerated(q, [...DAYS, '2026-04-27']);
  });
});
