import { TopicMessage, TriggeringMessage } from '@tributary/domain';

type Position = Pick<TopicMessage, 'topic' | 'partition' | 'offset'>;

/** Messages consumed but not yet recorded: what the next flush writes, then commits. */
export interface PendingMessages {
  /** Every consumed message's position (triggering, skipped or dead): what the flush may commit. */
  positions: Position[];
  triggering: TriggeringMessage[];
  deadLetters: { message: TopicMessage; reason: string }[];
}

/**
 * The accumulator between Kafka and the database. A flush takes everything at once (so the
 * offsets it commits cover only what it recorded) and gives it back when it fails, ahead of
 * what arrived meanwhile (so order, and the offsets' meaning, are kept).
 */
export class PendingMessageBuffer {
  private pending: PendingMessages = empty();
  /** When the oldest pending message arrived (Date.now()), for maxWait. */
  firstAt: number | null = null;

  get triggeringCount(): number {
    return this.pending.triggering.length;
  }

  get isEmpty(): boolean {
    return this.pending.positions.length === 0;
  }

  addTriggering(message: TriggeringMessage): void {
    this.touch();
    this.pending.triggering.push(message);
    this.pending.positions.push(message.message);
  }

  addDeadLetter(message: TopicMessage, reason: string): void {
    this.touch();
    this.pending.deadLetters.push({ message, reason });
    this.pending.positions.push(message);
  }

  /** A message the filter did not select: nothing to record, but its offset is committed with the next flush. */
  addSkipped(position: Position): void {
    this.touch();
    this.pending.positions.push(position);
  }

  take(): PendingMessages {
    const taken = this.pending;
    this.pending = empty();
    this.firstAt = null;
    return taken;
  }

  /** Puts back what a failed flush took, ahead of what arrived since. */
  restore(taken: PendingMessages, firstAt: number): void {
    this.pending = {
      positions: [...taken.positions, ...this.pending.positions],
      triggering: [...taken.triggering, ...this.pending.triggering],
      deadLetters: [...taken.deadLetters, ...this.pending.deadLetters],
    };
    this.firstAt = Math.min(firstAt, this.firstAt ?? firstAt);
  }

  clear(): void {
    this.take();
  }

  private touch(): void {
    this.firstAt ??= Date.now();
  }
}

function empty(): PendingMessages {
  return { positions: [], triggering: [], deadLetters: [] };
}
