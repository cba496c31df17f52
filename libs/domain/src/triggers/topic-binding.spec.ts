import { TopicScheduleDefinition } from '../dag/dag-definition';
import {
  TopicMessage,
  TriggeringMessage,
  batchRunId,
  decideTopicMessage,
  filterMismatch,
  logicalDateOfMessage,
  matchesFilter,
  messageRunId,
  offsetsToCommit,
  parseMessageValue,
  readField,
  topicMessageEventId,
  topicRunRequests,
} from './topic-binding';

const message = (value: unknown, overrides: Partial<TopicMessage> = {}): TopicMessage => ({
  topic: 'orders',
  partition: 2,
  offset: '41',
  key: 'acct-7',
  timestamp: new Date('2026-04-25T14:03:12.000Z'),
  value: typeof value === 'string' ? value : JSON.stringify(value),
  ...overrides,
});

const schedule = (options: Partial<TopicScheduleDefinition> = {}): TopicScheduleDefinition => ({
  kind: 'topic',
  topic: 'orders',
  ...options,
});

const triggering = (
  s: TopicScheduleDefinition,
  zone: string,
  m: TopicMessage,
): TriggeringMessage & { kind: 'trigger' } => {
  const decision = decideTopicMessage(s, zone, m);
  if (decision.kind !== 'trigger') throw new Error(`expected a trigger, got ${JSON.stringify(decision)}`);
  return decision;
};

describe('readField', () => {
  const value = {
    type: 'order.placed',
    event: { date: '2026-04-25', n: 0, ok: false, none: null },
    items: [{ sku: 'a' }],
  };

  it('reads top-level and nested fields by dotted path', () => {
    expect(readField(value, 'type')).toBe('order.placed');
    expect(readField(value, 'event.date')).toBe('2026-04-25');
  });

  it('keeps falsy values (0, false, null) distinct from absent', () => {
    expect(readField(value, 'event.n')).toBe(0);
    expect(readField(value, 'event.ok')).toBe(false);
    expect(readField(value, 'event.none')).toBeNull();
    expect(readField(value, 'event.missing')).toBeUndefined();
  });

  it('indexes arrays by position', () => {
    expect(readField(value, 'items.0.sku')).toBe('a');
    expect(readField(value, 'items.1.sku')).toBeUndefined();
    expect(readField(value, 'items.first')).toBeUndefined();
  });

  it('is undefined through a scalar, and on a scalar or null message', () => {
    expect(readField(value, 'type.length')).toBeUndefined();
    expect(readField(42, 'a')).toBeUndefined();
    expect(readField(null, 'a')).toBeUndefined();
  });

  it('does not read inherited properties', () => {
    expect(readField({}, 'constructor')).toBeUndefined();
    expect(readField({ a: {} }, 'a.toString')).toBeUndefined();
  });
});

describe('matchesFilter', () => {
  const value = { type: 'order.placed', region: { code: 'eu' }, priority: 2, test: false, coupon: null };

  it('matches everything without a filter or with an empty one', () => {
    expect(matchesFilter(value, undefined)).toBe(true);
    expect(matchesFilter('not an object', {})).toBe(true);
  });

  it('needs every path to hold its value', () => {
    expect(matchesFilter(value, { type: 'order.placed', 'region.code': 'eu' })).toBe(true);
    expect(matchesFilter(value, { type: 'order.placed', 'region.code': 'us' })).toBe(false);
  });

  it('compares without coercion', () => {
    expect(matchesFilter(value, { priority: 2 })).toBe(true);
    expect(matchesFilter(value, { priority: '2' })).toBe(false);
    expect(matchesFilter(value, { test: false })).toBe(true);
    expect(matchesFilter(value, { test: 0 })).toBe(false);
  });

  it('matches null only to an explicit null, not to a missing field', () => {
    expect(matchesFilter(value, { coupon: null })).toBe(true);
    expect(matchesFilter(value, { referrer: null })).toBe(false);
  });

  it('says which path differs', () => {
    expect(filterMismatch(value, { type: 'order.placed', 'region.code': 'us' })).toBe(
      'region.code is "eu", not "us"',
    );
    expect(filterMismatch(value, { channel: 'web' })).toBe('channel is absent, not "web"');
    expect(filterMismatch(value, { type: 'order.placed' })).toBeNull();
  });
});

