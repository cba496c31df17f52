import { Logger } from '@nestjs/common';
import { ClientKafka, KafkaContext, ServerKafka } from '@nestjs/microservices';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { Partitioners, logLevel as KafkaLogLevel } from 'kafkajs';
import {
  IncomingMessage,
  MessageHandler,
  MessageTransport,
  OutgoingMessage,
  Subscription,
} from './message-transport';

export interface KafkaTransportOptions {
  brokers: string[];
  /** Names this process to the broker (e.g. `tributary-executor`); used as is, no postfix. */
  clientId: string;
  /** Partitions of topics this process creates. */
  partitions?: number;
  replicationFactor?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Partitions of one consumer group handled at once by this process (one message at a time each). */
  partitionsConsumedConcurrently?: number;
  /**
   * kafkajs's own log level (its logs go through Nest's logger). Default 'nothing': it logs
   * retriable protocol errors (a group coordinator still loading) as errors; failures that
   * matter surface through this driver (a failed publish, a crashed consumer).
   */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
}

export interface ConsumerLag {
  groupId: string;
  topic: string;
  partition: number;
  lag: number;
}

const LOG_LEVELS = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/**
 * The Kafka driver, on @nestjs/microservices: a ClientKafka (producer only) publishes, and one
 * ServerKafka per consumer group consumes with manual commits. An offset is committed only
 * after the handler returned, i.e. after its database transaction committed; a crash before
 * that redelivers the message, which the inbox dedupes.
 */
export class KafkaTransport implements MessageTransport {
  readonly kind = 'kafka' as const;
  private readonly logger = new Logger('KafkaTransport');
  private readonly client: ClientKafka;
  private readonly subscriptions = new Map<string, Subscription[]>();
  private readonly servers: ServerKafka[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private consuming = false;
  private closed = false;

  constructor(private readonly options: KafkaTransportOptions) {
    this.client = new ClientKafka({
      client: this.clientConfig(),
      producer: {
        createPartitioner: Partitioners.DefaultPartitioner,
        // One request in flight per broker: a retried send cannot overtake the next one (per-key order).
        // Not idempotent: that needs unbounded retries, and a publish must fail so the outbox retries it.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      },
      producerOnlyMode: true,
      postfixId: '',
    });
  }

  get brokers(): string[] {
    return this.options.brokers;
  }

  /** Creates missing topics with the configured partitions and replication; never relies on auto-creation. */
  async ensureTopics(topics: string[]): Promise<void> {
    const admin = await this.adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: this.options.partitions ?? 6,
            replicationFactor: this.options.replicationFactor ?? 1,
          })),
        });
        this.logger.log(`created topics ${missing.join(', ')}`);
      } catch (error) {
        // Another process may have created them in the meantime; anything else is fatal.
        const still = new Set(await admin.listTopics());
        const absent = missing.filter((t) => !still.has(t));
        if (absent.length > 0)
          throw new Error(`cannot create topics ${absent.join(', ')}: ${(error as Error).message}`);
      }
    }
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('kafka transport is closed');
    const producer = await this.connectProducer();
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })),
    });
  }

  async subscribe(subscription: Subscription): Promise<void> {
    if (this.consuming) throw new Error('subscribe before start()');
    const group = this.subscriptions.get(subscription.groupId) ?? [];
    if (group.some((s) => s.topic === subscription.topic)) {
      throw new Error(`group '${subscription.groupId}' already subscribes to '${subscription.topic}'`);
    }
    group.push(subscription);
    this.subscriptions.set(subscription.groupId, group);
  }

  /** Connects the producer, then one consumer per group (each a ServerKafka). */
  async start(): Promise<void> {
    await this.connectProducer();
    for (const [groupId, subscriptions] of this.subscriptions) {
      const server = new ServerKafka({
        client: this.clientConfig(),
        consumer: {
          groupId,
          sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
          heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
          allowAutoTopicCreation: false,
        },
        // A new group starts at the beginning: nothing produced before its first start is skipped.
        subscribe: { fromBeginning: true },
        run: {
          autoCommit: false,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 6,
        },
        parser: { keepBinary: true },
        // ServerKafka opens a producer of its own (for replies, unused here).
        producer: { createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false },
        postfixId: '',
      });
      server.status.subscribe((status) => {
        if (status === 'crashed')
          this.logger.error(`consumer of group '${groupId}' crashed; kafkajs restarts it`);
        else if (status === 'rebalancing') this.logger.debug(`group '${groupId}' is rebalancing`);
      });
      for (const s of subscriptions) {
        server.addHandler(
          s.topic,
          (_data: unknown, context: KafkaContext) => this.handle(s.handler, context),
          true,
        );
      }
      await new Promise<void>((resolve, reject) =>
        server.listen((error?: unknown) => (error ? reject(error) : resolve())),
      );
      this.servers.push(server);
    }
    this.consuming = true;
  }

  /** Stops fetching and waits for handlers in progress; publishing keeps working (the outbox still drains). */
  async stopConsuming(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all([...this.inFlight]);
    this.consuming = false;
  }

  async stop(): Promise<void> {
    await this.stopConsuming();
    this.closed = true;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
    await this.client.close();
    this.producer = null;
  }

  /** Messages behind the committed offset, per group and partition (for /metrics). */
  async consumerLag(): Promise<ConsumerLag[]> {
    const admin = await this.adminClient();
    const lags: ConsumerLag[] = [];
    for (const [groupId, subscriptions] of this.subscriptions) {
      const topics = subscriptions.map((s) => s.topic);
      const committed = await admin.fetchOffsets({ groupId, topics });
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const done = partitions.find((p) => p.partition === end.partition);
          const committedOffset = done && Number(done.offset) >= 0 ? Number(done.offset) : Number(end.low);
          lags.push({
            groupId,
            topic,
            partition: end.partition,
            lag: Math.max(0, Number(end.high) - committedOffset),
          });
        }
      }
    }
    return lags;
  }

  /** True when the producer is connected and every group's consumer is running. */
  get healthy(): boolean {
    return !this.closed && this.producer !== null && (this.subscriptions.size === 0 || this.consuming);
  }

  private async handle(handler: MessageHandler, context: KafkaContext): Promise<void> {
    const raw = context.getMessage();
    const message: IncomingMessage = {
      topic: context.getTopic(),
      partition: context.getPartition(),
      offset: raw.offset,
      key: raw.key === null || raw.key === undefined ? null : text(raw.key),
      value: raw.value === null || raw.value === undefined ? '' : text(raw.value),
      headers: Object.fromEntries(Object.entries(raw.headers ?? {}).map(([k, v]) => [k, text(v)])),
    };
    // A handler may wait (an executor waiting for a free slot): keep the group membership alive meanwhile.
    const heartbeat = context.getHeartbeat();
    const beat = setInterval(
      () => void heartbeat().catch(() => undefined),
      this.options.heartbeatIntervalMs ?? 3_000,
    );
    const work = (async () => {
      try {
        await handler(message);
      } finally {
        clearInterval(beat);
      }
      const consumer: Consumer = context.getConsumer();
      await consumer.commitOffsets([
        {
          topic: message.topic,
          partition: message.partition,
          offset: (BigInt(message.offset) + 1n).toString(),
        },
      ]);
    })();
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async connectProducer(): Promise<Producer> {
    if (!this.producer) this.producer = await this.client.connect();
    return this.producer;
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const kafka = this.client.createClient<Kafka>();
      const admin = kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private clientConfig() {
    return {
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      logLevel: LOG_LEVELS[this.options.logLevel ?? 'nothing'],
      connectionTimeout: 3_000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    };
  }
}

function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
