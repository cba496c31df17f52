import { daysInMonth, isLeapYear } from '../../time/civil-date';
import { CronTimetable } from '../cron-timetable';
import { IntervalTimetable } from '../interval-timetable';
import { intervalEndingAt, intervalStartingAt } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: February 29. Leap years here: 2000, 2004, ..., 2024, 2028, 2032; 2100 is not one.
 * Weekdays of Feb 29: 2004 Sun, 2024 Thu, 2028 Tue, 2032 Sun, 2036 Fri, ..., 2060 Sun.
 */
const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());

describe('scenario: leap day', () => {
  it("'0 0 29 2 *' fires on 2028-02-29, then 2032-02-29, then 2036-02-29", () => {
    const fires = nextFires(new CronTimetable('0 0 29 2 *'), new Date('2026-01-01T00:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
      '2036-02-29T00:00:00.000Z',
    ]);
  });

  it("'0 0 29 2 *' walking backwards from 2028-02-29 finds 2024-02-29", () => {
    const fire = new CronTimetable('0 0 29 2 *').previousFireBefore(new Date('2028-02-29T00:00:00Z'));
    expect(fire?.at.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('skips 2100 (divisible by 100, not by 400) and keeps 2000 (divisible by 400)', () => {
    const tt = new CronTimetable('0 0 29 2 *');
    expect(tt.nextFireAfter(new Date('2097-01-01T00:00:00Z'))?.at.toISOString()).toBe(
      '2104-02-29T00:00:00.000Z',
    );
    expect(tt.previousFireBefore(new Date('2001-01-01T00:00:00Z'))?.at.toISOString()).toBe(
      '2000-02-29T00:00:00.000Z',
    );
    expect(tt.previousFireBefore(new Date('2000-02-29T00:00:00Z'))?.at.toISOString()).toBe(
      '1996-02-29T00:00:00.000Z',
    );
    expect([isLeapYear(2000), isLeapYear(2028), isLeapYear(2100), isLeapYear(2026)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([daysInMonth(2028, 2), daysInMonth(2026, 2), daysInMonth(2100, 2)]).toEqual([29, 28, 28]);
  });

  it('the run that fires on a leap day covers four years: logical date = the previous leap day', () => {
    const tt = new CronTimetable('0 0 29 2 *');
    expect(intervalEndingAt(tt, new Date('2032-02-29T00:00:00Z'))).toEqual({
      start: new Date('2028-02-29T00:00:00Z'),
      end: new Date('2032-02-29T00:00:00Z'),
    });
    expect(intervalStartingAt(tt, new Date('2028-02-29T00:00:00Z'))?.runAfter.toISOString()).toBe(
      '2032-02-29T00:00:00.000Z',
    );
  });

  it("'0 0 29 2 */7' (day-of-week starts with '*', so AND): Feb 29 that is a Sunday — 2032, then 2060", () => {
    const tt = new CronTimetable('0 0 29 2 */7');
    expect(times(nextFires(tt, new Date('2026-01-01T00:00:00Z'), 2))).toEqual([
      '2032-02-29T00:00:00.000Z',
      '2060-02-29T00:00:00.000Z',
    ]);
    expect(tt.previousFireBefore(new Date('2032-02-29T00:00:00Z'))?.at.toISOString()).toBe(
      '2004-02-29T00:00:00.000Z',
    );
  });

  it("'0 0 29 2 MON' (both restricted, so OR): every Monday in February plus Feb 29", () => {
    const fires = nextFires(new CronTimetable('0 0 29 2 MON'), new Date('2027-03-01T00:00:00Z'), 6);
    expect(times(fires)).toEqual([
      '2028-02-07T00:00:00.000Z',
      '2028-02-14T00:00:00.000Z',
      '2028-02-21T00:00:00.000Z',
      '2028-02-28T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z', // a Tuesday, matched by day-of-month
      '2029-02-05T00:00:00.000Z',
    ]);
  });

  it('a daily cron fires 29 times in February 2028 and 28 times in February 2026', () => {
    const tt = new CronTimetable('0 12 * * *');
    expect(firesBetween(tt, new Date('2028-02-01T00:00:00Z'), new Date('2028-03-01T00:00:00Z'))).toHaveLength(
      29,
    );
    expect(firesBetween(tt, new Date('2026-02-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z'))).toHaveLength(
      28,
    );
  });

  it('a yearly 1 March schedule: the interval holding Feb 29 is 366 days long', () => {
    const tt = new CronTimetable('0 0 1 3 *');
    const leap = intervalEndingAt(tt, new Date('2028-03-01T00:00:00Z'));
    const common = intervalEndingAt(tt, new Date('2029-03-01T00:00:00Z'));
    expect(leap?.start.toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect((leap!.end.getTime() - leap!.start.getTime()) / 86_400_000).toBe(366);
    expect((common!.end.getTime() - common!.start.getTime()) / 86_400_000).toBe(365);
  });

  it("interval '1d' steps through Feb 29", () => {
    const tt = new IntervalTimetable('1d', new Date('2028-02-27T00:00:00Z'));
    expect(times(nextFires(tt, new Date('2028-02-27T00:00:00Z'), 3))).toEqual([
      '2028-02-28T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ]);
  });

  it("interval '1w' from 2028-02-26 lands on 2028-03-04 (February has 29 days)", () => {
    const tt = new IntervalTimetable('1w', new Date('2028-02-26T00:00:00Z'));
    expect(tt.nextFireAfter(new Date('2028-02-26T00:00:00Z'))?.at.toISOString()).toBe(
      '2028-03-04T00:00:00.000Z',
    );
  });

  it("interval '1d' at 02:00 in Los Angeles keeps 02:00 PST through Feb 29", () => {
    const tt = new IntervalTimetable('1d', new Date('2028-02-28T10:00:00Z'), 'America/Los_Angeles');
    expect(times(nextFires(tt, new Date('2028-02-28T10:00:00Z'), 2))).toEqual([
      '2028-02-29T10:00:00.000Z',
      '2028-03-01T10:00:00.000Z',
    ]);
  });

  it('Feb 29 is the local date: 00:00 PST on 2028-02-29 in Los Angeles is 08:00Z', () => {
    const fire = new CronTimetable('0 0 29 2 *', 'America/Los_Angeles').nextFireAfter(
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(fire?.at.toISOString()).toBe('2028-02-29T08:00:00.000Z');
  });
});
