import type { KafkaOffsetSensorSpec } from '@tributary/domain';
import { KafkaAdminPool, TopicPartitionOffsets, kafkaErrorType } from './kafka-admin-pool';
import type { CheckOutcome } from './sensor-checker';

export const NO_KAFKA_CLUSTER = 'no Kafka cluster configured: set KAFKA_BROKERS or give brokers';

/**
 * A Kafka offset sensor's check. `minOffset`: every partition's high watermark is at least
 * it (the topic holds that many messages per partition). `consumerGroup`: the group has
 * consumed everything (committed = high everywhere; a partition where it committed nothing
 * lags by all it holds). Both given: both must hold; neither: the topic exists.
 */
export async function checkKafkaOffset(
  check: KafkaOffsetSensorSpec,
  pool: KafkaAdminPool,
  defaultBrokers: string[] | undefined,
  signal?: AbortSignal,
): Promise<CheckOutcome> {
  const brokers = check.brokers && check.brokers.length > 0 ? check.brokers : defaultBrokers;
  if (!brokers || brokers.length === 0) return { status: 'failed', message: NO_KAFKA_CLUSTER };
  if (check.minOffset !== undefined && !Number.isFinite(check.minOffset)) {
    return { status: 'failed', message: `minOffset must be a number, got ${String(check.minOffset)}` };
  }
  const { topic, minOffset, consumerGroup } = check;
  const where = brokers.join(',');

  let offsets: TopicPartitionOffsets[];
  try {
    offsets = await abortable(pool.topicOffsets(brokers, topic), signal);
  } catch (error) {
    return { status: 'waiting', message: describeError(error, `topic ${topic}`, where) };
  }
  if (offsets.length === 0)
    return { status: 'waiting', message: `topic ${topic} has no partitions on ${where}` };

  if (minOffset !== undefined) {
    const lowest = offsets.reduce((min, p) => (p.high < min.high ? p : min));
    if (lowest.high < minOffset) {
      return {
        status: 'waiting',
        message: `topic ${topic} partition ${lowest.partition} ends at offset ${lowest.high}; needs at least ${minOffset}`,
      };
    }
  }
  const partitionEnds = offsets.map((p) => ({ partition: p.partition, high: p.high }));
  if (consumerGroup === undefined) return { status: 'met', details: { topic, offsets: partitionEnds } };

  let committed: Map<number, number>;
  try {
    const rows = await abortable(pool.committedOffsets(brokers, consumerGroup, topic), signal);
    committed = new Map(rows.map((p) => [p.partition, p.offset]));
  } catch (error) {
    return { status: 'waiting', message: describeError(error, `consumer group ${consumerGroup}`, where) };
  }
  let lag = 0;
  for (const p of offsets) {
    const done = committed.get(p.partition);
    lag += Math.max(0, p.high - (done !== undefined && done >= 0 ? done : p.low));
  }
  if (lag > 0) {
    return {
      status: 'waiting',
      message: `consumer group ${consumerGroup} lags ${lag} message${lag === 1 ? '' : 's'} behind on topic ${topic}`,
    };
  }
  return {
    status: 'met',
    details: { topic, ...(minOffset !== undefined ? { offsets: partitionEnds } : {}), consumerGroup, lag: 0 },
  };
}

function describeError(error: unknown, subject: string, brokers: string): string {
  if (error instanceof CheckAborted) return 'check aborted';
  const type = kafkaErrorType(error);
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return `${subject} does not exist on ${brokers}`;
  const reason = (error as Error)?.message ?? String(error);
  if (type !== undefined) return `cannot read ${subject} on ${brokers}: ${type}: ${reason}`;
  return `cannot reach Kafka at ${brokers} for ${subject}: ${reason}`;
}

class CheckAborted extends Error {}

/** Stops waiting when the caller aborts; the shared request itself goes on for the other waiters. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new CheckAborted('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CheckAborted('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