describe('parseMessageValue', () => {
  it('parses JSON of any shape', () => {
    expect(parseMessageValue('{"a":1}')).toEqual({ value: { a: 1 } });
    expect(parseMessageValue('[1,2]')).toEqual({ value: [1, 2] });
  });

  it('explains a value that is not JSON or empty', () => {
    const notJson = parseMessageValue('hello');
    expect('problem' in notJson && notJson.problem).toMatch(/^malformed message: value is not JSON \(/);
    expect(parseMessageValue('  ')).toEqual({ problem: 'malformed message: value is empty (expected JSON)' });
  });
});

describe('logicalDateOfMessage', () => {
  const at = { timestamp: new Date('2026-04-25T14:03:12.000Z') };

  it('is the Kafka timestamp when no field is configured', () => {
    expect(logicalDateOfMessage(schedule(), 'UTC', { any: 1 }, at)).toEqual({ logicalDate: at.timestamp });
  });

  describe('logicalDateField', () => {
    const s = schedule({ logicalDateField: 'event.at' });

    it('reads an ISO instant with an offset', () => {
      expect(logicalDateOfMessage(s, 'UTC', { event: { at: '2026-04-25T10:00:00-07:00' } }, at)).toEqual({
        logicalDate: new Date('2026-04-25T17:00:00.000Z'),
      });
    });

    it("reads an ISO date-time without offset in the DAG's timezone", () => {
      expect(
        logicalDateOfMessage(s, 'America/Los_Angeles', { event: { at: '2026-04-25T10:00:00' } }, at),
      ).toEqual({ logicalDate: new Date('2026-04-25T17:00:00.000Z') });
    });

    it('reads epoch milliseconds', () => {
      const ms = Date.parse('2026-04-25T00:00:00Z');
      expect(logicalDateOfMessage(s, 'UTC', { event: { at: ms } }, at)).toEqual({
        logicalDate: new Date(ms),
      });
    });

    it('names the field and the fix when it is absent', () => {
      const result = logicalDateOfMessage(s, 'UTC', { event: {} }, at);
      expect(result).toEqual({
        problem:
          "the message has no 'event.at' (logicalDateField): produce 'event.at' as an ISO 8601 instant such as '2026-04-25T14:03:00Z' or as epoch milliseconds, or change logicalDateField",
      });
    });

    it.each([['yesterday'], [''], [true], [{ at: 1 }], ['2026-13-45T00:00:00Z']])(
      'names the field, the bad value and the fix when it is %p',
      (bad) => {
        const result = logicalDateOfMessage(s, 'UTC', { event: { at: bad } }, at);
        expect('problem' in result && result.problem).toBe(
          `'event.at' (logicalDateField) is ${JSON.stringify(bad)}, not a date: produce 'event.at' as an ISO 8601 instant such as '2026-04-25T14:03:00Z' or as epoch milliseconds, or change logicalDateField`,
        );
      },
    );

    it('treats null as absent', () => {
      const result = logicalDateOfMessage(s, 'UTC', { event: { at: null } }, at);
      expect('problem' in result && result.problem).toMatch(/^the message has no 'event.at'/);
    });
  });

  describe('partitionField', () => {
    const s = schedule({ partitionField: 'date' });

    it("is midnight of the day in the DAG's timezone, with the day as data interval", () => {
      expect(logicalDateOfMessage(s, 'America/Los_Angeles', { date: '2026-04-25' }, at)).toEqual({
        logicalDate: new Date('2026-04-25T07:00:00.000Z'),
        dataInterval: {
          start: new Date('2026-04-25T07:00:00.000Z'),
          end: new Date('2026-04-26T07:00:00.000Z'),
        },
      });
    });

    it('has a 23-hour interval on a spring-forward day', () => {
      const result = logicalDateOfMessage(s, 'America/Los_Angeles', { date: '2026-03-08' }, at);
      expect(result).toEqual({
        logicalDate: new Date('2026-03-08T08:00:00.000Z'),
        dataInterval: {
          start: new Date('2026-03-08T08:00:00.000Z'),
          end: new Date('2026-03-09T07:00:00.000Z'),
        },
      });
    });

    it('is the first instant of the day when a DST gap swallows midnight', () => {
      // Chile springs forward at midnight: 2024-09-08 starts at 01:00 -03:00.
      const result = logicalDateOfMessage(s, 'America/Santiago', { date: '2024-09-08' }, at);
      expect('logicalDate' in result && result.logicalDate).toEqual(new Date('2024-09-08T04:00:00.000Z'));
    });

    it.each([['2026-04-25T00:00:00Z'], ['2026-02-30'], ['25/04/2026'], [20260425]])(
      'names the field, the bad value and the fix when it is %p',
      (bad) => {
        const result = logicalDateOfMessage(s, 'UTC', { date: bad }, at);
        expect('problem' in result && result.problem).toBe(
          `'date' (partitionField) is ${JSON.stringify(bad)}, not a calendar day: produce 'date' as a calendar day such as '2026-04-25', or change partitionField`,
        );
      },
    );

    it('names the field and the fix when it is absent', () => {
      expect(logicalDateOfMessage(s, 'UTC', { day: '2026-04-25' }, at)).toEqual({
        problem:
          "the message has no 'date' (partitionField): produce 'date' as a calendar day such as '2026-04-25', or change partitionField",
      });
    });
  });
});

describe('decideTopicMessage', () => {
  const s = schedule({ filter: { type: 'order.placed' }, partitionField: 'date' });

  it('triggers a matching message with its logical date and parsed value', () => {
    const m = message({ type: 'order.placed', date: '2026-04-25', amount: 12 });
    expect(decideTopicMessage(s, 'UTC', m)).toEqual({
      kind: 'trigger',
      message: m,
      value: { type: 'order.placed', date: '2026-04-25', amount: 12 },
      logicalDate: new Date('2026-04-25T00:00:00.000Z'),
      dataInterval: {
        start: new Date('2026-04-25T00:00:00.000Z'),
        end: new Date('2026-04-26T00:00:00.000Z'),
      },
    });
  });

  it('skips a message the filter does not select, even one without the date field', () => {
    expect(decideTopicMessage(s, 'UTC', message({ type: 'order.cancelled' }))).toEqual({
      kind: 'skip',
      reason: 'filter: type is "order.cancelled", not "order.placed"',
    });
  });

  it('dead-letters a value that is not JSON', () => {
    const decision = decideTopicMessage(s, 'UTC', message('{"type":'));
    expect(decision.kind).toBe('dead_letter');
    expect('reason' in decision && decision.reason).toMatch(/^malformed message: value is not JSON/);
  });

  it('dead-letters a selected message without a logical date, naming the field', () => {
    expect(decideTopicMessage(s, 'UTC', message({ type: 'order.placed' }))).toEqual({
      kind: 'dead_letter',
      reason:
        "malformed message: the message has no 'date' (partitionField): produce 'date' as a calendar day such as '2026-04-25', or change partitionField",
    });
  });

  it('uses the Kafka timestamp without a date field', () => {
    const m = message({ anything: true });
    expect(triggering(schedule(), 'UTC', m).logicalDate).toEqual(m.timestamp);
  });
});

describe('ids', () => {
  it('identifies a message by its position', () => {
    expect(topicMessageEventId(message({}))).toBe('orders:2:41');
  });

  it('gives one run id per message position', () => {
    expect(messageRunId(message({}))).toBe('event__orders-2-41');
    expect(messageRunId(message({}, { offset: '42' }))).toBe('event__orders-2-42');
    expect(messageRunId(message({}, { partition: 3 }))).toBe('event__orders-3-41');
  });

  it('gives a batch run an id from its first position and its logical date', () => {
    expect(batchRunId(message({}), new Date('2026-04-25T07:00:00Z'))).toBe(
      'event__orders-2-41__2026-04-25T07:00:00.000Z',
    );
  });

  it('keeps run ids within 250 valid characters for long topic names', () => {
    const long = message({}, { topic: 'x'.repeat(249), offset: '123456789012' });
    for (const id of [messageRunId(long), batchRunId(long, new Date('2026-04-25T00:00:00Z'))]) {
      expect(id.length).toBeLessThanOrEqual(250);
      expect(id).toMatch(/^[A-Za-z0-9_.:+-]{1,250}$/);
    }
    expect(messageRunId(long)).toMatch(/^event__t[0-9a-f]{8}-2-123456789012$/);
    expect(messageRunId(long)).not.toBe(messageRunId({ ...long, topic: 'y'.repeat(249) }));
  });
});

describe('topicRunRequests', () => {
  const perMessage = schedule({ partitionField: 'date' });
  const batched = schedule({ logicalDateField: 'at', batch: { maxMessages: 5, maxWait: '1s' } });

  it('makes one run per message, with the message as conf', () => {
    const a = triggering(perMessage, 'UTC', message({ date: '2026-04-25', n: 1 }, { offset: '7' }));
    const b = triggering(
      perMessage,
      'UTC',
      message({ date: '2026-04-25', n: 2 }, { offset: '8', key: null }),
    );
    const runs = topicRunRequests(perMessage, [a, b]);
    expect(runs).toEqual([
      {
        runId: 'event__orders-2-7',
        logicalDate: new Date('2026-04-25T00:00:00.000Z'),
        dataInterval: a.dataInterval,
        conf: {
          message: {
            topic: 'orders',
            partition: 2,
            offset: '7',
            key: 'acct-7',
            timestamp: '2026-04-25T14:03:12.000Z',
            value: { date: '2026-04-25', n: 1 },
          },
        },
        messages: [a.message],
      },
      expect.objectContaining({ runId: 'event__orders-2-8', messages: [b.message] }),
    ]);
    expect((runs[1].conf.message as { key: unknown }).key).toBeNull();
  });

  it('makes one run per distinct logical date in a batch, in date order, messages in consumed order', () => {
    const day1 = '2026-04-25T10:00:00Z';
    const day2 = '2026-04-24T10:00:00Z';
    const ms = [
      triggering(batched, 'UTC', message({ at: day1, n: 1 }, { offset: '10' })),
      triggering(batched, 'UTC', message({ at: day2, n: 2 }, { offset: '11' })),
      triggering(batched, 'UTC', message({ at: day1, n: 3 }, { partition: 0, offset: '3' })),
    ];
    const runs = topicRunRequests(batched, ms);
    expect(runs.map((r) => r.runId)).toEqual([
      'event__orders-2-10__2026-04-24T10:00:00.000Z',
      'event__orders-2-10__2026-04-25T10:00:00.000Z',
    ]);
    expect(runs[1].logicalDate).toEqual(new Date(day1));
    expect(runs[1].dataInterval).toBeUndefined();
    const values = (conf: Record<string, unknown>) =>
      (conf.messages as { value: { n: number }; partition: number }[]).map((m) => m.value.n);
    expect(values(runs[0].conf)).toEqual([2]);
    expect(values(runs[1].conf)).toEqual([1, 3]);
    expect(runs[1].messages.map((m) => `${m.partition}:${m.offset}`)).toEqual(['2:10', '0:3']);
  });

  it('makes no run for an empty batch', () => {
    expect(topicRunRequests(batched, [])).toEqual([]);
  });

  it('gives batches that start at different positions different run ids for the same date', () => {
    const at = '2026-04-25T10:00:00Z';
    const first = topicRunRequests(batched, [triggering(batched, 'UTC', message({ at }, { offset: '1' }))]);
    const second = topicRunRequests(batched, [triggering(batched, 'UTC', message({ at }, { offset: '2' }))]);
    expect(first[0].runId).not.toBe(second[0].runId);
  });
});

describe('offsetsToCommit', () => {
  it('commits, per partition, the offset after the highest one handled', () => {
    expect(
      offsetsToCommit([
        { topic: 'orders', partition: 1, offset: '5' },
        { topic: 'orders', partition: 0, offset: '9' },
        { topic: 'orders', partition: 1, offset: '7' },
        { topic: 'orders', partition: 1, offset: '6' },
      ]),
    ).toEqual([
      { topic: 'orders', partition: 0, offset: '10' },
      { topic: 'orders', partition: 1, offset: '8' },
    ]);
  });

  it('handles offsets beyond 2^53', () => {
    expect(offsetsToCommit([{ topic: 't', partition: 0, offset: '9007199254740993' }])).toEqual([
      { topic: 't', partition: 0, offset: '9007199254740994' },
    ]);
  });

  it('commits nothing for nothing', () => {
    expect(offsetsToCommit([])).toEqual([]);
  });
});
