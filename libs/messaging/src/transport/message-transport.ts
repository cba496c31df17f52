import { fnv1a32 } from '@tributary/domain';

/**
 * One interface, several drivers (in-process for standalone mode, Kafka for distributed mode). The semantics are Kafka's:
 * - a message has a key; messages with the same key go to the same partition, in order;
 * - every consumer group sees every message of a topic it subscribes to; within a group a
 *   partition is processed by one consumer, one message at a time, in order;
 * - delivery is at-least-once: a handler that throws gets the message again, so handlers
 *   must be idempotent (the inbox makes them so);
 * - `publish` resolves once the messages are durable: acknowledged by the broker (Kafka),
 *   or handled by every subscribed group (in-process, where memory is not durable).
 */
export interface OutgoingMessage {
  key: string | null;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface Subscription {
  topic: string;
  groupId: string;
  handler: MessageHandler;
}

export interface MessageTransport {
  readonly kind: 'in-process' | 'kafka';
  /** Creates topics that do not exist yet (never relies on broker auto-creation). */
  ensureTopics(topics: string[]): Promise<void>;
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Registers a consumer; consumption starts with `start()`. */
  subscribe(subscription: Subscription): Promise<void>;
  start(): Promise<void>;
  /**
   * First step of a graceful shutdown: no new messages are handed to handlers and handlers in
   * progress finish (their database work commits; Kafka may redeliver their messages after a
   * restart, which the inbox dedupes); publishing still works so the outbox can drain.
   */
  stopConsuming(): Promise<void>;
  /** Stops consuming, lets in-flight handlers finish, then disconnects. */
  stop(): Promise<void>;
}

/** Kafka's default partitioner family: a stable hash of the key. */
export function partitionForKey(key: string | null, partitions: number, roundRobin: () => number): number {
  if (key === null) return roundRobin() % partitions;
  return fnv1a32(key) % partitions;
}
