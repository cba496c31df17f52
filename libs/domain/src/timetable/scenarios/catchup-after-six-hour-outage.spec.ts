import { CronTimetable } from '../cron-timetable';
import { DataInterval, PlannedRun, RunSchedule, dueRuns, nextPlannedRun } from '../run-planner';

/**
 * Scenario: an hourly DAG whose scheduler was down for six hours.
 * The last run created covers [2026-04-25T23:00Z, 2026-04-26T00:00Z). The scheduler comes back at
 * 2026-04-26T06:10Z. Intervals that ended while it was down: [00:00, 01:00) ... [05:00, 06:00).
 */
const HOURLY = new CronTimetable('0 * * * *');
const LAST_RUN: DataInterval = {
  start: new Date('2026-04-25T23:00:00Z'),
  end: new Date('2026-04-26T00:00:00Z'),
};
const BACK_AT = new Date('2026-04-26T06:10:00Z');

const schedule = (catchup: boolean): RunSchedule => ({
  timetable: HOURLY,
  startDate: new Date('2026-04-01T00:00:00Z'),
  catchup,
});
const logical = (runs: PlannedRun[]) => runs.map((r) => r.logicalDate.toISOString());

describe('scenario: catchup after a six-hour outage', () => {
  it('catchup on: exactly 6 due runs, logical dates 00:00 through 05:00, oldest first', () => {
    const runs = dueRuns(schedule(true), LAST_RUN, BACK_AT);
    expect(logical(runs)).toEqual([
      '2026-04-26T00:00:00.000Z',
      '2026-04-26T01:00:00.000Z',
      '2026-04-26T02:00:00.000Z',
      '2026-04-26T03:00:00.000Z',
      '2026-04-26T04:00:00.000Z',
      '2026-04-26T05:00:00.000Z',
    ]);
  });

  it('catchup on: each run covers one hour and may run at its interval end', () => {
    const runs = dueRuns(schedule(true), LAST_RUN, BACK_AT);
    expect(runs[0]).toEqual({
      logicalDate: new Date('2026-04-26T00:00:00Z'),
      dataInterval: { start: new Date('2026-04-26T00:00:00Z'), end: new Date('2026-04-26T01:00:00Z') },
      runAfter: new Date('2026-04-26T01:00:00Z'),
      dst: null,
    });
    expect(runs[5].dataInterval.end.toISOString()).toBe('2026-04-26T06:00:00.000Z');
    for (let i = 1; i < runs.length; i++) {
      // contiguous: no gap, no overlap
      expect(runs[i].dataInterval.start.getTime()).toBe(runs[i - 1].dataInterval.end.getTime());
    }
  });

  it('catchup off: exactly 1 due run, the latest complete interval [05:00, 06:00)', () => {
    const runs = dueRuns(schedule(false), LAST_RUN, BACK_AT);
    expect(runs).toHaveLength(1);
    expect(runs[0].logicalDate.toISOString()).toBe('2026-04-26T05:00:00.000Z');
    expect(runs[0].dataInterval).toEqual({
      start: new Date('2026-04-26T05:00:00Z'),
      end: new Date('2026-04-26T06:00:00Z'),
    });
  });

  it('after either recovery the next run is [06:00, 07:00), due at 07:00, not yet at 06:10', () => {
    for (const catchup of [true, false]) {
      const runs = dueRuns(schedule(catchup), LAST_RUN, BACK_AT);
      const last = runs[runs.length - 1].dataInterval;
      const next = nextPlannedRun(schedule(catchup), last, BACK_AT);
      expect(next?.logicalDate.toISOString()).toBe('2026-04-26T06:00:00.000Z');
      expect(next?.runAfter.toISOString()).toBe('2026-04-26T07:00:00.000Z');
      expect(dueRuns(schedule(catchup), last, BACK_AT)).toEqual([]);
    }
  });

  it('catchup off: the interval counts as complete exactly at its end, not a millisecond before', () => {
    const atSix = dueRuns(schedule(false), LAST_RUN, new Date('2026-04-26T06:00:00Z'));
    expect(logical(atSix)).toEqual(['2026-04-26T05:00:00.000Z']);
    const justBefore = dueRuns(schedule(false), LAST_RUN, new Date('2026-04-26T05:59:59.999Z'));
    expect(logical(justBefore)).toEqual(['2026-04-26T04:00:00.000Z']);
  });

  it('catchup on: a limit batches the backlog without losing or repeating an interval', () => {
    const first = dueRuns(schedule(true), LAST_RUN, BACK_AT, 2);
    expect(logical(first)).toEqual(['2026-04-26T00:00:00.000Z', '2026-04-26T01:00:00.000Z']);
    const rest = dueRuns(schedule(true), first[1].dataInterval, BACK_AT);
    expect(logical(rest)).toEqual([
      '2026-04-26T02:00:00.000Z',
      '2026-04-26T03:00:00.000Z',
      '2026-04-26T04:00:00.000Z',
      '2026-04-26T05:00:00.000Z',
    ]);
  });

  it('catchup off does not skip anything when the scheduler was not behind', () => {
    const lastRun = { start: new Date('2026-04-26T04:00:00Z'), end: new Date('2026-04-26T05:00:00Z') };
    expect(logical(dueRuns(schedule(false), lastRun, BACK_AT))).toEqual(['2026-04-26T05:00:00.000Z']);
  });

  it('in Los Angeles an outage over fall-back covers six wall hours but seven real hours: 7 runs', () => {
    // last run ended 2026-11-01 00:00 PDT (07:00Z); back at 06:10 PST (14:10Z): 00:00 → 06:00 on the wall
    const la: RunSchedule = {
      timetable: new CronTimetable('0 * * * *', 'America/Los_Angeles'),
      startDate: new Date('2026-10-01T07:00:00Z'),
      catchup: true,
    };
    const lastRun = { start: new Date('2026-11-01T06:00:00Z'), end: new Date('2026-11-01T07:00:00Z') };
    const now = new Date('2026-11-01T14:10:00Z');
    expect(logical(dueRuns(la, lastRun, now))).toEqual([
      '2026-11-01T07:00:00.000Z', // 00:00 PDT
      '2026-11-01T08:00:00.000Z', // 01:00 PDT
      '2026-11-01T09:00:00.000Z', // 01:00 PST
      '2026-11-01T10:00:00.000Z', // 02:00 PST
      '2026-11-01T11:00:00.000Z', // 03:00 PST
      '2026-11-01T12:00:00.000Z', // 04:00 PST
      '2026-11-01T13:00:00.000Z', // 05:00 PST
    ]);
    const off = dueRuns({ ...la, catchup: false }, lastRun, now);
    expect(logical(off)).toEqual(['2026-11-01T13:00:00.000Z']); // 05:00 PST, closed at 06:00 PST
  });

  it('a first deploy with catchup on and no run yet creates every interval since the start date', () => {
    const fresh: RunSchedule = { ...schedule(true), startDate: new Date('2026-04-26T03:00:00Z') };
    expect(logical(dueRuns(fresh, null, BACK_AT))).toEqual([
      '2026-04-26T03:00:00.000Z',
      '2026-04-26T04:00:00.000Z',
      '2026-04-26T05:00:00.000Z',
    ]);
    expect(logical(dueRuns({ ...fresh, catchup: false }, null, BACK_AT))).toEqual([
      '2026-04-26T05:00:00.000Z',
    ]);
  });
});
