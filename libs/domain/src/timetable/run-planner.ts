import { describeDuration } from '../time/duration';
import { formatUtc } from '../time/timezone';
import { DstAdjustment, Timetable } from './timetable';

/** The half-open span of data a run covers: [start, end). */
export interface DataInterval {
  start: Date;
  end: Date;
}

/**
 * One run the schedule asks for. A run fires at the END of its data interval; its logical
 * date (what partitions are keyed on) is the interval's START.
 */
export interface PlannedRun {
  logicalDate: Date;
  dataInterval: DataInterval;
  /** The earliest instant the run may be created: the interval's end. */
  runAfter: Date;
  dst: DstAdjustment | null;
}

export interface RunSchedule {
  timetable: Timetable;
  /** First logical date considered: the DAG's startDate, or its first deploy. */
  startDate: Date;
  /** Last logical date considered (inclusive). */
  endDate?: Date;
  /** true: create every missed interval; false: only the latest complete one. */
  catchup: boolean;
}

/** The interval that starts at a fire instant. */
export function intervalStartingAt(timetable: Timetable, start: Date): PlannedRun | null {
  const end = timetable.nextFireAfter(start);
  if (!end) return null;
  return { logicalDate: start, dataInterval: { start, end: end.at }, runAfter: end.at, dst: end.dst };
}

/** The interval a fire at `fireAt` closes: [previous fire, fireAt). */
export function intervalEndingAt(timetable: Timetable, fireAt: Date): DataInterval | null {
  const previous = timetable.previousFireBefore(fireAt);
  return previous ? { start: previous.at, end: fireAt } : null;
}

/** The latest interval whose end is at or before `now`. */
export function latestCompleteInterval(timetable: Timetable, now: Date): PlannedRun | null {
  const lastFire = timetable.previousFireBefore(new Date(now.getTime() + 1));
  if (!lastFire) return null;
  const start = timetable.previousFireBefore(lastFire.at);
  if (!start) return null;
  return {
    logicalDate: start.at,
    dataInterval: { start: start.at, end: lastFire.at },
    runAfter: lastFire.at,
    dst: lastFire.dst,
  };
}

/**
 * The next run after `lastRun` (the data interval of the latest run created, or null for
 * none yet), whether or not it is due. With catchup off, intervals missed before `now`
 * collapse to the latest complete one.
 */
export function nextPlannedRun(
  schedule: RunSchedule,
  lastRun: DataInterval | null,
  now: Date,
): PlannedRun | null {
  const { timetable, startDate, endDate } = schedule;
  let candidate = lastRun
    ? intervalStartingAt(timetable, lastRun.end)
    : firstIntervalOnOrAfter(timetable, startDate);
  if (!candidate) return null;
  if (!schedule.catchup) {
    const latest = latestCompleteInterval(timetable, now);
    if (
      latest &&
      latest.logicalDate.getTime() > candidate.logicalDate.getTime() &&
      latest.logicalDate.getTime() >= startDate.getTime()
    ) {
      candidate = latest;
    }
  }
  if (endDate && candidate.logicalDate.getTime() > endDate.getTime()) return null;
  return candidate;
}

/** Every run due at `now` after `lastRun`, oldest first (catchup off: at most one). */
export function dueRuns(
  schedule: RunSchedule,
  lastRun: DataInterval | null,
  now: Date,
  limit = 10_000,
): PlannedRun[] {
  const runs: PlannedRun[] = [];
  let previous = lastRun;
  while (runs.length < limit) {
    const next = nextPlannedRun(schedule, previous, now);
    if (!next || next.runAfter.getTime() > now.getTime()) break;
    runs.push(next);
    previous = next.dataInterval;
  }
  return runs;
}

function firstIntervalOnOrAfter(timetable: Timetable, instant: Date): PlannedRun | null {
  const first = timetable.nextFireAfter(new Date(instant.getTime() - 1));
  return first ? intervalStartingAt(timetable, first.at) : null;
}

export class BackfillRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackfillRangeError';
  }
}

export interface BackfillRequest {
  /** First logical date (inclusive). */
  from: Date;
  /** Last logical date (inclusive). */
  to: Date;
  now: Date;
  /** How far back a backfill may reach from now, in ms (the DAG's backfill window). */
  backfillWindowMs?: number;
  /** Clip a range that reaches past the window instead of refusing it. */
  clipToWindow?: boolean;
  /** Newest logical date first. */
  reverse?: boolean;
  dagId?: string;
  /**
   * Stop after this many runs: a range of years on a minutely DAG is millions of intervals, and
   * the caller refuses more than it can hold anyway.
   */
  maxRuns?: number;
}

/**
 * The runs a backfill creates: every complete interval whose logical date is in
 * [from, to], inside the DAG's start/end dates and its backfill window.
 */
export function backfillRuns(schedule: RunSchedule, request: BackfillRequest): PlannedRun[] {
  const { timetable } = schedule;
  const dag = request.dagId ? `DAG '${request.dagId}': ` : '';
  if (request.to.getTime() < request.from.getTime()) {
    throw new BackfillRangeError(
      `${dag}backfill range is backwards: from ${formatUtc(request.from.getTime())} is after to ${formatUtc(request.to.getTime())}; swap them`,
    );
  }
  // Dates before the DAG's start have no runs to make: clip them before judging the window.
  let from = new Date(Math.max(request.from.getTime(), schedule.startDate.getTime()));
  if (request.backfillWindowMs !== undefined) {
    const earliest = new Date(request.now.getTime() - request.backfillWindowMs);
    if (from.getTime() < earliest.getTime()) {
      if (!request.clipToWindow) {
        throw new BackfillRangeError(
          `${dag}backfill from ${formatUtc(from.getTime())} reaches past the backfill window of ` +
            `${describeDuration(request.backfillWindowMs)}: the earliest logical date allowed now is ` +
            `${formatUtc(earliest.getTime())}; start the range there or widen the DAG's backfillWindow`,
        );
      }
      from = earliest;
    }
  }
  const lastLogical = Math.min(request.to.getTime(), schedule.endDate?.getTime() ?? Infinity);

  const runs: PlannedRun[] = [];
  let run = firstIntervalOnOrAfter(timetable, from);
  while (run && run.logicalDate.getTime() <= lastLogical && run.runAfter.getTime() <= request.now.getTime()) {
    if (request.maxRuns !== undefined && runs.length >= request.maxRuns) break;
    runs.push(run);
    run = intervalStartingAt(timetable, run.dataInterval.end);
  }
  return request.reverse ? runs.reverse() : runs;
}
