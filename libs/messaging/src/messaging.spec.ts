import { Database } from '@tributary/persistence';
import { MalformedMessageError, decodeMessage } from './contracts/decode';
import { envelope } from './contracts/envelope';
import { enqueueOutbox, recordProcessedEvent } from './outbox/outbox';
import { OutboxRelay } from './outbox/outbox-relay';
import { TOPICS, TopicCatalog } from './topics';
import {
  IncomingMessage,
  MessageTransport,
  OutgoingMessage,
  Subscription,
} from './transport/message-transport';
import { InProcessTransport } from './transport/in-process.transport';

describe('InProcessTransport', () => {
  it('delivers messages with the same key in order, and every group sees every message', async () => {
    const transport = new InProcessTransport({ partitions: 3 });
    const seen: Record<string, string[]> = { a: [], b: [] };
    for (const group of ['a', 'b']) {
      await transport.subscribe({
        topic: 't',
        groupId: group,
        handler: async (m) => {
          // Later messages of a key must wait for earlier ones, even when those are slower.
          if (m.value.endsWith('-1')) await new Promise((r) => setTimeout(r, 5));
          seen[group].push(m.value);
        },
      });
    }
    await transport.start();
    const messages: OutgoingMessage[] = [];
    for (let i = 1; i <= 5; i++)
      for (const key of ['run1', 'run2']) messages.push({ key, value: `${key}-${i}` });
    await transport.publish('t', messages);
    for (const group of ['a', 'b']) {
      expect(seen[group].filter((v) => v.startsWith('run1'))).toEqual([
        'run1-1',
        'run1-2',
        'run1-3',
        'run1-4',
        'run1-5',
      ]);
      expect(seen[group].filter((v) => v.startsWith('run2'))).toEqual([
        'run2-1',
        'run2-2',
        'run2-3',
        'run2-4',
        'run2-5',
      ]);
    }
  });

  it('redelivers to a handler that throws (at-least-once) and resolves publish only after it succeeded', async () => {
    const transport = new InProcessTransport({ redeliveryDelayMs: 1 });
    let attempts = 0;
    await transport.subscribe({
      topic: 't',
      groupId: 'g',
      handler: async () => {
        attempts++;
        if (attempts < 3) throw new Error('transient');
      },
    });
    await transport.start();
    await transport.publish('t', [{ key: 'k', value: 'v' }]);
    expect(attempts).toBe(3);
  });

  it('refuses late subscribers, which would silently miss messages', async () => {
    const transport = new InProcessTransport();
    await transport.start();
    await expect(
      transport.subscribe({ topic: 't', groupId: 'g', handler: async () => undefined }),
    ).rejects.toThrow('subscribe before start()');
  });
});

describe('message contracts', () => {
  const valid = envelope(
    'run.requested',
    { dagId: 'daily_revenue', runType: 'manual' },
    new Date('2026-04-25T00:00:00Z'),
  );

  it('accepts a valid run.requested message', () => {
    const decoded = decodeMessage(TOPICS.runRequested, JSON.stringify(valid));
    expect(decoded.payload).toEqual({ dagId: 'daily_revenue', runType: 'manual' });
  });

  it.each([
    ['not json', 'value is not JSON'],
    ['[1,2]', 'value must be a JSON object'],
    [JSON.stringify({ ...valid, payload: { dagId: 'bad id!', runType: 'weekly' } }), 'payload.dagId'],
    [
      JSON.stringify({ ...valid, payload: { dagId: 'x', runType: 'weekly' } }),
      'payload.runType must be one of the following values',
    ],
    [JSON.stringify({ ...valid, version: 2 }), 'version 2 is not supported'],
    [JSON.stringify({ ...valid, type: 'task.event' }), "type 'task.event' does not belong on this topic"],
    [JSON.stringify({ ...valid, eventId: undefined }), 'eventId'],
  ])('rejects %s naming the problem', (raw, reason) => {
    expect(() => decodeMessage(TOPICS.runRequested, raw)).toThrow(MalformedMessageError);
    expect(() => decodeMessage(TOPICS.runRequested, raw)).toThrow(reason);
  });
});

describe('outbox relay and inbox on PGlite', () => {
  let db: Database;
  const catalog = new TopicCatalog();

  beforeAll(async () => {
    db = await Database.open({ dataDir: 'memory://' });
    await db.migrate();
  });
  afterAll(() => db.close());

  /** A transport that fails its first `failures` publishes, like a broker that is briefly away. */
  class FlakyTransport implements MessageTransport {
    readonly kind = 'in-process' as const;
    readonly delivered: IncomingMessage[] = [];
    constructor(private failures: number) {}
    async ensureTopics() {}
    async subscribe(_: Subscription) {}
    async start() {}
    async stopConsuming() {}
    async stop() {}
    async publish(topic: string, messages: OutgoingMessage[]) {
      if (this.failures-- > 0) throw new Error('broker unavailable');
      messages.forEach((m, i) =>
        this.delivered.push({
          topic,
          partition: 0,
          offset: String(i),
          key: m.key,
          value: m.value,
          headers: {},
        }),
      );
    }
  }

  it('publishes committed rows in commit order and marks them published; rolled-back rows never leave', async () => {
    const transport = new FlakyTransport(0);
    const relay = new OutboxRelay(db, transport, { sweepIntervalMs: 60_000 });
    const topic = catalog.name(TOPICS.alerts);
    await db.transaction(async (em) => {
      for (let i = 1; i <= 3; i++) {
        await enqueueOutbox(
          em,
          topic,
          'k',
          envelope('alert', { kind: 'x', severity: 'info', message: `m${i}` }, new Date()),
        );
      }
    });
    await db
      .transaction(async (em) => {
        await enqueueOutbox(
          em,
          topic,
          'k',
          envelope('alert', { kind: 'x', severity: 'info', message: 'rolled back' }, new Date()),
        );
        throw new Error('abort');
      })
      .catch(() => undefined);
    relay.start();
    await relay.whenIdle();
    await relay.stop();
    expect(transport.delivered.map((m) => JSON.parse(m.value).payload.message)).toEqual(['m1', 'm2', 'm3']);
    const [{ count }] = await db.manager.query(
      `SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`,
    );
    expect(count).toBe(0);
  });

  it('keeps a row whose publish failed and sends it on the next sweep: nothing committed is lost', async () => {
    const transport = new FlakyTransport(1);
    const relay = new OutboxRelay(db, transport, { sweepIntervalMs: 10 });
    await db.transaction((em) =>
      enqueueOutbox(
        em,
        catalog.name(TOPICS.alerts),
        'k',
        envelope('alert', { kind: 'x', severity: 'info', message: 'retry me' }, new Date()),
      ),
    );
    relay.start();
    while (transport.delivered.length === 0) await new Promise((r) => setTimeout(r, 5));
    await relay.stop();
    expect(transport.delivered.map((m) => JSON.parse(m.value).payload.message)).toEqual(['retry me']);
  });

  it('the inbox lets a group apply an event once', async () => {
    const at = new Date();
    expect(await db.transaction((em) => recordProcessedEvent(em, 'coordinator', 'evt-1', at))).toBe(true);
    expect(await db.transaction((em) => recordProcessedEvent(em, 'coordinator', 'evt-1', at))).toBe(false);
    expect(await db.transaction((em) => recordProcessedEvent(em, 'assets', 'evt-1', at))).toBe(true);
  });
});
