import { EntityManager } from 'typeorm';
import { queryRows } from '@tributary/persistence';
import { AlertKind, AlertPayload, AlertSeverity } from '../contracts/events';
import { envelope } from '../contracts/envelope';
import { TOPICS, TopicCatalog } from '../topics';
import { enqueueOutbox } from './outbox';

/**
 * Alerts are rows first (DESIGN §3.2): `alerts` is unique on (kind, subject), so an alert is
 * raised once however many timers or replicas notice the miss, and recovered once. Each
 * change goes to `tributary.alerts` through the outbox in the caller's transaction.
 */
export interface AlertToRaise {
  kind: AlertKind;
  subject: string;
  severity: AlertSeverity;
  message: string;
  dagId?: string;
  runId?: string;
  asset?: string;
  partition?: string;
  deadline?: Date;
  details?: Record<string, unknown>;
}

interface AlertRow {
  id: string;
  kind: AlertKind;
  subject: string;
  severity: AlertSeverity;
  message: string;
  dag_id: string | null;
  run_id: string | null;
  asset: string | null;
  partition: string | null;
  deadline: Date | null;
  details: Record<string, unknown>;
  raised_at: Date;
  recovered_at: Date | null;
  recovery_message: string | null;
}

/** The subject of a run's deadline alert: the coordinator and the assets service must agree on it. */
export const runDeadlineSubject = (dagId: string, runId: string) => `run:${dagId}:${runId}`;

const RETURNING = `RETURNING id, kind, subject, severity, message, dag_id, run_id, asset, partition, deadline, details,
  raised_at, recovered_at, recovery_message`;

/** Raises the alert unless (kind, subject) was raised before. True when this call raised it. */
export async function raiseAlert(
  em: EntityManager,
  topics: TopicCatalog,
  alert: AlertToRaise,
  now: Date,
): Promise<boolean> {
  const rows = await queryRows<AlertRow>(
    em,
    `INSERT INTO alerts (kind, subject, severity, message, dag_id, run_id, asset, partition, deadline, details, raised_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (kind, subject) DO NOTHING ${RETURNING}`,
    [
      alert.kind,
      alert.subject,
      alert.severity,
      alert.message,
      alert.dagId ?? null,
      alert.runId ?? null,
      alert.asset ?? null,
      alert.partition ?? null,
      alert.deadline ?? null,
      alert.details ?? {},
      now,
    ],
  );
  for (const row of rows) await publishAlert(em, topics, row, now);
  return rows.length > 0;
}

/**
 * Recovers the open alerts matching `where` (kind and subject, or kind and asset with no
 * partition for max-lag contracts). Returns how many it closed.
 */
export async function recoverAlerts(
  em: EntityManager,
  topics: TopicCatalog,
  where:
    | { kind: AlertKind; subject: string }
    | { kind: AlertKind; asset: string; partition: null }
    | { kind: AlertKind; dagId: string; partition: null },
  message: string,
  now: Date,
): Promise<number> {
  const rows: AlertRow[] =
    'subject' in where
      ? await queryRows<AlertRow>(
          em,
          `UPDATE alerts SET recovered_at = $3, recovery_message = $4
           WHERE kind = $1 AND subject = $2 AND recovered_at IS NULL ${RETURNING}`,
          [where.kind, where.subject, now, message],
        )
      : await queryRows<AlertRow>(
          em,
          `UPDATE alerts SET recovered_at = $3, recovery_message = $4
           WHERE kind = $1 AND ${'asset' in where ? 'asset' : 'dag_id'} = $2 AND partition IS NULL AND recovered_at IS NULL
           ${RETURNING}`,
          [where.kind, 'asset' in where ? where.asset : where.dagId, now, message],
        );
  for (const row of rows) await publishAlert(em, topics, row, now);
  return rows.length;
}

function publishAlert(em: EntityManager, topics: TopicCatalog, row: AlertRow, now: Date): Promise<void> {
  const recovery = row.recovered_at !== null;
  const payload: AlertPayload = {
    alertId: String(row.id),
    kind: row.kind,
    subject: row.subject,
    severity: recovery ? 'info' : row.severity,
    message: recovery ? (row.recovery_message ?? row.message) : row.message,
    ...(row.dag_id ? { dagId: row.dag_id } : {}),
    ...(row.run_id ? { runId: row.run_id } : {}),
    ...(row.asset ? { asset: row.asset } : {}),
    ...(row.partition ? { partition: row.partition } : {}),
    ...(row.deadline ? { deadline: new Date(row.deadline).toISOString() } : {}),
    raisedAt: new Date(row.raised_at).toISOString(),
    recovery,
    ...(recovery ? { recoveredAt: new Date(row.recovered_at as Date).toISOString() } : {}),
    ...(Object.keys(row.details ?? {}).length ? { details: row.details } : {}),
  };
  return enqueueOutbox(em, topics.name(TOPICS.alerts), row.subject, envelope('alert', payload, now));
}
