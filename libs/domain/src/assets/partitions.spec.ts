import {
  PIECE_LIMIT_MS,
  PartitionEventFacts,
  TimeRange,
  dayPartitionOf,
  dayPartitionRange,
  isPieceEvent,
  partitionCompletedAt,
  partitionsOfEvent,
  shiftDayPartition,
  uncoveredRanges,
} from './partitions';

const LA = 'America/Los_Angeles';
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

/** A piece of data interval [start, end), created at `createdAt` (default: at its end). */
function piece(start: Date, end: Date, createdAt: Date = end): PartitionEventFacts {
  return { partition: null, intervalStart: start, intervalEnd: end, createdAt };
}

/** An event naming a partition, with no interval. */
function labeled(partition: string, createdAt: Date): PartitionEventFacts {
  return { partition, intervalStart: null, intervalEnd: null, createdAt };
}

/** The consecutive hourly pieces of a range, created one minute after each piece ends. */
function hourlyPieces(range: TimeRange): PartitionEventFacts[] {
  const pieces: PartitionEventFacts[] = [];
  for (let t = range.start.getTime(); t < range.end.getTime(); t += HOUR) {
    pieces.push(piece(new Date(t), new Date(t + HOUR), new Date(t + HOUR + 60_000)));
  }
  return pieces;
}

function rangeOf(partition: string, timezone: string): TimeRange {
  const range = dayPartitionRange(partition, timezone);
  if (!range) throw new Error(`${partition} is not a day partition`);
  return range;
}

