import { CommittedPartitionOffset, KafkaAdminPool, TopicPartitionOffsets } from './kafka-admin-pool';
import { NO_KAFKA_CLUSTER, checkKafkaOffset } from './kafka-offset-check';

/** A pool answering from tables, recording which cluster it was asked about. */
function poolWith(topic: TopicPartitionOffsets[] | Error, committed: CommittedPartitionOffset[] = []) {
  const asked: string[][] = [];
  const pool = {
    topicOffsets: async (brokers: string[]) => {
      asked.push(brokers);
      if (topic instanceof Error) throw topic;
      return topic;
    },
    committedOffsets: async () => committed,
  };
  return { pool: pool as unknown as KafkaAdminPool, asked };
}

describe('checkKafkaOffset', () => {
  const offsets = [
    { partition: 0, high: 12, low: 0 },
    { partition: 1, high: 9, low: 4 },
  ];

  it('fails at once without a cluster, and uses the default one when the check names none', async () => {
    const { pool, asked } = poolWith(offsets);
    expect(await checkKafkaOffset({ topic: 't' }, pool, undefined)).toEqual({
      status: 'failed',
      message: NO_KAFKA_CLUSTER,
    });
    expect(await checkKafkaOffset({ topic: 't', brokers: [] }, pool, [])).toMatchObject({ status: 'failed' });
    await checkKafkaOffset({ topic: 't' }, pool, ['default:9092']);
    await checkKafkaOffset({ topic: 't', brokers: ['own:9092'] }, pool, ['default:9092']);
    expect(asked).toEqual([['default:9092'], ['own:9092']]);
  });

  it('compares minOffset with the lowest high watermark across partitions', async () => {
    const { pool } = poolWith(offsets);
    expect(await checkKafkaOffset({ topic: 't', minOffset: 10 }, pool, ['k:1'])).toEqual({
      status: 'waiting',
      message: 'topic t partition 1 ends at offset 9; needs at least 10',
    });
    expect(await checkKafkaOffset({ topic: 't', minOffset: 9 }, pool, ['k:1'])).toEqual({
      status: 'met',
      details: {
        topic: 't',
        offsets: [
          { partition: 0, high: 12 },
          { partition: 1, high: 9 },
        ],
      },
    });
  });

  it('counts lag from the committed offset, or from the low watermark where nothing is committed', async () => {
    const behind = poolWith(offsets, [{ partition: 0, offset: 10 }]);
    // partition 0: 12 - 10; partition 1 (nothing committed): 9 - 4.
    expect(await checkKafkaOffset({ topic: 't', consumerGroup: 'g' }, behind.pool, ['k:1'])).toEqual({
      status: 'waiting',
      message: 'consumer group g lags 7 messages behind on topic t',
    });
    const caughtUp = poolWith(offsets, [
      { partition: 0, offset: 12 },
      { partition: 1, offset: 9 },
    ]);
    expect(await checkKafkaOffset({ topic: 't', consumerGroup: 'g' }, caughtUp.pool, ['k:1'])).toEqual({
      status: 'met',
      details: { topic: 't', consumerGroup: 'g', lag: 0 },
    });
    const emptyTopic = poolWith([{ partition: 0, high: 3, low: 3 }], [{ partition: 0, offset: -1 }]);
    expect(
      await checkKafkaOffset({ topic: 't', consumerGroup: 'g' }, emptyTopic.pool, ['k:1']),
    ).toMatchObject({
      status: 'met',
    });
  });

  it('waits on an unknown topic or an unreachable cluster, saying which', async () => {
    const unknown = Object.assign(new Error('retries exceeded'), {
      cause: Object.assign(new Error('does not host'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }),
    });
    expect(await checkKafkaOffset({ topic: 't' }, poolWith(unknown).pool, ['k:1'])).toEqual({
      status: 'waiting',
      message: 'topic t does not exist on k:1',
    });
    expect(
      await checkKafkaOffset({ topic: 't' }, poolWith(new Error('Connection error: ECONNREFUSED')).pool, [
        'k:1',
        'k:2',
      ]),
    ).toEqual({
      status: 'waiting',
      message: 'cannot reach Kafka at k:1,k:2 for topic t: Connection error: ECONNREFUSED',
    });
  });

  it('stops waiting for the shared request when the caller aborts', async () => {
    const pool = { topicOffsets: () => new Promise(() => undefined) } as unknown as KafkaAdminPool;
    const controller = new AbortController();
    const outcome = checkKafkaOffset({ topic: 't' }, pool, ['k:1'], controller.signal);
    controller.abort();
    expect(await outcome).toEqual({ status: 'waiting', message: 'check aborted' });
  });
});
