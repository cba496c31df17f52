import { RunDetailView, formatRunOutcome, runProgressLine, stateCounts } from './runs.command';

function run(state: string, tis: [string, string, string | null][]): RunDetailView {
  return {
    dagId: 'etl',
    runId: 'manual__1',
    runType: 'manual',
    state,
    logicalDate: '2026-04-25T00:00:00.000Z',
    dataInterval: null,
    queuedAt: '2026-04-25T10:00:00.000Z',
    startedAt: '2026-04-25T10:00:01.000Z',
    endedAt: state === 'running' ? null : '2026-04-25T10:00:05.200Z',
    backfillId: null,
    conf: {},
    taskInstances: tis.map(([taskId, s, error]) => ({
      taskId,
      state: s,
      tryNumber: 1,
      worker: null,
      queuedAt: null,
      startedAt: null,
      endedAt: null,
      tries: error
        ? [
            {
              tryNumber: 1,
              state: 'failed',
              worker: null,
              queuedAt: null,
              startedAt: null,
              endedAt: null,
              exitReason: 'exception',
              error,
            },
          ]
        : [],
    })),
  };
}

describe('trigger --wait output', () => {
  it('says a successful run succeeded and how long it took', () => {
    expect(formatRunOutcome(run('success', [['a', 'success', null]]), new Date())).toBe(
      'run manual__1 of etl succeeded in 4.2s',
    );
  });

  it('names the failed tasks with their error, and how to see logs and clear them', () => {
    expect(
      formatRunOutcome(
        run('failed', [
          ['a', 'success', null],
          ['b', 'failed', 'boom'],
          ['c', 'upstream_failed', null],
        ]),
        new Date(),
      ),
    ).toBe(
      [
        'run manual__1 of etl failed after 4.2s',
        '  failed: b (try 1): boom',
        '  upstream failed: c',
        '  logs:  tributary tasks logs etl manual__1 b',
        '  retry: tributary tasks clear etl manual__1 b --downstream',
      ].join('\n'),
    );
  });

  it('draws progress as task instances finished out of all', () => {
    const { line, fraction } = runProgressLine(
      run('running', [
        ['a', 'success', null],
        ['b', 'running', null],
        ['c', 'scheduled', null],
        ['d', 'failed', 'x'],
      ]),
    );
    expect(fraction).toBe(0.5);
    expect(line).toBe('[##########..........]  50%  running  2/4 tasks done · 1 running · 1 failed');
  });

  it('counts states', () => {
    expect(stateCounts([{ state: 'success' }, { state: 'failed' }, { state: 'success' }])).toBe(
      '2 success, 1 failed',
    );
    expect(stateCounts([])).toBe('none yet');
  });
});
