import * as os from 'os';
import { Database } from './database';

/**
 * The `workers` rows of executors and triggerers: a heartbeat is their evidence of life (the
 * reaper retries a silent executor's tries; another triggerer adopts a silent one's triggers).
 */
export async function registerWorker(
  db: Database,
  worker: { workerId: string; kind: 'executor' | 'triggerer'; slots: number },
  now: Date,
): Promise<void> {
  await db.manager.query(
    `INSERT INTO workers (worker_id, kind, hostname, slots, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (worker_id) DO UPDATE SET kind = $2, slots = $4, started_at = $5, heartbeat_at = $5, stopped_at = NULL`,
    [worker.workerId, worker.kind, os.hostname(), worker.slots, now],
  );
}

export async function heartbeatWorker(db: Database, workerId: string, now: Date): Promise<void> {
  await db.manager.query(`UPDATE workers SET heartbeat_at = $2 WHERE worker_id = $1`, [workerId, now]);
}

/** A stopped worker holds nothing any more: its work is for others at once, without waiting for the timeout. */
export async function markWorkerStopped(db: Database, workerId: string, now: Date): Promise<void> {
  await db.manager.query(`UPDATE workers SET stopped_at = $2 WHERE worker_id = $1`, [workerId, now]);
}
