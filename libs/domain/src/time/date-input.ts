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
