import { AssetFreshnessDefinition } from '../dag/dag-definition';
import {
  describeFreshnessContract,
  freshnessContractProblems,
  judgeLag,
  judgePartition,
  lastPartitionDue,
  nextPartitionDue,
  parseWallTime,
  partitionDeadline,
  wallTimeOn,
} from './freshness';

const LA = 'America/Los_Angeles';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DURATION_FORMS = "write a number and a unit (ms, s, m, h, d, w), e.g. '30s', '15m', '1h30m', '1d'";
const at = (iso: string) => new Date(iso);
const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

describe('parseWallTime', () => {
  it.each<[string, number]>([
    ['00:00', 0],
    ['04:00', 4 * 3600],
    ['4:00', 4 * 3600],
    ['05:45', 5 * 3600 + 45 * 60],
    ['23:59', 23 * 3600 + 59 * 60],
    ['23:59:59', 86_399],
    ['12:00:30', 12 * 3600 + 30],
    [' 04:00 ', 4 * 3600],
  ])('reads %j as %d seconds after midnight', (text, seconds) => {
    expect(parseWallTime(text)).toBe(seconds);
  });

  it.each(['24:00', '04:60', '04:00:60', '4', '04', '4pm', '04:5', '', '-01:00', '04:00:00:00', 'T04:00'])(
    'rejects %j',
    (text) => {
      expect(parseWallTime(text)).toBeNull();
    },
  );

  it('rejects values that are not strings', () => {
    expect(parseWallTime(4 as unknown as string)).toBeNull();
    expect(parseWallTime(undefined as unknown as string)).toBeNull();
  });
});

describe('wallTimeOn', () => {
  it('is the wall time on that day in the zone', () => {
    expect(wallTimeOn('2026-04-26', '04:00', LA)).toEqual(at('2026-04-26T11:00:00Z'));
    expect(wallTimeOn('2026-01-15', '04:00', LA)).toEqual(at('2026-01-15T12:00:00Z'));
    expect(wallTimeOn('2026-04-26', '04:00', 'UTC')).toEqual(at('2026-04-26T04:00:00Z'));
    expect(wallTimeOn('2026-04-26', '00:00', 'Asia/Tokyo')).toEqual(at('2026-04-25T15:00:00Z'));
    expect(wallTimeOn('2026-04-26', '05:45:30', LA)).toEqual(at('2026-04-26T12:45:30Z'));
  });

  it('moves a wall time DST skips to the end of the gap', () => {
    // 02:00-03:00 does not exist in Los Angeles on 2026-03-08: 03:00 PDT is 10:00Z.
    expect(wallTimeOn('2026-03-08', '02:30', LA)).toEqual(at('2026-03-08T10:00:00Z'));
    expect(wallTimeOn('2026-03-08', '02:00', LA)).toEqual(at('2026-03-08T10:00:00Z'));
    expect(wallTimeOn('2026-03-08', '02:59:59', LA)).toEqual(at('2026-03-08T10:00:00Z'));
    // Around the gap, times are what they say.
    expect(wallTimeOn('2026-03-08', '01:59', LA)).toEqual(at('2026-03-08T09:59:00Z'));
    expect(wallTimeOn('2026-03-08', '03:00', LA)).toEqual(at('2026-03-08T10:00:00Z'));
    expect(wallTimeOn('2026-03-08', '03:30', LA)).toEqual(at('2026-03-08T10:30:00Z'));
  });

  it('takes the first occurrence of a wall time DST repeats', () => {
    // 01:00-02:00 happens twice in Los Angeles on 2026-11-01: first in PDT (08:00Z-09:00Z), then in PST.
    expect(wallTimeOn('2026-11-01', '01:30', LA)).toEqual(at('2026-11-01T08:30:00Z'));
    expect(wallTimeOn('2026-11-01', '01:00', LA)).toEqual(at('2026-11-01T08:00:00Z'));
    expect(wallTimeOn('2026-11-01', '02:00', LA)).toEqual(at('2026-11-01T10:00:00Z'));
  });

  it('throws with the accepted form for a malformed time', () => {
    expect(() => wallTimeOn('2026-04-26', '4am', LA)).toThrow(
      "'4am' is not a wall-clock time; use HH:MM, e.g. '04:00'",
    );
  });
});

