import { CronTimetable } from '../cron-timetable';
import { BackfillRangeError, BackfillRequest, PlannedRun, RunSchedule, backfillRuns } from '../run-planner';

/**
 * Scenario: expanding a backfill request into runs.
 * A daily 02:00 UTC DAG started 2026-01-01; it is now 2026-04-26T10:00Z, so the latest complete
 * interval is [2026-04-25T02:00, 2026-04-26T02:00) (logical date 2026-04-25).
 * A 14-day backfill window reaches back to 2026-04-12T10:00:00Z.
 */
const DAY = 86_400_000;
const NOW = new Date('2026-04-26T10:00:00Z');
const SCHEDULE: RunSchedule = {
  timetable: new CronTimetable('0 2 * * *'),
  startDate: new Date('2026-01-01T00:00:00Z'),
  catchup: false,
};
const logical = (runs: PlannedRun[]) => runs.map((r) => r.logicalDate.toISOString());
const request = (from: string, to: string, extra: Partial<BackfillRequest> = {}): BackfillRequest => ({
  from: new Date(from),
  to: new Date(to),
  now: NOW,
  backfillWindowMs: 14 * DAY,
  ...extra,
});

function backfillError(schedule: RunSchedule, req: BackfillRequest): BackfillRangeError {
  try {
    backfillRuns(schedule, req);
  } catch (error) {
    if (error instanceof BackfillRangeError) return error;
    throw error;
  }
  throw new Error('expected a BackfillRangeError');
}

