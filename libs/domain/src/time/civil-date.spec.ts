import {
  MS_PER_DAY,
  MS_PER_MINUTE,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  formatCivilDate,
  formatSecondOfDay,
  isLeapYear,
  maxDaysInMonth,
  pad2,
  weekdayOfDays,
} from './civil-date';

describe('civil-date', () => {
  it('has the right unit constants', () => {
    expect(MS_PER_DAY).toBe(24 * 60 * 60 * 1000);
    expect(MS_PER_MINUTE).toBe(60 * 1000);
  });

  describe('daysFromCivil / civilFromDays', () => {
    it.each<[number, number, number, number]>([
      [1970, 1, 1, 0],
      [1970, 1, 2, 1],
      [1969, 12, 31, -1],
      [1971, 1, 1, 365],
      [1972, 3, 1, 790], // 1972 is a leap year: 365 + 365 + 31 + 29
      [2000, 1, 1, 10957],
      [2000, 2, 29, 11016],
      [2000, 3, 1, 11017],
      [2026, 1, 1, 20454], // 56 years, 14 leap days (1972..2024)
      [2026, 4, 26, 20569],
      [1900, 1, 1, -25567],
      [1600, 1, 1, -135140],
    ])('%i-%i-%i is epoch day %i', (year, month, day, days) => {
      expect(daysFromCivil(year, month, day)).toBe(days);
      expect(civilFromDays(days)).toEqual({ year, month, day });
    });

    it('round-trips every day from 1600-01-01 to 2400-12-31 and agrees with the JS calendar', () => {
      const first = Date.UTC(1600, 0, 1) / MS_PER_DAY;
      const last = Date.UTC(2400, 11, 31) / MS_PER_DAY;
      let mismatches = 0;
      for (let days = first; days <= last; days++) {
        const date = new Date(days * MS_PER_DAY);
        const civil = civilFromDays(days);
        const expected = {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
        };
        if (
          civil.year !== expected.year ||
          civil.month !== expected.month ||
          civil.day !== expected.day ||
          daysFromCivil(expected.year, expected.month, expected.day) !== days ||
          weekdayOfDays(days) !== date.getUTCDay()
        ) {
          mismatches++;
        }
      }
      expect(last - first).toBeGreaterThan(290_000);
      expect(mismatches).toBe(0);
    });

    it('consecutive days are consecutive dates across month and year ends', () => {
      expect(civilFromDays(daysFromCivil(2023, 12, 31) + 1)).toEqual({ year: 2024, month: 1, day: 1 });
      expect(civilFromDays(daysFromCivil(2024, 2, 28) + 1)).toEqual({ year: 2024, month: 2, day: 29 });
      expect(civilFromDays(daysFromCivil(2023, 2, 28) + 1)).toEqual({ year: 2023, month: 3, day: 1 });
      expect(civilFromDays(daysFromCivil(2100, 2, 28) + 1)).toEqual({ year: 2100, month: 3, day: 1 });
      expect(civilFromDays(daysFromCivil(2000, 2, 28) + 1)).toEqual({ year: 2000, month: 2, day: 29 });
    });
  });

  describe('weekdayOfDays (0 = Sunday)', () => {
    it.each<[string, number, number]>([
      ['1970-01-01 (Thursday)', 0, 4],
      ['1969-12-31 (Wednesday)', -1, 3],
      ['1969-12-28 (Sunday)', -4, 0],
      ['1970-01-03 (Saturday)', 2, 6],
      ['1970-01-04 (Sunday)', 3, 0],
      ['2000-01-01 (Saturday)', 10957, 6],
      ['2026-01-01 (Thursday)', 20454, 4],
      ['2026-04-26 (Sunday)', 20569, 0],
      ['1900-01-01 (Monday)', -25567, 1],
    ])('%s', (_label, days, weekday) => {
      expect(weekdayOfDays(days)).toBe(weekday);
    });

    it('cycles through 0..6 for negative and positive days', () => {
      const seen = [];
      for (let d = -10; d < -3; d++) seen.push(weekdayOfDays(d));
      // -10 is 1969-12-22, a Monday.
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 0]);
    });
  });

  describe('leap years', () => {
    it.each<[number, boolean]>([
      [2024, true],
      [2023, false],
      [2000, true],
      [1900, false],
      [2100, false],
      [2400, true],
      [1600, true],
      [1996, true],
      [2026, false],
    ])('%i → %s', (year, leap) => {
      expect(isLeapYear(year)).toBe(leap);
    });
  });

  describe('daysInMonth', () => {
    it('lists the month lengths of a common year', () => {
      const lengths = Array.from({ length: 12 }, (_, i) => daysInMonth(2023, i + 1));
      expect(lengths).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    });

    it('gives February 29 days in leap years only', () => {
      expect(daysInMonth(2024, 2)).toBe(29);
      expect(daysInMonth(2000, 2)).toBe(29);
      expect(daysInMonth(1900, 2)).toBe(28);
      expect(daysInMonth(2100, 2)).toBe(28);
    });

    it('maxDaysInMonth is the longest a month can be in any year', () => {
      const lengths = Array.from({ length: 12 }, (_, i) => maxDaysInMonth(i + 1));
      expect(lengths).toEqual([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    });
  });

  describe('formatting', () => {
    it('pad2 pads to two digits', () => {
      expect(pad2(0)).toBe('00');
      expect(pad2(7)).toBe('07');
      expect(pad2(12)).toBe('12');
    });

    it.each<[number, string]>([
      [0, '00:00'],
      [2 * 3600, '02:00'],
      [2 * 3600 + 30 * 60, '02:30'],
      [3661, '01:01:01'],
      [12 * 3600 + 5, '12:00:05'],
      [86399, '23:59:59'],
    ])('formatSecondOfDay(%i) → %s', (seconds, text) => {
      expect(formatSecondOfDay(seconds)).toBe(text);
    });

    it.each<[number, string]>([
      [0, '1970-01-01'],
      [-1, '1969-12-31'],
      [11016, '2000-02-29'],
      [20569, '2026-04-26'],
    ])('formatCivilDate(%i) → %s', (days, text) => {
      expect(formatCivilDate(days)).toBe(text);
    });
  });
});