/** A deterministic shuffle (a fixed permutation), so "out of order" is the same on every run. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('dayPartitionOf', () => {
  it('reads the calendar day of an instant in the zone', () => {
    const instant = at('2026-04-25T05:30:00Z');
    expect(dayPartitionOf(instant, 'UTC')).toBe('2026-04-25');
    expect(dayPartitionOf(instant, LA)).toBe('2026-04-24');
    expect(dayPartitionOf(instant, 'Asia/Tokyo')).toBe('2026-04-25');
    expect(dayPartitionOf(at('2026-04-25T16:00:00Z'), 'Asia/Tokyo')).toBe('2026-04-26');
  });

  it('puts local midnight in the day it starts, and the instant before it in the previous day', () => {
    expect(dayPartitionOf(at('2026-04-25T07:00:00Z'), LA)).toBe('2026-04-25');
    expect(dayPartitionOf(at('2026-04-25T06:59:59.999Z'), LA)).toBe('2026-04-24');
  });

  it('handles zones with non-hour offsets and year boundaries', () => {
    expect(dayPartitionOf(at('2026-12-31T18:29:59Z'), 'Asia/Kolkata')).toBe('2026-12-31');
    expect(dayPartitionOf(at('2026-12-31T18:30:00Z'), 'Asia/Kolkata')).toBe('2027-01-01');
  });
});

describe('dayPartitionRange', () => {
  it('is [midnight D, midnight D+1) in the zone', () => {
    expect(dayPartitionRange('2026-04-25', 'UTC')).toEqual({
      start: at('2026-04-25T00:00:00Z'),
      end: at('2026-04-26T00:00:00Z'),
    });
    expect(dayPartitionRange('2026-04-25', LA)).toEqual({
      start: at('2026-04-25T07:00:00Z'),
      end: at('2026-04-26T07:00:00Z'),
    });
  });

  it('is 23 hours long on the spring-forward day', () => {
    const range = rangeOf('2026-03-08', LA);
    expect(range).toEqual({ start: at('2026-03-08T08:00:00Z'), end: at('2026-03-09T07:00:00Z') });
    expect(range.end.getTime() - range.start.getTime()).toBe(23 * HOUR);
  });

  it('is 25 hours long on the fall-back day', () => {
    const range = rangeOf('2026-11-01', LA);
    expect(range).toEqual({ start: at('2026-11-01T07:00:00Z'), end: at('2026-11-02T08:00:00Z') });
    expect(range.end.getTime() - range.start.getTime()).toBe(25 * HOUR);
  });

  it.each(['2026-04', '2026-04-25T00:00', 'region=us/2026-04-25', '', '2026-02-30', '2026-13-01'])(
    'is null for %j, which is not a day',
    (partition) => {
      expect(dayPartitionRange(partition, 'UTC')).toBeNull();
    },
  );
});

describe('shiftDayPartition', () => {
  it('moves a day partition by whole days across months, years and DST', () => {
    expect(shiftDayPartition('2026-04-25', 1)).toBe('2026-04-26');
    expect(shiftDayPartition('2026-04-30', 1)).toBe('2026-05-01');
    expect(shiftDayPartition('2026-12-31', 2)).toBe('2027-01-02');
    expect(shiftDayPartition('2026-03-01', -1)).toBe('2026-02-28');
    expect(shiftDayPartition('2026-03-08', 1)).toBe('2026-03-09');
    expect(shiftDayPartition('2026-04-25', 0)).toBe('2026-04-25');
  });
});

describe('isPieceEvent', () => {
  const from = at('2026-04-25T00:00:00Z');
  const after = (ms: number) => ({ intervalStart: from, intervalEnd: new Date(from.getTime() + ms) });

  it('counts intervals shorter than a day run as pieces', () => {
    expect(isPieceEvent(after(HOUR))).toBe(true);
    expect(isPieceEvent(after(6 * HOUR))).toBe(true);
    expect(isPieceEvent(after(PIECE_LIMIT_MS - 1))).toBe(true);
  });

  it('does not count a daily interval, even the 23-hour spring-forward day, as a piece', () => {
    const day = rangeOf('2026-03-08', LA);
    expect(isPieceEvent({ intervalStart: day.start, intervalEnd: day.end })).toBe(false);
    expect(isPieceEvent(after(24 * HOUR))).toBe(false);
    expect(isPieceEvent(after(PIECE_LIMIT_MS))).toBe(false);
    expect(isPieceEvent(after(7 * 24 * HOUR))).toBe(false);
  });

  it('does not count an event without an interval, or with an empty or reversed one', () => {
    expect(isPieceEvent({ intervalStart: null, intervalEnd: null })).toBe(false);
    expect(isPieceEvent({ intervalStart: from, intervalEnd: null })).toBe(false);
    expect(isPieceEvent({ intervalStart: null, intervalEnd: from })).toBe(false);
    expect(isPieceEvent(after(0))).toBe(false);
    expect(isPieceEvent(after(-HOUR))).toBe(false);
  });
});

describe('partitionsOfEvent', () => {
  it('puts an hourly piece in the local day it falls in', () => {
    // 23:00-24:00 UTC on the 25th is 16:00-17:00 in Los Angeles on the 25th, 08:00-09:00 on the 26th in Tokyo.
    const hour = piece(at('2026-04-25T23:00:00Z'), at('2026-04-26T00:00:00Z'));
    expect(partitionsOfEvent(hour, 'UTC')).toEqual(['2026-04-25']);
    expect(partitionsOfEvent(hour, LA)).toEqual(['2026-04-25']);
    expect(partitionsOfEvent(hour, 'Asia/Tokyo')).toEqual(['2026-04-26']);
  });

  it('does not count the day a piece ends on at midnight', () => {
    const lastHour = piece(at('2026-04-26T06:00:00Z'), at('2026-04-26T07:00:00Z'));
    expect(partitionsOfEvent(lastHour, LA)).toEqual(['2026-04-25']);
    const firstHour = piece(at('2026-04-26T07:00:00Z'), at('2026-04-26T08:00:00Z'));
    expect(partitionsOfEvent(firstHour, LA)).toEqual(['2026-04-26']);
  });

  it('puts a 6-hour piece straddling midnight in both days it touches', () => {
    // 21:00 on the 25th to 03:00 on the 26th, Los Angeles time.
    const straddling = piece(at('2026-04-26T04:00:00Z'), at('2026-04-26T10:00:00Z'));
    expect(partitionsOfEvent(straddling, LA)).toEqual(['2026-04-25', '2026-04-26']);
    expect(partitionsOfEvent(straddling, 'UTC')).toEqual(['2026-04-26']);
  });

  it('ignores the label of a piece: the interval decides', () => {
    const hour = {
      ...piece(at('2026-04-25T10:00:00Z'), at('2026-04-25T11:00:00Z')),
      partition: '2026-01-01',
    };
    expect(partitionsOfEvent(hour, 'UTC')).toEqual(['2026-04-25']);
  });

  it('gives a daily event the partition it names', () => {
    const day = rangeOf('2026-03-08', LA);
    const daily: PartitionEventFacts = {
      partition: '2026-03-08',
      intervalStart: day.start,
      intervalEnd: day.end,
      createdAt: day.end,
    };
    expect(partitionsOfEvent(daily, LA)).toEqual(['2026-03-08']);
    expect(partitionsOfEvent(labeled('region=us/2026-04-25', at('2026-04-26T00:00:00Z')), LA)).toEqual([
      'region=us/2026-04-25',
    ]);
  });

  it('gives nothing for an event with neither a piece interval nor a partition', () => {
    expect(
      partitionsOfEvent(
        { partition: null, intervalStart: null, intervalEnd: null, createdAt: new Date() },
        LA,
      ),
    ).toEqual([]);
  });

  it('gives a day-long or longer event without a label the day its interval starts on, in the zone', () => {
    const unlabeledDaily = piece(at('2026-04-25T09:00:00Z'), at('2026-04-26T09:00:00Z'));
    expect(partitionsOfEvent(unlabeledDaily, 'UTC')).toEqual(['2026-04-25']);
    expect(partitionsOfEvent(unlabeledDaily, 'Asia/Tokyo')).toEqual(['2026-04-25']);
    expect(partitionsOfEvent(piece(at('2026-04-25T02:00:00Z'), at('2026-04-26T02:00:00Z')), LA)).toEqual([
      '2026-04-24',
    ]);
    expect(
      partitionCompletedAt('2026-04-25', 'UTC', [
        { ...unlabeledDaily, createdAt: at('2026-04-26T10:00:00Z') },
      ]),
    ).toEqual(at('2026-04-26T10:00:00Z'));
  });
});

describe('partitionCompletedAt', () => {
  const day = '2026-04-25';
  const range = rangeOf(day, LA);
  const hours = hourlyPieces(range);

  it('completes a day with 24 hourly pieces at the creation time of the one that closes the last gap', () => {
    expect(hours).toHaveLength(24);
    // The 10:00-11:00 piece arrives last (a retried hour): the day completes when it is created.
    const late = { ...hours[10], createdAt: at('2026-04-26T12:00:00Z') };
    const events = shuffled([...hours.slice(0, 10), late, ...hours.slice(11)]);
    expect(partitionCompletedAt(day, LA, events)).toEqual(at('2026-04-26T12:00:00Z'));
  });

  it('orders pieces by creation time, not by their position in the list', () => {
    const events = shuffled(hours);
    expect(events).not.toEqual(hours);
    // Created in order, the last hour's piece (23:00-24:00 local, created at 00:01 local) closes the day.
    expect(partitionCompletedAt(day, LA, events)).toEqual(new Date(range.end.getTime() + 60_000));
  });

  it('is null while one hour is missing', () => {
    for (const missing of [0, 3, 23]) {
      const events = hours.filter((_, i) => i !== missing);
      expect(partitionCompletedAt(day, LA, events)).toBeNull();
    }
  });

  it('is null with no events', () => {
    expect(partitionCompletedAt(day, LA, [])).toBeNull();
  });

  it('completes the 23-hour spring-forward day with 23 hourly pieces', () => {
    const springDay = rangeOf('2026-03-08', LA);
    const pieces = hourlyPieces(springDay);
    expect(pieces).toHaveLength(23);
    expect(partitionCompletedAt('2026-03-08', LA, shuffled(pieces))).toEqual(
      new Date(springDay.end.getTime() + 60_000),
    );
    expect(partitionCompletedAt('2026-03-08', LA, pieces.slice(0, 22))).toBeNull();
  });

  it('completes the 25-hour fall-back day only with all 25 hourly pieces', () => {
    const fallDay = rangeOf('2026-11-01', LA);
    const pieces = hourlyPieces(fallDay);
    expect(pieces).toHaveLength(25);
    expect(partitionCompletedAt('2026-11-01', LA, shuffled(pieces))).toEqual(
      new Date(fallDay.end.getTime() + 60_000),
    );
    // 24 pieces leave the repeated hour (or any other) uncovered.
    expect(partitionCompletedAt('2026-11-01', LA, pieces.slice(0, 24))).toBeNull();
    expect(
      partitionCompletedAt(
        '2026-11-01',
        LA,
        pieces.filter((_, i) => i !== 2),
      ),
    ).toBeNull();
  });

  it('accepts overlapping and duplicate pieces', () => {
    const t = (h: number) => new Date(range.start.getTime() + h * HOUR);
    const events = [
      piece(t(0), t(6), at('2026-04-26T01:00:00Z')),
      piece(t(0), t(6), at('2026-04-26T02:00:00Z')), // a rerun of the same piece
      piece(t(4), t(12), at('2026-04-26T03:00:00Z')), // overlaps the first
      piece(t(11), t(18), at('2026-04-26T04:00:00Z')),
      piece(t(16), t(24), at('2026-04-26T05:00:00Z')), // closes the day
      piece(t(20), t(24), at('2026-04-26T06:00:00Z')), // a later duplicate changes nothing
    ];
    expect(partitionCompletedAt(day, LA, shuffled(events))).toEqual(at('2026-04-26T05:00:00Z'));
  });

  it('completes on a labeled daily event, at its creation time', () => {
    const daily: PartitionEventFacts = {
      partition: day,
      intervalStart: range.start,
      intervalEnd: range.end,
      createdAt: at('2026-04-26T09:15:00Z'),
    };
    expect(partitionCompletedAt(day, LA, [daily])).toEqual(at('2026-04-26T09:15:00Z'));
    expect(partitionCompletedAt(day, LA, [labeled(day, at('2026-04-26T08:00:00Z'))])).toEqual(
      at('2026-04-26T08:00:00Z'),
    );
  });

  it('takes the earliest event that completed the partition, pieces or label', () => {
    const labelFirst = labeled(day, at('2026-04-26T07:30:00Z'));
    // The hourly pieces complete the day at 00:01 local on the 26th, 07:01Z: before the label.
    expect(partitionCompletedAt(day, LA, [labelFirst, ...hours])).toEqual(at('2026-04-26T07:01:00Z'));
    const labelEarly = labeled(day, at('2026-04-25T20:00:00Z'));
    expect(partitionCompletedAt(day, LA, [...hours, labelEarly])).toEqual(at('2026-04-25T20:00:00Z'));
  });

  it('ignores a labeled event for another partition', () => {
    expect(partitionCompletedAt(day, LA, [labeled('2026-04-24', at('2026-04-25T08:00:00Z'))])).toBeNull();
  });

  it('does not let a piece of another day fill a gap', () => {
    const missing = 5;
    const otherDay = hourlyPieces(rangeOf('2026-04-26', LA));
    const events = [...hours.filter((_, i) => i !== missing), ...otherDay];
    expect(partitionCompletedAt(day, LA, events)).toBeNull();
    // The same hour a day later is in the other day's range.
    expect(partitionCompletedAt('2026-04-26', LA, events)).toEqual(otherDay[23].createdAt);
  });

  it('counts the part of a piece straddling midnight that falls in the day', () => {
    const t = (h: number) => new Date(range.start.getTime() + h * HOUR);
    const events = [
      piece(t(-3), t(3), at('2026-04-26T01:00:00Z')), // 21:00 the day before to 03:00
      piece(t(3), t(21), at('2026-04-26T02:00:00Z')),
      piece(t(21), t(27), at('2026-04-26T14:00:00Z')), // 21:00 to 03:00 the next day
    ];
    expect(partitionCompletedAt(day, LA, events)).toEqual(at('2026-04-26T14:00:00Z'));
    expect(partitionCompletedAt(day, LA, events.slice(0, 2))).toBeNull();
  });

  it('does not complete a partition that is not a day from pieces', () => {
    const partition = 'region=us/2026-04-25';
    expect(partitionCompletedAt(partition, LA, hours)).toBeNull();
    expect(
      partitionCompletedAt(partition, LA, [...hours, labeled(partition, at('2026-04-27T00:00:00Z'))]),
    ).toEqual(at('2026-04-27T00:00:00Z'));
  });

  it('does not reorder the caller’s list', () => {
    const events = shuffled(hours);
    const copy = [...events];
    partitionCompletedAt(day, LA, events);
    expect(events).toEqual(copy);
  });
});

describe('uncoveredRanges', () => {
  const range: TimeRange = { start: at('2026-04-25T00:00:00Z'), end: at('2026-04-26T00:00:00Z') };
  const h = (hour: number) => new Date(range.start.getTime() + hour * HOUR);
  const span = (from: number, to: number): TimeRange => ({ start: h(from), end: h(to) });

  it('is the whole range without pieces', () => {
    expect(uncoveredRanges(range, [])).toEqual([range]);
  });

  it('is empty when pieces cover the range', () => {
    expect(uncoveredRanges(range, [span(0, 24)])).toEqual([]);
    expect(uncoveredRanges(range, [span(12, 24), span(0, 12)])).toEqual([]);
    expect(uncoveredRanges(range, [span(-2, 10), span(9, 30)])).toEqual([]);
  });

  it('lists the gaps at the start, in the middle and at the end, in order', () => {
    expect(uncoveredRanges(range, [span(20, 22), span(1, 3), span(5, 8)])).toEqual([
      span(0, 1),
      span(3, 5),
      span(8, 20),
      span(22, 24),
    ]);
  });

  it('merges overlapping, nested and duplicate pieces', () => {
    expect(uncoveredRanges(range, [span(0, 10), span(2, 4), span(0, 10), span(8, 12), span(14, 24)])).toEqual(
      [span(12, 14)],
    );
  });

  it('treats touching pieces as contiguous', () => {
    expect(uncoveredRanges(range, [span(0, 1), span(1, 2), span(2, 24)])).toEqual([]);
  });

  it('clips pieces outside the range', () => {
    expect(uncoveredRanges(range, [span(-5, -1), span(25, 30)])).toEqual([range]);
    expect(uncoveredRanges(range, [span(-5, 2), span(22, 30)])).toEqual([span(2, 22)]);
    expect(uncoveredRanges(range, [span(24, 26)])).toEqual([range]);
  });

  it('does not reorder the caller’s pieces', () => {
    const pieces = [span(5, 6), span(1, 2)];
    uncoveredRanges(range, pieces);
    expect(pieces).toEqual([span(5, 6), span(1, 2)]);
  });
});