describe('scenario: backfill range expansion', () => {
  it('stops after maxRuns: a huge range is refused without being planned whole', () => {
    const runs = backfillRuns(
      SCHEDULE,
      request('2026-04-13T00:00:00Z', '2026-04-25T00:00:00Z', { maxRuns: 3 }),
    );
    expect(logical(runs)).toEqual([
      '2026-04-13T02:00:00.000Z',
      '2026-04-14T02:00:00.000Z',
      '2026-04-15T02:00:00.000Z',
    ]);
  });

  it('a range inside the window becomes one run per logical date in [from, to], oldest first', () => {
    const runs = backfillRuns(SCHEDULE, request('2026-04-20T00:00:00Z', '2026-04-23T00:00:00Z'));
    expect(logical(runs)).toEqual([
      '2026-04-20T02:00:00.000Z',
      '2026-04-21T02:00:00.000Z',
      '2026-04-22T02:00:00.000Z',
    ]);
    expect(runs[0].dataInterval).toEqual({
      start: new Date('2026-04-20T02:00:00Z'),
      end: new Date('2026-04-21T02:00:00Z'),
    });
    expect(runs[0].runAfter.toISOString()).toBe('2026-04-21T02:00:00.000Z');
  });

  it('both ends are inclusive logical dates', () => {
    const runs = backfillRuns(SCHEDULE, request('2026-04-20T02:00:00Z', '2026-04-23T02:00:00Z'));
    expect(logical(runs)).toEqual([
      '2026-04-20T02:00:00.000Z',
      '2026-04-21T02:00:00.000Z',
      '2026-04-22T02:00:00.000Z',
      '2026-04-23T02:00:00.000Z',
    ]);
  });

  it('from = to on a fire gives one run; on no fire gives none', () => {
    expect(logical(backfillRuns(SCHEDULE, request('2026-04-20T02:00:00Z', '2026-04-20T02:00:00Z')))).toEqual([
      '2026-04-20T02:00:00.000Z',
    ]);
    expect(backfillRuns(SCHEDULE, request('2026-04-20T03:00:00Z', '2026-04-20T03:00:00Z'))).toEqual([]);
  });

  it('reverse: newest logical date first', () => {
    const runs = backfillRuns(
      SCHEDULE,
      request('2026-04-20T00:00:00Z', '2026-04-23T00:00:00Z', { reverse: true }),
    );
    expect(logical(runs)).toEqual([
      '2026-04-22T02:00:00.000Z',
      '2026-04-21T02:00:00.000Z',
      '2026-04-20T02:00:00.000Z',
    ]);
  });

  it('only complete intervals: a range reaching into the future stops at the latest complete one', () => {
    const runs = backfillRuns(SCHEDULE, request('2026-04-20T00:00:00Z', '2026-05-10T00:00:00Z'));
    expect(logical(runs)).toEqual([
      '2026-04-20T02:00:00.000Z',
      '2026-04-21T02:00:00.000Z',
      '2026-04-22T02:00:00.000Z',
      '2026-04-23T02:00:00.000Z',
      '2026-04-24T02:00:00.000Z',
      '2026-04-25T02:00:00.000Z', // ended 2026-04-26T02:00, before now; 04-26 ends tomorrow
    ]);
    expect(backfillRuns(SCHEDULE, request('2026-04-26T00:00:00Z', '2026-05-10T00:00:00Z'))).toEqual([]);
  });

  it('is clipped to the DAG start date', () => {
    const late = { ...SCHEDULE, startDate: new Date('2026-04-21T12:00:00Z') };
    const runs = backfillRuns(late, request('2026-04-20T00:00:00Z', '2026-04-23T02:00:00Z'));
    expect(logical(runs)).toEqual(['2026-04-22T02:00:00.000Z', '2026-04-23T02:00:00.000Z']);
  });

  it('clips to the start date before judging the window: a DAG started inside the window is not refused', () => {
    const recent = { ...SCHEDULE, startDate: new Date('2026-04-20T00:00:00Z') };
    const runs = backfillRuns(recent, request('2026-01-01T00:00:00Z', '2026-04-21T02:00:00Z'));
    expect(logical(runs)).toEqual(['2026-04-20T02:00:00.000Z', '2026-04-21T02:00:00.000Z']);
  });

  it('a 30-day window is named in days', () => {
    const error = backfillError(
      SCHEDULE,
      request('2026-01-01T00:00:00Z', '2026-04-20T00:00:00Z', { backfillWindowMs: 30 * DAY }),
    );
    expect(error.message).toContain('reaches past the backfill window of 30 days');
  });

  it('is clipped to the DAG end date', () => {
    const ended = { ...SCHEDULE, endDate: new Date('2026-04-21T02:00:00Z') };
    const runs = backfillRuns(ended, request('2026-04-20T00:00:00Z', '2026-04-23T02:00:00Z'));
    expect(logical(runs)).toEqual(['2026-04-20T02:00:00.000Z', '2026-04-21T02:00:00.000Z']);
  });

  it('past the window: BackfillRangeError naming the earliest allowed logical date and the window', () => {
    const error = backfillError(
      SCHEDULE,
      request('2026-04-01T00:00:00Z', '2026-04-20T00:00:00Z', { dagId: 'daily_etl' }),
    );
    expect(error.name).toBe('BackfillRangeError');
    expect(error.message).toBe(
      "DAG 'daily_etl': backfill from 2026-04-01T00:00:00Z reaches past the backfill window of 2 weeks: " +
        'the earliest logical date allowed now is 2026-04-12T10:00:00Z; ' +
        "start the range there or widen the DAG's backfillWindow",
    );
  });

  it('without a dagId the message starts with the problem', () => {
    const error = backfillError(SCHEDULE, request('2026-04-12T09:59:59Z', '2026-04-20T00:00:00Z'));
    expect(error.message).toMatch(
      /^backfill from 2026-04-12T09:59:59Z reaches past the backfill window of 2 weeks/,
    );
  });

  it('a range starting exactly at the earliest allowed instant is accepted', () => {
    const runs = backfillRuns(SCHEDULE, request('2026-04-12T10:00:00Z', '2026-04-14T00:00:00Z'));
    expect(logical(runs)).toEqual(['2026-04-13T02:00:00.000Z']);
  });

  it('clipToWindow: the range is cut at the window instead of refused', () => {
    const runs = backfillRuns(
      SCHEDULE,
      request('2026-04-01T00:00:00Z', '2026-04-15T00:00:00Z', { clipToWindow: true }),
    );
    expect(logical(runs)).toEqual(['2026-04-13T02:00:00.000Z', '2026-04-14T02:00:00.000Z']);
  });

  it('without a backfill window, any past range is allowed (still clipped to the start date)', () => {
    const runs = backfillRuns(SCHEDULE, {
      from: new Date('2025-12-30T00:00:00Z'),
      to: new Date('2026-01-02T02:00:00Z'),
      now: NOW,
    });
    expect(logical(runs)).toEqual(['2026-01-01T02:00:00.000Z', '2026-01-02T02:00:00.000Z']);
  });

  it('a backwards range is refused, saying which way round it should be', () => {
    const error = backfillError(
      SCHEDULE,
      request('2026-04-23T00:00:00Z', '2026-04-20T00:00:00Z', { dagId: 'daily_etl' }),
    );
    expect(error.message).toBe(
      "DAG 'daily_etl': backfill range is backwards: from 2026-04-23T00:00:00Z is after to 2026-04-20T00:00:00Z; swap them",
    );
  });

  it('across spring-forward in Los Angeles the backfill keeps one run per local day', () => {
    const la: RunSchedule = {
      timetable: new CronTimetable('30 2 * * *', 'America/Los_Angeles'),
      startDate: new Date('2026-03-01T08:00:00Z'),
      catchup: false,
    };
    const runs = backfillRuns(la, {
      from: new Date('2026-03-07T08:00:00Z'), // 2026-03-07 00:00 PST
      to: new Date('2026-03-10T07:00:00Z'), // 2026-03-10 00:00 PDT
      now: new Date('2026-03-20T00:00:00Z'),
    });
    expect(logical(runs)).toEqual([
      '2026-03-07T10:30:00.000Z', // 02:30 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT (02:30 did not exist)
      '2026-03-09T09:30:00.000Z', // 02:30 PDT
    ]);
    expect(runs[0].dst?.kind).toBe('moved-out-of-gap'); // its interval ends at the moved fire
  });
});
