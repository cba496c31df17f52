import { DateTime } from 'luxon';
import { AssetFreshnessDefinition } from '../dag/dag-definition';
import { describeDuration, durationMs } from '../time/duration';
import { timezoneProblem } from '../time/timezone';
import { dayPartitionOf, shiftDayPartition } from './partitions';

/**
 * Freshness contracts, a producer's promise about an asset (DESIGN §1): partition D is
 * complete by a wall-clock time on D+offsetDays, or the last event is at most `maxLag` old.
 * Pure: callers say when partitions completed and what time it is.
 */
export type FreshnessStatus =
  /** Complete by its deadline. */
  | 'fresh'
  /** Complete, but after its deadline. */
  | 'late'
  /** Past its deadline and still incomplete (a lag contract: no event for longer than maxLag). */
  | 'missing'
  /** Not complete yet, and its deadline has not passed. */
  | 'pending';

export interface FreshnessVerdict {
  status: FreshnessStatus;
  deadline: Date;
  /** How late it is (missing) or was (late); 0 otherwise. */
  lateByMs: number;
}

const WALL_TIME = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** 'HH:MM' or 'HH:MM:SS' → seconds after midnight; null when malformed. */
export function parseWallTime(text: string): number | null {
  const m = WALL_TIME.exec(typeof text === 'string' ? text.trim() : '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0) : null;
}

/**
 * The instant of wall time `by` on `day` in the zone. A time that DST skips (02:30 on a
 * spring-forward day) is the first instant after the gap; a repeated one is its first occurrence.
 */
export function wallTimeOn(day: string, by: string, timezone: string): Date {
  const seconds = parseWallTime(by);
  if (seconds === null) throw new Error(`'${by}' is not a wall-clock time; use HH:MM, e.g. '04:00'`);
  const [hour, minute, second] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const local = DateTime.fromISO(day, { zone: timezone }).set({ hour, minute, second });
  // luxon moves a skipped wall time forward by the gap; the gap ends on the hour.
  return (local.hour !== hour || local.minute !== minute ? local.startOf('hour') : local).toJSDate();
}

/** Field problems of a freshness contract, for validation. */
export function freshnessContractProblems(
  contract: AssetFreshnessDefinition,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const hasBy = contract.by !== undefined;
  const hasLag = contract.maxLag !== undefined;
  if (hasBy === hasLag) {
    add(
      'freshness',
      hasBy
        ? 'give either by (a wall-clock time) or maxLag, not both: declare two assets if both promises hold'
        : "a freshness contract needs by, e.g. { by: '04:00', timezone: 'America/Los_Angeles' }, or maxLag, e.g. { maxLag: '2h' }",
    );
  }
  if (hasBy && parseWallTime(contract.by as string) === null) {
    add('freshness.by', `'${contract.by}' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '04:00'`);
  }
  if (contract.timezone !== undefined) {
    const tz = timezoneProblem(contract.timezone);
    if (tz) add('freshness.timezone', tz);
  }
  if (
    contract.offsetDays !== undefined &&
    !(Number.isInteger(contract.offsetDays) && contract.offsetDays >= 0)
  ) {
    add(
      'freshness.offsetDays',
      `offsetDays must be a whole number of days, 0 or more (got ${String(contract.offsetDays)})`,
    );
  }
  if (hasLag) {
    let ms = NaN;
    try {
      ms = durationMs(contract.maxLag as string | number);
    } catch (error) {
      add('freshness.maxLag', (error as Error).message);
    }
    if (!Number.isNaN(ms) && ms <= 0) add('freshness.maxLag', 'maxLag must be longer than zero, e.g. 2h');
  }
  return problems;
}

/** The deadline of partition D under a wall-clock contract: `by` on D+offsetDays (default 1). */
export function partitionDeadline(contract: AssetFreshnessDefinition, partition: string): Date {
  const zone = contract.timezone ?? 'UTC';
  return wallTimeOn(shiftDayPartition(partition, contract.offsetDays ?? 1), contract.by as string, zone);
}

/** The earliest partition whose deadline is after `now`: the next one a wall-clock contract will judge. */
export function nextPartitionDue(contract: AssetFreshnessDefinition, now: Date): string {
  const zone = contract.timezone ?? 'UTC';
  let partition = shiftDayPartition(dayPartitionOf(now, zone), -((contract.offsetDays ?? 1) + 1));
  while (partitionDeadline(contract, partition).getTime() <= now.getTime())
    partition = shiftDayPartition(partition, 1);
  return partition;
}

/** The most recent partition whose deadline has passed (the day before the next one due). */
export function lastPartitionDue(contract: AssetFreshnessDefinition, now: Date): string {
  return shiftDayPartition(nextPartitionDue(contract, now), -1);
}

/** How partition D stands against a wall-clock contract at `now`. */
export function judgePartition(
  contract: AssetFreshnessDefinition,
  partition: string,
  completedAt: Date | null,
  now: Date,
): FreshnessVerdict {
  const deadline = partitionDeadline(contract, partition);
  if (completedAt) {
    const late = completedAt.getTime() - deadline.getTime();
    return { status: late > 0 ? 'late' : 'fresh', deadline, lateByMs: Math.max(0, late) };
  }
  const overdue = now.getTime() - deadline.getTime();
  return overdue >= 0
    ? { status: 'missing', deadline, lateByMs: overdue }
    : { status: 'pending', deadline, lateByMs: 0 };
}

/** How an asset stands against a max-lag contract: measured from its last event (or, before any, from `since`). */
export function judgeLag(
  contract: AssetFreshnessDefinition,
  lastEventAt: Date | null,
  since: Date,
  now: Date,
): FreshnessVerdict {
  const deadline = new Date(
    (lastEventAt ?? since).getTime() + durationMs(contract.maxLag as string | number),
  );
  const overdue = now.getTime() - deadline.getTime();
  if (overdue >= 0) return { status: 'missing', deadline, lateByMs: overdue };
  return { status: lastEventAt ? 'fresh' : 'pending', deadline, lateByMs: 0 };
}

/** "partition D by 04:00 America/Los_Angeles on D+1" or "an event at least every 2 hours". */
export function describeFreshnessContract(contract: AssetFreshnessDefinition): string {
  if (contract.maxLag !== undefined) {
    return `an event at least every ${describeDuration(durationMs(contract.maxLag))}`;
  }
  const offset = contract.offsetDays ?? 1;
  return `partition D by ${contract.by} ${contract.timezone ?? 'UTC'} on D${offset === 0 ? '' : `+${offset}`}`;
}

/** How one input of a run stood against its contract when the run started (`ctx.inputs`, run detail). */
export interface InputFreshness {
  asset: string;
  /** The day judged (the run's logical date in its DAG's zone); null for max-lag contracts. */
  partition: string | null;
  /** The contract in words, or null when the producer declares none. */
  contract: string | null;
  /** fresh | late | missing | pending under a contract; complete | incomplete without one. */
  status: FreshnessStatus | 'complete' | 'incomplete';
  /** Whether the input satisfied its contract at run start (no contract: whether it was complete). */
  satisfied: boolean;
  deadline: string | null;
  completedAt: string | null;
  lateByMs: number;
}
