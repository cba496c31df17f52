import { DagDefinition } from '../../dag/dag-definition';
import { runScheduleForDag } from '../../dag/dag-schedule';
import { CronTimetable } from '../cron-timetable';
import {
  PlannedRun,
  RunSchedule,
  dueRuns,
  intervalEndingAt,
  intervalStartingAt,
  latestCompleteInterval,
  nextPlannedRun,
} from '../run-planner';

/**
 * Scenario: a run fires at the END of its data interval; its logical date is the interval START.
 * For a daily 02:00 cron, the run that fires 2026-04-26 02:00 has logical date 2026-04-25 02:00
 * and data interval [2026-04-25 02:00, 2026-04-26 02:00).
 * Los Angeles is on PDT (UTC-07:00) throughout April 2026: 02:00 local = 09:00Z.
 */
const LA = 'America/Los_Angeles';
const logical = (runs: PlannedRun[]) => runs.map((r) => r.logicalDate.toISOString());

function dag(overrides: Partial<DagDefinition>): DagDefinition {
  return {
    dagId: 'daily_etl',
    tags: [],
    schedule: { kind: 'cron', expression: '0 2 * * *' },
    timezone: 'UTC',
    catchup: true,
    maxActiveRuns: 16,
    maxActiveTasks: 16,
    tasks: [],
    assets: [],
    ...overrides,
  };
}

