import { RunState } from '../state/run-state';
import { formatUtc } from '../time/timezone';
import { DataInterval, PlannedRun } from '../timetable/run-planner';

/**
 * Backfills (DESIGN §4): what a backfill does with each logical date of its range, how far it
 * has got, and what it asks for next. Pure: the scheduler's backfill service feeds it rows.
 */

/** `none` fills only missing dates; `failed` also reruns failed runs; `all` reruns every run. */
export const BACKFILL_REPROCESS = ['none', 'failed', 'all'] as const;
export type BackfillReprocess = (typeof BACKFILL_REPROCESS)[number];

export const BACKFILL_STATES = ['running', 'completed', 'cancelled'] as const;
export type BackfillState = (typeof BACKFILL_STATES)[number];

/** create a run; rerun the existing (finished) run; skip the date. */
export type BackfillAction = 'create' | 'rerun' | 'skip';

/** The most logical dates one backfill may hold. */
export const MAX_BACKFILL_DATES = 10_000;

/** The run a backfill creates for a logical date. */
export function backfillRunId(logicalDate: Date): string {
  return `backfill__${logicalDate.toISOString()}`;
}

/** The scheduled or backfill run that already holds a logical date (at most one does). */
export interface ExistingRun {
  runId: string;
  state: RunState;
}

export interface BackfillDateDecision {
  action: BackfillAction;
  /** Why a date is skipped or rerun; null for a plain create. */
  reason: string | null;
  /** The run it makes or looks at: the existing run, or the one it will create. */
  runId: string;
}

/** What a backfill does with one logical date, given the run that already holds it (if any). */
export function planBackfillDate(
  logicalDate: Date,
  existing: ExistingRun | undefined,
  reprocess: BackfillReprocess,
): BackfillDateDecision {
  if (!existing) return { action: 'create', reason: null, runId: backfillRunId(logicalDate) };
  const { runId, state } = existing;
  switch (state) {
    case 'queued':
    case 'running':
      return { action: 'skip', reason: `already ${state}: run '${runId}'`, runId };
    case 'success':
      return reprocess === 'all'
        ? { action: 'rerun', reason: `reprocess 'all': run '${runId}' succeeded`, runId }
        : {
            action: 'skip',
            reason: `already succeeded: run '${runId}' (reprocess 'all' reruns it)`,
            runId,
          };
    case 'failed':
      return reprocess === 'none'
        ? {
            action: 'skip',
            reason: `run '${runId}' failed (reprocess 'failed' or 'all' reruns it)`,
            runId,
          }
        : { action: 'rerun', reason: `reprocess '${reprocess}': run '${runId}' failed`, runId };
  }
}

export interface PlannedBackfillDate extends BackfillDateDecision {
  /** 0-based, in the order the backfill requests its dates. */
  position: number;
  logicalDate: Date;
  dataInterval: DataInterval;
}

/**
 * The whole plan: every planned run (already in the backfill's order) with its action.
 * `existing` maps a logical date (epoch ms) to the run already holding it.
 */
export function planBackfill(
  runs: PlannedRun[],
  existing: ReadonlyMap<number, ExistingRun>,
  reprocess: BackfillReprocess,
): PlannedBackfillDate[] {
  return runs.map((run, position) => ({
    position,
    logicalDate: run.logicalDate,
    dataInterval: run.dataInterval,
    ...planBackfillDate(run.logicalDate, existing.get(run.logicalDate.getTime()), reprocess),
  }));
}

/**
 * Why a plan cannot become a backfill (it has nothing to do, or too much), or null when it can.
 * `range` is the asked range, for the message.
 */
export function backfillPlanProblem(
  dagId: string,
  plan: Pick<PlannedBackfillDate, 'action'>[],
  range: { from: Date; to: Date },
  reprocess: BackfillReprocess,
): string | null {
  const span = `${formatUtc(range.from.getTime())} to ${formatUtc(range.to.getTime())}`;
  if (plan.length === 0) {
    return (
      `DAG '${dagId}': nothing to backfill from ${span}: no complete interval of its schedule has a ` +
      `logical date in that range (dates before the DAG's start date, after its end date, or whose ` +
      `interval has not ended yet have no run to make)`
    );
  }
  if (plan.length > MAX_BACKFILL_DATES) {
    return (
      `DAG '${dagId}': the range from ${span} holds more than the ${MAX_BACKFILL_DATES} logical ` +
      `dates one backfill may hold; split it into smaller ranges`
    );
  }
  if (plan.every((d) => d.action === 'skip')) {
    const hint =
      reprocess === 'all'
        ? 'every date already has a queued or running run'
        : `every date already has a run (reprocess ${reprocess === 'none' ? "'failed' or 'all'" : "'all'"} reruns finished ones)`;
    return `DAG '${dagId}': nothing to backfill from ${span}: ${hint}; dryRun shows the plan`;
  }
  return null;
}

