import { parseCron } from '../../cron/cron-expression';
import { daysFromCivil } from '../../time/civil-date';
import { CronTimetable } from '../cron-timetable';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: Vixie cron's day rule.
 * - both day-of-month and day-of-week restricted (neither starts with '*'): a day matches if EITHER matches;
 * - either one starts with '*' (including '*' steps and '?'): BOTH must match.
 *
 * Calendar used (2026): Apr 1 Wed; Mondays in April 6, 13, 20, 27; Fridays 3, 10, 17, 24;
 * May 1 Fri, Mondays in May 4, 11, 18, 25; Jun 1 Mon; Feb 13 is a Friday.
 */
const APR_1 = new Date('2026-04-01T00:00:00Z');
const days = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString().slice(0, 10));
const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());

describe('scenario: day-of-month and day-of-week', () => {
  it("'0 9 13 * 5' (both restricted) fires on the 13th OR on any Friday", () => {
    const fires = nextFires(new CronTimetable('0 9 13 * 5'), APR_1, 8);
    expect(times(fires)).toEqual([
      '2026-04-03T09:00:00.000Z', // Fri
      '2026-04-10T09:00:00.000Z', // Fri
      '2026-04-13T09:00:00.000Z', // the 13th, a Monday
      '2026-04-17T09:00:00.000Z', // Fri
      '2026-04-24T09:00:00.000Z', // Fri
      '2026-05-01T09:00:00.000Z', // Fri
      '2026-05-08T09:00:00.000Z', // Fri
      '2026-05-13T09:00:00.000Z', // the 13th, a Wednesday
    ]);
  });

  it('a Friday the 13th matches both sides and still fires once', () => {
    const fires = firesBetween(
      new CronTimetable('0 9 13 * 5'),
      new Date('2026-02-01T00:00:00Z'),
      new Date('2026-03-01T00:00:00Z'),
    );
    expect(days(fires)).toEqual(['2026-02-06', '2026-02-13', '2026-02-20', '2026-02-27']);
  });

  it("'0 9 */2 * 1' (day-of-month starts with '*') fires on odd days that are ALSO Mondays", () => {
    const fires = nextFires(new CronTimetable('0 9 */2 * 1'), APR_1, 7);
    expect(days(fires)).toEqual([
      '2026-04-13',
      '2026-04-27',
      '2026-05-11',
      '2026-05-25',
      '2026-06-01',
      '2026-06-15',
      '2026-06-29',
    ]);
  });

  it("'0 9 1-31/2 * 1' lists the same odd days without a leading '*', so it is OR: odd days plus Mondays", () => {
    const fires = nextFires(new CronTimetable('0 9 1-31/2 * 1'), APR_1, 9);
    expect(days(fires)).toEqual([
      '2026-04-01',
      '2026-04-03',
      '2026-04-05',
      '2026-04-06', // Monday, even
      '2026-04-07',
      '2026-04-09',
      '2026-04-11',
      '2026-04-13', // odd and Monday: once
      '2026-04-15',
    ]);
  });

  it("'0 9 1 * */2' (day-of-week starts with '*'): the 1st only when it is a Sun, Tue, Thu or Sat", () => {
    const fires = nextFires(new CronTimetable('0 9 1 * */2'), new Date('2025-12-31T12:00:00Z'), 5);
    expect(days(fires)).toEqual([
      '2026-01-01', // Thu
      '2026-02-01', // Sun
      '2026-03-01', // Sun (Apr 1 Wed, May 1 Fri, Jun 1 Mon, Jul 1 Wed skipped)
      '2026-08-01', // Sat
      '2026-09-01', // Tue
    ]);
  });

  it("a full-range day-of-week '0-6' is still 'restricted' (no leading '*'): OR with the 1st means every day", () => {
    const fires = nextFires(new CronTimetable('0 9 1 * 0-6'), APR_1, 3);
    expect(days(fires)).toEqual(['2026-04-01', '2026-04-02', '2026-04-03']);
  });

  it("'?' counts as '*': '0 9 ? * MON' is Mondays only", () => {
    const fires = nextFires(new CronTimetable('0 9 ? * MON'), APR_1, 2);
    expect(days(fires)).toEqual(['2026-04-06', '2026-04-13']);
    expect(parseCron('0 9 ? * MON').dayOfMonthStar).toBe(true);
  });

  it('only one side restricted: that side alone decides', () => {
    expect(days(nextFires(new CronTimetable('0 9 13 * *'), APR_1, 2))).toEqual(['2026-04-13', '2026-05-13']);
    expect(days(nextFires(new CronTimetable('0 9 * * 1'), APR_1, 2))).toEqual(['2026-04-06', '2026-04-13']);
  });

  it('day-of-week 7 is Sunday, like 0', () => {
    expect(days(nextFires(new CronTimetable('0 9 * * 7'), APR_1, 2))).toEqual(['2026-04-05', '2026-04-12']);
    expect(parseCron('0 9 * * 7').daysOfWeek).toEqual([0]);
  });

  it('matchesDay applies the same rules to epoch days', () => {
    const or = new CronTimetable('0 9 13 * 5');
    const and = new CronTimetable('0 9 */2 * 1');
    expect(or.matchesDay(daysFromCivil(2026, 4, 13))).toBe(true); // 13th, Monday
    expect(or.matchesDay(daysFromCivil(2026, 4, 17))).toBe(true); // Friday
    expect(or.matchesDay(daysFromCivil(2026, 4, 14))).toBe(false); // Tuesday the 14th
    expect(and.matchesDay(daysFromCivil(2026, 4, 13))).toBe(true); // odd Monday
    expect(and.matchesDay(daysFromCivil(2026, 4, 20))).toBe(false); // even Monday
    expect(and.matchesDay(daysFromCivil(2026, 4, 15))).toBe(false); // odd Wednesday
  });

  it('days are matched on the local calendar: the 13th 20:00 in Los Angeles is the 14th in UTC', () => {
    const fire = new CronTimetable('0 20 13 * *', 'America/Los_Angeles').nextFireAfter(APR_1);
    expect(fire?.at.toISOString()).toBe('2026-04-14T03:00:00.000Z');
    // and Friday 23:30 in LA is Saturday in UTC
    const friday = new CronTimetable('30 23 * * FRI', 'America/Los_Angeles').nextFireAfter(APR_1);
    expect(friday?.at.toISOString()).toBe('2026-04-04T06:30:00.000Z');
  });
});
