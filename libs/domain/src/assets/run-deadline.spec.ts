import { describeRunDeadline, runDeadlineAt, runDeadlineProblems } from './run-deadline';

const LA = 'America/Los_Angeles';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DURATION_FORMS = "write a number and a unit (ms, s, m, h, d, w), e.g. '30s', '15m', '1h30m', '1d'";
const at = (iso: string) => new Date(iso);

describe('runDeadlineAt', () => {
  // The daily run for 2026-04-25 in a Los Angeles DAG: logical date midnight PDT, queued the next midnight.
  const logicalDate = at('2026-04-25T07:00:00Z');
  const queuedAt = at('2026-04-26T07:00:05Z');

  it('is `by` on the day after the logical date, in the DAG’s zone by default', () => {
    expect(runDeadlineAt({ by: '05:45' }, logicalDate, queuedAt, LA)).toEqual(at('2026-04-26T12:45:00Z'));
  });

  it('reads the logical date’s day and `by` in the DAG’s zone', () => {
    // The same instant is 2026-04-25 in UTC too, but 05:45 UTC is a different instant.
    expect(runDeadlineAt({ by: '05:45' }, logicalDate, queuedAt, 'UTC')).toEqual(at('2026-04-26T05:45:00Z'));
    // Midnight in Tokyo on 2026-04-25 is still 2026-04-24 in UTC.
    expect(runDeadlineAt({ by: '05:45' }, at('2026-04-24T15:00:00Z'), queuedAt, 'Asia/Tokyo')).toEqual(
      at('2026-04-25T20:45:00Z'),
    );
  });

  it('reads `by` in an explicit timezone instead of the DAG’s', () => {
    expect(runDeadlineAt({ by: '05:45', timezone: 'Europe/London' }, logicalDate, queuedAt, LA)).toEqual(
      at('2026-04-26T04:45:00Z'),
    );
    expect(runDeadlineAt({ by: '05:45', timezone: LA }, logicalDate, queuedAt, 'Europe/London')).toEqual(
      at('2026-04-26T12:45:00Z'),
    );
  });

  it('keeps the logical date’s day in the DAG’s zone when the deadline’s zone is behind it', () => {
    // A UTC DAG's run for 2026-04-25 (logical date 00:00Z, queued 2026-04-26T00:00Z) due by 05:45 Los Angeles
    // time on D+1 = 2026-04-26: 12:45Z. 00:00Z on the 25th is still the 24th in Los Angeles; the day D is
    // the DAG's (as for {{ ds }} and partitions), not the deadline zone's.
    expect(
      runDeadlineAt(
        { by: '05:45', timezone: LA },
        at('2026-04-25T00:00:00Z'),
        at('2026-04-26T00:00:00Z'),
        'UTC',
      ),
    ).toEqual(at('2026-04-26T12:45:00Z'));
    // A Tokyo DAG's run for 2026-04-25 (logical date 2026-04-24T15:00Z) due by 05:45 UTC on 2026-04-26.
    expect(
      runDeadlineAt({ by: '05:45', timezone: 'UTC' }, at('2026-04-24T15:00:00Z'), queuedAt, 'Asia/Tokyo'),
    ).toEqual(at('2026-04-26T05:45:00Z'));
  });

  it('moves the day by offsetDays', () => {
    expect(runDeadlineAt({ by: '22:00', offsetDays: 0 }, logicalDate, queuedAt, LA)).toEqual(
      at('2026-04-26T05:00:00Z'),
    );
    expect(runDeadlineAt({ by: '05:45', offsetDays: 1 }, logicalDate, queuedAt, LA)).toEqual(
      at('2026-04-26T12:45:00Z'),
    );
    expect(runDeadlineAt({ by: '05:45', offsetDays: 2 }, logicalDate, queuedAt, LA)).toEqual(
      at('2026-04-27T12:45:00Z'),
    );
  });

  it('keeps the wall time across DST, moving a skipped time to the end of the gap', () => {
    const beforeSpringForward = at('2026-03-07T08:00:00Z'); // midnight PST, 2026-03-07
    expect(runDeadlineAt({ by: '05:45' }, beforeSpringForward, queuedAt, LA)).toEqual(
      at('2026-03-08T12:45:00Z'),
    );
    expect(runDeadlineAt({ by: '02:30' }, beforeSpringForward, queuedAt, LA)).toEqual(
      at('2026-03-08T10:00:00Z'),
    );
    const beforeFallBack = at('2026-10-31T07:00:00Z'); // midnight PDT, 2026-10-31
    expect(runDeadlineAt({ by: '01:30' }, beforeFallBack, queuedAt, LA)).toEqual(at('2026-11-01T08:30:00Z'));
  });

  it('is maxDuration after the run was queued, whatever its logical date', () => {
    expect(runDeadlineAt({ maxDuration: '2h' }, logicalDate, queuedAt, LA)).toEqual(
      new Date(queuedAt.getTime() + 2 * HOUR),
    );
    expect(runDeadlineAt({ maxDuration: 90 * MINUTE }, at('2020-01-01T00:00:00Z'), queuedAt, 'UTC')).toEqual(
      new Date(queuedAt.getTime() + 90 * MINUTE),
    );
  });
});

