import {
  IncomingMessage,
  MessageHandler,
  MessageTransport,
  OutgoingMessage,
  Subscription,
  partitionForKey,
} from './message-transport';

interface Delivery {
  message: IncomingMessage;
  done: () => void;
  /** Stopped before the handler succeeded: the publisher must not count it delivered. */
  abandon: (error: unknown) => void;
}

/** One consumer group's view of one partition: a FIFO worked by a single loop. */
class PartitionQueue {
  private readonly pending: Delivery[] = [];
  private running = false;

  constructor(
    private readonly handler: MessageHandler,
    private readonly onIdleChange: (delta: number) => void,
    private readonly redeliveryDelayMs: number,
    private readonly isStopping: () => boolean,
  ) {}

  push(delivery: Delivery): void {
    this.pending.push(delivery);
    this.onIdleChange(1);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending.length > 0) {
      const delivery = this.pending[0];
      // At-least-once: a failing handler gets the same message again; the partition waits (ordering).
      let failure: unknown = null;
      for (;;) {
        try {
          await this.handler(delivery.message);
          failure = null;
          break;
        } catch (error) {
          failure = error;
          if (this.isStopping()) break;
          await new Promise((resolve) => setTimeout(resolve, this.redeliveryDelayMs));
        }
      }
      this.pending.shift();
      this.onIdleChange(-1);
      if (failure === null) delivery.done();
      else delivery.abandon(failure);
    }
    this.running = false;
  }
}

export interface InProcessTransportOptions {
  partitions?: number;
  /** Pause before redelivering to a handler that threw (it is not Kafka's, but it keeps a hot loop off the CPU). */
  redeliveryDelayMs?: number;
}

/**
 * The standalone driver: topics, partitions and consumer groups in memory. `publish`
 * resolves when every subscribed group has handled the messages, so the outbox marks a row
 * published only once its effect is committed by every consumer: a crash before that
 * leaves the row unpublished and the relay sends it again (consumers dedupe by event id).
 */
export class InProcessTransport implements MessageTransport {
  readonly kind = 'in-process' as const;
  private readonly partitions: number;
  private readonly redeliveryDelayMs: number;
  private readonly topics = new Set<string>();
  /** topic → group → partition queues */
  private readonly groups = new Map<string, Map<string, PartitionQueue[]>>();
  private readonly offsets = new Map<string, number>();
  private roundRobin = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private started = false;
  private stopping = false;

  constructor(options: InProcessTransportOptions = {}) {
    this.partitions = options.partitions ?? 4;
    this.redeliveryDelayMs = options.redeliveryDelayMs ?? 20;
  }

  async ensureTopics(topics: string[]): Promise<void> {
    topics.forEach((t) => this.topics.add(t));
  }

  async subscribe(subscription: Subscription): Promise<void> {
    if (this.started) throw new Error('subscribe before start(): late subscribers would miss messages');
    this.topics.add(subscription.topic);
    const byGroup = this.groups.get(subscription.topic) ?? new Map<string, PartitionQueue[]>();
    if (byGroup.has(subscription.groupId)) {
      throw new Error(`group '${subscription.groupId}' already subscribes to '${subscription.topic}'`);
    }
    byGroup.set(
      subscription.groupId,
      Array.from(
        { length: this.partitions },
        () =>
          new PartitionQueue(
            subscription.handler,
            (delta) => this.track(delta),
            this.redeliveryDelayMs,
            () => this.stopping,
          ),
      ),
    );
    this.groups.set(subscription.topic, byGroup);
  }

  async start(): Promise<void> {
    this.started = true;
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('transport is stopping'));
    const byGroup = this.groups.get(topic);
    const deliveries: Promise<void>[] = [];
    for (const message of messages) {
      const partition = partitionForKey(message.key, this.partitions, () => this.roundRobin++);
      const offsetKey = `${topic}#${partition}`;
      const offset = this.offsets.get(offsetKey) ?? 0;
      this.offsets.set(offsetKey, offset + 1);
      const incoming: IncomingMessage = {
        topic,
        partition,
        offset: String(offset),
        key: message.key,
        value: message.value,
        headers: message.headers ?? {},
      };
      // Enqueued synchronously, in call order: per-key order is the order of publish calls.
      for (const queues of byGroup?.values() ?? []) {
        deliveries.push(
          new Promise<void>((done, abandon) => queues[partition].push({ message: incoming, done, abandon })),
        );
      }
    }
    return Promise.all(deliveries).then(() => undefined);
  }

  /** Resolves when no message is queued or being handled (for simulated-clock drivers and tests). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pendingMessages(): number {
    return this.inFlight;
  }

  /** In memory there is nowhere to leave messages for later: waits until everything published is handled. */
  async stopConsuming(): Promise<void> {
    await this.whenIdle();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.whenIdle();
  }

  private track(delta: number): void {
    this.inFlight += delta;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }
}
