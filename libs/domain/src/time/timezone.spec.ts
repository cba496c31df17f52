import {
  formatInZone,
  formatOffset,
  formatUtc,
  isValidTimezone,
  offsetMinutesAt,
  timezoneProblem,
} from './timezone';

const NO_HINT = "use an IANA zone name such as 'America/Los_Angeles', 'Europe/London' or 'UTC'";

describe('isValidTimezone', () => {
  it.each([
    'UTC',
    'America/Los_Angeles',
    'Europe/London',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'Etc/GMT+8',
  ])('accepts %s', (zone) => {
    expect(isValidTimezone(zone)).toBe(true);
  });

  it.each(['', 'America/Los_Angles', 'Mars/Olympus_Mons', 'UTC+25', 'Europe/London '])(
    'rejects %j',
    (zone) => {
      expect(isValidTimezone(zone)).toBe(false);
    },
  );

  it('rejects non-strings', () => {
    expect(isValidTimezone(undefined as unknown as string)).toBe(false);
    expect(isValidTimezone(42 as unknown as string)).toBe(false);
  });
});

describe('timezoneProblem', () => {
  it('is null for a valid zone', () => {
    expect(timezoneProblem('America/Los_Angeles')).toBeNull();
    expect(timezoneProblem('UTC')).toBeNull();
  });

  it.each([
    ['America/Los_Angles', 'America/Los_Angeles'],
    ['America/New York', 'America/New_York'],
    ['Europe/Londn', 'Europe/London'],
    ['Europe/Pariss', 'Europe/Paris'],
    ['UTX', 'UTC'],
  ])('suggests the closest zone for the typo %s', (zone, hint) => {
    expect(timezoneProblem(zone)).toBe(
      `unknown timezone '${zone}': use an IANA zone name (did you mean '${hint}'?)`,
    );
  });

  it.each(['Mars/Olympus_Mons', 'xyzzy-nowhere-land', ''])(
    'gives examples when nothing is close: %j',
    (zone) => {
      expect(timezoneProblem(zone)).toBe(`unknown timezone '${zone}': ${NO_HINT}`);
    },
  );
});

describe('offsetMinutesAt', () => {
  it.each<[string, string, number]>([
    ['UTC', '2026-01-15T12:00:00Z', 0],
    ['America/Los_Angeles', '2026-01-15T12:00:00Z', -480],
    ['America/Los_Angeles', '2026-07-15T12:00:00Z', -420],
    // Spring forward 2026-03-08 at 10:00Z (02:00 PST → 03:00 PDT).
    ['America/Los_Angeles', '2026-03-08T09:59:59Z', -480],
    ['America/Los_Angeles', '2026-03-08T10:00:00Z', -420],
    ['Europe/London', '2026-01-15T12:00:00Z', 0],
    ['Europe/London', '2026-07-15T12:00:00Z', 60],
    ['Asia/Kolkata', '2026-07-15T12:00:00Z', 330],
    ['Asia/Kathmandu', '2026-07-15T12:00:00Z', 345],
    ['Australia/Sydney', '2026-01-15T12:00:00Z', 660],
  ])('%s at %s is %i minutes', (zone, instant, minutes) => {
    expect(offsetMinutesAt(zone, Date.parse(instant))).toBe(minutes);
  });
});

describe('formatInZone', () => {
  it.each<[string, string, string]>([
    ['2026-03-08T10:00:00Z', 'America/Los_Angeles', '2026-03-08T03:00:00-07:00'],
    ['2026-03-08T09:30:00Z', 'America/Los_Angeles', '2026-03-08T01:30:00-08:00'],
    ['2026-01-01T00:00:00Z', 'UTC', '2026-01-01T00:00:00Z'],
    ['2026-07-01T00:00:00Z', 'Asia/Kolkata', '2026-07-01T05:30:00+05:30'],
    ['2026-04-26T09:00:00Z', 'America/Los_Angeles', '2026-04-26T02:00:00-07:00'],
  ])('%s in %s → %s', (instant, zone, text) => {
    expect(formatInZone(Date.parse(instant), zone)).toBe(text);
  });

  it('keeps milliseconds when they are not zero', () => {
    expect(formatInZone(Date.parse('2026-01-01T00:00:00.250Z'), 'Europe/London')).toBe(
      '2026-01-01T00:00:00.250+00:00',
    );
  });
});

describe('formatUtc', () => {
  it('drops zero milliseconds', () => {
    expect(formatUtc(Date.parse('2026-04-26T09:00:00Z'))).toBe('2026-04-26T09:00:00Z');
    expect(formatUtc(0)).toBe('1970-01-01T00:00:00Z');
  });

  it('keeps non-zero milliseconds', () => {
    expect(formatUtc(Date.parse('2026-04-26T09:00:00.123Z'))).toBe('2026-04-26T09:00:00.123Z');
  });
});

describe('formatOffset', () => {
  it.each<[number, string]>([
    [0, 'UTC+00:00'],
    [-480, 'UTC-08:00'],
    [-420, 'UTC-07:00'],
    [60, 'UTC+01:00'],
    [330, 'UTC+05:30'],
    [345, 'UTC+05:45'],
    [-570, 'UTC-09:30'],
    [840, 'UTC+14:00'],
    [-30, 'UTC-00:30'],
  ])('%i → %s', (minutes, text) => {
    expect(formatOffset(minutes)).toBe(text);
  });
});
