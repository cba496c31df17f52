import { DateTime } from 'luxon';
import { Duration, DurationInput, describeDuration, parseDuration } from '../time/duration';
import { formatInZone } from '../time/timezone';
import { ScheduledFire, Timetable } from './timetable';

/**
 * "Every N units", anchored at the DAG's start date (or first deploy): fires at
 * anchor + k·N for k ≥ 0. Sub-day durations are absolute; day/week durations are
 * calendar steps in the timezone, so a daily interval keeps its wall-clock time across DST.
 */
export class IntervalTimetable implements Timetable {
  readonly every: Duration;

  constructor(
    every: DurationInput | Duration,
    readonly anchor: Date,
    readonly timezone: string = 'UTC',
  ) {
    this.every = typeof every === 'object' ? every : parseDuration(every);
    if (!(this.every.ms > 0)) throw new RangeError(`interval must be positive, got ${this.every.text}`);
  }

  describe(): string {
    return `Every ${describeDuration(this.every.ms)}, from ${formatInZone(this.anchor.getTime(), this.timezone)}`;
  }

  nextFireAfter(after: Date): ScheduledFire | null {
    const t = after.getTime();
    let k = Math.max(0, Math.floor((t - this.anchor.getTime()) / this.every.ms));
    while (k > 0 && this.fireAt(k - 1) > t) k--;
    while (this.fireAt(k) <= t) k++;
    return { at: new Date(this.fireAt(k)), dst: null };
  }

  previousFireBefore(before: Date): ScheduledFire | null {
    const t = before.getTime();
    if (t <= this.anchor.getTime()) return null;
    let k = Math.max(0, Math.floor((t - this.anchor.getTime()) / this.every.ms));
    while (this.fireAt(k) >= t) k--;
    while (this.fireAt(k + 1) < t) k++;
    return k >= 0 ? { at: new Date(this.fireAt(k)), dst: null } : null;
  }

  private fireAt(k: number): number {
    if (this.every.calendarDays !== undefined) {
      return DateTime.fromMillis(this.anchor.getTime(), { zone: this.timezone })
        .plus({ days: k * this.every.calendarDays })
        .toMillis();
    }
    return this.anchor.getTime() + k * this.every.ms;
  }
}
