import { CronSyntaxError, parseCron } from '../../cron/cron-expression';
import { CronTimetable } from '../cron-timetable';
import { ScheduledFire, nextFires } from '../timetable';

/**
 * Scenario: the shorthand people actually type — @aliases, month and weekday names, and the
 * optional leading seconds field. Calendar: 2026-04-01 is a Wednesday; 2027-01-01 a Friday;
 * 2028-01-01 a Saturday.
 */
const APR_1 = new Date('2026-04-01T00:00:00Z');
const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());

describe('scenario: aliases and names', () => {
  it.each([
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@monthly', '0 0 1 * *'],
    ['@weekly', '0 0 * * 0'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@hourly', '0 * * * *'],
  ])('%s expands to %s', (alias, expansion) => {
    const cron = parseCron(alias);
    expect(cron.source).toBe(alias);
    expect(cron.normalized).toBe(expansion);
  });

  it('@hourly fires on the hour', () => {
    expect(times(nextFires(new CronTimetable('@hourly'), new Date('2026-04-01T00:30:00Z'), 3))).toEqual([
      '2026-04-01T01:00:00.000Z',
      '2026-04-01T02:00:00.000Z',
      '2026-04-01T03:00:00.000Z',
    ]);
  });

  it('@daily fires at midnight, and at local midnight in a timezone', () => {
    expect(times(nextFires(new CronTimetable('@daily'), new Date('2026-04-01T00:30:00Z'), 2))).toEqual([
      '2026-04-02T00:00:00.000Z',
      '2026-04-03T00:00:00.000Z',
    ]);
    expect(new CronTimetable('@daily', 'America/Los_Angeles').nextFireAfter(APR_1)?.at.toISOString()).toBe(
      '2026-04-01T07:00:00.000Z', // 00:00 PDT on 2026-04-01
    );
  });

  it('@weekly fires at midnight between Saturday and Sunday', () => {
    expect(times(nextFires(new CronTimetable('@weekly'), APR_1, 2))).toEqual([
      '2026-04-05T00:00:00.000Z',
      '2026-04-12T00:00:00.000Z',
    ]);
  });

  it('@monthly fires on the 1st; from the 1st at midnight exactly, the next is the following month', () => {
    expect(times(nextFires(new CronTimetable('@monthly'), APR_1, 2))).toEqual([
      '2026-05-01T00:00:00.000Z',
      '2026-06-01T00:00:00.000Z',
    ]);
  });

  it('@yearly and @annually fire on 1 January', () => {
    for (const alias of ['@yearly', '@annually']) {
      expect(times(nextFires(new CronTimetable(alias), APR_1, 2))).toEqual([
        '2027-01-01T00:00:00.000Z',
        '2028-01-01T00:00:00.000Z',
      ]);
    }
  });

  it('aliases are case-insensitive; an unknown one lists the known ones', () => {
    expect(parseCron('@DAILY').normalized).toBe('0 0 * * *');
    expect(() => parseCron('@fortnightly')).toThrow(
      new CronSyntaxError(
        'expression',
        "unknown alias '@fortnightly'; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or 5 cron fields",
      ),
    );
  });

  it("'0 9 * JAN MON': Mondays in January (day-of-month '*', so AND)", () => {
    expect(times(nextFires(new CronTimetable('0 9 * JAN MON'), APR_1, 5))).toEqual([
      '2027-01-04T09:00:00.000Z',
      '2027-01-11T09:00:00.000Z',
      '2027-01-18T09:00:00.000Z',
      '2027-01-25T09:00:00.000Z',
      '2028-01-03T09:00:00.000Z',
    ]);
  });

  it("weekday ranges by name: '0 9 * * MON-FRI' skips the weekend", () => {
    // from Friday 2026-04-03 10:00
    const fires = nextFires(new CronTimetable('0 9 * * MON-FRI'), new Date('2026-04-03T10:00:00Z'), 6);
    expect(times(fires)).toEqual([
      '2026-04-06T09:00:00.000Z',
      '2026-04-07T09:00:00.000Z',
      '2026-04-08T09:00:00.000Z',
      '2026-04-09T09:00:00.000Z',
      '2026-04-10T09:00:00.000Z',
      '2026-04-13T09:00:00.000Z',
    ]);
  });

  it("names are case-insensitive: '0 0 1 jan-mar *' fires on the first of Jan, Feb, Mar", () => {
    expect(times(nextFires(new CronTimetable('0 0 1 jan-mar *'), APR_1, 4))).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
      '2027-03-01T00:00:00.000Z',
      '2028-01-01T00:00:00.000Z',
    ]);
  });

  it('SUN, 0 and 7 are the same day', () => {
    expect(parseCron('0 0 * * SUN').daysOfWeek).toEqual([0]);
    expect(parseCron('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseCron('0 0 * * FRI-SAT,7').daysOfWeek).toEqual([0, 5, 6]);
    expect(parseCron('0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
  });

  it('an unknown name says what the field accepts', () => {
    expect(() => parseCron('0 0 * * FUN')).toThrow(
      new CronSyntaxError('day-of-week', "'FUN' is not a day of the week; use 0-7 or SUN-SAT"),
    );
    expect(() => parseCron('0 0 1 JANUARY *')).toThrow(
      new CronSyntaxError('month', "'JANUARY' is not a month; use 1-12 or JAN-DEC"),
    );
  });

  it("6 fields: a leading seconds field — '30 */10 * * * *' fires at second 30 every 10 minutes", () => {
    const tt = new CronTimetable('30 */10 * * * *');
    expect(tt.cron.hasSeconds).toBe(true);
    expect(times(nextFires(tt, APR_1, 3))).toEqual([
      '2026-04-01T00:00:30.000Z',
      '2026-04-01T00:10:30.000Z',
      '2026-04-01T00:20:30.000Z',
    ]);
  });

  it("6 fields: '*/20 * * * * *' fires three times a minute", () => {
    expect(times(nextFires(new CronTimetable('*/20 * * * * *'), APR_1, 4))).toEqual([
      '2026-04-01T00:00:20.000Z',
      '2026-04-01T00:00:40.000Z',
      '2026-04-01T00:01:00.000Z',
      '2026-04-01T00:01:20.000Z',
    ]);
  });

  it("6 fields with names: '15 0 9 * * MON' is Monday 09:00:15", () => {
    expect(new CronTimetable('15 0 9 * * MON').nextFireAfter(APR_1)?.at.toISOString()).toBe(
      '2026-04-06T09:00:15.000Z',
    );
  });

  it("6 fields keep the fixed-time DST rule: '0 30 2 * * *' in LA fires at 03:00 PDT on 2026-03-08", () => {
    const fire = new CronTimetable('0 30 2 * * *', 'America/Los_Angeles').nextFireAfter(
      new Date('2026-03-08T08:00:00Z'),
    );
    expect(fire?.at.toISOString()).toBe('2026-03-08T10:00:00.000Z');
    expect(fire?.dst?.kind).toBe('moved-out-of-gap');
  });

  it('5 fields default seconds to 0; 4 or 7 fields are refused', () => {
    expect(parseCron('0 9 * * *').seconds).toEqual([0]);
    expect(() => parseCron('0 9 * *')).toThrow(
      'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 4',
    );
    expect(() => parseCron('0 0 9 * * * 2026')).toThrow(/got 7$/);
  });

  it('describes a schedule with its timezone', () => {
    expect(new CronTimetable('@daily', 'America/Los_Angeles').describe()).toMatch(
      /\(America\/Los_Angeles\)$/,
    );
  });
});
