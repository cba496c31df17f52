import { Logger } from '@nestjs/common';
import { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import {
  DagDefinition,
  TopicMessage,
  TopicScheduleDefinition,
  decideTopicMessage,
  durationMs,
  offsetsToCommit,
  topicMessageEventId,
  topicRunRequests,
} from '@tributary/domain';
import {
  DeadLetterPayload,
  OutboxRelay,
  RunRequestedPayload,
  TOPICS,
  TopicCatalog,
  enqueueOutbox,
  envelope,
  recordProcessedEvent,
} from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import { Clock } from '@tributary/runtime';
import { PendingMessageBuffer, PendingMessages } from './pending-messages';

/** Without `batch`: messages recorded in one transaction at most (one run each). */
const PER_MESSAGE_FLUSH_SIZE = 500;

/** What a flush is about to commit, for the test hook. */
export interface TopicBindingCommit {
  dagId: string;
  offsets: { topic: string; partition: number; offset: string }[];
  runIds: string[];
}

export interface TopicBindingStats {
  /** Messages that requested (or joined) a run. */
  triggered: number;
  runsRequested: number;
  /** Messages the filter did not select. */
  skipped: number;
  deadLettered: number;
  /** Messages delivered again after they were recorded (a crash or rebalance before the commit): ignored. */
  duplicates: number;
}

export interface TopicBindingConsumerOptions {
  brokers: string[];
  clientId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Pause between attempts when the topic is missing or the broker unreachable. */
  retryMs: number;
  beforeCommit?: (commit: TopicBindingCommit) => Promise<void> | void;
}

export interface TopicBindingDeps {
  db: Database;
  clock: Clock;
  topics: TopicCatalog;
  relay: OutboxRelay;
}

/**
 * One DAG's binding: a kafkajs consumer in group `<prefix>binding.<dagId>` and the buffer
 * of messages consumed but not recorded. A flush records messages (inbox row + run request
 * or dead letter) in one transaction, and only then commits their offsets: a crash between
 * the two redelivers messages that the inbox then skips, so none is lost and none runs twice.
 */
export class TopicBindingConsumer {
  readonly groupId: string;
  /** The inbox group of this binding in `processed_events` and in dead letters. */
  readonly inboxGroup: string;
  readonly stats: TopicBindingStats = {
    triggered: 0,
    runsRequested: 0,
    skipped: 0,
    deadLettered: 0,
    duplicates: 0,
  };
  readonly joined: Promise<void>;

  private readonly logger: Logger;
  private readonly schedule: TopicScheduleDefinition;
  private readonly kafka: Kafka;
  private readonly buffer = new PendingMessageBuffer();
  private consumer: Consumer | null = null;
  private flushChain: Promise<void> = Promise.resolve();
  private batchTimer: NodeJS.Timeout | null = null;
  private readonly pauses = new Set<() => void>();
  private running: Promise<void> | null = null;
  private closing = false;
  private abandoned = false;
  private wakeAbandoned: () => void = () => undefined;
  private readonly abandonedSignal: Promise<void>;
  private markJoined: () => void = () => undefined;

  constructor(
    private readonly dag: DagDefinition,
    private readonly deps: TopicBindingDeps,
    private readonly options: TopicBindingConsumerOptions,
  ) {
    if (dag.schedule.kind !== 'topic') throw new Error(`DAG '${dag.dagId}' has no topic schedule`);
    this.schedule = dag.schedule;
    this.groupId = deps.topics.group(`binding.${dag.dagId}`);
    this.inboxGroup = `binding:${dag.dagId}`;
    this.logger = new Logger(`TopicBinding ${dag.dagId}`);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
    });
    this.joined = new Promise((resolve) => (this.markJoined = resolve));
    this.abandonedSignal = new Promise((resolve) => (this.wakeAbandoned = resolve));
  }

  get dagId(): string {
    return this.dag.dagId;
  }

  get topic(): string {
    return this.schedule.topic;
  }

  /** Starts consuming in the background: a missing topic or an unreachable broker is logged and retried. */
  start(): void {
    this.running ??= this.connect();
  }

  /** Graceful stop: stop fetching, record and commit what is pending, leave the group. */
  async stop(): Promise<void> {
    this.closing = true;
    this.clearTimers();
    this.consumer?.pause([{ topic: this.topic }]);
    await this.running;
    try {
      await this.flush();
    } catch (error) {
      // Not committed: the group's next consumer gets these messages again.
      this.logger.warn(`pending messages left to redelivery: ${(error as Error).message}`);
    }
    await this.consumer?.disconnect().catch(() => undefined);
  }

  /** Crash: drop what is pending without recording or committing it (it is redelivered), and leave. */
  async abandon(): Promise<void> {
    this.closing = true;
    this.abandoned = true;
    this.wakeAbandoned();
    this.clearTimers();
    this.buffer.clear();
    await this.running?.catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    let topicWasMissing = false;
    while (!this.closing) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        const exists = (await admin.listTopics()).includes(this.topic);
        if (!exists) {
          topicWasMissing = true;
          // Never auto-created: a binding would otherwise create a user's topic with broker defaults.
          this.logger.warn(
            `topic '${this.topic}' does not exist on ${this.options.brokers.join(',')}: DAG '${this.dag.dagId}' waits for it ` +
              `(checking every ${Math.round(this.options.retryMs / 1000)}s); create the topic, or fix the topic name in the DAG's schedule`,
          );
        } else {
          await this.pinStartingOffsets(admin, topicWasMissing ? 'earliest' : 'latest');
          await this.runConsumer();
          return;
        }
      } catch (error) {
        this.logger.warn(`cannot consume '${this.topic}' yet, retrying: ${(error as Error).message}`);
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = null;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await this.pause(this.options.retryMs);
    }
  }

  /**
   * A new group starts at the end of a topic that exists (binding a big existing topic must
   * not start a run per old message), or at its beginning when the topic appeared after the
   * binding (all its messages are then new). The start is committed at once, so a restart
   * before the first message does not move it.
   */
  private async pinStartingOffsets(admin: Admin, from: 'earliest' | 'latest'): Promise<void> {
    const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
    if (committed && committed.partitions.some((p) => p.offset !== '-1')) return;
    const ends = await admin.fetchTopicOffsets(this.topic);
    const partitions = ends.map((p) => ({
      partition: p.partition,
      offset: from === 'latest' ? p.high : p.low,
    }));
    try {
      await admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions });
      this.logger.log(
        `new consumer group ${this.groupId} starts at the ${from === 'latest' ? 'end' : 'beginning'} of '${this.topic}'`,
      );
    } catch (error) {
      // Another replica joined the group first: it pinned the start already.
      this.logger.debug(`starting offsets not pinned: ${(error as Error).message}`);
    }
  }

  private async runConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.markJoined());
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.closing) return;
      // kafkajs restarts itself after retriable errors only; anything else would stop this binding for good.
      this.logger.warn(`consumer crashed (${event.payload.error.message}); restarting`);
      this.consumer = null;
      this.running = this.pause(this.options.retryMs).then(() => this.connect());
    });
    await consumer.connect();
    // For partitions without a committed offset (added after the group started): all their messages are new.
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    for (const raw of batch.messages) {
      if (this.closing || !isRunning() || isStale()) return;
      const message = toTopicMessage(batch.topic, batch.partition, raw);
      const decision = decideTopicMessage(this.schedule, this.dag.timezone, message);
      if (decision.kind === 'trigger') this.buffer.addTriggering(decision);
      else if (decision.kind === 'dead_letter') this.buffer.addDeadLetter(message, decision.reason);
      else {
        this.stats.skipped++;
        this.buffer.addSkipped(message);
      }
      // Resolved = the next fetch goes on after it; committed only once a flush has recorded it.
      resolveOffset(raw.offset);
      // Per message, a fetch is recorded in one transaction, in slices of a bounded size.
      const full = this.schedule.batch?.maxMessages ?? PER_MESSAGE_FLUSH_SIZE;
      if (this.buffer.triggeringCount >= full) {
        await this.flushUntilDone(heartbeat, isRunning, isStale);
      }
    }
    if (!this.schedule.batch) await this.flushUntilDone(heartbeat, isRunning, isStale);
    else this.armBatchTimer();
    await heartbeat();
  }

  /** Flushes from the consumer loop, retrying while the database is away (the partition waits, nothing is lost). */
  private async flushUntilDone(
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
    isStale: () => boolean,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.flush();
        return;
      } catch (error) {
        this.logger.warn(
          `recording messages failed (attempt ${attempt}), retrying: ${(error as Error).message}`,
        );
        if (this.closing || !isRunning() || isStale()) return;
        await this.pause(Math.min(100 * 2 ** attempt, 5_000));
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /** A batch flushes at maxWait after its first message even when it is not full. */
  private armBatchTimer(): void {
    if (this.batchTimer || this.closing || this.buffer.firstAt === null || !this.schedule.batch) return;
    const due = this.buffer.firstAt + durationMs(this.schedule.batch.maxWait);
    this.batchTimer = setTimeout(
      () => {
        this.batchTimer = null;
        // The batch this timer was armed for was flushed full; a younger one is pending.
        if (
          this.buffer.firstAt !== null &&
          this.buffer.firstAt + durationMs(this.schedule.batch!.maxWait) > Date.now()
        ) {
          this.armBatchTimer();
          return;
        }
        this.flush()
          .catch((error) =>
            this.logger.warn(`flushing a batch failed, retrying: ${(error as Error).message}`),
          )
          .finally(() => this.armBatchTimer());
      },
      Math.max(0, due - Date.now()),
    );
  }

  /** One flush at a time, in order: a later flush never commits past an earlier one that failed. */
  private flush(): Promise<void> {
    const next = this.flushChain.then(() => this.flushPending());
    this.flushChain = next.catch(() => undefined);
    return next;
  }

  private async flushPending(): Promise<void> {
    if (this.abandoned || this.buffer.isEmpty) return;
    const firstAt = this.buffer.firstAt ?? Date.now();
    const pending = this.buffer.take();
    let runIds: string[];
    try {
      runIds = await this.record(pending);
    } catch (error) {
      this.buffer.restore(pending, firstAt);
      throw error;
    }
    if (runIds.length > 0 || pending.deadLetters.length > 0) this.deps.relay.kick();
    const offsets = offsetsToCommit(pending.positions);
    if (this.options.beforeCommit) {
      await Promise.race([
        Promise.resolve(this.options.beforeCommit({ dagId: this.dag.dagId, offsets, runIds })),
        this.abandonedSignal,
      ]);
    }
    if (this.abandoned) return;
    try {
      await this.consumer!.commitOffsets(offsets);
    } catch (error) {
      // Recorded already: commit these offsets with the next flush (a redelivery meanwhile is skipped by the inbox).
      this.logger.warn(
        `committing offsets failed, retrying with the next flush: ${(error as Error).message}`,
      );
      this.buffer.restore({ positions: pending.positions, triggering: [], deadLetters: [] }, firstAt);
      this.armBatchTimer();
    }
  }

  /** One transaction: the inbox rows of new messages, their run requests and dead letters. Returns the run ids. */
  private async record(pending: PendingMessages): Promise<string[]> {
    const now = this.deps.clock.now();
    const counts = { triggered: 0, deadLettered: 0, duplicates: 0 };
    const deadLettered: string[] = [];
    const runs = await this.deps.db.transaction(async (em) => {
      const fresh = [];
      for (const message of pending.triggering) {
        if (await recordProcessedEvent(em, this.inboxGroup, topicMessageEventId(message.message), now)) {
          fresh.push(message);
        } else counts.duplicates++;
      }
      for (const { message, reason } of pending.deadLetters) {
        if (!(await recordProcessedEvent(em, this.inboxGroup, topicMessageEventId(message), now))) {
          counts.duplicates++;
          continue;
        }
        const payload: DeadLetterPayload = {
          topic: message.topic,
          consumerGroup: this.inboxGroup,
          reason,
          key: message.key,
          partition: message.partition,
          offset: message.offset,
          originalValue: message.value,
          attempts: 0,
        };
        await enqueueOutbox(
          em,
          this.deps.topics.name(TOPICS.dlq),
          message.key,
          envelope('dead.letter', payload, now),
        );
        counts.deadLettered++;
        deadLettered.push(`dead-lettered ${topicMessageEventId(message)}: ${reason}`);
      }
      const requests = topicRunRequests(this.schedule, fresh);
      for (const run of requests) {
        const payload: RunRequestedPayload = {
          dagId: this.dag.dagId,
          runType: 'external',
          runId: run.runId,
          logicalDate: run.logicalDate.toISOString(),
          ...(run.dataInterval
            ? {
                dataIntervalStart: run.dataInterval.start.toISOString(),
                dataIntervalEnd: run.dataInterval.end.toISOString(),
              }
            : {}),
          conf: run.conf,
          note: `${run.messages.length === 1 ? 'a message' : `${run.messages.length} messages`} on Kafka topic '${this.topic}'`,
        };
        await enqueueOutbox(
          em,
          this.deps.topics.name(TOPICS.runRequested),
          this.dag.dagId,
          envelope('run.requested', payload, now),
        );
      }
      counts.triggered = fresh.length;
      return requests;
    });
    this.stats.triggered += counts.triggered;
    this.stats.deadLettered += counts.deadLettered;
    this.stats.duplicates += counts.duplicates;
    this.stats.runsRequested += runs.length;
    deadLettered.forEach((line) => this.logger.warn(line));
    return runs.map((r) => r.runId);
  }

  /** A wait that stop() and abandon() cut short. */
  private pause(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pauses.add(wake);
    });
  }

  private clearTimers(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    [...this.pauses].forEach((wake) => wake());
  }
}

function toTopicMessage(topic: string, partition: number, raw: KafkaMessage): TopicMessage {
  return {
    topic,
    partition,
    offset: raw.offset,
    key: raw.key?.toString('utf8') ?? null,
    timestamp: new Date(Number(raw.timestamp)),
    value: raw.value?.toString('utf8') ?? '',
  };
}
