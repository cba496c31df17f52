import { CronTimetable } from '../timetable/cron-timetable';
import { backfillRuns } from '../timetable/run-planner';
import {
  BackfillDateFacts,
  ExistingRun,
  MAX_BACKFILL_DATES,
  backfillDateStatus,
  backfillPlanProblem,
  backfillProgress,
  backfillRangesOverlap,
  backfillRunId,
  nextBackfillStep,
  planBackfill,
  planBackfillDate,
} from './backfill-plan';

const day = (d: string) => new Date(`2026-04-${d}T00:00:00Z`);
const SCHEDULE = {
  timetable: new CronTimetable('0 0 * * *'),
  startDate: day('01'),
  catchup: false,
};
const NOW = new Date('2026-04-25T06:00:00Z');

describe('planBackfillDate', () => {
  const at = day('10');
  const run = (state: ExistingRun['state']): ExistingRun => ({ runId: 'scheduled__x', state });

  it('creates a run for a date without one, whatever reprocess says', () => {
    for (const reprocess of ['none', 'failed', 'all'] as const) {
      expect(planBackfillDate(at, undefined, reprocess)).toEqual({
        action: 'create',
        reason: null,
        runId: 'backfill__2026-04-10T00:00:00.000Z',
      });
    }
  });

  it.each([
    ['none', 'success', 'skip'],
    ['none', 'failed', 'skip'],
    ['failed', 'success', 'skip'],
    ['failed', 'failed', 'rerun'],
    ['all', 'success', 'rerun'],
    ['all', 'failed', 'rerun'],
    ['all', 'running', 'skip'],
    ['all', 'queued', 'skip'],
    ['failed', 'running', 'skip'],
  ] as const)('reprocess %s, existing run %s → %s (the existing run)', (reprocess, state, action) => {
    const decision = planBackfillDate(at, run(state), reprocess);
    expect(decision.action).toBe(action);
    expect(decision.runId).toBe('scheduled__x');
  });

  it('says why it skips', () => {
    expect(planBackfillDate(at, run('running'), 'all').reason).toBe("already running: run 'scheduled__x'");
    expect(planBackfillDate(at, run('success'), 'failed').reason).toBe(
      "already succeeded: run 'scheduled__x' (reprocess 'all' reruns it)",
    );
    expect(planBackfillDate(at, run('failed'), 'none').reason).toBe(
      "run 'scheduled__x' failed (reprocess 'failed' or 'all' reruns it)",
    );
  });
});

describe('planBackfill', () => {
  it('keeps the order of the planned runs (reversed too) and numbers the positions', () => {
    const runs = backfillRuns(SCHEDULE, { from: day('10'), to: day('13'), now: NOW, reverse: true });
    const existing = new Map([
      [day('11').getTime(), { runId: 'scheduled__11', state: 'success' as const }],
      [day('12').getTime(), { runId: 'backfill__12', state: 'failed' as const }],
    ]);
    const plan = planBackfill(runs, existing, 'failed');
    expect(
      plan.map((d) => [d.position, d.logicalDate.toISOString().slice(0, 10), d.action, d.runId]),
    ).toEqual([
      [0, '2026-04-13', 'create', backfillRunId(day('13'))],
      [1, '2026-04-12', 'rerun', 'backfill__12'],
      [2, '2026-04-11', 'skip', 'scheduled__11'],
      [3, '2026-04-10', 'create', backfillRunId(day('10'))],
    ]);
    expect(plan[0].dataInterval).toEqual({ start: day('13'), end: day('14') });
  });
});

describe('backfillPlanProblem', () => {
  const range = { from: day('10'), to: day('12') };

  it('refuses an empty plan, saying why a range may hold no run', () => {
    expect(backfillPlanProblem('d', [], range, 'none')).toBe(
      "DAG 'd': nothing to backfill from 2026-04-10T00:00:00Z to 2026-04-12T00:00:00Z: no complete " +
        "interval of its schedule has a logical date in that range (dates before the DAG's start date, after " +
        'its end date, or whose interval has not ended yet have no run to make)',
    );
  });

  it('refuses a plan that only skips, pointing at reprocess and dryRun', () => {
    const skips = [{ action: 'skip' as const }, { action: 'skip' as const }];
    expect(backfillPlanProblem('d', skips, range, 'none')).toContain(
      "every date already has a run (reprocess 'failed' or 'all' reruns finished ones); dryRun shows the plan",
    );
    expect(backfillPlanProblem('d', skips, range, 'failed')).toContain("(reprocess 'all' reruns");
    expect(backfillPlanProblem('d', skips, range, 'all')).toContain('already has a queued or running run');
  });

  it('refuses more dates than a backfill may hold', () => {
    const many = Array.from({ length: MAX_BACKFILL_DATES + 1 }, () => ({ action: 'create' as const }));
    expect(backfillPlanProblem('d', many, range, 'none')).toContain(
      `holds more than the ${MAX_BACKFILL_DATES} logical dates one backfill may hold`,
    );
    expect(backfillPlanProblem('d', many.slice(1), range, 'none')).toBeNull();
  });

  it('accepts a plan with something to do', () => {
    expect(backfillPlanProblem('d', [{ action: 'skip' }, { action: 'rerun' }], range, 'all')).toBeNull();
  });
});

