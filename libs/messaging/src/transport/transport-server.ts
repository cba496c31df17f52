import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DeadLetterPayload } from '../contracts/events';
import { envelope } from '../contracts/envelope';
import { MalformedMessageError, PoisonMessageError, decodeMessage } from '../contracts/decode';
import { TOPICS, TopicCatalog, TopicName } from '../topics';
import { IncomingMessage, MessageTransport } from './message-transport';

/** What `@EventPattern(topic, { group })` handlers get as their context argument. */
export class TransportContext extends BaseRpcContext<[IncomingMessage, string]> {
  get message(): IncomingMessage {
    return this.args[0];
  }
  get groupId(): string {
    return this.args[1];
  }
}

export interface TransportServerOptions {
  /** Handler attempts before a message goes to the DLQ. */
  maxAttempts?: number;
  /** First pause between attempts; doubles each time. */
  retryBackoffMs?: number;
  /** Told about every attempt's outcome (for metrics). */
  onHandled?: (topic: string, group: string, outcome: 'handled' | 'failed_attempt' | 'dead_lettered') => void;
}

/**
 * Binds `@EventPattern('<topic>', { group: '<consumer group>' })` handlers to a transport
 * driver. Every message is validated against its topic's contract first: a malformed one,
 * or one whose handler failed `maxAttempts` times, goes to `tributary.dlq` with the reason
 * and the original value, and the partition keeps flowing. The driver commits (Kafka) or
 * acknowledges (in-process) only after the handler returned, i.e. after its transaction.
 */
export class TransportServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('TransportServer');
  private readonly maxAttempts: number;
  private readonly retryBackoffMs: number;
  private readonly onHandled: NonNullable<TransportServerOptions['onHandled']>;

  constructor(
    readonly transport: MessageTransport,
    readonly catalog: TopicCatalog,
    options: TransportServerOptions = {},
  ) {
    super();
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 50;
    this.onHandled = options.onHandled ?? (() => undefined);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.transport.ensureTopics(this.catalog.all());
      for (const [pattern, head] of this.messageHandlers) {
        const topic = pattern as TopicName;
        if (!(Object.values(TOPICS) as string[]).includes(topic))
          throw new Error(
            `@EventPattern('${pattern}') is not a catalog topic (${Object.values(TOPICS).join(', ')})`,
          );
        for (let handler: MessageHandler | undefined = head; handler; handler = handler.next) {
          if (!handler.isEventHandler) {
            throw new Error(
              `@MessagePattern('${pattern}'): request/reply is not supported over the bus; use @EventPattern`,
            );
          }
          const group = (handler.extras as { group?: string } | undefined)?.group;
          if (!group)
            throw new Error(
              `@EventPattern('${pattern}') needs a consumer group: @EventPattern('${pattern}', { group })`,
            );
          await this.transport.subscribe({
            topic: this.catalog.name(topic),
            groupId: this.catalog.group(group),
            handler: this.consumerFor(topic, group, handler),
          });
        }
      }
      await this.transport.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.transport.stop();
  }

  on(): void {
    // Transport status events are not exposed.
  }

  unwrap<T>(): T {
    return this.transport as unknown as T;
  }

  private consumerFor(topic: TopicName, group: string, handler: MessageHandler) {
    const kafkaGroup = this.catalog.group(group);
    return async (message: IncomingMessage): Promise<void> => {
      let event;
      try {
        event = decodeMessage(topic, message.value);
      } catch (error) {
        if (error instanceof MalformedMessageError) {
          await this.deadLetter(message, group, error.message, 0);
          return;
        }
        throw error;
      }
      let lastError: unknown;
      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        try {
          const result = await handler(event, new TransportContext([message, group]));
          await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
          this.onHandled(message.topic, kafkaGroup, 'handled');
          return;
        } catch (error) {
          lastError = error;
          this.onHandled(message.topic, kafkaGroup, 'failed_attempt');
          if (error instanceof PoisonMessageError) {
            await this.deadLetter(message, group, error.message, attempt);
            return;
          }
          if (attempt < this.maxAttempts) {
            await new Promise((resolve) => setTimeout(resolve, this.retryBackoffMs * 2 ** (attempt - 1)));
          }
        }
      }
      // The database or network is away, not the message at fault: leave it uncommitted, to be redelivered.
      if (isInfrastructureOutage(lastError)) throw lastError;
      const reason = `handler of group '${group}' failed ${this.maxAttempts} times: ${(lastError as Error)?.message ?? String(lastError)}`;
      await this.deadLetter(message, group, reason, this.maxAttempts);
    };
  }

  private async deadLetter(
    message: IncomingMessage,
    group: string,
    reason: string,
    attempts: number,
  ): Promise<void> {
    this.onHandled(message.topic, this.catalog.group(group), 'dead_lettered');
    this.logger.warn(
      `dead-lettered a message from ${message.topic}[${message.partition}]@${message.offset}: ${reason}`,
    );
    const payload: DeadLetterPayload = {
      topic: message.topic,
      consumerGroup: group,
      reason,
      key: message.key,
      partition: message.partition,
      offset: message.offset,
      originalValue: message.value,
      attempts,
    };
    await this.transport.publish(this.catalog.name(TOPICS.dlq), [
      { key: message.key, value: JSON.stringify(envelope('dead.letter', payload, new Date())) },
    ]);
  }
}

/** Socket-level and PostgreSQL connection errors (class 08, insufficient resources 53, admin shutdown, cannot connect now). */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
]);

export function isInfrastructureOutage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (OUTAGE_CODES.has(code) || code.startsWith('08') || code.startsWith('53')))
    return true;
  const message = (error as Error | null)?.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
