import { RunDeadlineDefinition } from '../dag/dag-definition';
import { describeDuration, durationMs } from '../time/duration';
import { timezoneProblem } from '../time/timezone';
import { parseWallTime, wallTimeOn } from './freshness';
import { dayPartitionOf, shiftDayPartition } from './partitions';

/**
 * When a run must be done: `by` on D+offsetDays in the zone for logical date D, or
 * `maxDuration` after it was queued.
 */
export function runDeadlineAt(
  deadline: RunDeadlineDefinition,
  logicalDate: Date,
  queuedAt: Date,
  dagTimezone: string,
): Date {
  if (deadline.maxDuration !== undefined)
    return new Date(queuedAt.getTime() + durationMs(deadline.maxDuration));
  // D is the logical date's day in the DAG's zone (as {{ ds }}); `by` is read in the deadline's zone.
  const day = shiftDayPartition(dayPartitionOf(logicalDate, dagTimezone), deadline.offsetDays ?? 1);
  return wallTimeOn(day, deadline.by as string, deadline.timezone ?? dagTimezone);
}

export function runDeadlineProblems(deadline: RunDeadlineDefinition): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const hasBy = deadline.by !== undefined;
  const hasMax = deadline.maxDuration !== undefined;
  if (hasBy === hasMax) {
    add(
      'deadline',
      hasBy
        ? 'give either by (a wall-clock time) or maxDuration, not both'
        : "a deadline needs by, e.g. { by: '05:45', timezone: 'America/Los_Angeles' }, or maxDuration, e.g. { maxDuration: '2h' }",
    );
  }
  if (hasBy && parseWallTime(deadline.by as string) === null) {
    add('deadline.by', `'${deadline.by}' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '05:45'`);
  }
  if (deadline.timezone !== undefined) {
    const tz = timezoneProblem(deadline.timezone);
    if (tz) add('deadline.timezone', tz);
  }
  if (
    deadline.offsetDays !== undefined &&
    !(Number.isInteger(deadline.offsetDays) && deadline.offsetDays >= 0)
  ) {
    add(
      'deadline.offsetDays',
      `offsetDays must be a whole number of days, 0 or more (got ${String(deadline.offsetDays)})`,
    );
  }
  if (hasMax) {
    try {
      if (durationMs(deadline.maxDuration as string | number) <= 0)
        add('deadline.maxDuration', 'maxDuration must be longer than zero, e.g. 2h');
    } catch (error) {
      add('deadline.maxDuration', (error as Error).message);
    }
  }
  return problems;
}

/** "done by 05:45 America/Los_Angeles on D+1" or "done within 2 hours of being queued". */
export function describeRunDeadline(deadline: RunDeadlineDefinition, dagTimezone: string): string {
  if (deadline.maxDuration !== undefined)
    return `done within ${describeDuration(durationMs(deadline.maxDuration))} of being queued`;
  const offset = deadline.offsetDays ?? 1;
  return `done by ${deadline.by} ${deadline.timezone ?? dagTimezone} on D${offset === 0 ? '' : `+${offset}`}`;
}
