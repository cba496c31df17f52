import { randomUUID } from 'crypto';
import { EntityManager } from 'typeorm';
import { Envelope } from '../contracts/envelope';

/**
 * This process's outbox identity: rows it writes are published by its own relay right after
 * commit; other processes' relays leave them alone unless they are orphaned (see OutboxRelay).
 */
export const OUTBOX_PRODUCER_ID = `${process.pid}-${randomUUID()}`;

/**
 * Writes a message in the caller's transaction (DESIGN §3.2): it is published only if the
 * state change commits, and it is never lost once it has.
 */
export async function enqueueOutbox(
  manager: EntityManager,
  topic: string,
  key: string | null,
  message: Envelope,
  headers: Record<string, string> = {},
): Promise<void> {
  await manager.query(
    `INSERT INTO outbox (topic, message_key, payload, headers, created_at, producer) VALUES ($1, $2, $3, $4, $5, $6)`,
    [topic, key, message, headers, new Date(), OUTBOX_PRODUCER_ID],
  );
}

/**
 * Inbox (DESIGN §3.3): records that `group` handled `eventId`, in the caller's transaction.
 * False means it was handled before: skip the effect.
 */
export async function recordProcessedEvent(
  manager: EntityManager,
  group: string,
  eventId: string,
  at: Date,
): Promise<boolean> {
  const rows = await manager.query(
    `INSERT INTO processed_events (consumer_group, event_id, processed_at) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [group, eventId, at],
  );
  return rows.length > 0;
}
