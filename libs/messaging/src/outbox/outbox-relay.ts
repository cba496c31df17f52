import { Logger } from '@nestjs/common';
import { Database } from '@tributary/persistence';
import { MessageTransport, OutgoingMessage } from '../transport/message-transport';
import { OUTBOX_PRODUCER_ID } from './outbox';

export interface OutboxRelayOptions {
  batchSize?: number;
  /** How often to sweep for rows a crash or a failed publish left behind. */
  sweepIntervalMs?: number;
  /** Published rows older than this are deleted by the sweep. */
  retainPublishedMs?: number;
  /**
   * Unpublished rows of another process older than this are taken over (their writer
   * crashed or cannot reach the broker). Both may then publish a row: consumers dedupe.
   */
  orphanAfterMs?: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string | null;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Publishes outbox rows: right after a commit (`kick()`, for latency) and on a periodic
 * sweep (for what a crash or a failed publish left). A row is marked published only when
 * the transport says it is durable; until then it may be sent again, which consumers
 * dedupe. Rows are handed to the transport in id order, so per-key order is commit order.
 */
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private readonly batchSize: number;
  private readonly sweepIntervalMs: number;
  private readonly retainPublishedMs: number;
  private readonly orphanAfterMs: number;
  private cursor = 0n;
  private readonly inFlight = new Set<string>();
  private readonly inFlightPublishes = new Set<Promise<void>>();
  private passRunning: Promise<void> | null = null;
  private kicked = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  published = 0;

  constructor(
    private readonly db: Database,
    private readonly transport: MessageTransport,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    this.retainPublishedMs = options.retainPublishedMs ?? 60 * 60 * 1000;
    this.orphanAfterMs = options.orphanAfterMs ?? 10_000;
  }

  start(): void {
    this.stopped = false;
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.sweepTimer.unref();
    this.kick();
  }

  /** Publish what was just committed. Cheap and coalesced: call it after every commit that wrote the outbox. */
  kick(): void {
    if (this.stopped) return;
    this.kicked = true;
    if (!this.passRunning) {
      this.passRunning = this.runPasses().finally(() => {
        this.passRunning = null;
        this.notifyIfIdle();
      });
    }
  }

  /** Resolves when nothing is waiting to be read or published. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sweeping, publishes what is committed, and waits for in-flight publishes. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.kick();
    await this.whenIdle();
    this.stopped = true;
  }

  private sweep(): void {
    // Rescan from the start: rows skipped by a failed publish are found again (in-flight ones are not resent).
    this.cursor = 0n;
    this.kick();
    void this.db.manager
      .query(`DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1`, [
        new Date(Date.now() - this.retainPublishedMs),
      ])
      .catch((error) => this.logger.warn(`outbox cleanup failed: ${(error as Error).message}`));
  }

  private async runPasses(): Promise<void> {
    while (this.kicked) {
      this.kicked = false;
      try {
        let full = true;
        while (full) {
          const rows: OutboxRow[] = await this.db.manager.query(
            `SELECT id, topic, message_key, payload, headers FROM outbox
             WHERE published_at IS NULL AND id > $1
               AND (producer = $3 OR producer IS NULL OR created_at < $4)
             ORDER BY id LIMIT $2`,
            [
              this.cursor.toString(),
              this.batchSize,
              OUTBOX_PRODUCER_ID,
              new Date(Date.now() - this.orphanAfterMs),
            ],
          );
          full = rows.length === this.batchSize;
          if (rows.length > 0) this.cursor = BigInt(rows[rows.length - 1].id);
          this.dispatch(rows.filter((row) => !this.inFlight.has(row.id)));
        }
      } catch (error) {
        this.logger.warn(`outbox pass failed, the sweep will retry: ${(error as Error).message}`);
      }
    }
  }

  /** Hands consecutive rows of the same topic to the transport together, in id order. */
  private dispatch(rows: OutboxRow[]): void {
    let start = 0;
    while (start < rows.length) {
      let end = start + 1;
      while (end < rows.length && rows[end].topic === rows[start].topic) end++;
      this.publishGroup(rows.slice(start, end));
      start = end;
    }
  }

  private publishGroup(rows: OutboxRow[]): void {
    const ids = rows.map((r) => r.id);
    ids.forEach((id) => this.inFlight.add(id));
    const messages: OutgoingMessage[] = rows.map((row) => ({
      key: row.message_key,
      value: JSON.stringify(row.payload),
      headers: row.headers ?? {},
    }));
    const publish = this.transport
      .publish(rows[0].topic, messages)
      .then(async () => {
        await this.db.manager.query(`UPDATE outbox SET published_at = $2 WHERE id = ANY($1::bigint[])`, [
          ids,
          new Date(),
        ]);
        this.published += ids.length;
      })
      .catch((error) => {
        this.logger.warn(
          `publishing ${ids.length} outbox rows failed, the sweep will retry: ${(error as Error).message}`,
        );
      })
      .finally(() => {
        ids.forEach((id) => this.inFlight.delete(id));
        this.inFlightPublishes.delete(publish);
        this.notifyIfIdle();
      });
    this.inFlightPublishes.add(publish);
  }

  private isIdle(): boolean {
    return !this.passRunning && !this.kicked && this.inFlightPublishes.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}
