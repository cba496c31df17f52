import { EntityManager } from 'typeorm';

/**
 * Durable timers (DESIGN §3.8): rows with a due time, fired by their owner's tick. A timer key
 * is unique, so setting the same timer twice is harmless; `onConflict` says what a second set
 * does: keep the first, replace it, or replace it only when its payload's `contract` changed
 * (a redeploy must not move a pending deadline of an unchanged contract).
 */
export type TimerOwner = 'coordinator' | 'assets';

export interface TimerToSet {
  owner: TimerOwner;
  kind: string;
  key: string;
  dueAt: Date;
  payload: Record<string, unknown>;
}

export async function setTimer(
  em: EntityManager,
  timer: TimerToSet,
  now: Date,
  onConflict: 'keep' | 'replace' | 'replace-if-contract-changed' = 'keep',
): Promise<void> {
  const conflict = {
    keep: 'DO NOTHING',
    replace: 'DO UPDATE SET kind = $1, due_at = $3, payload = $4',
    'replace-if-contract-changed': `DO UPDATE SET kind = $1, due_at = $3, payload = $4
      WHERE timers.kind <> $1 OR (timers.payload -> 'contract') IS DISTINCT FROM ($4::jsonb -> 'contract')`,
  }[onConflict];
  await em.query(
    `INSERT INTO timers (kind, timer_key, due_at, payload, created_at, owner) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (timer_key) ${conflict}`,
    [timer.kind, timer.key, timer.dueAt, timer.payload, now, timer.owner],
  );
}
