import { CronExpression, parseCron } from '../cron/cron-expression';
import { describeCron } from '../cron/cron-description';
import {
  MS_PER_DAY,
  MS_PER_MINUTE,
  civilFromDays,
  formatCivilDate,
  formatSecondOfDay,
  weekdayOfDays,
} from '../time/civil-date';
import { formatOffset, offsetMinutesAt } from '../time/timezone';
import { DstAdjustment, ScheduledFire, Timetable } from './timetable';

/** Far enough for any satisfiable expression (Feb 29 on a given weekday recurs within 40 years). */
const HORIZON_DAYS = 366 * 60;
const DAY_CACHE_LIMIT = 1024;

interface Fire {
  at: number;
  dst: DstAdjustment | null;
}

/**
 * A cron schedule evaluated in an IANA timezone with Vixie cron's DST rules:
 * - fixed-time schedules (no `*` in minute or hour): a wall time skipped by spring-forward
 *   fires once at the first valid instant after the gap; a wall time repeated by
 *   fall-back fires once, at its first occurrence;
 * - wildcard schedules (`*` or a `*` step in minute or hour) follow real time: nothing fires
 *   in a gap, and the repeated hour fires in both passes, so `* /15` stays 15 minutes apart.
 */
export class CronTimetable implements Timetable {
  readonly cron: CronExpression;
  private readonly secondsOfDay: number[];
  private readonly monthSet: Set<number>;
  private readonly domSet: Set<number>;
  private readonly dowSet: Set<number>;
  private readonly dayCache = new Map<number, Fire[]>();

  constructor(
    expression: string | CronExpression,
    readonly timezone: string = 'UTC',
  ) {
    this.cron = typeof expression === 'string' ? parseCron(expression) : expression;
    const secondsOfDay: number[] = [];
    for (const h of this.cron.hours)
      for (const m of this.cron.minutes)
        for (const s of this.cron.seconds) secondsOfDay.push(h * 3600 + m * 60 + s);
    this.secondsOfDay = secondsOfDay.sort((a, b) => a - b);
    this.monthSet = new Set(this.cron.months);
    this.domSet = new Set(this.cron.daysOfMonth);
    this.dowSet = new Set(this.cron.daysOfWeek);
  }

  describe(): string {
    return `${describeCron(this.cron)} (${this.timezone})`;
  }

  nextFireAfter(after: Date): ScheduledFire | null {
    const t = after.getTime();
    const firstDay = this.localDay(t) - 1;
    for (let day = firstDay; day < firstDay + HORIZON_DAYS; day++) {
      if (!this.matchesDay(day)) continue;
      for (const fire of this.firesOnLocalDay(day)) if (fire.at > t) return toScheduled(fire);
    }
    return null;
  }

  previousFireBefore(before: Date): ScheduledFire | null {
    const t = before.getTime();
    const lastDay = this.localDay(t) + 1;
    for (let day = lastDay; day > lastDay - HORIZON_DAYS; day--) {
      if (!this.matchesDay(day)) continue;
      const fires = this.firesOnLocalDay(day);
      for (let i = fires.length - 1; i >= 0; i--) if (fires[i].at < t) return toScheduled(fires[i]);
    }
    return null;
  }

