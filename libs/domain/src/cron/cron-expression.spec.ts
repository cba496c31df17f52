import { CRON_ALIASES, CronFieldName, CronSyntaxError, cronProblem, parseCron } from './cron-expression';

/** The CronSyntaxError thrown by parseCron, or a failure when it parses. */
function syntaxErrorOf(expression: string): CronSyntaxError {
  try {
    parseCron(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(CronSyntaxError);
    return error as CronSyntaxError;
  }
  throw new Error(`expected '${expression}' to be rejected, but it parsed`);
}

function expectRejected(expression: string, field: CronFieldName | 'expression', problem: string): void {
  const error = syntaxErrorOf(expression);
  expect({ field: error.field, problem: error.problem }).toEqual({ field, problem });
  expect(error.message).toBe(`${field}: ${problem}`);
}

const ALL_MINUTES = Array.from({ length: 60 }, (_, i) => i);
const ALL_HOURS = Array.from({ length: 24 }, (_, i) => i);
const ALL_DAYS_OF_MONTH = Array.from({ length: 31 }, (_, i) => i + 1);
const ALL_MONTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const ALL_DAYS_OF_WEEK = [0, 1, 2, 3, 4, 5, 6];

describe('parseCron', () => {
  it('expands a 5-field expression with seconds defaulting to 0', () => {
    const cron = parseCron('*/20 2,14 * * MON-FRI');
    expect(cron.seconds).toEqual([0]);
    expect(cron.minutes).toEqual([0, 20, 40]);
    expect(cron.hours).toEqual([2, 14]);
    expect(cron.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(cron.fixedTime).toBe(false);
  });

  it('names the field and the problem for an out-of-range value', () => {
    expect(() => parseCron('61 * * * *')).toThrow(new CronSyntaxError('minute', '61 is out of range 0-59'));
  });

  describe('valid expressions', () => {
    it('expands every field of "* * * * *" to its full range', () => {
      const cron = parseCron('* * * * *');
      expect(cron).toEqual({
        source: '* * * * *',
        normalized: '* * * * *',
        hasSeconds: false,
        seconds: [0],
        minutes: ALL_MINUTES,
        hours: ALL_HOURS,
        daysOfMonth: ALL_DAYS_OF_MONTH,
        months: ALL_MONTHS,
        daysOfWeek: ALL_DAYS_OF_WEEK,
        dayOfMonthStar: true,
        dayOfWeekStar: true,
        fixedTime: false,
      });
    });

    it('parses a plain daily expression', () => {
      const cron = parseCron('0 2 * * *');
      expect(cron.minutes).toEqual([0]);
      expect(cron.hours).toEqual([2]);
      expect(cron.daysOfMonth).toEqual(ALL_DAYS_OF_MONTH);
      expect(cron.months).toEqual(ALL_MONTHS);
      expect(cron.daysOfWeek).toEqual(ALL_DAYS_OF_WEEK);
      expect(cron.hasSeconds).toBe(false);
      expect(cron.fixedTime).toBe(true);
    });

    it('reads 6 fields as seconds first', () => {
      const cron = parseCron('30 15 2 * * *');
      expect(cron.hasSeconds).toBe(true);
      expect(cron.seconds).toEqual([30]);
      expect(cron.minutes).toEqual([15]);
      expect(cron.hours).toEqual([2]);
      expect(cron.normalized).toBe('30 15 2 * * *');
    });

    it('expands a seconds step in a 6-field expression', () => {
      expect(parseCron('*/20 * * * * *').seconds).toEqual([0, 20, 40]);
    });

    it('trims the source and accepts tabs and repeated spaces between fields', () => {
      const cron = parseCron('  0\t2   * *  1  ');
      expect(cron.source).toBe('0\t2   * *  1');
      expect(cron.minutes).toEqual([0]);
      expect(cron.hours).toEqual([2]);
      expect(cron.daysOfWeek).toEqual([1]);
    });

    it.each<[string, string, number[]]>([
      ['a single value', '7', [7]],
      ['a list, sorted', '45,5,30', [5, 30, 45]],
      ['a list with duplicates, deduplicated', '10,10,5', [5, 10]],
      ['a range', '10-14', [10, 11, 12, 13, 14]],
      ['a one-value range', '9-9', [9]],
      ['a star step', '*/15', [0, 15, 30, 45]],
      ['a range with a step', '10-30/10', [10, 20, 30]],
      ['a range with a step that does not land on the end', '0-10/4', [0, 4, 8]],
      ['Vixie "start/step" (from start to the end of the field)', '5/15', [5, 20, 35, 50]],
      ['a list mixing a range step and a value', '0-10/5,30', [0, 5, 10, 30]],
      ['step 1', '*/1', ALL_MINUTES],
      ['a step larger than the field', '*/60', [0]],
      ['the top of the range', '59', [59]],
      ['leading zeros', '05', [5]],
    ])('minute field: %s (%s)', (_label, field, expected) => {
      expect(parseCron(`${field} * * * *`).minutes).toEqual(expected);
    });

    it.each<[string, keyof ReturnType<typeof parseCron>, number[]]>([
      ['0 */6 * * *', 'hours', [0, 6, 12, 18]],
      ['0 22-23 * * *', 'hours', [22, 23]],
      ['0 0 */10 * *', 'daysOfMonth', [1, 11, 21, 31]],
      ['0 0 5/10 * *', 'daysOfMonth', [5, 15, 25]],
      ['0 0 1,15,31 * *', 'daysOfMonth', [1, 15, 31]],
      ['0 0 * */3 *', 'months', [1, 4, 7, 10]],
      ['0 0 * 6-8 *', 'months', [6, 7, 8]],
      ['0 0 * JAN-MAR *', 'months', [1, 2, 3]],
      ['0 0 * JAN/4 *', 'months', [1, 5, 9]],
      ['0 0 * DEC,JAN *', 'months', [1, 12]],
      ['0 0 * * */2', 'daysOfWeek', [0, 2, 4, 6]],
      ['0 0 * * 1-5', 'daysOfWeek', [1, 2, 3, 4, 5]],
      ['0 0 * * SAT,SUN', 'daysOfWeek', [0, 6]],
    ])('%s expands %s', (expression, field, expected) => {
      expect(parseCron(expression)[field]).toEqual(expected);
    });

    it('month and day names are case-insensitive', () => {
      for (const text of ['jan-mar', 'Jan-Mar', 'JAN-MAR', 'jAn-MaR']) {
        expect(parseCron(`0 0 * ${text} *`).months).toEqual([1, 2, 3]);
      }
      for (const text of ['mon-fri', 'Mon-Fri', 'MON-FRI', 'mOn-FrI']) {
        expect(parseCron(`0 0 * * ${text}`).daysOfWeek).toEqual([1, 2, 3, 4, 5]);
      }
      expect(parseCron('0 0 * * sun').daysOfWeek).toEqual([0]);
      expect(parseCron('0 0 * dec *').months).toEqual([12]);
    });

    it('maps every month name to its number', () => {
      const names = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
      names.forEach((name, index) => expect(parseCron(`0 0 * ${name} *`).months).toEqual([index + 1]));
    });

    it('maps every day name to its number, Sunday = 0', () => {
      const names = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
      names.forEach((name, index) => expect(parseCron(`0 0 * * ${name}`).daysOfWeek).toEqual([index]));
    });

    describe('7 means Sunday', () => {
      it.each<[string, number[]]>([
        ['7', [0]],
        ['0,7', [0]],
        ['5-7', [0, 5, 6]],
        ['1-7', ALL_DAYS_OF_WEEK],
        ['0-7', ALL_DAYS_OF_WEEK],
        ['SAT,7', [0, 6]],
        // Vixie/cronie read "start/step" up to the field maximum, 7, which folds to Sunday.
        ['MON/2', [0, 1, 3, 5]],
      ])('day-of-week %s', (field, expected) => {
        expect(parseCron(`0 0 * * ${field}`).daysOfWeek).toEqual(expected);
      });

      it('a day-of-week star covers 0-6 (7 is not listed separately)', () => {
        expect(parseCron('0 0 * * *').daysOfWeek).toEqual(ALL_DAYS_OF_WEEK);
      });
    });

    it.each(['0 0 ? * MON', '0 0 1 * ?', '0 0 ? * ?'])("accepts '?' in the day fields: %s", (expression) => {
      expect(cronProblem(expression)).toBeNull();
    });

    it("treats '?' as '*' in day-of-month", () => {
      const cron = parseCron('0 9 ? * MON');
      expect(cron.daysOfMonth).toEqual(ALL_DAYS_OF_MONTH);
      expect(cron.dayOfMonthStar).toBe(true);
      expect(cron.daysOfWeek).toEqual([1]);
    });

    it('accepts day 29 of February (leap years) and day 30 when a weekday is also given', () => {
      expect(parseCron('0 0 29 2 *').daysOfMonth).toEqual([29]);
      // Both day fields restricted: Vixie ORs them, so Mondays in February still fire.
      expect(cronProblem('0 0 30 2 MON')).toBeNull();
      // Day 31 exists in January, one of the listed months.
      expect(cronProblem('0 0 31 1,2 *')).toBeNull();
    });
  });

  describe('aliases', () => {
    it.each([
      ['@yearly', '0 0 1 1 *'],
      ['@annually', '0 0 1 1 *'],
      ['@monthly', '0 0 1 * *'],
      ['@weekly', '0 0 * * 0'],
      ['@daily', '0 0 * * *'],
      ['@midnight', '0 0 * * *'],
      ['@hourly', '0 * * * *'],
    ])('%s expands to %s', (alias, normalized) => {
      const cron = parseCron(alias);
      expect(cron.source).toBe(alias);
      expect(cron.normalized).toBe(normalized);
      expect(cron.hasSeconds).toBe(false);
    });

    it('declares exactly the seven standard aliases', () => {
      expect(Object.keys(CRON_ALIASES).sort()).toEqual(
        ['@annually', '@daily', '@hourly', '@midnight', '@monthly', '@weekly', '@yearly'].sort(),
      );
    });

    it('expands the fields of an alias', () => {
      const weekly = parseCron('@weekly');
      expect(weekly.minutes).toEqual([0]);
      expect(weekly.hours).toEqual([0]);
      expect(weekly.daysOfWeek).toEqual([0]);
      expect(weekly.dayOfWeekStar).toBe(false);
      const hourly = parseCron('@hourly');
      expect(hourly.minutes).toEqual([0]);
      expect(hourly.hours).toEqual(ALL_HOURS);
      const yearly = parseCron('@yearly');
      expect(yearly.daysOfMonth).toEqual([1]);
      expect(yearly.months).toEqual([1]);
    });

    it('aliases are case-insensitive and may be padded with spaces', () => {
      expect(parseCron('@DAILY').normalized).toBe('0 0 * * *');
      expect(parseCron('@Hourly').normalized).toBe('0 * * * *');
      const padded = parseCron('  @daily  ');
      expect(padded.source).toBe('@daily');
      expect(padded.normalized).toBe('0 0 * * *');
    });
  });

  describe('fixedTime (Vixie: false when minute or hour starts with *)', () => {
    it.each<[string, boolean]>([
      ['0 2 * * *', true],
      ['30 14 * * 1-5', true],
      ['0,30 9-17 * * *', true],
      ['5/15 2 * * *', true],
      ['0 0 1 1 *', true],
      ['*/15 * * * *', false],
      ['* * * * *', false],
      ['0 * * * *', false],
      ['* 2 * * *', false],
      ['0 */2 * * *', false],
      ['*/5 9 * * *', false],
      ['@daily', true],
      ['@weekly', true],
      ['@hourly', false],
      // Seconds do not count: Vixie has no seconds field.
      ['* 0 2 * * *', true],
      ['0 * 2 * * *', false],
    ])('%s → %s', (expression, fixedTime) => {
      expect(parseCron(expression).fixedTime).toBe(fixedTime);
    });
  });

  describe('dayOfMonthStar / dayOfWeekStar', () => {
    it.each<[string, boolean, boolean]>([
      ['0 0 * * *', true, true],
      ['0 0 1 * *', false, true],
      ['0 0 * * 1', true, false],
      ['0 0 1 * 1', false, false],
      ['0 0 ? * MON', true, false],
      ['0 0 1 * ?', false, true],
      // A star step still starts with '*': Vixie treats it as unrestricted for the OR rule.
      ['0 0 */2 * *', true, true],
      ['0 0 * * */2', true, true],
      // A full explicit range does not start with '*'.
      ['0 0 1-31 * *', false, true],
      ['0 0 * * 0-6', true, false],
    ])('%s → dayOfMonthStar %s, dayOfWeekStar %s', (expression, domStar, dowStar) => {
      const cron = parseCron(expression);
      expect(cron.dayOfMonthStar).toBe(domStar);
      expect(cron.dayOfWeekStar).toBe(dowStar);
    });
  });

  describe('errors name the field and the problem', () => {
    describe('whole expression', () => {
      it.each(['', '   ', '\t'])('rejects an empty expression %j', (expression) => {
        expectRejected(
          expression,
          'expression',
          'is empty; write 5 fields such as "0 2 * * *" or an alias like @daily',
        );
      });

      it('rejects a non-string', () => {
        expectRejected(
          undefined as unknown as string,
          'expression',
          'is empty; write 5 fields such as "0 2 * * *" or an alias like @daily',
        );
      });

      it.each<[string, number]>([
        ['*', 1],
        ['0 2', 2],
        ['0 2 * *', 4],
        ['0 0 2 * * * *', 7],
        ['0 0 0 2 * * * *', 8],
      ])('rejects the wrong field count: %j has %i', (expression, count) => {
        expectRejected(
          expression,
          'expression',
          `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${count}`,
        );
      });

      it.each(['@reboot', '@every', '@', '@dailyy'])('rejects the unknown alias %s', (alias) => {
        expectRejected(
          alias,
          'expression',
          `unknown alias '${alias}'; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or 5 cron fields`,
        );
      });
    });

    describe('out of range, per field', () => {
      it.each<[string, CronFieldName, string]>([
        ['60 * * * *', 'minute', '60 is out of range 0-59'],
        ['0-60 * * * *', 'minute', '60 is out of range 0-59'],
        ['0 24 * * *', 'hour', '24 is out of range 0-23'],
        ['0 0 0 * *', 'day-of-month', '0 is out of range 1-31'],
        ['0 0 32 * *', 'day-of-month', '32 is out of range 1-31'],
        ['0 0 * 0 *', 'month', '0 is out of range 1-12'],
        ['0 0 * 13 *', 'month', '13 is out of range 1-12'],
        ['0 0 * * 8', 'day-of-week', '8 is out of range 0-7'],
        ['0 0 * * 1-8', 'day-of-week', '8 is out of range 0-7'],
        ['60 0 0 * * *', 'second', '60 is out of range 0-59'],
        ['0 60 0 * * *', 'minute', '60 is out of range 0-59'],
        ['0 0 1,2,99 * *', 'day-of-month', '99 is out of range 1-31'],
        ['5/15 24/2 * * *', 'hour', '24 is out of range 0-23'],
      ])('%s → %s: %s', (expression, field, problem) => {
        expectRejected(expression, field, problem);
      });
    });

    describe('bad names and non-numbers', () => {
      it.each<[string, CronFieldName, string]>([
        ['0 0 * FOO *', 'month', "'FOO' is not a month; use 1-12 or JAN-DEC"],
        ['0 0 * JANUARY *', 'month', "'JANUARY' is not a month; use 1-12 or JAN-DEC"],
        ['0 0 * MON *', 'month', "'MON' is not a month; use 1-12 or JAN-DEC"],
        ['0 0 * * FUN', 'day-of-week', "'FUN' is not a day of the week; use 0-7 or SUN-SAT"],
        ['0 0 * * monday', 'day-of-week', "'monday' is not a day of the week; use 0-7 or SUN-SAT"],
        ['0 0 * * JAN', 'day-of-week', "'JAN' is not a day of the week; use 0-7 or SUN-SAT"],
        ['abc * * * *', 'minute', "'abc' is not a number; use 0-59"],
        ['0 JAN * * *', 'hour', "'JAN' is not a number; use 0-23"],
        ['0 0 MON * *', 'day-of-month', "'MON' is not a number; use 1-31"],
        ['1.5 * * * *', 'minute', "'1.5' is not a number; use 0-59"],
        ['x 0 0 * * *', 'second', "'x' is not a number; use 0-59"],
        ['*-5 * * * *', 'minute', "'*' is not a number; use 0-59"],
      ])('%s → %s: %s', (expression, field, problem) => {
        expectRejected(expression, field, problem);
      });
    });

    describe('ranges', () => {
      it.each<[string, CronFieldName, string]>([
        [
          '50-10 * * * *',
          'minute',
          'range 50-10 runs backwards; ranges go from low to high (split it, e.g. 50-59,0-10)',
        ],
        [
          '0 22-2 * * *',
          'hour',
          'range 22-2 runs backwards; ranges go from low to high (split it, e.g. 22-23,0-2)',
        ],
        [
          '0 0 20-10 * *',
          'day-of-month',
          'range 20-10 runs backwards; ranges go from low to high (split it, e.g. 20-31,1-10)',
        ],
        [
          '0 0 * 11-2 *',
          'month',
          'range 11-2 runs backwards; ranges go from low to high (split it, e.g. 11-12,1-2)',
        ],
        [
          '0 0 * * 5-1',
          'day-of-week',
          'range 5-1 runs backwards; ranges go from low to high (split it, e.g. 5-7,0-1)',
        ],
        [
          '0 0 * * FRI-MON',
          'day-of-week',
          'range FRI-MON runs backwards; ranges go from low to high (split it, e.g. FRI-7,0-MON)',
        ],
        ['1- * * * *', 'minute', "'1-' is not a range; write start-end, e.g. 1-5"],
        ['-1 * * * *', 'minute', "'-1' is not a range; write start-end, e.g. 1-5"],
        ['1-2-3 * * * *', 'minute', "'1-2-3' is not a range; write start-end, e.g. 1-5"],
      ])('%s → %s: %s', (expression, field, problem) => {
        expectRejected(expression, field, problem);
      });
    });

    describe('steps', () => {
      it.each<[string, CronFieldName, string]>([
        ['*/0 * * * *', 'minute', "step 0 in '*/0' is not allowed; steps start at 1"],
        ['0 0-12/0 * * *', 'hour', "step 0 in '0-12/0' is not allowed; steps start at 1"],
        ['0 0 * * */00', 'day-of-week', "step 0 in '*/00' is not allowed; steps start at 1"],
        ['*/x * * * *', 'minute', "step 'x' in '*/x' is not a whole number"],
        ['*/1.5 * * * *', 'minute', "step '1.5' in '*/1.5' is not a whole number"],
        ['*/-2 * * * *', 'minute', "step '-2' in '*/-2' is not a whole number"],
        ['*/ * * * *', 'minute', "step '' in '*/' is not a whole number"],
        ['0 0 * */MAR *', 'month', "step 'MAR' in '*/MAR' is not a whole number"],
        ['*/2/3 * * * *', 'minute', "'*/2/3' has more than one '/'; write base/step"],
      ])('%s → %s: %s', (expression, field, problem) => {
        expectRejected(expression, field, problem);
      });
    });

    describe('lists', () => {
      it.each<[string, CronFieldName, string]>([
        ['1,,2 * * * *', 'minute', "'1,,2' has an empty list item; remove the extra comma"],
        ['1, * * * *', 'minute', "'1,' has an empty list item; remove the extra comma"],
        ['0 ,3 * * *', 'hour', "',3' has an empty list item; remove the extra comma"],
        ['0 0 * * MON,,FRI', 'day-of-week', "'MON,,FRI' has an empty list item; remove the extra comma"],
      ])('%s → %s: %s', (expression, field, problem) => {
        expectRejected(expression, field, problem);
      });
    });

    describe("'?' outside the day fields", () => {
      it.each<[string, CronFieldName]>([
        ['? * * * *', 'minute'],
        ['0 ? * * *', 'hour'],
        ['0 0 * ? *', 'month'],
        ['? 0 0 * * *', 'second'],
      ])('%s → %s', (expression, field) => {
        expectRejected(expression, field, "'?' is only allowed in day-of-month and day-of-week; use '*'");
      });
    });

    describe('L, W and # are not standard cron', () => {
      it.each<[string, CronFieldName, string]>([
        ['0 0 L * *', 'day-of-month', 'L'],
        ['0 0 l * *', 'day-of-month', 'l'],
        ['0 0 LW * *', 'day-of-month', 'LW'],
        ['0 0 15W * *', 'day-of-month', '15W'],
        ['0 0 1-L * *', 'day-of-month', 'L'],
        ['0 0 * * 5L', 'day-of-week', '5L'],
        ['0 0 * * L', 'day-of-week', 'L'],
        ['0 0 * * FRI#2', 'day-of-week', 'FRI#2'],
        ['0 0 * * 1#3', 'day-of-week', '1#3'],
        ['0 0 * * mon#1', 'day-of-week', 'mon#1'],
      ])('%s → %s', (expression, field, token) => {
        expectRejected(
          expression,
          field,
          `'${token}' uses L, W or #, which standard (Vixie) cron does not support; list the values explicitly`,
        );
      });
    });

    describe('a day-of-month that never occurs', () => {
      it.each<[string, string]>([
        ['0 0 30 2 *', '30 never occurs in FEB'],
        ['0 0 31 2 *', '31 never occurs in FEB'],
        ['0 0 30,31 FEB *', '30,31 never occurs in FEB'],
        ['0 0 31 4 *', '31 never occurs in APR'],
        ['0 0 31 4,6,9,11 *', '31 never occurs in APR, JUN, SEP, NOV'],
        ['0 0 31 APR-JUN/2 *', '31 never occurs in APR, JUN'],
        ['0 0 30 2 ?', '30 never occurs in FEB'],
      ])('%s → day-of-month: %s', (expression, start) => {
        expectRejected(
          expression,
          'day-of-month',
          `${start}, so the schedule would never fire; pick days that exist in those months`,
        );
      });
    });

    it('reports the first bad field, left to right', () => {
      expect(syntaxErrorOf('60 24 * * *').field).toBe('minute');
      expect(syntaxErrorOf('0 24 32 * *').field).toBe('hour');
    });

    it('is an Error named CronSyntaxError', () => {
      const error = syntaxErrorOf('0 0 * * 9');
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('CronSyntaxError');
    });
  });
});

describe('cronProblem', () => {
  it('is null for a valid expression', () => {
    expect(cronProblem('0 2 * * *')).toBeNull();
    expect(cronProblem('@daily')).toBeNull();
    expect(cronProblem('*/10 * * * * *')).toBeNull();
  });

  it('returns the CronSyntaxError instead of throwing', () => {
    const problem = cronProblem('0 0 30 2 *');
    expect(problem).toBeInstanceOf(CronSyntaxError);
    expect(problem?.field).toBe('day-of-month');
    expect(problem?.message).toBe(
      'day-of-month: 30 never occurs in FEB, so the schedule would never fire; pick days that exist in those months',
    );
  });

  it('returns a problem for an empty expression', () => {
    expect(cronProblem('')?.field).toBe('expression');
  });
});