describe('scenario: data interval and logical date', () => {
  it('UTC: the run firing 2026-04-26T02:00 has logical date 2026-04-25T02:00', () => {
    const tt = new CronTimetable('0 2 * * *');
    expect(intervalEndingAt(tt, new Date('2026-04-26T02:00:00Z'))).toEqual({
      start: new Date('2026-04-25T02:00:00Z'),
      end: new Date('2026-04-26T02:00:00Z'),
    });
    expect(intervalStartingAt(tt, new Date('2026-04-25T02:00:00Z'))).toEqual({
      logicalDate: new Date('2026-04-25T02:00:00Z'),
      dataInterval: { start: new Date('2026-04-25T02:00:00Z'), end: new Date('2026-04-26T02:00:00Z') },
      runAfter: new Date('2026-04-26T02:00:00Z'),
      dst: null,
    });
  });

  it('Los Angeles: the run firing 2026-04-26 02:00 PDT has logical date 2026-04-25 02:00 PDT', () => {
    const tt = new CronTimetable('0 2 * * *', LA);
    const latest = latestCompleteInterval(tt, new Date('2026-04-26T09:00:00Z'));
    expect(latest?.logicalDate.toISOString()).toBe('2026-04-25T09:00:00.000Z');
    expect(latest?.dataInterval).toEqual({
      start: new Date('2026-04-25T09:00:00Z'),
      end: new Date('2026-04-26T09:00:00Z'),
    });
    expect(latest?.runAfter.toISOString()).toBe('2026-04-26T09:00:00.000Z');
  });

  it('the latest complete interval switches exactly at the fire instant', () => {
    const tt = new CronTimetable('0 2 * * *');
    expect(latestCompleteInterval(tt, new Date('2026-04-26T01:59:59.999Z'))?.logicalDate.toISOString()).toBe(
      '2026-04-24T02:00:00.000Z',
    );
    expect(latestCompleteInterval(tt, new Date('2026-04-26T02:00:00Z'))?.logicalDate.toISOString()).toBe(
      '2026-04-25T02:00:00.000Z',
    );
  });

  it('the first run after startDate has logical date = the first fire at or after startDate, and waits a full day', () => {
    const schedule: RunSchedule = {
      timetable: new CronTimetable('0 2 * * *'),
      startDate: new Date('2026-04-01T00:00:00Z'),
      catchup: true,
    };
    const first = nextPlannedRun(schedule, null, new Date('2026-04-01T12:00:00Z'));
    expect(first?.logicalDate.toISOString()).toBe('2026-04-01T02:00:00.000Z');
    expect(first?.runAfter.toISOString()).toBe('2026-04-02T02:00:00.000Z');
    // not due on the start day itself: its interval has not ended
    expect(dueRuns(schedule, null, new Date('2026-04-01T12:00:00Z'))).toEqual([]);
    expect(logical(dueRuns(schedule, null, new Date('2026-04-02T02:00:00Z')))).toEqual([
      '2026-04-01T02:00:00.000Z',
    ]);
  });

  it('a startDate exactly on a fire is itself the first logical date; one millisecond later it is the next day', () => {
    const base = { timetable: new CronTimetable('0 2 * * *'), catchup: true };
    const now = new Date('2026-04-01T00:00:00Z');
    expect(
      nextPlannedRun(
        { ...base, startDate: new Date('2026-04-01T02:00:00Z') },
        null,
        now,
      )?.logicalDate.toISOString(),
    ).toBe('2026-04-01T02:00:00.000Z');
    expect(
      nextPlannedRun(
        { ...base, startDate: new Date('2026-04-01T02:00:00.001Z') },
        null,
        now,
      )?.logicalDate.toISOString(),
    ).toBe('2026-04-02T02:00:00.000Z');
  });

  it('endDate is the last logical date (inclusive): no run after it', () => {
    const schedule: RunSchedule = {
      timetable: new CronTimetable('0 2 * * *'),
      startDate: new Date('2026-04-01T00:00:00Z'),
      endDate: new Date('2026-04-03T02:00:00Z'),
      catchup: true,
    };
    const runs = dueRuns(schedule, null, new Date('2026-04-20T00:00:00Z'));
    expect(logical(runs)).toEqual([
      '2026-04-01T02:00:00.000Z',
      '2026-04-02T02:00:00.000Z',
      '2026-04-03T02:00:00.000Z', // fires 2026-04-04T02:00
    ]);
    expect(nextPlannedRun(schedule, runs[2].dataInterval, new Date('2026-04-20T00:00:00Z'))).toBeNull();
  });

  it("a DAG in Los Angeles with startDate '2026-04-01' and endDate '2026-04-03' (local midnights) gets two runs", () => {
    const schedule = runScheduleForDag(
      dag({ timezone: LA, startDate: '2026-04-01', endDate: '2026-04-03' }),
      new Date('2026-03-15T00:00:00Z'),
    )!;
    expect(schedule.startDate.toISOString()).toBe('2026-04-01T07:00:00.000Z'); // 00:00 PDT
    expect(schedule.endDate?.toISOString()).toBe('2026-04-03T07:00:00.000Z');
    const runs = dueRuns(schedule, null, new Date('2026-04-20T00:00:00Z'));
    // 2026-04-03 02:00 PDT (09:00Z) is after the end date (00:00 PDT), so it is not a logical date
    expect(runs.map((r) => [r.logicalDate.toISOString(), r.runAfter.toISOString()])).toEqual([
      ['2026-04-01T09:00:00.000Z', '2026-04-02T09:00:00.000Z'],
      ['2026-04-02T09:00:00.000Z', '2026-04-03T09:00:00.000Z'],
    ]);
  });

  it('a DAG without a start date starts at its first deploy', () => {
    const deployedAt = new Date('2026-04-10T15:00:00Z');
    const schedule = runScheduleForDag(dag({}), deployedAt)!;
    expect(schedule.startDate).toEqual(deployedAt);
    const first = nextPlannedRun(schedule, null, deployedAt);
    expect(first?.logicalDate.toISOString()).toBe('2026-04-11T02:00:00.000Z');
    expect(first?.runAfter.toISOString()).toBe('2026-04-12T02:00:00.000Z');
  });

  it('logical dates are the previous fire, not "yesterday": a weekly Monday 06:00 LA run', () => {
    const tt = new CronTimetable('0 6 * * MON', LA);
    // run firing Monday 2026-04-27 06:00 PDT (13:00Z) covers the previous Monday onward
    expect(intervalEndingAt(tt, new Date('2026-04-27T13:00:00Z'))).toEqual({
      start: new Date('2026-04-20T13:00:00Z'),
      end: new Date('2026-04-27T13:00:00Z'),
    });
  });
});
