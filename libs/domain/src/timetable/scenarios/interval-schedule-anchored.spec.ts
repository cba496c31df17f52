import { DagDefinition } from '../../dag/dag-definition';
import { timetableForDag } from '../../dag/dag-schedule';
import { DurationError } from '../../time/duration';
import { IntervalTimetable } from '../interval-timetable';
import { dueRuns } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: "every N" schedules fire at anchor + k·N (k ≥ 0), anchored at the DAG's start date.
 * Sub-day durations are absolute milliseconds; '1d' / '1w' are calendar steps in the DAG's
 * timezone and keep the wall-clock time across DST.
 */
const LA = 'America/Los_Angeles';
const ANCHOR = new Date('2026-04-01T00:07:00Z');
const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());

function intervalDag(overrides: Partial<DagDefinition>): DagDefinition {
  return {
    dagId: 'poller',
    tags: [],
    schedule: { kind: 'interval', every: '15m' },
    timezone: 'UTC',
    catchup: true,
    maxActiveRuns: 16,
    maxActiveTasks: 16,
    tasks: [],
    assets: [],
    ...overrides,
  };
}

describe('scenario: interval schedule anchored at the start date', () => {
  const every15 = new IntervalTimetable('15m', ANCHOR);

  it("every '15m' fires at the anchor's minute phase (:07, :22, :37, :52), not on the clock quarter", () => {
    expect(times(nextFires(every15, new Date('2026-04-01T00:00:00Z'), 4))).toEqual([
      '2026-04-01T00:07:00.000Z',
      '2026-04-01T00:22:00.000Z',
      '2026-04-01T00:37:00.000Z',
      '2026-04-01T00:52:00.000Z',
    ]);
  });

  it('next/previous around an arbitrary instant stay on the anchor grid', () => {
    expect(every15.nextFireAfter(new Date('2026-04-01T10:00:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T10:07:00.000Z',
    );
    expect(every15.nextFireAfter(new Date('2026-04-01T10:07:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T10:22:00.000Z',
    );
    expect(every15.previousFireBefore(new Date('2026-04-01T10:00:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T09:52:00.000Z',
    );
    expect(every15.previousFireBefore(new Date('2026-04-01T10:07:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T09:52:00.000Z',
    );
  });

  it('nothing fires before the anchor: previousFireBefore the anchor is null, nextFireAfter earlier is the anchor', () => {
    expect(every15.previousFireBefore(ANCHOR)).toBeNull();
    expect(every15.previousFireBefore(new Date('2026-03-01T00:00:00Z'))).toBeNull();
    expect(every15.previousFireBefore(new Date(ANCHOR.getTime() + 1))?.at).toEqual(ANCHOR);
    expect(every15.nextFireAfter(new Date('2025-01-01T00:00:00Z'))).toEqual({ at: ANCHOR, dst: null });
  });

  it('the DAG start date is the anchor; without one, the first deploy is', () => {
    const withStart = timetableForDag(
      intervalDag({ startDate: '2026-04-01T00:07:00Z' }),
      new Date('2026-05-01T00:00:00Z'),
    );
    expect(withStart?.nextFireAfter(new Date('2026-04-01T10:00:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T10:07:00.000Z',
    );
    const deployed = timetableForDag(intervalDag({}), new Date('2026-04-01T00:05:30Z'));
    expect(deployed?.nextFireAfter(new Date('2026-04-01T10:00:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T10:05:30.000Z',
    );
    expect(deployed?.previousFireBefore(new Date('2026-04-01T00:05:30Z'))).toBeNull();
  });

  it('runs: each covers [fire, fire + 15m) and is due at its end', () => {
    const runs = dueRuns(
      { timetable: every15, startDate: ANCHOR, catchup: true },
      null,
      new Date('2026-04-01T01:00:00Z'),
    );
    expect(runs.map((r) => [r.logicalDate.toISOString(), r.runAfter.toISOString()])).toEqual([
      ['2026-04-01T00:07:00.000Z', '2026-04-01T00:22:00.000Z'],
      ['2026-04-01T00:22:00.000Z', '2026-04-01T00:37:00.000Z'],
      ['2026-04-01T00:37:00.000Z', '2026-04-01T00:52:00.000Z'],
    ]);
  });

  it("'15m' is absolute across DST: 92 fires in the LA spring-forward day, 01:45 PST → 03:00 PDT", () => {
    const tt = new IntervalTimetable('15m', new Date('2026-03-08T08:00:00Z'), LA);
    const fires = firesBetween(tt, new Date('2026-03-08T08:00:00Z'), new Date('2026-03-09T07:00:00Z'));
    expect(fires).toHaveLength(92);
    expect(times(fires.slice(6, 9))).toEqual([
      '2026-03-08T09:30:00.000Z',
      '2026-03-08T09:45:00.000Z', // 01:45 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT
    ]);
  });

  it("'1h' is absolute across fall-back: 25 fires in the LA fall-back day", () => {
    const tt = new IntervalTimetable('1h', new Date('2026-11-01T07:00:00Z'), LA);
    expect(firesBetween(tt, new Date('2026-11-01T07:00:00Z'), new Date('2026-11-02T08:00:00Z'))).toHaveLength(
      25,
    );
  });

  it("'1d' keeps 02:00 wall time across fall-back in LA (25 real hours that day)", () => {
    const tt = new IntervalTimetable('1d', new Date('2026-10-30T09:00:00Z'), LA); // 02:00 PDT
    expect(times(nextFires(tt, new Date('2026-10-30T00:00:00Z'), 4))).toEqual([
      '2026-10-30T09:00:00.000Z', // 02:00 PDT
      '2026-10-31T09:00:00.000Z', // 02:00 PDT
      '2026-11-01T10:00:00.000Z', // 02:00 PST
      '2026-11-02T10:00:00.000Z', // 02:00 PST
    ]);
  });

  it("'1d' keeps 02:00 wall time across spring-forward in LA; on the day 02:00 does not exist it fires at 03:00 PDT", () => {
    const tt = new IntervalTimetable('1d', new Date('2026-03-06T10:00:00Z'), LA); // 02:00 PST
    expect(times(nextFires(tt, new Date('2026-03-06T00:00:00Z'), 5))).toEqual([
      '2026-03-06T10:00:00.000Z', // 02:00 PST
      '2026-03-07T10:00:00.000Z', // 02:00 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT
      '2026-03-09T09:00:00.000Z', // 02:00 PDT
      '2026-03-10T09:00:00.000Z', // 02:00 PDT
    ]);
  });

  it("'1d' stays on the wall clock months later, in both directions", () => {
    const tt = new IntervalTimetable('1d', new Date('2026-03-06T10:00:00Z'), LA);
    expect(tt.nextFireAfter(new Date('2026-07-01T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-07-01T09:00:00.000Z',
    );
    expect(tt.previousFireBefore(new Date('2026-12-25T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-12-24T10:00:00.000Z',
    );
    expect(tt.previousFireBefore(new Date('2026-07-01T09:00:00Z'))?.at.toISOString()).toBe(
      '2026-06-30T09:00:00.000Z',
    );
  });

  it("'1w' keeps 09:00 across fall-back; '1d12h' is absolute (36 real hours)", () => {
    const weekly = new IntervalTimetable('1w', new Date('2026-10-26T16:00:00Z'), LA); // Mon 09:00 PDT
    expect(weekly.nextFireAfter(new Date('2026-10-26T16:00:00Z'))?.at.toISOString()).toBe(
      '2026-11-02T17:00:00.000Z',
    );
    const mixed = new IntervalTimetable('1d12h', new Date('2026-10-31T12:00:00Z'), LA);
    expect(mixed.nextFireAfter(new Date('2026-10-31T12:00:00Z'))?.at.toISOString()).toBe(
      '2026-11-02T00:00:00.000Z',
    );
  });

  it('describes itself with the anchor in the DAG timezone', () => {
    expect(new IntervalTimetable('1d', new Date('2026-03-06T10:00:00Z'), LA).describe()).toBe(
      'Every 1 day, from 2026-03-06T02:00:00-08:00',
    );
  });

  it('refuses a zero or unreadable interval', () => {
    expect(() => new IntervalTimetable('0s', ANCHOR)).toThrow(
      new RangeError('interval must be positive, got 0s'),
    );
    expect(() => new IntervalTimetable('fifteen minutes', ANCHOR)).toThrow(DurationError);
  });
});
