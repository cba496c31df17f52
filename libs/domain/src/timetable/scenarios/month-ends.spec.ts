import { CronSyntaxError, parseCron } from '../../cron/cron-expression';
import { CronTimetable } from '../cron-timetable';
import { intervalEndingAt, intervalStartingAt } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: schedules on the last days of the month. Standard (Vixie) cron has no `L`:
 * '0 0 31 * *' simply skips months without a 31st, and '28-31' fires on every one of those
 * days that exists. 2026 is not a leap year; 2028 is.
 */
const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());

describe('scenario: month ends', () => {
  it("'0 0 31 * *' fires only in months with 31 days", () => {
    const fires = nextFires(new CronTimetable('0 0 31 * *'), new Date('2026-01-01T00:00:00Z'), 8);
    expect(times(fires)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z', // no Feb 31
      '2026-05-31T00:00:00.000Z', // no Apr 31
      '2026-07-31T00:00:00.000Z', // no Jun 31
      '2026-08-31T00:00:00.000Z',
      '2026-10-31T00:00:00.000Z', // no Sep 31
      '2026-12-31T00:00:00.000Z', // no Nov 31
      '2027-01-31T00:00:00.000Z',
    ]);
  });

  it("'0 0 31 * *' walking backwards from July lands on May 31 (June has 30 days)", () => {
    const fire = new CronTimetable('0 0 31 * *').previousFireBefore(new Date('2026-07-01T00:00:00Z'));
    expect(fire?.at.toISOString()).toBe('2026-05-31T00:00:00.000Z');
  });

  it("'0 0 30 * *' skips only February", () => {
    const fires = nextFires(new CronTimetable('0 0 30 * *'), new Date('2026-01-01T00:00:00Z'), 4);
    expect(times(fires)).toEqual([
      '2026-01-30T00:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
      '2026-05-30T00:00:00.000Z',
    ]);
  });

  it("'0 0 28-31 * *' fires on the 28th through the last day, however long the month is", () => {
    const tt = new CronTimetable('0 0 28-31 * *');
    expect(
      times(firesBetween(tt, new Date('2026-02-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z'))),
    ).toEqual(['2026-02-28T00:00:00.000Z']);
    expect(
      times(firesBetween(tt, new Date('2028-02-01T00:00:00Z'), new Date('2028-03-01T00:00:00Z'))),
    ).toEqual(['2028-02-28T00:00:00.000Z', '2028-02-29T00:00:00.000Z']);
    expect(
      times(firesBetween(tt, new Date('2026-04-01T00:00:00Z'), new Date('2026-05-01T00:00:00Z'))),
    ).toEqual(['2026-04-28T00:00:00.000Z', '2026-04-29T00:00:00.000Z', '2026-04-30T00:00:00.000Z']);
    expect(
      times(firesBetween(tt, new Date('2026-03-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'))),
    ).toEqual([
      '2026-03-28T00:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
  });

  it('the data interval of a month-end schedule spans the skipped months', () => {
    const tt = new CronTimetable('0 0 31 * *');
    // the run that fires on 2026-03-31 covers [Jan 31, Mar 31): February had no 31st
    expect(intervalEndingAt(tt, new Date('2026-03-31T00:00:00Z'))).toEqual({
      start: new Date('2026-01-31T00:00:00Z'),
      end: new Date('2026-03-31T00:00:00Z'),
    });
    const run = intervalStartingAt(tt, new Date('2026-03-31T00:00:00Z'));
    expect(run?.logicalDate.toISOString()).toBe('2026-03-31T00:00:00.000Z');
    expect(run?.runAfter.toISOString()).toBe('2026-05-31T00:00:00.000Z');
  });

  it('the month end is the local month end: in Los Angeles the 31st starts at 08:00Z (PST) or 07:00Z (PDT)', () => {
    const fires = nextFires(
      new CronTimetable('0 0 31 * *', 'America/Los_Angeles'),
      new Date('2026-01-01T00:00:00Z'),
      3,
    );
    expect(times(fires)).toEqual([
      '2026-01-31T08:00:00.000Z', // 00:00 PST
      '2026-03-31T07:00:00.000Z', // 00:00 PDT
      '2026-05-31T07:00:00.000Z',
    ]);
  });

  it('a late-evening month-end fire in LA is already the next month in UTC', () => {
    const fire = new CronTimetable('0 20 30 4 *', 'America/Los_Angeles').nextFireAfter(
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(fire?.at.toISOString()).toBe('2026-05-01T03:00:00.000Z'); // 2026-04-30 20:00 PDT
  });

  it('rejects a day of month that never occurs in the chosen months, naming the months', () => {
    expect(() => parseCron('0 0 31 2 *')).toThrow(
      new CronSyntaxError(
        'day-of-month',
        '31 never occurs in FEB, so the schedule would never fire; pick days that exist in those months',
      ),
    );
    expect(() => parseCron('0 0 30 2 *')).toThrow(/30 never occurs in FEB/);
    expect(() => parseCron('0 0 31 4,6,9,11 *')).toThrow(/31 never occurs in APR, JUN, SEP, NOV/);
  });

  it('accepts the 31st in a mix of short and long months, firing only in the long ones', () => {
    const fires = nextFires(new CronTimetable('0 0 31 2-4 *'), new Date('2026-01-01T00:00:00Z'), 2);
    expect(times(fires)).toEqual(['2026-03-31T00:00:00.000Z', '2027-03-31T00:00:00.000Z']);
  });

  it('with day-of-week also restricted (OR rule) an impossible day of month is allowed: Mondays in February', () => {
    const fires = nextFires(new CronTimetable('0 0 31 2 MON'), new Date('2026-03-01T00:00:00Z'), 5);
    expect(times(fires)).toEqual([
      '2027-02-01T00:00:00.000Z',
      '2027-02-08T00:00:00.000Z',
      '2027-02-15T00:00:00.000Z',
      '2027-02-22T00:00:00.000Z',
      '2028-02-07T00:00:00.000Z',
    ]);
  });

  it.each(['L', 'LW', '15W'])(
    "rejects the non-standard last/nearest-weekday token '%s' with a hint",
    (token) => {
      let error: unknown;
      try {
        parseCron(`0 0 ${token} * *`);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CronSyntaxError);
      expect((error as CronSyntaxError).field).toBe('day-of-month');
      expect((error as CronSyntaxError).message).toBe(
        `day-of-month: '${token}' uses L, W or #, which standard (Vixie) cron does not support; list the values explicitly`,
      );
    },
  );
});
