import { DateTime } from 'luxon';

/**
 * Day partitions of an asset ('2026-04-25'), read in the asset's timezone, and when a
 * partition is complete. Runs whose data interval is shorter than PIECE_LIMIT_MS (hourly,
 * every 6 hours, ...) deliver pieces of days: a day is complete when the pieces' intervals
 * cover it. Longer runs (daily, weekly) and events without an interval complete the
 * partition they name.
 */
export const PIECE_LIMIT_MS = 20 * 3_600_000;

const DAY_PARTITION = /^\d{4}-\d{2}-\d{2}$/;

export interface PartitionEventFacts {
  partition: string | null;
  intervalStart: Date | null;
  intervalEnd: Date | null;
  createdAt: Date;
}

export interface TimeRange {
  start: Date;
  end: Date;
}

/** The calendar day of an instant in a zone, as a partition key. */
export function dayPartitionOf(instant: Date, timezone: string): string {
  return DateTime.fromJSDate(instant, { zone: timezone }).toISODate() as string;
}

/** [midnight D, midnight D+1) in the zone, or null when the partition is not a day. */
export function dayPartitionRange(partition: string, timezone: string): TimeRange | null {
  if (!DAY_PARTITION.test(partition)) return null;
  const start = DateTime.fromISO(partition, { zone: timezone });
  if (!start.isValid) return null;
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
}

/** The day after (or `days` after) a day partition. */
export function shiftDayPartition(partition: string, days: number): string {
  return DateTime.fromISO(partition, { zone: 'UTC' }).plus({ days }).toISODate() as string;
}

/** Whether an event is a piece of a day (its interval is shorter than a day's run) rather than a whole partition. */
export function isPieceEvent(event: Pick<PartitionEventFacts, 'intervalStart' | 'intervalEnd'>): boolean {
  if (!event.intervalStart || !event.intervalEnd) return false;
  const length = event.intervalEnd.getTime() - event.intervalStart.getTime();
  return length > 0 && length < PIECE_LIMIT_MS;
}

/**
 * The partition a whole (non-piece) event completes: the one it names, else the day its
 * interval starts on in the zone (a daily run's interval without a label).
 */
export function wholePartitionOf(event: PartitionEventFacts, timezone: string): string | null {
  if (event.partition) return event.partition;
  return event.intervalStart && !isPieceEvent(event) ? dayPartitionOf(event.intervalStart, timezone) : null;
}

/** The partitions an event contributes to: the days its piece touches, or the partition it completes. */
export function partitionsOfEvent(event: PartitionEventFacts, timezone: string): string[] {
  if (!isPieceEvent(event)) {
    const whole = wholePartitionOf(event, timezone);
    return whole ? [whole] : [];
  }
  const days: string[] = [];
  const end = (event.intervalEnd as Date).getTime();
  let day = dayPartitionOf(event.intervalStart as Date, timezone);
  for (;;) {
    const range = dayPartitionRange(day, timezone) as TimeRange;
    if (range.start.getTime() >= end) break;
    days.push(day);
    day = shiftDayPartition(day, 1);
  }
  return days;
}

/**
 * When the partition became complete: the creation time of the event that completed it, or
 * null while it is incomplete. `events` are the asset's events that touch the partition.
 */
export function partitionCompletedAt(
  partition: string,
  timezone: string,
  events: readonly PartitionEventFacts[],
): Date | null {
  const ordered = [...events].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const range = dayPartitionRange(partition, timezone);
  const pieces: TimeRange[] = [];
  for (const event of ordered) {
    if (!isPieceEvent(event)) {
      if (wholePartitionOf(event, timezone) === partition) return event.createdAt;
      continue;
    }
    if (!range) continue;
    pieces.push({ start: event.intervalStart as Date, end: event.intervalEnd as Date });
    if (covers(range, pieces)) return event.createdAt;
  }
  return null;
}

/** The parts of the partition's day no piece covers yet, for messages ("missing 03:00–04:00"). */
export function uncoveredRanges(range: TimeRange, pieces: readonly TimeRange[]): TimeRange[] {
  const sorted = [...pieces].sort((a, b) => a.start.getTime() - b.start.getTime());
  const gaps: TimeRange[] = [];
  let cursor = range.start.getTime();
  for (const piece of sorted) {
    if (piece.end.getTime() <= cursor) continue;
    if (piece.start.getTime() > cursor) {
      gaps.push({
        start: new Date(cursor),
        end: new Date(Math.min(piece.start.getTime(), range.end.getTime())),
      });
    }
    cursor = Math.max(cursor, piece.end.getTime());
    if (cursor >= range.end.getTime()) break;
  }
  if (cursor < range.end.getTime()) gaps.push({ start: new Date(cursor), end: range.end });
  return gaps.filter((g) => g.end.getTime() > g.start.getTime() && g.start.getTime() < range.end.getTime());
}

function covers(range: TimeRange, pieces: readonly TimeRange[]): boolean {
  return uncoveredRanges(range, pieces).length === 0;
}