describe('freshnessContractProblems', () => {
  it('accepts a wall-clock contract and a max-lag contract', () => {
    expect(freshnessContractProblems({ by: '04:00' })).toEqual([]);
    expect(freshnessContractProblems({ by: '04:00', timezone: LA, offsetDays: 0 })).toEqual([]);
    expect(freshnessContractProblems({ by: '23:59:59', timezone: 'UTC', offsetDays: 2 })).toEqual([]);
    expect(freshnessContractProblems({ maxLag: '2h' })).toEqual([]);
    expect(freshnessContractProblems({ maxLag: 90 * MINUTE })).toEqual([]);
  });

  it('rejects a contract with both by and maxLag', () => {
    expect(freshnessContractProblems({ by: '04:00', maxLag: '2h' })).toEqual([
      {
        field: 'freshness',
        message:
          'give either by (a wall-clock time) or maxLag, not both: declare two assets if both promises hold',
      },
    ]);
  });

  it('rejects a contract with neither by nor maxLag', () => {
    expect(freshnessContractProblems({})).toEqual([
      {
        field: 'freshness',
        message:
          "a freshness contract needs by, e.g. { by: '04:00', timezone: 'America/Los_Angeles' }, or maxLag, e.g. { maxLag: '2h' }",
      },
    ]);
    expect(freshnessContractProblems({ timezone: LA, offsetDays: 1 })).toEqual([
      expect.objectContaining({ field: 'freshness' }),
    ]);
  });

  it.each(['4am', '24:00', '04:60', ''])('rejects the wall-clock time %j', (by) => {
    expect(freshnessContractProblems({ by })).toEqual([
      {
        field: 'freshness.by',
        message: `'${by}' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '04:00'`,
      },
    ]);
  });

  it('rejects an unknown timezone and suggests the zone meant', () => {
    expect(freshnessContractProblems({ by: '04:00', timezone: 'America/Los_Angles' })).toEqual([
      {
        field: 'freshness.timezone',
        message:
          "unknown timezone 'America/Los_Angles': use an IANA zone name (did you mean 'America/Los_Angeles'?)",
      },
    ]);
  });

  it.each([-1, 1.5, NaN, '1' as unknown as number])('rejects offsetDays %p', (offsetDays) => {
    expect(freshnessContractProblems({ by: '04:00', offsetDays })).toEqual([
      {
        field: 'freshness.offsetDays',
        message: `offsetDays must be a whole number of days, 0 or more (got ${String(offsetDays)})`,
      },
    ]);
  });

  it('rejects an unreadable maxLag with the accepted forms', () => {
    expect(freshnessContractProblems({ maxLag: 'soon' })).toEqual([
      { field: 'freshness.maxLag', message: `'soon' is not a duration; ${DURATION_FORMS}` },
    ]);
  });

  it.each<string | number>([0, '0m', -5 * MINUTE])(
    'rejects the maxLag %p, which is not longer than zero',
    (maxLag) => {
      expect(freshnessContractProblems({ maxLag })).toEqual([
        { field: 'freshness.maxLag', message: 'maxLag must be longer than zero, e.g. 2h' },
      ]);
    },
  );

  it('reports every problem at once', () => {
    expect(
      freshnessContractProblems({ by: 'noon', maxLag: 'soon', timezone: 'Mars/Base', offsetDays: -1 }).map(
        (p) => p.field,
      ),
    ).toEqual([
      'freshness',
      'freshness.by',
      'freshness.timezone',
      'freshness.offsetDays',
      'freshness.maxLag',
    ]);
  });
});

describe('partitionDeadline', () => {
  const contract = (offsetDays?: number): AssetFreshnessDefinition => ({
    by: '04:00',
    timezone: LA,
    offsetDays,
  });

  it('is `by` on the day after the partition by default', () => {
    expect(partitionDeadline(contract(), '2026-04-25')).toEqual(at('2026-04-26T11:00:00Z'));
    expect(partitionDeadline(contract(1), '2026-04-25')).toEqual(at('2026-04-26T11:00:00Z'));
  });

  it('is `by` on the partition day itself with offsetDays 0', () => {
    expect(partitionDeadline(contract(0), '2026-04-25')).toEqual(at('2026-04-25T11:00:00Z'));
  });

  it('is `by` two days later with offsetDays 2', () => {
    expect(partitionDeadline(contract(2), '2026-04-25')).toEqual(at('2026-04-27T11:00:00Z'));
    expect(partitionDeadline(contract(2), '2026-12-31')).toEqual(at('2027-01-02T12:00:00Z'));
  });

  it('reads `by` in UTC without a timezone', () => {
    expect(partitionDeadline({ by: '04:00' }, '2026-04-25')).toEqual(at('2026-04-26T04:00:00Z'));
  });

  it('keeps the wall time across DST, and moves a skipped one to the end of the gap', () => {
    // The deadline day is the spring-forward day: 04:00 PDT.
    expect(partitionDeadline(contract(), '2026-03-07')).toEqual(at('2026-03-08T11:00:00Z'));
    expect(partitionDeadline(contract(), '2026-03-06')).toEqual(at('2026-03-07T12:00:00Z'));
    expect(partitionDeadline({ by: '02:30', timezone: LA }, '2026-03-07')).toEqual(
      at('2026-03-08T10:00:00Z'),
    );
    expect(partitionDeadline({ by: '01:30', timezone: LA }, '2026-10-31')).toEqual(
      at('2026-11-01T08:30:00Z'),
    );
  });
});

