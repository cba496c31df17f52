import { envelope } from '../contracts/envelope';
import { TOPICS, TopicCatalog } from '../topics';
import { InProcessTransport } from './in-process.transport';
import { IncomingMessage } from './message-transport';
import { TransportServer, isInfrastructureOutage } from './transport-server';

describe('TransportServer: retries and dead letters', () => {
  const topics = new TopicCatalog();
  const alert = () =>
    JSON.stringify(
      envelope(
        'alert',
        {
          alertId: '1',
          kind: 'run_deadline_missed',
          subject: 'run:d:r',
          severity: 'info',
          message: 'hello',
          raisedAt: new Date().toISOString(),
          recovery: false,
        },
        new Date(),
      ),
    );

  async function serve(handler: () => Promise<void>) {
    const transport = new InProcessTransport({ redeliveryDelayMs: 1 });
    const server = new TransportServer(transport, topics, { maxAttempts: 2, retryBackoffMs: 1 });
    server.addHandler(TOPICS.alerts, handler, true, { group: 'g' });
    const dead: IncomingMessage[] = [];
    await transport.subscribe({
      topic: topics.name(TOPICS.dlq),
      groupId: 'dlq-reader',
      handler: async (m) => {
        dead.push(m);
      },
    });
    await new Promise<void>((resolve, reject) => server.listen((e?: unknown) => (e ? reject(e) : resolve())));
    return { transport, server, dead };
  }

  it('dead-letters a message whose handler keeps failing, with the reason', async () => {
    const { transport, server, dead } = await serve(async () => {
      throw new Error('boom');
    });
    await transport.publish(topics.name(TOPICS.alerts), [{ key: 'k', value: alert() }]);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0].value).payload).toMatchObject({
      reason: "handler of group 'g' failed 2 times: boom",
      attempts: 2,
    });
    await server.close();
  });

  it('never dead-letters because the database is away: the message is redelivered until it succeeds', async () => {
    let calls = 0;
    const { transport, server, dead } = await serve(async () => {
      if (++calls <= 5)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    await transport.publish(topics.name(TOPICS.alerts), [{ key: 'k', value: alert() }]);
    expect(calls).toBe(6);
    expect(dead).toEqual([]);
    await server.close();
  });

  it('recognises connection failures, not ordinary errors, as outages', () => {
    expect(isInfrastructureOutage(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isInfrastructureOutage(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isInfrastructureOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isInfrastructureOutage(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
    expect(isInfrastructureOutage(new Error('task failed'))).toBe(false);
  });
});
