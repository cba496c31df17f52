import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  DagDefinition,
  DataInterval,
  describeSchedule,
  dueRuns,
  nextPlannedRun,
  runScheduleForDag,
} from '@tributary/domain';
import {
  OutboxRelay,
  RunRequestedPayload,
  TOPICS,
  TopicCatalog,
  enqueueOutbox,
  envelope,
} from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE, DagRegistry, OUTBOX_RELAY, TOPIC_CATALOG } from '@tributary/runtime';
import { BackfillService } from './backfill.service';

export interface ManualRunRequest {
  logicalDate?: Date;
  conf?: Record<string, unknown>;
  runId?: string;
  idempotencyKey?: string;
  note?: string;
}

interface DueDagRow {
  dag_id: string;
  definition: DagDefinition;
  deployed_at: Date;
  last_interval_start: Date | null;
  last_interval_end: Date | null;
}

/**
 * Turns the clock into `run.requested` events (DESIGN §2): for each DAG due, every missed
 * interval (catchup) or only the latest, in one transaction with its bookkeeping, so a
 * crash or a second scheduler never loses or duplicates a run.
 */
@Injectable()
export class SchedulerService {
  private readonly logger = new Logger('Scheduler');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
    private readonly backfills: BackfillService,
  ) {}

  /** Deploys a loaded bundle: upserts its DAGs, deactivates DAGs it no longer has, plans next runs. */
  async deployBundle(registry: DagRegistry): Promise<void> {
    const now = this.clock.now();
    // A first deploy anchors interval DAGs without a start date: on a whole minute, not at 11:15:06.174.
    const deployedAt = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    await this.db.transaction(async (em) => {
      for (const { definition, file } of registry.all()) {
        await em.query(
          `INSERT INTO dags (dag_id, bundle_version, file, definition, timezone, schedule_kind, schedule_description,
             deployed_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           ON CONFLICT (dag_id) DO UPDATE SET bundle_version = $2, file = $3, definition = $4, timezone = $5,
             schedule_kind = $6, schedule_description = $7, is_active = true, updated_at = EXCLUDED.updated_at`,
          [
            definition.dagId,
            registry.bundleVersion,
            file,
            definition,
            definition.timezone,
            definition.schedule.kind,
            describeSchedule(definition),
            deployedAt,
          ],
        );
        await this.replan(em, definition.dagId, now);
      }
      const ids = registry.all().map((d) => d.definition.dagId);
      await em.query(
        `UPDATE dags SET is_active = false, next_run_after = NULL WHERE NOT (dag_id = ANY($1::text[]))`,
        [ids],
      );
    });
  }

  /** Creates the runs of every DAG due now, then steps the backfills. Returns how many runs were requested. */
  async tick(): Promise<number> {
    let requested = 0;
    for (;;) {
      const { dags, runs } = await this.db.transaction(async (em) => {
        const now = this.clock.now();
        const due: DueDagRow[] = await em.query(
          `SELECT dag_id, definition, deployed_at, last_interval_start, last_interval_end FROM dags
           WHERE is_active AND NOT is_paused AND next_run_after <= $1
           ORDER BY next_run_after LIMIT 20 FOR UPDATE SKIP LOCKED`,
          [now],
        );
        let count = 0;
        for (const dag of due) count += await this.scheduleDag(em, dag, now);
        return { dags: due.length, runs: count };
      });
      requested += runs;
      if (dags < 20) break;
    }
    if (requested > 0) this.relay.kick();
    return requested + (await this.backfills.tick());
  }

  /** When the scheduler next has something to do (for a simulated clock), or null. */
  async nextDue(): Promise<Date | null> {
    const [row] = await this.db.manager.query(
      `SELECT min(next_run_after) AS due FROM dags WHERE is_active AND NOT is_paused`,
    );
    const scheduled: Date | null = row?.due ?? null;
    const backfill = await this.backfills.nextDue();
    return scheduled && backfill ? (scheduled < backfill ? scheduled : backfill) : (scheduled ?? backfill);
  }

  /**
   * Pauses (no new scheduled runs) or unpauses (planned again from now) a DAG. `inSameTransaction`
   * runs after the change, in its transaction (e.g. releasing an asset-scheduled DAG's queued
   * events on unpause), so both commit or neither does. False when the DAG is unknown.
   */
  async setPaused(
    dagId: string,
    paused: boolean,
    inSameTransaction?: (em: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    const changed = await this.db.transaction(async (em) => {
      const [, affected] = await em.query(
        `UPDATE dags SET is_paused = $2, updated_at = $3 WHERE dag_id = $1`,
        [dagId, paused, this.clock.now()],
      );
      if (affected === 0) return false;
      if (!paused) await this.replan(em, dagId, this.clock.now());
      await inSameTransaction?.(em);
      return true;
    });
    // What the callback enqueued (run requests) goes out now rather than at the next sweep.
    if (changed && inSameTransaction) this.relay.kick();
    return changed;
  }

  /** A manual run: `run.requested` with runType manual, through the outbox. Returns its run id. */
  async requestManualRun(dagId: string, request: ManualRunRequest = {}): Promise<string | null> {
    return (await this.requestRun(dagId, 'manual', request))?.runId ?? null;
  }

  /**
   * A run asked for from outside the schedule (`manual` over REST, `external` from a webhook):
   * `run.requested` through the outbox. With an idempotency key, the key is recorded in the
   * same transaction, so a repeat answers the first request's run id and enqueues nothing
   * (the run itself may not exist yet: the coordinator creates it). `inSameTransaction` runs
   * first and may throw to refuse the request (a replayed webhook). Null when the DAG is unknown.
   */
  async requestRun(
    dagId: string,
    runType: 'manual' | 'external',
    request: ManualRunRequest = {},
    inSameTransaction?: (em: EntityManager) => Promise<void>,
  ): Promise<{ runId: string; duplicate: boolean } | null> {
    const now = this.clock.now();
    const logicalDate = request.logicalDate ?? now;
    const runId = request.runId ?? `${runType}__${logicalDate.toISOString()}`;
    const result = await this.db.transaction(async (em) => {
      const [dag] = await em.query(`SELECT 1 FROM dags WHERE dag_id = $1 AND is_active`, [dagId]);
      if (!dag) return null;
      await inSameTransaction?.(em);
      if (request.idempotencyKey) {
        const recorded = await em.query(
          `INSERT INTO run_requests (dag_id, idempotency_key, run_id, requested_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING run_id`,
          [dagId, request.idempotencyKey, runId, now],
        );
        if (recorded.length === 0) {
          const [first] = await em.query(
            `SELECT run_id FROM run_requests WHERE dag_id = $1 AND idempotency_key = $2`,
            [dagId, request.idempotencyKey],
          );
          return { runId: first.run_id as string, duplicate: true };
        }
      }
      const payload: RunRequestedPayload = {
        dagId,
        runType,
        runId,
        logicalDate: logicalDate.toISOString(),
        conf: request.conf ?? {},
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        ...(request.note ? { note: request.note } : {}),
      };
      await enqueueOutbox(
        em,
        this.topics.name(TOPICS.runRequested),
        dagId,
        envelope('run.requested', payload, now),
      );
      return { runId, duplicate: false };
    });
    if (result && !result.duplicate) this.relay.kick();
    return result;
  }

  private async scheduleDag(em: EntityManager, dag: DueDagRow, now: Date): Promise<number> {
    const schedule = runScheduleForDag(dag.definition, dag.deployed_at);
    if (!schedule) {
      await em.query(`UPDATE dags SET next_run_after = NULL WHERE dag_id = $1`, [dag.dag_id]);
      return 0;
    }
    const last = lastIntervalOf(dag);
    const runs = dueRuns(schedule, last, now, 1000);
    for (const run of runs) {
      const payload: RunRequestedPayload = {
        dagId: dag.dag_id,
        runType: 'scheduled',
        runId: `scheduled__${run.logicalDate.toISOString()}`,
        logicalDate: run.logicalDate.toISOString(),
        dataIntervalStart: run.dataInterval.start.toISOString(),
        dataIntervalEnd: run.dataInterval.end.toISOString(),
      };
      await enqueueOutbox(
        em,
        this.topics.name(TOPICS.runRequested),
        dag.dag_id,
        envelope('run.requested', payload, now),
      );
    }
    const latest = runs.length > 0 ? runs[runs.length - 1].dataInterval : last;
    const next = nextPlannedRun(schedule, latest, now);
    await em.query(
      `UPDATE dags SET last_interval_start = $2, last_interval_end = $3, next_logical_date = $4, next_run_after = $5
       WHERE dag_id = $1`,
      [
        dag.dag_id,
        latest?.start ?? null,
        latest?.end ?? null,
        next?.logicalDate ?? null,
        next?.runAfter ?? null,
      ],
    );
    if (runs.length > 1) this.logger.log(`${dag.dag_id}: caught up ${runs.length} intervals`);
    return runs.length;
  }

  /** Recomputes when a DAG is next due (after a deploy or an unpause). */
  private async replan(em: EntityManager, dagId: string, now: Date): Promise<void> {
    const [dag]: DueDagRow[] = await em.query(
      `SELECT dag_id, definition, deployed_at, last_interval_start, last_interval_end FROM dags WHERE dag_id = $1`,
      [dagId],
    );
    const schedule = dag && runScheduleForDag(dag.definition, dag.deployed_at);
    const last = dag ? lastIntervalOf(dag) : null;
    const next = schedule ? nextPlannedRun(schedule, last, now) : null;
    await em.query(`UPDATE dags SET next_logical_date = $2, next_run_after = $3 WHERE dag_id = $1`, [
      dagId,
      next?.logicalDate ?? null,
      next?.runAfter ?? null,
    ]);
  }
}

/** The data interval of the latest scheduled run the scheduler created for a DAG, if any. */
function lastIntervalOf(
  dag: Pick<DueDagRow, 'last_interval_start' | 'last_interval_end'>,
): DataInterval | null {
  return dag.last_interval_start && dag.last_interval_end
    ? { start: dag.last_interval_start, end: dag.last_interval_end }
    : null;
}
