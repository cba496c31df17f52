import { CronTimetable } from '../timetable/cron-timetable';
import { IntervalTimetable } from '../timetable/interval-timetable';
import { AssetCondition } from '../assets/asset-condition';
import { DagDefinition, ScheduleDefinition } from './dag-definition';
import { describeSchedule, runScheduleForDag, timetableForDag } from './dag-schedule';

const deployedAt = new Date('2026-04-10T12:34:56Z');

function dag(schedule: ScheduleDefinition, overrides: Partial<DagDefinition> = {}): DagDefinition {
  return {
    dagId: 'etl',
    tags: [],
    schedule,
    timezone: 'UTC',
    catchup: false,
    maxActiveRuns: 16,
    maxActiveTasks: 16,
    tasks: [],
    assets: [],
    ...overrides,
  };
}

const rawEvents: AssetCondition = { kind: 'asset', name: 'raw.events' };
const rawPayments: AssetCondition = { kind: 'asset', name: 'raw.payments' };
const both: AssetCondition = { kind: 'all', of: [rawEvents, rawPayments] };

describe('describeSchedule', () => {
  describe('cron', () => {
    it('describes the expression in the DAG zone', () => {
      expect(
        describeSchedule(dag({ kind: 'cron', expression: '0 5 * * *' }, { timezone: 'America/Los_Angeles' })),
      ).toBe('At 05:00, every day (America/Los_Angeles)');
    });

    it("prefers the schedule's own zone", () => {
      expect(
        describeSchedule(
          dag(
            { kind: 'cron', expression: '0 9 * * 1-5', timezone: 'Europe/London' },
            { timezone: 'Asia/Tokyo' },
          ),
        ),
      ).toBe('At 09:00, Monday through Friday (Europe/London)');
    });

    it('describes wildcard schedules and aliases', () => {
      expect(describeSchedule(dag({ kind: 'cron', expression: '*/15 * * * *' }))).toBe(
        'Every 15 minutes (UTC)',
      );
      expect(describeSchedule(dag({ kind: 'cron', expression: '@daily' }))).toBe('At 00:00, every day (UTC)');
    });
  });

  describe('interval', () => {
    it.each<[string | number, string]>([
      ['1h', 'Every hour'],
      ['90m', 'Every 1 hour 30 minutes'],
      ['15m', 'Every 15 minutes'],
      ['1d', 'Every day'],
      ['2w', 'Every 2 weeks'],
      [30_000, 'Every 30 seconds'],
    ])('every %p → %s', (every, text) => {
      expect(describeSchedule(dag({ kind: 'interval', every }))).toBe(text);
    });
  });

  describe('assets', () => {
    it('describes an unpartitioned condition', () => {
      expect(describeSchedule(dag({ kind: 'assets', condition: both, partitioned: false }))).toBe(
        'When raw.events and raw.payments are updated',
      );
      expect(
        describeSchedule(dag({ kind: 'assets', condition: both, partitioned: false, events: 'per_event' })),
      ).toBe('When raw.events and raw.payments are updated; one run per event');
      expect(
        describeSchedule(dag({ kind: 'assets', condition: both, partitioned: false, events: 'batched' })),
      ).toBe('When raw.events and raw.payments are updated; queued events batched into one run');
    });

    it('describes a partition-aware condition', () => {
      expect(describeSchedule(dag({ kind: 'assets', condition: both, partitioned: true }))).toBe(
        'When raw.events and raw.payments are complete for the same partition',
      );
    });

    it('describes nested conditions with parentheses', () => {
      const condition: AssetCondition = {
        kind: 'all',
        of: [rawEvents, { kind: 'any', of: [rawPayments, { kind: 'asset', name: 'raw.accounts' }] }],
      };
      expect(describeSchedule(dag({ kind: 'assets', condition, partitioned: false }))).toBe(
        'When raw.events and (raw.payments or raw.accounts) are updated',
      );
    });

    it('adds the fallback, in its own zone or the DAG zone', () => {
      expect(
        describeSchedule(
          dag(
            {
              kind: 'assets',
              condition: both,
              partitioned: true,
              fallback: { at: '0 4 * * *', timezone: 'America/Los_Angeles', action: 'run' },
            },
            { timezone: 'UTC' },
          ),
        ),
      ).toBe(
        "When raw.events and raw.payments are complete for the same partition; fallback at '0 4 * * *' (America/Los_Angeles): run",
      );
      expect(
        describeSchedule(
          dag(
            {
              kind: 'assets',
              condition: rawEvents,
              partitioned: false,
              fallback: { at: '30 6 * * *', action: 'alert' },
            },
            { timezone: 'Europe/Berlin' },
          ),
        ),
      ).toBe("When raw.events is updated; fallback at '30 6 * * *' (Europe/Berlin): alert");
    });
  });

  it('describes a manual DAG', () => {
    expect(describeSchedule(dag({ kind: 'none' }))).toBe('Manual only (no schedule)');
  });
});