  /** Whether the local calendar day matches month, day-of-month and day-of-week (Vixie OR rule). */
  matchesDay(day: number): boolean {
    const { month, day: dom } = civilFromDays(day);
    if (!this.monthSet.has(month)) return false;
    const domMatch = this.domSet.has(dom);
    const dowMatch = this.dowSet.has(weekdayOfDays(day));
    if (this.cron.dayOfMonthStar || this.cron.dayOfWeekStar) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  private localDay(epochMs: number): number {
    return Math.floor((epochMs + offsetMinutesAt(this.timezone, epochMs) * MS_PER_MINUTE) / MS_PER_DAY);
  }

  /** Fires of one local day in instant order, with DST resolved. Cached: the scheduler asks repeatedly. */
  private firesOnLocalDay(day: number): Fire[] {
    const cached = this.dayCache.get(day);
    if (cached) return cached;
    const fires = this.computeFiresOnLocalDay(day);
    if (this.dayCache.size >= DAY_CACHE_LIMIT) this.dayCache.clear();
    this.dayCache.set(day, fires);
    return fires;
  }

  private computeFiresOnLocalDay(day: number): Fire[] {
    const wallBase = day * MS_PER_DAY;
    // Offsets well before and well after the local day (any zone is within ±14h of UTC).
    const offsetBefore = offsetMinutesAt(this.timezone, wallBase - MS_PER_DAY);
    const offsetAfter = offsetMinutesAt(this.timezone, wallBase + 2 * MS_PER_DAY);
    if (offsetBefore === offsetAfter) {
      const shift = offsetBefore * MS_PER_MINUTE;
      return this.secondsOfDay.map((s) => ({ at: wallBase + s * 1000 - shift, dst: null }));
    }
    return this.resolveTransitionDay(day, offsetBefore, offsetAfter);
  }

  private resolveTransitionDay(day: number, offsetBefore: number, offsetAfter: number): Fire[] {
    const wallBase = day * MS_PER_DAY;
    const transition = findTransition(this.timezone, wallBase - MS_PER_DAY, wallBase + 2 * MS_PER_DAY);
    const gapStartWall = formatSecondOfDay(secondOfDay(transition + offsetBefore * MS_PER_MINUTE));
    const gapEndWall = formatSecondOfDay(secondOfDay(transition + offsetAfter * MS_PER_MINUTE));
    const date = formatCivilDate(day);
    const change = `clocks ${offsetAfter > offsetBefore ? 'jump' : 'fall back'} from ${gapStartWall} to ${gapEndWall}, ${formatOffset(offsetBefore)} → ${formatOffset(offsetAfter)}`;
    const where = `on ${date} in ${this.timezone} (${change})`;

    const fires: Fire[] = [];
    const movedOutOfGap: string[] = [];
    const skippedInGap: string[] = [];
    for (const s of this.secondsOfDay) {
      const wall = wallBase + s * 1000;
      const label = formatSecondOfDay(s);
      const instants = [offsetBefore, offsetAfter]
        .map((o) => ({ at: wall - o * MS_PER_MINUTE, offset: o }))
        .filter((c) => offsetMinutesAt(this.timezone, c.at) === c.offset)
        .sort((a, b) => a.at - b.at);
      if (instants.length === 1) {
        fires.push({ at: instants[0].at, dst: null });
      } else if (instants.length === 0) {
        if (this.cron.fixedTime) movedOutOfGap.push(label);
        else skippedInGap.push(label);
      } else if (this.cron.fixedTime) {
        fires.push({
          at: instants[0].at,
          dst: {
            kind: 'first-of-repeated',
            note: `${label} occurs twice ${where}; fires once, at the first occurrence (${formatOffset(instants[0].offset)})`,
          },
        });
      } else {
        const both = `${label} occurs twice ${where}; this wildcard schedule fires in both passes`;
        fires.push({
          at: instants[0].at,
          dst: {
            kind: 'first-of-repeated',
            note: `${both}: this is the first (${formatOffset(instants[0].offset)})`,
          },
        });
        fires.push({
          at: instants[1].at,
          dst: {
            kind: 'second-of-repeated',
            note: `${both}: this is the second (${formatOffset(instants[1].offset)})`,
          },
        });
      }
    }
    if (movedOutOfGap.length > 0) {
      const times = movedOutOfGap.join(', ');
      fires.push({
        at: transition,
        dst: {
          kind: 'moved-out-of-gap',
          note: `${times} ${movedOutOfGap.length === 1 ? 'does' : 'do'} not exist ${where}; fired once at the first valid instant after the gap, ${gapEndWall}`,
        },
      });
    }
    fires.sort((a, b) => a.at - b.at);
    const merged = mergeSameInstant(fires);
    if (skippedInGap.length > 0) {
      const range =
        skippedInGap.length === 1
          ? skippedInGap[0]
          : `${skippedInGap[0]}–${skippedInGap[skippedInGap.length - 1]}`;
      const next = merged.find((f) => f.at >= transition);
      if (next && !next.dst) {
        next.dst = {
          kind: 'after-skipped-gap',
          note: `${range} skipped: those times do not exist ${where}`,
        };
      }
    }
    return merged;
  }
}

function toScheduled(fire: Fire): ScheduledFire {
  return { at: new Date(fire.at), dst: fire.dst };
}

function secondOfDay(wallMs: number): number {
  return Math.floor((((wallMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / 1000);
}

/** A fire moved out of a gap may land on a real fire (e.g. 02:00 and 03:00): keep one, keep the note. */
function mergeSameInstant(sorted: Fire[]): Fire[] {
  const out: Fire[] = [];
  for (const fire of sorted) {
    const last = out[out.length - 1];
    if (last && last.at === fire.at) {
      last.dst = last.dst ?? fire.dst;
    } else {
      out.push({ ...fire });
    }
  }
  return out;
}

/** The first instant with the later offset, by bisection between two instants with different offsets. */
function findTransition(timezone: string, lo: number, hi: number): number {
  const before = offsetMinutesAt(timezone, lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMinutesAt(timezone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
