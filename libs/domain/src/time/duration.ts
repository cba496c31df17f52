/**
 * Durations as DAG authors write them: '30s', '15m', '1h30m', '1d', '2w', or milliseconds.
 * Durations made only of days and weeks are calendar durations: in a timezone they keep
 * the wall-clock time across DST (a daily interval at 02:00 stays at 02:00).
 */
export type DurationInput = string | number;

export interface Duration {
  /** Absolute milliseconds (for calendar durations: nominal, 24h per day). */
  ms: number;
  /** Set when the duration is made only of days/weeks: that many calendar days. */
  calendarDays?: number;
  text: string;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Parses a duration; throws DurationError naming the problem and the accepted forms. */
export function parseDuration(input: DurationInput): Duration {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new DurationError(`${input} is not a finite number of milliseconds`);
    return { ms: input, text: `${input}ms` };
  }
  if (typeof input !== 'string') {
    throw new DurationError(
      `expected a duration like '15m' or a number of milliseconds, got ${typeof input}`,
    );
  }
  const text = input.trim();
  const pattern = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;
  let ms = 0;
  let calendarOnly = true;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const [, amount, unit] = match;
    ms += Number(amount) * UNIT_MS[unit];
    if (unit !== 'd' && unit !== 'w') calendarOnly = false;
    consumed = pattern.lastIndex;
    while (text[consumed] === ' ') consumed++;
    pattern.lastIndex = consumed;
  }
  if (text === '' || consumed !== text.length) {
    throw new DurationError(
      `'${input}' is not a duration; write a number and a unit (ms, s, m, h, d, w), e.g. '30s', '15m', '1h30m', '1d'`,
    );
  }
  const calendarDays = calendarOnly ? ms / UNIT_MS.d : undefined;
  return {
    ms,
    text,
    ...(calendarDays !== undefined && Number.isInteger(calendarDays) ? { calendarDays } : {}),
  };
}

/** Milliseconds of an input already known to be valid. */
export function durationMs(input: DurationInput): number {
  return parseDuration(input).ms;
}

/** "15 minutes", "1 hour 30 minutes", "2 days". */
export function describeDuration(ms: number): string {
  const parts: string[] = [];
  // Whole weeks read as weeks; anything else in days ("30 days", not "4 weeks 2 days").
  const units: [number, string][] = [
    ...(ms % UNIT_MS.w === 0 ? [[UNIT_MS.w, 'week'] as [number, string]] : []),
    [UNIT_MS.d, 'day'],
    [UNIT_MS.h, 'hour'],
    [UNIT_MS.m, 'minute'],
    [UNIT_MS.s, 'second'],
    [1, 'millisecond'],
  ];
  let rest = ms;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      rest -= n * size;
    }
  }
  return parts.length ? parts.join(' ') : '0 milliseconds';
}