/** Whether two inclusive ranges of logical dates share an instant. */
export function backfillRangesOverlap(a: { from: Date; to: Date }, b: { from: Date; to: Date }): boolean {
  return a.from.getTime() <= b.to.getTime() && b.from.getTime() <= a.to.getTime();
}

/** What the database says about one date of a backfill. */
export interface BackfillDateFacts {
  position: number;
  action: BackfillAction;
  /** The backfill asked the coordinator for its run (`run.requested` is in the outbox or on its way). */
  requested: boolean;
  /** The coordinator handled that request: the date's run is known. */
  handled: boolean;
  /** The state of the date's run once handled; null if that run is gone (cancelled before it started). */
  runState: RunState | null;
}

export const BACKFILL_DATE_STATUSES = [
  'queued',
  'running',
  'done',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type BackfillDateStatus = (typeof BACKFILL_DATE_STATUSES)[number];

/**
 * Where a date stands: `queued` (not requested yet, requested but not created yet, or its run
 * waits to start), `running`, `done` (its run succeeded), `failed`, `skipped` (planned so), or
 * `cancelled` (the backfill was cancelled before its run existed, or the run was removed).
 */
export function backfillDateStatus(date: BackfillDateFacts, backfill: BackfillState): BackfillDateStatus {
  if (date.action === 'skip') return 'skipped';
  if (!date.handled) return backfill === 'cancelled' ? 'cancelled' : 'queued';
  switch (date.runState) {
    case null:
      return 'cancelled';
    case 'success':
      return 'done';
    default:
      return date.runState;
  }
}

export type BackfillProgress = Record<BackfillDateStatus, number> & { total: number };

/** Counts dates by status; an entry may stand for `count` dates of the same status. */
export function backfillProgress(
  statuses: Iterable<BackfillDateStatus | { status: BackfillDateStatus; count: number }>,
): BackfillProgress {
  const progress: BackfillProgress = {
    total: 0,
    done: 0,
    failed: 0,
    running: 0,
    queued: 0,
    skipped: 0,
    cancelled: 0,
  };
  for (const entry of statuses) {
    const { status, count } = typeof entry === 'string' ? { status: entry, count: 1 } : entry;
    progress.total += count;
    progress[status] += count;
  }
  return progress;
}

const FINAL_STATUSES: ReadonlySet<BackfillDateStatus> = new Set(['done', 'failed', 'skipped', 'cancelled']);

/** Whether a date still needs the backfill: not requested yet, or its run is not finished. */
export function isBackfillDateOpen(date: BackfillDateFacts, backfill: BackfillState): boolean {
  return !FINAL_STATUSES.has(backfillDateStatus(date, backfill));
}

export interface BackfillStep {
  /** Positions to request now, in order. */
  request: number[];
  /** Every date is final: the backfill is complete. */
  complete: boolean;
}

/**
 * The next step of a running backfill: request the next dates (in position order) while fewer
 * than `maxActiveRuns` are in flight (requested, and not finished), or complete it when every
 * date is final. `dates` may leave out final dates; the others must all be there.
 */
export function nextBackfillStep(dates: BackfillDateFacts[], maxActiveRuns: number): BackfillStep {
  const open = dates.filter((d) => isBackfillDateOpen(d, 'running'));
  const inFlight = open.filter((d) => d.requested).length;
  const free = Math.max(0, maxActiveRuns - inFlight);
  const request = open
    .filter((d) => !d.requested)
    .sort((a, b) => a.position - b.position)
    .slice(0, free)
    .map((d) => d.position);
  return { request, complete: open.length === 0 };
}

/**
 * A backfill request that cannot be honoured (besides a range outside the backfill window,
 * which is a BackfillRangeError): `status` and `code` are what the REST API answers.
 */
export class BackfillRequestError extends Error {
  constructor(
    readonly status: 400 | 409,
    readonly code:
      | 'validation_failed'
      | 'backfill_not_schedulable'
      | 'backfill_empty'
      | 'backfill_overlap'
      | 'illegal_transition',
    message: string,
    /** For validation_failed: the fields at fault and what is wrong with each. */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
    this.name = 'BackfillRequestError';
  }
}