describe('nextPartitionDue and lastPartitionDue', () => {
  const cases: [string, AssetFreshnessDefinition, string, Date][] = [
    // [name, contract, partition, its deadline]
    ['offsetDays 1', { by: '04:00', timezone: LA }, '2026-04-25', at('2026-04-26T11:00:00Z')],
    ['offsetDays 0', { by: '04:00', timezone: LA, offsetDays: 0 }, '2026-04-25', at('2026-04-25T11:00:00Z')],
    ['offsetDays 2', { by: '04:00', timezone: LA, offsetDays: 2 }, '2026-04-25', at('2026-04-27T11:00:00Z')],
    [
      'a late-evening deadline',
      { by: '23:30', timezone: LA, offsetDays: 0 },
      '2026-04-25',
      at('2026-04-26T06:30:00Z'),
    ],
    ['UTC', { by: '00:00' }, '2026-04-25', at('2026-04-26T00:00:00Z')],
  ];

  describe.each(cases)('with %s', (_name, contract, partition, deadline) => {
    it('checks the fixture deadline', () => {
      expect(partitionDeadline(contract, partition)).toEqual(deadline);
    });

    it('just before the deadline: the partition is next, the day before is the last due', () => {
      const now = plus(deadline, -1);
      expect(nextPartitionDue(contract, now)).toBe(partition);
      expect(lastPartitionDue(contract, now)).toBe(shiftDay(partition, -1));
    });

    it('exactly at the deadline: the partition is due, the next day is next', () => {
      expect(nextPartitionDue(contract, deadline)).toBe(shiftDay(partition, 1));
      expect(lastPartitionDue(contract, deadline)).toBe(partition);
    });

    it('just after the deadline: the same', () => {
      const now = plus(deadline, 1);
      expect(nextPartitionDue(contract, now)).toBe(shiftDay(partition, 1));
      expect(lastPartitionDue(contract, now)).toBe(partition);
    });

    it('long before the next deadline: still the same partitions', () => {
      const now = plus(deadline, 23 * HOUR);
      expect(nextPartitionDue(contract, now)).toBe(shiftDay(partition, 1));
      expect(lastPartitionDue(contract, now)).toBe(partition);
    });
  });

  it('finds the next partition due across DST', () => {
    const contract = { by: '02:30', timezone: LA };
    // 2026-03-07 is due at 03:00 PDT on 2026-03-08 (02:30 does not exist).
    expect(nextPartitionDue(contract, at('2026-03-08T09:59:59Z'))).toBe('2026-03-07');
    expect(nextPartitionDue(contract, at('2026-03-08T10:00:00Z'))).toBe('2026-03-08');
    // 2026-10-31 is due at the first 01:30 on 2026-11-01.
    expect(nextPartitionDue({ by: '01:30', timezone: LA }, at('2026-11-01T08:29:59Z'))).toBe('2026-10-31');
    expect(nextPartitionDue({ by: '01:30', timezone: LA }, at('2026-11-01T08:30:00Z'))).toBe('2026-11-01');
  });
});