describe('timetableForDag', () => {
  it('builds a cron timetable in the DAG zone', () => {
    const timetable = timetableForDag(
      dag({ kind: 'cron', expression: '0 5 * * *' }, { timezone: 'America/Los_Angeles' }),
      deployedAt,
    );
    expect(timetable).toBeInstanceOf(CronTimetable);
    expect(timetable?.timezone).toBe('America/Los_Angeles');
    // 05:00 PDT (UTC-7) = 12:00Z.
    expect(timetable?.nextFireAfter(new Date('2026-04-01T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T12:00:00.000Z',
    );
  });

  it("uses the cron schedule's own zone when it has one", () => {
    const timetable = timetableForDag(
      dag(
        { kind: 'cron', expression: '0 5 * * *', timezone: 'Europe/London' },
        { timezone: 'America/Los_Angeles' },
      ),
      deployedAt,
    );
    expect(timetable?.timezone).toBe('Europe/London');
    // 05:00 BST (UTC+1) = 04:00Z.
    expect(timetable?.nextFireAfter(new Date('2026-04-01T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-04-01T04:00:00.000Z',
    );
  });

  describe('interval', () => {
    it('anchors at the start date, read in the DAG zone', () => {
      const timetable = timetableForDag(
        dag({ kind: 'interval', every: '1h' }, { timezone: 'America/Los_Angeles', startDate: '2026-04-01' }),
        deployedAt,
      ) as IntervalTimetable;
      expect(timetable).toBeInstanceOf(IntervalTimetable);
      expect(timetable.anchor.toISOString()).toBe('2026-04-01T07:00:00.000Z');
      expect(timetable.timezone).toBe('America/Los_Angeles');
      expect(timetable.every.ms).toBe(3_600_000);
      expect(timetable.nextFireAfter(new Date('2026-04-02T07:30:00Z'))?.at.toISOString()).toBe(
        '2026-04-02T08:00:00.000Z',
      );
    });

    it("prefers the schedule's anchor over the start date", () => {
      const timetable = timetableForDag(
        dag(
          { kind: 'interval', every: '15m', anchor: '2026-04-01T00:05:00Z' },
          { startDate: '2026-03-01T00:00:00Z' },
        ),
        deployedAt,
      ) as IntervalTimetable;
      expect(timetable.anchor.toISOString()).toBe('2026-04-01T00:05:00.000Z');
      expect(timetable.nextFireAfter(new Date('2026-04-01T01:00:00Z'))?.at.toISOString()).toBe(
        '2026-04-01T01:05:00.000Z',
      );
    });

    it('anchors at the deploy time without a start date or anchor', () => {
      const timetable = timetableForDag(
        dag({ kind: 'interval', every: '1h' }),
        deployedAt,
      ) as IntervalTimetable;
      expect(timetable.anchor).toEqual(deployedAt);
    });

    it('falls back to the deploy time when the start date is unreadable', () => {
      const timetable = timetableForDag(
        dag({ kind: 'interval', every: '1h' }, { startDate: 'not a date' }),
        deployedAt,
      ) as IntervalTimetable;
      expect(timetable.anchor).toEqual(deployedAt);
    });

    it('a daily interval keeps local midnight across spring-forward', () => {
      const timetable = timetableForDag(
        dag({ kind: 'interval', every: '1d' }, { timezone: 'America/Los_Angeles', startDate: '2026-03-07' }),
        deployedAt,
      ) as IntervalTimetable;
      expect(timetable.every.calendarDays).toBe(1);
      // 2026-03-08 00:00 PST is 08:00Z; 2026-03-09 00:00 PDT is 07:00Z.
      expect(timetable.nextFireAfter(new Date('2026-03-08T07:00:00Z'))?.at.toISOString()).toBe(
        '2026-03-08T08:00:00.000Z',
      );
      expect(timetable.nextFireAfter(new Date('2026-03-08T12:00:00Z'))?.at.toISOString()).toBe(
        '2026-03-09T07:00:00.000Z',
      );
    });
  });

  it('is null for asset-scheduled and manual DAGs', () => {
    expect(
      timetableForDag(dag({ kind: 'assets', condition: rawEvents, partitioned: false }), deployedAt),
    ).toBeNull();
    expect(timetableForDag(dag({ kind: 'none' }), deployedAt)).toBeNull();
  });
});

describe('runScheduleForDag', () => {
  it('carries the timetable, start and end dates (read in the DAG zone) and catchup', () => {
    const schedule = runScheduleForDag(
      dag(
        { kind: 'cron', expression: '0 2 * * *' },
        { timezone: 'America/Los_Angeles', startDate: '2026-04-01', endDate: '2026-06-30', catchup: true },
      ),
      deployedAt,
    );
    expect(schedule).not.toBeNull();
    expect(schedule?.timetable).toBeInstanceOf(CronTimetable);
    expect(schedule?.startDate.toISOString()).toBe('2026-04-01T07:00:00.000Z');
    expect(schedule?.endDate?.toISOString()).toBe('2026-06-30T07:00:00.000Z');
    expect(schedule?.catchup).toBe(true);
  });

  it('starts at the deploy time without a start date, and has no end without an end date', () => {
    const schedule = runScheduleForDag(dag({ kind: 'interval', every: '1h' }), deployedAt);
    expect(schedule?.startDate).toEqual(deployedAt);
    expect(schedule?.endDate).toBeUndefined();
    expect(schedule?.catchup).toBe(false);
  });

  it('accepts Date values as they are', () => {
    const start = new Date('2026-01-01T02:00:00Z');
    const end = new Date('2026-02-01T02:00:00Z');
    const schedule = runScheduleForDag(
      dag({ kind: 'cron', expression: '0 2 * * *' }, { startDate: start, endDate: end }),
      deployedAt,
    );
    expect(schedule?.startDate).toEqual(start);
    expect(schedule?.endDate).toEqual(end);
  });

  it('ignores an unreadable end date', () => {
    const schedule = runScheduleForDag(
      dag({ kind: 'cron', expression: '0 2 * * *' }, { endDate: 'never' }),
      deployedAt,
    );
    expect(schedule?.endDate).toBeUndefined();
  });

  it('is null for asset-scheduled and manual DAGs', () => {
    expect(
      runScheduleForDag(dag({ kind: 'assets', condition: both, partitioned: true }), deployedAt),
    ).toBeNull();
    expect(runScheduleForDag(dag({ kind: 'none' }), deployedAt)).toBeNull();
  });
});
