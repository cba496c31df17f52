import { DateTime } from 'luxon';
import { dayPartitionOf, dayPartitionRange, shiftDayPartition } from '@tributary/domain';

/**
 * Calendar days in a timezone, the way partitions are keyed ('2026-04-25'), for DAG code
 * that partitions data by day. DST-correct: a day may be 23 or 25 hours long.
 */

/** The calendar day of an instant in the zone. */
export function dayOf(instant: Date, timezone: string): string {
  return dayPartitionOf(instant, timezone);
}

/** The instant the day starts in the zone. */
export function startOfDay(day: string, timezone: string): Date {
  const range = dayPartitionRange(day, timezone);
  if (!range) throw new Error(`'${day}' is not a calendar day; use YYYY-MM-DD, e.g. '2026-04-25'`);
  return range.start;
}

/** The day `days` after (or before, when negative) `day`. */
export function addDays(day: string, days: number): string {
  return shiftDayPartition(day, days);
}

/** The wall-clock time of an instant in the zone, to the minute: '2026-04-25T13:00'. */
export function wallTimeOf(instant: Date, timezone: string): string {
  return DateTime.fromJSDate(instant, { zone: timezone }).toFormat("yyyy-MM-dd'T'HH:mm");
}