describe('runDeadlineProblems', () => {
  it('accepts a wall-clock deadline and a max duration', () => {
    expect(runDeadlineProblems({ by: '05:45' })).toEqual([]);
    expect(runDeadlineProblems({ by: '05:45', timezone: LA, offsetDays: 0 })).toEqual([]);
    expect(runDeadlineProblems({ maxDuration: '2h' })).toEqual([]);
    expect(runDeadlineProblems({ maxDuration: 30 * MINUTE })).toEqual([]);
  });

  it('wants exactly one of by and maxDuration', () => {
    expect(runDeadlineProblems({ by: '05:45', maxDuration: '2h' })).toEqual([
      { field: 'deadline', message: 'give either by (a wall-clock time) or maxDuration, not both' },
    ]);
    expect(runDeadlineProblems({})).toEqual([
      {
        field: 'deadline',
        message:
          "a deadline needs by, e.g. { by: '05:45', timezone: 'America/Los_Angeles' }, or maxDuration, e.g. { maxDuration: '2h' }",
      },
    ]);
  });

  it.each(['5.45', '24:00', '05:45pm', ''])('rejects the wall-clock time %j', (by) => {
    expect(runDeadlineProblems({ by })).toEqual([
      {
        field: 'deadline.by',
        message: `'${by}' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '05:45'`,
      },
    ]);
  });

  it('rejects an unknown timezone and suggests the zone meant', () => {
    expect(runDeadlineProblems({ by: '05:45', timezone: 'Europe/Londn' })).toEqual([
      {
        field: 'deadline.timezone',
        message: "unknown timezone 'Europe/Londn': use an IANA zone name (did you mean 'Europe/London'?)",
      },
    ]);
  });

  it.each([-1, 0.5])('rejects offsetDays %p', (offsetDays) => {
    expect(runDeadlineProblems({ by: '05:45', offsetDays })).toEqual([
      {
        field: 'deadline.offsetDays',
        message: `offsetDays must be a whole number of days, 0 or more (got ${offsetDays})`,
      },
    ]);
  });

  it('rejects an unreadable maxDuration with the accepted forms', () => {
    expect(runDeadlineProblems({ maxDuration: 'a while' })).toEqual([
      { field: 'deadline.maxDuration', message: `'a while' is not a duration; ${DURATION_FORMS}` },
    ]);
  });

  it.each<string | number>([0, '0s', -HOUR])(
    'rejects the maxDuration %p, which is not longer than zero',
    (maxDuration) => {
      expect(runDeadlineProblems({ maxDuration })).toEqual([
        { field: 'deadline.maxDuration', message: 'maxDuration must be longer than zero, e.g. 2h' },
      ]);
    },
  );

  it('reports every problem at once', () => {
    expect(
      runDeadlineProblems({ by: 'late', maxDuration: 'never', timezone: 'Nowhere/Land', offsetDays: -2 }).map(
        (p) => p.field,
      ),
    ).toEqual([
      'deadline',
      'deadline.by',
      'deadline.timezone',
      'deadline.offsetDays',
      'deadline.maxDuration',
    ]);
  });
});

describe('describeRunDeadline', () => {
  it('describes a wall-clock deadline with its zone, or the DAG’s, and its day offset', () => {
    expect(describeRunDeadline({ by: '05:45', timezone: LA }, 'UTC')).toBe(
      'done by 05:45 America/Los_Angeles on D+1',
    );
    expect(describeRunDeadline({ by: '05:45' }, 'Europe/London')).toBe('done by 05:45 Europe/London on D+1');
    expect(describeRunDeadline({ by: '22:00', offsetDays: 0 }, LA)).toBe(
      'done by 22:00 America/Los_Angeles on D',
    );
    expect(describeRunDeadline({ by: '05:45', offsetDays: 3 }, LA)).toBe(
      'done by 05:45 America/Los_Angeles on D+3',
    );
  });

  it('describes a max duration in words', () => {
    expect(describeRunDeadline({ maxDuration: '2h' }, LA)).toBe('done within 2 hours of being queued');
    expect(describeRunDeadline({ maxDuration: '1h30m' }, LA)).toBe(
      'done within 1 hour 30 minutes of being queued',
    );
    expect(describeRunDeadline({ maxDuration: 45 * MINUTE }, LA)).toBe(
      'done within 45 minutes of being queued',
    );
  });
});
