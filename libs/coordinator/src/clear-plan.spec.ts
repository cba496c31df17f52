import { IllegalTransitionError, TaskInstanceState } from '@tributary/domain';
import { ClearRefusedError, planClear } from './clear-plan';

// extract → transform → load, extract → audit, and load → report.
const TASKS = [
  { taskId: 'extract', upstreams: [] },
  { taskId: 'transform', upstreams: ['extract'] },
  { taskId: 'load', upstreams: ['transform'] },
  { taskId: 'audit', upstreams: ['extract'] },
  { taskId: 'report', upstreams: ['load'] },
];

const states = (s: Record<string, TaskInstanceState>) => new Map(Object.entries(s));

const FAILED_RUN = states({
  extract: 'success',
  transform: 'failed',
  load: 'upstream_failed',
  audit: 'success',
  report: 'upstream_failed',
});

describe('planClear', () => {
  it('clears only the failed ones of those named by default, and says why the others stay', () => {
    expect(planClear(TASKS, FAILED_RUN, ['transform', 'audit'])).toEqual({
      cleared: ['transform'],
      skipped: [{ taskId: 'audit', state: 'success', reason: 'it is success, not failed (onlyFailed)' }],
    });
  });

  it('upstream_failed counts as failed', () => {
    expect(planClear(TASKS, FAILED_RUN, ['load']).cleared).toEqual(['load']);
  });

  it('downstream adds every finished TI after a cleared one, in topological order', () => {
    expect(planClear(TASKS, FAILED_RUN, ['transform'], { downstream: true }).cleared).toEqual([
      'transform',
      'load',
      'report',
    ]);
  });

  it('downstream follows only the cleared tasks, not the skipped ones', () => {
    expect(planClear(TASKS, FAILED_RUN, ['extract'], { downstream: true })).toEqual({
      cleared: [],
      skipped: [{ taskId: 'extract', state: 'success', reason: 'it is success, not failed (onlyFailed)' }],
    });
  });

  it('onlyFailed false clears successful ones too; downstream then reruns everything after them', () => {
    expect(
      planClear(TASKS, FAILED_RUN, ['extract'], { onlyFailed: false, downstream: true }).cleared,
    ).toEqual(['extract', 'transform', 'audit', 'load', 'report']);
  });

  it('a TI that has not run is skipped; downstream leaves the scheduled ones (they run after it anyway)', () => {
    const running = states({
      extract: 'success',
      transform: 'up_for_retry',
      load: 'scheduled',
      audit: 'success',
      report: 'scheduled',
    });
    expect(planClear(TASKS, running, ['load'], { onlyFailed: false })).toEqual({
      cleared: [],
      skipped: [{ taskId: 'load', state: 'scheduled', reason: 'it has not run yet' }],
    });
    expect(planClear(TASKS, running, ['transform'], { onlyFailed: false, downstream: true }).cleared).toEqual(
      ['transform'],
    );
  });

  it.each<TaskInstanceState>(['queued', 'running'])(
    'refuses a %s TI when it would be cleared (named, or downstream)',
    (state) => {
      const busy = states({ ...Object.fromEntries(FAILED_RUN), load: state });
      expect(() => planClear(TASKS, busy, ['load'], { onlyFailed: false })).toThrow(ClearRefusedError);
      expect(() => planClear(TASKS, busy, ['transform'], { downstream: true })).toThrow(
        `cannot clear task 'load': its task instance is ${state} on an executor`,
      );
      // A 409 through the API: it is an illegal transition.
      expect(() => planClear(TASKS, busy, ['transform'], { downstream: true })).toThrow(
        IllegalTransitionError,
      );
      // Only failed ones asked for: a running one is simply not one of them.
      expect(planClear(TASKS, busy, ['load'])).toEqual({
        cleared: [],
        skipped: [{ taskId: 'load', state, reason: `it is ${state}, not failed (onlyFailed)` }],
      });
    },
  );

  it('a waiting sensor or a TI waiting for its retry may be cleared (the state machine allows it)', () => {
    const waiting = states({ extract: 'deferred', transform: 'up_for_reschedule', audit: 'up_for_retry' });
    expect(
      planClear(TASKS, waiting, ['extract', 'transform', 'audit'], { onlyFailed: false }).cleared,
    ).toEqual(['extract', 'transform', 'audit']);
  });

  it('a task without a TI in this run (added to the DAG later) is skipped; names count once', () => {
    expect(planClear(TASKS, states({ transform: 'failed' }), ['extract', 'transform', 'transform'])).toEqual({
      cleared: ['transform'],
      skipped: [
        {
          taskId: 'extract',
          state: null,
          reason: 'this run has no task instance of it (it was added later)',
        },
      ],
    });
  });
});
