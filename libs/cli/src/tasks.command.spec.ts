import { formatClear, formatLogLine } from './tasks.command';

describe('tasks clear output', () => {
  const answer = { dagId: 'etl', runId: 'r1', cleared: ['b', 'c'] };

  it('a dry run lists what it would clear with the states now, and says nothing changed', () => {
    expect(
      formatClear(
        { ...answer, dryRun: true },
        { taskIds: ['b'], allStates: false },
        new Map([
          ['b', 'failed'],
          ['c', 'upstream_failed'],
        ]),
      ),
    ).toBe(
      [
        'would clear 2 task instances of run r1 of etl: b (failed), c (upstream_failed)',
        '(dry run: nothing changed; run it again without --dry-run to clear them)',
      ].join('\n'),
    );
  });

  it('a real clear says the run resumes', () => {
    expect(formatClear({ ...answer, dryRun: false }, { taskIds: ['b'], allStates: false })).toBe(
      'cleared 2 task instances of run r1 of etl: b, c; the run resumes from them',
    );
  });

  it('nothing cleared: says why each named task was left, and about --all-states', () => {
    expect(
      formatClear(
        {
          dagId: 'etl',
          runId: 'r1',
          dryRun: false,
          cleared: [],
          skipped: [{ taskId: 'a', state: 'success', reason: 'it is success, not failed (onlyFailed)' }],
        },
        { taskIds: ['a'], allStates: false },
      ),
    ).toBe(
      [
        'nothing to clear in run r1 of etl',
        '  not cleared: a (success): it is success, not failed (onlyFailed)',
        '  (only failed and upstream_failed task instances are cleared; --all-states clears them whatever their state)',
      ].join('\n'),
    );
  });
});

describe('log lines', () => {
  it('time, level, stream when stderr, message', () => {
    expect(
      formatLogLine({ at: '2026-04-25T10:00:00.000Z', stream: 'log', level: 'info', message: 'hi' }),
    ).toBe('2026-04-25T10:00:00.000Z INFO  hi');
    expect(
      formatLogLine({ at: '2026-04-25T10:00:00.000Z', stream: 'stderr', level: 'error', message: 'x' }),
    ).toBe('2026-04-25T10:00:00.000Z ERROR [stderr] x');
  });
});
