import {
  BackfillDetailView,
  backfillProgressLine,
  backfillSucceeded,
  formatBackfillSummary,
  formatDryRun,
} from './backfill.command';

const ZONE = 'America/Los_Angeles';

function backfill(overrides: Partial<BackfillDetailView> = {}): BackfillDetailView {
  return {
    id: '7',
    dagId: 'daily_sales',
    from: '2026-04-01T07:00:00.000Z',
    to: '2026-04-05T07:00:00.000Z',
    reprocess: 'none',
    maxActiveRuns: 2,
    reverse: false,
    state: 'completed',
    createdAt: '2026-04-25T10:00:00.000Z',
    completedAt: '2026-04-25T10:01:12.000Z',
    cancelledAt: null,
    progress: { total: 5, done: 3, failed: 1, running: 0, queued: 0, skipped: 1, cancelled: 0 },
    dates: [
      {
        logicalDate: '2026-04-01T07:00:00.000Z',
        runId: 'backfill__2026-04-01T07:00:00.000Z',
        action: 'create',
        state: 'done',
      },
      {
        logicalDate: '2026-04-02T07:00:00.000Z',
        runId: 'backfill__2026-04-02T07:00:00.000Z',
        action: 'create',
        state: 'failed',
      },
      { logicalDate: '2026-04-03T07:00:00.000Z', runId: 'scheduled__x', action: 'skip', state: 'skipped' },
    ],
    ...overrides,
  };
}

describe('backfill progress line', () => {
  it('shows the bar, the share of finished dates and each count', () => {
    expect(
      backfillProgressLine({
        total: 10,
        done: 3,
        failed: 1,
        running: 2,
        queued: 4,
        skipped: 0,
        cancelled: 0,
      }),
    ).toEqual({
      line: `[############..................]  40%  4/10 dates · 3 done · 2 running · 4 queued · 1 failed`,
      fraction: 0.4,
    });
  });

  it('mentions skipped and cancelled dates only when there are some', () => {
    const { line } = backfillProgressLine({
      total: 4,
      done: 1,
      failed: 0,
      running: 0,
      queued: 0,
      skipped: 2,
      cancelled: 1,
    });
    expect(line).toMatch(
      /100% {2}4\/4 dates · 1 done · 0 running · 0 queued · 0 failed · 2 skipped · 1 cancelled$/,
    );
  });
});

describe('backfill summary', () => {
  it('counts, failed dates in the DAG zone, elapsed time and how to rerun the failed dates', () => {
    expect(formatBackfillSummary(backfill(), ZONE, new Date())).toBe(
      [
        'backfill 7 of daily_sales completed in 1m 12s: 5 dates from 2026-04-01 to 2026-04-05',
        '  3 succeeded · 1 failed · 1 skipped · 0 cancelled',
        '  failed dates: 2026-04-02',
        '  see a failed run:   tributary runs show daily_sales backfill__2026-04-02T07:00:00.000Z',
        '  rerun failed dates: tributary backfill create daily_sales --from 2026-04-01T07:00:00.000Z --to 2026-04-05T07:00:00.000Z --reprocess failed',
      ].join('\n'),
    );
  });

  it('a cancelled backfill says so', () => {
    const cancelled = backfill({
      state: 'cancelled',
      completedAt: null,
      cancelledAt: '2026-04-25T10:00:30.000Z',
      progress: { total: 5, done: 1, failed: 0, running: 1, queued: 0, skipped: 0, cancelled: 3 },
      dates: [],
    });
    expect(formatBackfillSummary(cancelled, ZONE, new Date())).toBe(
      [
        'backfill 7 of daily_sales was cancelled after 30s: 5 dates from 2026-04-01 to 2026-04-05',
        '  1 succeeded · 0 failed · 0 skipped · 3 cancelled · 1 running · 0 queued',
      ].join('\n'),
    );
  });

  it('succeeds (exit 0) only when completed with no failed or cancelled date', () => {
    expect(backfillSucceeded(backfill())).toBe(false);
    expect(
      backfillSucceeded(
        backfill({
          progress: { total: 2, done: 1, failed: 0, running: 0, queued: 0, skipped: 1, cancelled: 0 },
        }),
      ),
    ).toBe(true);
    expect(
      backfillSucceeded(
        backfill({
          state: 'cancelled',
          progress: { total: 2, done: 2, failed: 0, running: 0, queued: 0, skipped: 0, cancelled: 0 },
        }),
      ),
    ).toBe(false);
  });
});

describe('backfill dry run', () => {
  it('lists each date with its action and reason', () => {
    expect(
      formatDryRun(
        {
          dagId: 'daily_sales',
          dryRun: true,
          dates: [
            { logicalDate: '2026-04-01T07:00:00.000Z', action: 'create' },
            { logicalDate: '2026-04-02T07:00:00.000Z', action: 'skip', reason: "already succeeded: run 'x'" },
          ],
        },
        ZONE,
      ),
    ).toBe(
      [
        'backfill of daily_sales (dry run, nothing created): 2 dates, 1 create, 1 skip',
        '  LOGICAL DATE  ACTION  REASON',
        '  2026-04-01    create  -',
        "  2026-04-02    skip    already succeeded: run 'x'",
      ].join('\n'),
    );
  });
});
