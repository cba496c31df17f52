import { DurationError, describeDuration, durationMs, parseDuration } from './duration';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

function durationErrorOf(input: unknown): DurationError {
  try {
    parseDuration(input as string);
  } catch (error) {
    expect(error).toBeInstanceOf(DurationError);
    return error as DurationError;
  }
  throw new Error(`expected ${String(input)} to be rejected`);
}

describe('parseDuration', () => {
  describe('text', () => {
    it.each<[string, number]>([
      ['250ms', 250],
      ['30s', 30 * SECOND],
      ['15m', 15 * MINUTE],
      ['1h', HOUR],
      ['1h30m', HOUR + 30 * MINUTE],
      ['1h 30m', HOUR + 30 * MINUTE],
      ['2h15m30s', 2 * HOUR + 15 * MINUTE + 30 * SECOND],
      ['1m30s', MINUTE + 30 * SECOND],
      ['1s500ms', 1500],
      ['0.5s', 500],
      ['1.5h', 90 * MINUTE],
      ['90 m', 90 * MINUTE],
      ['0s', 0],
      ['1d12h', DAY + 12 * HOUR],
    ])('%s → %i ms (not a calendar duration)', (text, ms) => {
      const duration = parseDuration(text);
      expect(duration.ms).toBe(ms);
      expect(duration.calendarDays).toBeUndefined();
      expect(duration.text).toBe(text);
    });

    it.each<[string, number, number]>([
      ['1d', DAY, 1],
      ['7d', 7 * DAY, 7],
      ['2w', 2 * WEEK, 14],
      ['1w2d', WEEK + 2 * DAY, 9],
      ['1d 1d', 2 * DAY, 2],
      ['0d', 0, 0],
    ])('%s → a calendar duration of %i ms = %i days', (text, ms, days) => {
      expect(parseDuration(text)).toEqual({ ms, calendarDays: days, text });
    });

    it('leaves calendarDays out for a fractional number of days', () => {
      const duration = parseDuration('1.5d');
      expect(duration.ms).toBe(36 * HOUR);
      expect(duration.calendarDays).toBeUndefined();
      expect('calendarDays' in duration).toBe(false);
    });

    it('trims surrounding spaces and keeps the trimmed text', () => {
      expect(parseDuration('  15m  ')).toEqual({ ms: 15 * MINUTE, text: '15m' });
    });
  });

  describe('numbers are milliseconds', () => {
    it.each<[number, string]>([
      [1500, '1500ms'],
      [0, '0ms'],
      [-5, '-5ms'],
      [0.5, '0.5ms'],
    ])('%d → text %s', (ms, text) => {
      expect(parseDuration(ms)).toEqual({ ms, text });
    });

    it.each([NaN, Infinity, -Infinity])('rejects %d', (value) => {
      expect(durationErrorOf(value).message).toBe(`${value} is not a finite number of milliseconds`);
    });
  });

  describe('errors', () => {
    const accepted = "write a number and a unit (ms, s, m, h, d, w), e.g. '30s', '15m', '1h30m', '1d'";

    it.each(['', '   ', '15', 'm', '15x', '5min', '1H', '-5m', '1h30', 'soon', '1h-30m', '15m!', 'm15'])(
      'rejects %j naming the input and the accepted forms',
      (text) => {
        const error = durationErrorOf(text);
        expect(error.message).toBe(`'${text}' is not a duration; ${accepted}`);
        expect(error.name).toBe('DurationError');
        expect(error).toBeInstanceOf(Error);
      },
    );

    it.each<[unknown, string]>([
      [undefined, 'undefined'],
      [null, 'object'],
      [true, 'boolean'],
      [{}, 'object'],
    ])('rejects the non-duration %p', (value, type) => {
      expect(durationErrorOf(value).message).toBe(
        `expected a duration like '15m' or a number of milliseconds, got ${type}`,
      );
    });
  });
});

describe('durationMs', () => {
  it('returns the milliseconds of text and numbers', () => {
    expect(durationMs('5m')).toBe(5 * MINUTE);
    expect(durationMs('1d')).toBe(DAY);
    expect(durationMs(42)).toBe(42);
  });

  it('throws DurationError for a bad input', () => {
    expect(() => durationMs('five minutes')).toThrow(DurationError);
  });
});

describe('describeDuration', () => {
  it.each<[number, string]>([
    [0, '0 milliseconds'],
    [1, '1 millisecond'],
    [250, '250 milliseconds'],
    [SECOND, '1 second'],
    [30 * SECOND, '30 seconds'],
    [MINUTE, '1 minute'],
    [15 * MINUTE, '15 minutes'],
    [HOUR, '1 hour'],
    [HOUR + 30 * MINUTE, '1 hour 30 minutes'],
    [2 * HOUR + 1 * SECOND, '2 hours 1 second'],
    [DAY, '1 day'],
    [2 * DAY, '2 days'],
    [WEEK, '1 week'],
    [2 * WEEK, '2 weeks'],
    [WEEK + DAY + HOUR + MINUTE + SECOND + 1, '8 days 1 hour 1 minute 1 second 1 millisecond'],
    [90 * MINUTE, '1 hour 30 minutes'],
    [25 * HOUR, '1 day 1 hour'],
  ])('%i ms → %s', (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});
