import { parseDateInput, parseRangeEnd } from './date-input';

const iso = (date: Date | null) => date?.toISOString() ?? null;

describe('parseDateInput', () => {
  describe('date-only strings are local midnight in the DAG zone', () => {
    it.each<[string, string, string]>([
      ['2026-04-01', 'UTC', '2026-04-01T00:00:00.000Z'],
      ['2026-04-01', 'America/Los_Angeles', '2026-04-01T07:00:00.000Z'], // PDT, UTC-7
      ['2026-01-15', 'America/Los_Angeles', '2026-01-15T08:00:00.000Z'], // PST, UTC-8
      ['2026-04-01', 'Asia/Kolkata', '2026-03-31T18:30:00.000Z'],
      ['2026-04-01', 'Europe/London', '2026-03-31T23:00:00.000Z'], // BST, UTC+1
      ['2024-02-29', 'UTC', '2024-02-29T00:00:00.000Z'],
    ])('%s in %s → %s', (input, zone, expected) => {
      expect(iso(parseDateInput(input, zone))).toBe(expected);
    });
  });

  it('reads a local date-time without offset in the DAG zone', () => {
    expect(iso(parseDateInput('2026-04-01T02:00', 'America/Los_Angeles'))).toBe('2026-04-01T09:00:00.000Z');
    expect(iso(parseDateInput('2026-04-01T02:00:00', 'UTC'))).toBe('2026-04-01T02:00:00.000Z');
  });

  it('moves a local time inside a spring-forward gap past the gap', () => {
    // 02:30 did not exist in Los Angeles on 2026-03-08; luxon reads it as 03:30 PDT.
    expect(iso(parseDateInput('2026-03-08T02:30', 'America/Los_Angeles'))).toBe('2026-03-08T10:30:00.000Z');
  });

  it('keeps the instant of a string with an offset or Z, whatever the DAG zone', () => {
    expect(iso(parseDateInput('2026-04-01T02:00:00Z', 'America/Los_Angeles'))).toBe(
      '2026-04-01T02:00:00.000Z',
    );
    expect(iso(parseDateInput('2026-04-01T02:00:00+02:00', 'America/Los_Angeles'))).toBe(
      '2026-04-01T00:00:00.000Z',
    );
    expect(iso(parseDateInput('2026-04-01T02:00:00-07:00', 'Asia/Kolkata'))).toBe('2026-04-01T09:00:00.000Z');
  });

  it('trims surrounding spaces', () => {
    expect(iso(parseDateInput('  2026-04-01  ', 'UTC'))).toBe('2026-04-01T00:00:00.000Z');
  });

  it('returns a Date input unchanged', () => {
    const date = new Date('2026-04-01T02:00:00Z');
    expect(parseDateInput(date, 'America/Los_Angeles')).toBe(date);
  });

  it.each(['yesterday', '', '2026-13-01', '2026-02-30', '04/01/2026', '2026-04-01T25:00'])(
    'returns null for the unreadable string %j',
    (input) => {
      expect(parseDateInput(input, 'UTC')).toBeNull();
    },
  );

  it('returns null for an invalid Date and for non-strings', () => {
    expect(parseDateInput(new Date('nope'), 'UTC')).toBeNull();
    expect(parseDateInput(20260401 as unknown as string, 'UTC')).toBeNull();
    expect(parseDateInput(undefined as unknown as string, 'UTC')).toBeNull();
  });

  it('returns null when the zone is not a valid zone', () => {
    expect(parseDateInput('2026-04-01', 'Mars/Olympus_Mons')).toBeNull();
  });
});

describe('parseRangeEnd', () => {
  it('reads a plain day as the whole day in the zone, inclusive', () => {
    expect(parseRangeEnd('2026-04-10', 'America/Los_Angeles')?.toISOString()).toBe(
      '2026-04-11T06:59:59.999Z',
    );
    expect(parseRangeEnd('2026-04-10', 'UTC')?.toISOString()).toBe('2026-04-10T23:59:59.999Z');
  });

  it('ends a 25-hour fall-back day at its own midnight', () => {
    expect(parseRangeEnd('2026-11-01', 'America/Los_Angeles')?.toISOString()).toBe(
      '2026-11-02T07:59:59.999Z',
    );
  });

  it('reads an instant or a local date-time as itself', () => {
    expect(parseRangeEnd('2026-04-10T02:00:00Z', 'America/Los_Angeles')?.toISOString()).toBe(
      '2026-04-10T02:00:00.000Z',
    );
    expect(parseRangeEnd('2026-04-10T02:00', 'UTC')?.toISOString()).toBe('2026-04-10T02:00:00.000Z');
  });

  it('refuses what is not a date', () => {
    expect(parseRangeEnd('2026-13-40', 'UTC')).toBeNull();
    expect(parseRangeEnd('soon', 'UTC')).toBeNull();
  });
});
