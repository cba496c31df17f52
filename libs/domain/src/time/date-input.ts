import { DateTime } from 'luxon';
import { DateInput } from '../dag/dag-definition';

/**
 * Reads a DAG date: a Date, an ISO instant with offset, or a date / local date-time
 * without offset, which is read in the DAG's timezone ('2026-04-01' = local midnight).
 * Returns null when it cannot be read.
 */
export function parseDateInput(input: DateInput, timezone: string): Date | null {
  if (input instanceof Date) return Number.isNaN(input.getTime()) ? null : input;
  if (typeof input !== 'string') return null;
  const parsed = DateTime.fromISO(input.trim(), { zone: timezone, setZone: false });
  return parsed.isValid ? parsed.toJSDate() : null;
}

/**
 * The end of a range given as a DAG date: a plain day ('2026-04-10') means the whole day in the
 * DAG's timezone, so a daily 02:00 run of that day is in the range; an instant or local
 * date-time means itself. The result is inclusive (the last millisecond of the day).
 */
export function parseRangeEnd(input: DateInput, timezone: string): Date | null {
  if (typeof input === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(input.trim())) {
    const day = DateTime.fromISO(input.trim(), { zone: timezone });
    return day.isValid ? new Date(day.plus({ days: 1 }).toMillis() - 1) : null;
  }
  return parseDateInput(input, timezone);
}
