/** What daylight-saving time did to one fire, in words a user can read. */
export interface DstAdjustment {
  kind:
    | 'moved-out-of-gap' // the wall time did not exist (spring forward): fired at the first instant after the gap
    | 'first-of-repeated' // the wall time happened twice (fall back): fired once, at the first occurrence
    | 'second-of-repeated' // a wildcard schedule firing in the second pass of a repeated hour
    | 'after-skipped-gap'; // the first fire after wall times a wildcard schedule lost to a gap
  note: string;
}

export interface ScheduledFire {
  at: Date;
  dst: DstAdjustment | null;
}

/**
 * A source of fire instants. Cron and interval schedules implement it; the run planner
 * (data intervals, catchup, backfill) is written once against this interface.
 */
export interface Timetable {
  readonly timezone: string;
  /** The first fire strictly after `after`, or null when there is none. */
  nextFireAfter(after: Date): ScheduledFire | null;
  /** The last fire strictly before `before`, or null when there is none. */
  previousFireBefore(before: Date): ScheduledFire | null;
  /** Plain-English description, e.g. "At 02:00, every day (America/Los_Angeles)". */
  describe(): string;
}

/** Every fire in [from, to), at most `limit` of them. */
export function firesBetween(timetable: Timetable, from: Date, to: Date, limit = 100_000): ScheduledFire[] {
  const fires: ScheduledFire[] = [];
  let fire = timetable.nextFireAfter(new Date(from.getTime() - 1));
  while (fire && fire.at.getTime() < to.getTime() && fires.length < limit) {
    fires.push(fire);
    fire = timetable.nextFireAfter(fire.at);
  }
  return fires;
}

/** The next `count` fires strictly after `after`. */
export function nextFires(timetable: Timetable, after: Date, count: number): ScheduledFire[] {
  const fires: ScheduledFire[] = [];
  let cursor = after;
  while (fires.length < count) {
    const fire = timetable.nextFireAfter(cursor);
    if (!fire) break;
    fires.push(fire);
    cursor = fire.at;
  }
  return fires;
}