describe('backfillRangesOverlap', () => {
  it('treats both ends as inclusive', () => {
    expect(
      backfillRangesOverlap({ from: day('01'), to: day('05') }, { from: day('05'), to: day('09') }),
    ).toBe(true);
    expect(
      backfillRangesOverlap({ from: day('01'), to: day('05') }, { from: day('06'), to: day('09') }),
    ).toBe(false);
    expect(
      backfillRangesOverlap({ from: day('06'), to: day('09') }, { from: day('01'), to: day('05') }),
    ).toBe(false);
    expect(
      backfillRangesOverlap({ from: day('01'), to: day('09') }, { from: day('03'), to: day('04') }),
    ).toBe(true);
  });
});

const facts = (position: number, extra: Partial<BackfillDateFacts> = {}): BackfillDateFacts => ({
  position,
  action: 'create',
  requested: false,
  handled: false,
  runState: null,
  ...extra,
});

describe('backfillDateStatus and backfillProgress', () => {
  it('reads each date from its action, request and run', () => {
    const cases: [BackfillDateFacts, string, string][] = [
      [facts(0, { action: 'skip' }), 'skipped', 'skipped'],
      [facts(1), 'queued', 'cancelled'],
      [facts(2, { requested: true }), 'queued', 'cancelled'],
      [facts(3, { requested: true, handled: true, runState: 'queued' }), 'queued', 'queued'],
      [facts(4, { requested: true, handled: true, runState: 'running' }), 'running', 'running'],
      [facts(5, { requested: true, handled: true, runState: 'success' }), 'done', 'done'],
      [facts(6, { requested: true, handled: true, runState: 'failed' }), 'failed', 'failed'],
      [facts(7, { requested: true, handled: true, runState: null }), 'cancelled', 'cancelled'],
    ];
    for (const [date, whileRunning, onceCancelled] of cases) {
      expect([date.position, backfillDateStatus(date, 'running')]).toEqual([date.position, whileRunning]);
      expect([date.position, backfillDateStatus(date, 'cancelled')]).toEqual([date.position, onceCancelled]);
    }
    const progress = backfillProgress(cases.map(([d]) => backfillDateStatus(d, 'running')));
    expect(progress).toEqual({
      total: 8,
      done: 1,
      failed: 1,
      running: 1,
      queued: 3,
      skipped: 1,
      cancelled: 1,
    });
    expect(
      backfillProgress([{ status: 'done', count: 5 }, 'queued', { status: 'queued', count: 2 }]),
    ).toEqual({
      total: 8,
      done: 5,
      failed: 0,
      running: 0,
      queued: 3,
      skipped: 0,
      cancelled: 0,
    });
  });
});

describe('nextBackfillStep', () => {
  it('requests the next dates in position order up to maxActiveRuns', () => {
    const dates = [facts(3), facts(0), facts(2), facts(1)];
    expect(nextBackfillStep(dates, 2)).toEqual({ request: [0, 1], complete: false });
  });

  it('counts requested dates whose run is not finished (or not created yet) as in flight', () => {
    const dates = [
      facts(0, { requested: true }), // request not handled yet
      facts(1, { requested: true, handled: true, runState: 'running' }),
      facts(2, { requested: true, handled: true, runState: 'success' }),
      facts(3, { requested: true, handled: true, runState: 'queued' }),
      facts(4),
      facts(5),
    ];
    expect(nextBackfillStep(dates, 3)).toEqual({ request: [], complete: false });
    expect(nextBackfillStep(dates, 4)).toEqual({ request: [4], complete: false });
    expect(nextBackfillStep(dates, 10)).toEqual({ request: [4, 5], complete: false });
  });

  it('never requests skipped dates, and completes once every date is final', () => {
    const dates = [
      facts(0, { action: 'skip' }),
      facts(1, { requested: true, handled: true, runState: 'failed' }),
      facts(2, { action: 'rerun', requested: true, handled: true, runState: 'success' }),
      facts(3, { requested: true, handled: true, runState: null }),
    ];
    expect(nextBackfillStep(dates, 1)).toEqual({ request: [], complete: true });
    expect(nextBackfillStep([], 1)).toEqual({ request: [], complete: true });
    const waiting = [...dates, facts(4, { action: 'rerun', requested: true })];
    expect(nextBackfillStep(waiting, 1)).toEqual({ request: [], complete: false });
  });
});