function shiftDay(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

describe('judgePartition', () => {
  const contract: AssetFreshnessDefinition = { by: '04:00', timezone: LA };
  const partition = '2026-04-25';
  const deadline = at('2026-04-26T11:00:00Z');

  it('is fresh when complete by the deadline, whatever the time now', () => {
    expect(
      judgePartition(contract, partition, at('2026-04-26T09:00:00Z'), at('2026-04-30T00:00:00Z')),
    ).toEqual({
      status: 'fresh',
      deadline,
      lateByMs: 0,
    });
    expect(judgePartition(contract, partition, deadline, deadline)).toEqual({
      status: 'fresh',
      deadline,
      lateByMs: 0,
    });
  });

  it('is late, by how much, when complete after the deadline', () => {
    const completedAt = plus(deadline, 90 * MINUTE);
    expect(judgePartition(contract, partition, completedAt, plus(deadline, 5 * HOUR))).toEqual({
      status: 'late',
      deadline,
      lateByMs: 90 * MINUTE,
    });
    expect(judgePartition(contract, partition, plus(deadline, 1), plus(deadline, 1))).toEqual({
      status: 'late',
      deadline,
      lateByMs: 1,
    });
  });

  it('is missing, by how long so far, when incomplete at or after the deadline', () => {
    expect(judgePartition(contract, partition, null, plus(deadline, 2 * HOUR))).toEqual({
      status: 'missing',
      deadline,
      lateByMs: 2 * HOUR,
    });
    expect(judgePartition(contract, partition, null, deadline)).toEqual({
      status: 'missing',
      deadline,
      lateByMs: 0,
    });
  });

  it('is pending when incomplete before the deadline', () => {
    expect(judgePartition(contract, partition, null, plus(deadline, -1))).toEqual({
      status: 'pending',
      deadline,
      lateByMs: 0,
    });
  });
});

describe('judgeLag', () => {
  const contract: AssetFreshnessDefinition = { maxLag: '2h' };
  const since = at('2026-04-25T00:00:00Z');

  it('before any event, measures from `since`: pending, then missing', () => {
    expect(judgeLag(contract, null, since, plus(since, HOUR))).toEqual({
      status: 'pending',
      deadline: plus(since, 2 * HOUR),
      lateByMs: 0,
    });
    expect(judgeLag(contract, null, since, plus(since, 3 * HOUR))).toEqual({
      status: 'missing',
      deadline: plus(since, 2 * HOUR),
      lateByMs: HOUR,
    });
  });

  it('is fresh within maxLag of the last event, measured from it and not from `since`', () => {
    const lastEventAt = at('2026-04-25T10:00:00Z');
    expect(judgeLag(contract, lastEventAt, since, at('2026-04-25T11:59:59Z'))).toEqual({
      status: 'fresh',
      deadline: at('2026-04-25T12:00:00Z'),
      lateByMs: 0,
    });
  });

  it('is missing once maxLag has passed since the last event', () => {
    const lastEventAt = at('2026-04-25T10:00:00Z');
    expect(judgeLag(contract, lastEventAt, since, at('2026-04-25T12:00:00Z'))).toEqual({
      status: 'missing',
      deadline: at('2026-04-25T12:00:00Z'),
      lateByMs: 0,
    });
    expect(judgeLag(contract, lastEventAt, since, at('2026-04-25T12:30:00Z'))).toEqual({
      status: 'missing',
      deadline: at('2026-04-25T12:00:00Z'),
      lateByMs: 30 * MINUTE,
    });
  });

  it('takes maxLag in milliseconds too', () => {
    expect(judgeLag({ maxLag: 30 * MINUTE }, since, since, plus(since, 31 * MINUTE))).toEqual({
      status: 'missing',
      deadline: plus(since, 30 * MINUTE),
      lateByMs: MINUTE,
    });
  });
});

describe('describeFreshnessContract', () => {
  it('describes a wall-clock contract with its zone and day offset', () => {
    expect(describeFreshnessContract({ by: '04:00', timezone: LA })).toBe(
      'partition D by 04:00 America/Los_Angeles on D+1',
    );
    expect(describeFreshnessContract({ by: '04:00', timezone: LA, offsetDays: 2 })).toBe(
      'partition D by 04:00 America/Los_Angeles on D+2',
    );
    expect(describeFreshnessContract({ by: '23:00', timezone: LA, offsetDays: 0 })).toBe(
      'partition D by 23:00 America/Los_Angeles on D',
    );
    expect(describeFreshnessContract({ by: '04:00' })).toBe('partition D by 04:00 UTC on D+1');
  });

  it('describes a max-lag contract in words', () => {
    expect(describeFreshnessContract({ maxLag: '2h' })).toBe('an event at least every 2 hours');
    expect(describeFreshnessContract({ maxLag: '1h30m' })).toBe('an event at least every 1 hour 30 minutes');
    expect(describeFreshnessContract({ maxLag: 15 * MINUTE })).toBe('an event at least every 15 minutes');
  });
});
