// Topic bindings in distributed mode: two scheduler processes share the binding's consumer
// group, so every matching message starts exactly one run, whichever scheduler reads it.
import { randomUUID } from 'crypto';
import { Admin, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { TestCluster, eventually } from '../support/cluster';

jest.setTimeout(180_000);

describe('topic bindings with two schedulers (processes, real Kafka and PostgreSQL)', () => {
  const ordersTopic = `it.orders.${randomUUID().slice(0, 8)}`;
  let cluster: TestCluster;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    cluster = await TestCluster.create({
      dagsDir: 'test/fixtures/distributed-bindings',
      services: { scheduler: 2, coordinator: 1, executor: 1 },
      env: { TRIBUTARY_TEST_ORDERS_TOPIC: ordersTopic },
    });
    const kafka = new Kafka({
      clientId: 'it-bindings-outside',
      brokers: cluster.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: ordersTopic, numPartitions: 3 }], waitForLeaders: true });
    await cluster.start();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await cluster?.stop();
  });

  it('each matching message starts one run for its day; others start none; offsets are committed', async () => {
    const group = `${cluster.topicPrefix}binding.orders_bound`;
    // A new binding starts at the end of an existing topic: produce once both schedulers have joined.
    await eventually('the binding group to be stable with two members', async () => {
      const { groups } = await admin.describeGroups([group]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
    });
    const orders = [
      { type: 'order.placed', id: 1, date: '2026-04-25' },
      { type: 'order.cancelled', id: 2, date: '2026-04-25' },
      { type: 'order.placed', id: 3, date: '2026-04-26' },
      { type: 'order.placed', id: 4, date: '2026-04-25' },
    ];
    await producer.send({
      topic: ordersTopic,
      messages: orders.map((o) => ({ key: String(o.id), value: JSON.stringify(o) })),
    });
    const runs = await eventually(
      'three successful order runs',
      async () => {
        const rows = await cluster.query<{
          run_id: string;
          run_type: string;
          logical_date: Date;
          state: string;
          conf: { message: { value: { id: number } } };
        }>(
          `SELECT run_id, run_type, logical_date, state, conf FROM dag_runs WHERE dag_id = 'orders_bound' ORDER BY logical_date, run_id`,
        );
        return rows.length >= 3 && rows.every((r) => r.state === 'success') ? rows : undefined;
      },
      { describe: () => cluster.logs() },
    );
    expect(runs).toHaveLength(3);
    expect(runs.map((r) => r.conf.message.value.id).sort()).toEqual([1, 3, 4]);
    expect(new Set(runs.map((r) => r.run_type))).toEqual(new Set(['external']));
    // Midnight in Paris: the partition field is a calendar day in the DAG's zone.
    expect(runs.map((r) => new Date(r.logical_date).toISOString()).sort()).toEqual([
      '2026-04-24T22:00:00.000Z',
      '2026-04-24T22:00:00.000Z',
      '2026-04-25T22:00:00.000Z',
    ]);
    const ends = await admin.fetchTopicOffsets(ordersTopic);
    await eventually('committed offsets at the end of every partition', async () => {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [ordersTopic] });
      return committed.partitions.every(
        (p) => p.offset === ends.find((e) => e.partition === p.partition)!.offset,
      );
    });
  });
});
