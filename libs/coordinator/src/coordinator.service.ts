import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  DagDefinition,
  IllegalTransitionError,
  RunDeadlineDefinition,
  TriggerSpec,
  describeSensorCheck,
  TaskDefinition,
  TaskInstanceEvent,
  TaskInstanceState,
  canTransitionTaskInstance,
  decideAfterFailure,
  describeDuration,
  downstreamTaskIds,
  durationMs,
  evaluateTriggerRule,
  isTerminalTaskInstanceState,
  pokeDelayMs,
  PIECE_LIMIT_MS,
  timetableForDag,
  describeRunDeadline,
  runDeadlineAt,
  resolveSensorCheck,
  retryPolicyFrom,
  topologicalOrder,
  transitionRun,
  transitionTaskInstance,
} from '@tributary/domain';
import {
  OutboxRelay,
  PoisonMessageError,
  RunRequestedEvent,
  RunRequestedPayload,
  TOPICS,
  TaskEventEvent,
  TaskEventPayload,
  TopicCatalog,
  TriggerFiredEvent,
  TriggerFiredPayload,
  TriggerPayload,
  enqueueOutbox,
  envelope,
  raiseAlert,
  recordProcessedEvent,
  recoverAlerts,
  runDeadlineSubject,
} from '@tributary/messaging';
import { inputAssetsOf, inputFreshness } from '@tributary/assets';
import { Database, queryRows, setTimer } from '@tributary/persistence';
import {
  CLOCK,
  Clock,
  DATABASE,
  OUTBOX_RELAY,
  RUNTIME_OPTIONS,
  RuntimeOptions,
  TOPIC_CATALOG,
} from '@tributary/runtime';
import { DateTime } from 'luxon';
import { ClearOptions, ClearPlan, planClear } from './clear-plan';

export const COORDINATOR_GROUP = 'coordinator';

interface TiRow {
  id: string;
  task_id: string;
  state: TaskInstanceState;
  try_number: number;
  continues_try: boolean;
  tries_before_clear: number;
  /** A deferred sensor's trigger fired and left work (onMet) for an executor. */
  fired?: boolean;
}

interface RunRow {
  id: string;
  run_id: string;
  dag_id: string;
  state: string;
  logical_date: Date;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  bundle_version: string;
}

/**
 * Owns run and task-instance state (DESIGN §2, §3). Every change is one transaction that
 * locks the DAG row first (so `maxActiveRuns`/`maxActiveTasks` hold across replicas),
 * checks the transition with the domain state machine, and writes its messages to the
 * outbox. Duplicated or stale events change nothing.
 */
@Injectable()
export class CoordinatorService {
  private readonly logger = new Logger('Coordinator');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
    @Inject(RUNTIME_OPTIONS) private readonly options: RuntimeOptions,
  ) {}

  async onRunRequested(event: RunRequestedEvent): Promise<void> {
    await this.db.transaction(async (em) => {
      if (!(await recordProcessedEvent(em, COORDINATOR_GROUP, event.eventId, this.clock.now()))) return;
      await this.createRun(em, event.payload);
    });
    this.relay.kick();
  }

  /** A deferred sensor's trigger fired (possibly twice: only the first counts). */
  async onTriggerFired(event: TriggerFiredEvent): Promise<void> {
    await this.db.transaction(async (em) => {
      if (!(await recordProcessedEvent(em, COORDINATOR_GROUP, event.eventId, this.clock.now()))) return;
      await this.applyTriggerFired(em, event.payload);
    });
    this.relay.kick();
  }

  async onTaskEvent(event: TaskEventEvent): Promise<void> {
    await this.db.transaction(async (em) => {
      if (!(await recordProcessedEvent(em, COORDINATOR_GROUP, event.eventId, this.clock.now()))) return;
      await this.applyTaskResult(em, event.payload);
    });
    this.relay.kick();
  }

  /** Fires due timers (retry delays) and retries the TIs of dead workers. Returns how much it did. */
  async tick(): Promise<number> {
    let done = 0;
    for (;;) {
      const handled = await this.db.transaction(async (em) => {
        const due: { id: string; kind: string; payload: Record<string, unknown> }[] = await em.query(
          `SELECT id, kind, payload FROM timers WHERE owner = 'coordinator' AND due_at <= $1
           ORDER BY due_at, id LIMIT 50 FOR UPDATE SKIP LOCKED`,
          [this.clock.now()],
        );
        for (const timer of due) {
          await this.fireTimer(em, timer.kind, timer.payload);
          await em.query(`DELETE FROM timers WHERE id = $1`, [timer.id]);
        }
        return due.length;
      });
      done += handled;
      if (handled < 50) break;
    }
    done += await this.reapDeadWorkers();
    if (done > 0) this.relay.kick();
    return done;
  }

  /** The earliest timer, so a simulated clock knows where to jump next. */
  async nextTimerDue(): Promise<Date | null> {
    const [row] = await this.db.manager.query(
      `SELECT min(due_at) AS due FROM timers WHERE owner = 'coordinator'`,
    );
    return row?.due ?? null;
  }

  /**
   * Clears task instances of a run so they run again (new tries, full retry budget), and
   * with `downstream` every task after them; the run resumes and successful TIs upstream
   * keep their state. Returns the task ids cleared (see `clear` for the options).
   */
  async clearTaskInstances(
    dagId: string,
    runId: string,
    taskIds: string[],
    options: ClearOptions = {},
  ): Promise<string[]> {
    return (await this.clear(dagId, runId, taskIds, options)).cleared;
  }

  /**
   * The operator's clear, in one transaction under the DAG row lock. `planClear` picks the TIs
   * (only failed ones of those named by default, `downstream` adds the finished ones after
   * them; a queued or running TI is refused); a dry run answers the same plan and writes
   * nothing. Cleared TIs go back to scheduled with a fresh retry budget, a finished run resumes.
   */
  async clear(
    dagId: string,
    runId: string,
    taskIds: string[],
    options: ClearOptions = {},
  ): Promise<ClearPlan & { dryRun: boolean }> {
    const dryRun = options.dryRun ?? false;
    const plan = await this.db.transaction(async (em) => {
      const locked = await this.lockDag(em, dagId);
      const def = locked.def;
      const run = await this.findRun(em, dagId, runId);
      const unknown = taskIds.filter((t) => !def.tasks.some((d) => d.taskId === t));
      if (unknown.length)
        throw new NotFoundError(`DAG '${dagId}' has no task ${unknown.map((t) => `'${t}'`).join(', ')}`);
      const tis: TiRow[] = await em.query(
        `SELECT id, task_id, state, try_number, continues_try, tries_before_clear FROM task_instances
         WHERE run_pk = $1 ORDER BY id FOR UPDATE`,
        [run.id],
      );
      const planned = planClear(def.tasks, new Map(tis.map((t) => [t.task_id, t.state])), taskIds, options);
      if (dryRun || planned.cleared.length === 0) return planned;
      const now = this.clock.now();
      const byTask = new Map(tis.map((t) => [t.task_id, t]));
      for (const taskId of planned.cleared) await this.clearTi(em, byTask.get(taskId)!, now);
      await this.resumeFinishedRun(em, run);
      await this.advanceDag(em, locked, run.id);
      return planned;
    });
    if (!dryRun) this.relay.kick();
    return { ...plan, dryRun };
  }

  /**
   * The operator's override of a TI's state (`mark_success` / `mark_failed` of the state
   * machine), in one transaction under the DAG row lock. The TI's open try ends with it
   * (exit reason `marked_success` / `marked_failed`); an executor's later result for that try
   * is then illegal and ignored. Marked success, the upstream_failed TIs after it are cleared
   * so the trigger rules decide again; marked failed, the ones still scheduled fail by them.
   * A finished run resumes and settles again. Outlets publish no asset event: nothing was produced.
   */
  async markTaskInstance(
    dagId: string,
    runId: string,
    taskId: string,
    state: 'success' | 'failed',
    by?: string,
  ): Promise<{ previousState: TaskInstanceState; state: TaskInstanceState }> {
    const result = await this.db.transaction(async (em) => {
      const locked = await this.lockDag(em, dagId);
      const def = locked.def;
      const run = await this.findRun(em, dagId, runId);
      if (!def.tasks.some((t) => t.taskId === taskId))
        throw new NotFoundError(`DAG '${dagId}' has no task '${taskId}'`);
      const tis: TiRow[] = await em.query(
        `SELECT id, task_id, state, try_number, continues_try, tries_before_clear FROM task_instances
         WHERE run_pk = $1 ORDER BY id FOR UPDATE`,
        [run.id],
      );
      const ti = tis.find((t) => t.task_id === taskId);
      if (!ti)
        throw new NotFoundError(`run '${runId}' of DAG '${dagId}' has no task instance of '${taskId}'`);
      const previousState = ti.state;
      const event = state === 'success' ? 'mark_success' : 'mark_failed';
      let next;
      try {
        next = transitionTaskInstance({ state: ti.state, tryNumber: ti.try_number }, event);
      } catch (error) {
        if (error instanceof IllegalTransitionError) throw new MarkRefusedError(taskId, error);
        throw error;
      }
      const now = this.clock.now();
      await em.query(
        `UPDATE task_instances SET state = $2, continues_try = false, ended_at = $3, updated_at = $3 WHERE id = $1`,
        [ti.id, next.state, now],
      );
      await em.query(
        `UPDATE task_instance_tries SET state = $3, ended_at = coalesce(ended_at, $4), exit_reason = $5
         WHERE ti_id = $1 AND try_number = $2 AND state NOT IN ('success', 'failed', 'skipped')`,
        [ti.id, ti.try_number, next.state, now, `marked_${state}`],
      );
      await em.query(
        `INSERT INTO task_instance_logs (ti_id, try_number, logged_at, stream, level, message)
         VALUES ($1, $2, $3, 'log', 'warn', $4)`,
        [ti.id, ti.try_number, now, `marked ${state} (was ${previousState})${by ? ` by ${by}` : ''}`],
      );
      await this.dropTiWaits(em, ti);
      if (state === 'success') {
        // Failed only because of this TI: the trigger rules decide again with it succeeded.
        const after = downstreamTaskIds(def.tasks, taskId);
        for (const other of tis) {
          if (after.has(other.task_id) && other.state === 'upstream_failed')
            await this.clearTi(em, other, now);
        }
      }
      await this.resumeFinishedRun(em, run);
      await this.advanceDag(em, locked, run.id);
      return { previousState, state: next.state };
    });
    this.relay.kick();
    return result;
  }

  /** A TI back to scheduled (state machine `clear`): its next dispatch is a new try with a fresh retry budget. */
  private async clearTi(em: EntityManager, ti: TiRow, now: Date): Promise<void> {
    const next = transitionTaskInstance({ state: ti.state, tryNumber: ti.try_number }, 'clear');
    await em.query(
      `UPDATE task_instances SET state = $2, tries_before_clear = try_number, continues_try = false,
         worker = NULL, ended_at = NULL, updated_at = $3, ${RESET_SENSOR} WHERE id = $1`,
      [ti.id, next.state, now],
    );
    await this.dropTiWaits(em, ti);
  }

  /** A TI's pending timers (retry, sensor checks and timeout) and its open trigger: nothing waits for it any more. */
  private async dropTiWaits(em: EntityManager, ti: Pick<TiRow, 'id'>): Promise<void> {
    await em.query(`DELETE FROM timers WHERE timer_key LIKE $1`, [`ti:${ti.id}:%`]);
    await em.query(`DELETE FROM triggers WHERE ti_id = $1 AND fired_at IS NULL`, [ti.id]);
  }

  /** An operator changed TIs of a finished run: it runs again until its TIs settle (advanceDag finishes it). */
  private async resumeFinishedRun(em: EntityManager, run: Pick<RunRow, 'id' | 'state'>): Promise<void> {
    if (run.state !== 'success' && run.state !== 'failed') return;
    await em.query(`UPDATE dag_runs SET state = $2, ended_at = NULL WHERE id = $1`, [
      run.id,
      transitionRun(run.state, 'resume'),
    ]);
  }

  /**
   * Starts the runs that queued while a DAG was paused, in the caller's transaction (the
   * unpause itself); the caller kicks the relay after commit.
   */
  async startQueuedRunsIn(em: EntityManager, dagId: string): Promise<void> {
    await this.advanceDag(em, await this.lockDag(em, dagId));
  }

  /** The deliberate whole-run rerun: every TI back to scheduled, the run queued again. */
  async rerunRun(dagId: string, runId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const locked = await this.lockDag(em, dagId);
      const run = await this.findRun(em, dagId, runId);
      const next = transitionRun(run.state as 'success' | 'failed', 'rerun');
      await em.query(
        `UPDATE task_instances SET state = 'scheduled', tries_before_clear = try_number, continues_try = false,
           worker = NULL, ended_at = NULL, updated_at = $2, ${RESET_SENSOR} WHERE run_pk = $1`,
        [run.id, this.clock.now()],
      );
      await em.query(`UPDATE dag_runs SET state = $2, started_at = NULL, ended_at = NULL WHERE id = $1`, [
        run.id,
        next,
      ]);
      await this.advanceDag(em, locked);
    });
    this.relay.kick();
  }

  private async createRun(em: EntityManager, p: RunRequestedPayload): Promise<void> {
    const [dag] = await em.query(
      `SELECT definition, bundle_version, is_active, slot_starved, is_paused, deployed_at FROM dags WHERE dag_id = $1 FOR UPDATE`,
      [p.dagId],
    );
    if (!dag || !dag.is_active) {
      throw new PoisonMessageError(
        `unknown DAG '${p.dagId}': it is not in the deployed bundle; check the dagId`,
      );
    }
    const def: DagDefinition = dag.definition;
    const now = this.clock.now();
    const logicalDate = p.logicalDate ? new Date(p.logicalDate) : now;
    const runId = p.runId ?? `${p.runType}__${logicalDate.toISOString()}`;
    // A backfill's request counts only while the backfill runs (cancelling it holds this DAG row too).
    let backfillId: string | null = null;
    if (p.backfillId) {
      const [backfill] = await em.query(`SELECT state FROM backfills WHERE id = $1 AND dag_id = $2`, [
        p.backfillId,
        p.dagId,
      ]);
      if (backfill?.state === 'running') backfillId = p.backfillId;
      else if (backfill) return; // cancelled (or done) while the request was on its way: no run
    }
    const inserted = await em.query(
      `INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end,
         conf, bundle_version, idempotency_key, note, queued_at, backfill_id)
       VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        p.dagId,
        runId,
        p.runType,
        logicalDate,
        p.dataIntervalStart ? new Date(p.dataIntervalStart) : null,
        p.dataIntervalEnd ? new Date(p.dataIntervalEnd) : null,
        p.conf ?? {},
        dag.bundle_version,
        p.idempotencyKey ?? null,
        p.note ?? null,
        now,
        backfillId,
      ],
    );
    if (inserted.length === 0) {
      // Already exists: a duplicate request, a racing replica, or a date a backfill reprocesses.
      if (p.rerunIfFinished || backfillId)
        await this.adoptExistingRun(
          em,
          { def, slotStarved: dag.slot_starved, isPaused: dag.is_paused },
          p,
          runId,
          logicalDate,
          backfillId,
        );
      return;
    }
    const runPk: string = inserted[0].id;
    if (backfillId) await this.recordBackfillRun(em, backfillId, logicalDate, runId, now);
    await em.query(
      `INSERT INTO task_instances (run_pk, dag_id, run_id, task_id, state, updated_at)
       SELECT $1, $2, $3, task_id, 'scheduled', $5 FROM unnest($4::text[]) AS task_id`,
      [runPk, p.dagId, runId, def.tasks.map((t) => t.taskId), now],
    );
    if (p.triggeringAssetEventIds?.length) {
      await em.query(
        `INSERT INTO run_asset_events (run_pk, asset_event_id)
         SELECT $1, id FROM asset_events WHERE event_id = ANY($2::text[]) ON CONFLICT DO NOTHING`,
        [runPk, p.triggeringAssetEventIds],
      );
    }
    const due = def.deadline && runDeadlineAt(def.deadline, logicalDate, now, def.timezone);
    // Catch-up runs for days before the DAG existed were never promised by their deadlines.
    if (def.deadline && due && due.getTime() >= new Date(dag.deployed_at).getTime()) {
      const timer = {
        owner: 'coordinator',
        kind: 'run_deadline',
        key: `run:${runPk}:deadline`,
        dueAt: due,
      } as const;
      await setTimer(em, { ...timer, payload: { runPk } }, now);
    }
    await this.advanceDag(em, { def, slotStarved: dag.slot_starved, isPaused: dag.is_paused }, runPk);
  }

  /**
   * A request met the run that already holds its run id or logical date: with `rerunIfFinished`
   * a finished run is rerun like `rerunRun` (tagged with the backfill, so it runs in its lane);
   * a backfill records the run as its date's run either way.
   */
  private async adoptExistingRun(
    em: EntityManager,
    locked: LockedDag,
    p: RunRequestedPayload,
    runId: string,
    logicalDate: Date,
    backfillId: string | null,
  ): Promise<void> {
    const [run]: RunRow[] = await em.query(
      `SELECT id, run_id, dag_id, state, logical_date, data_interval_start, data_interval_end, bundle_version
       FROM dag_runs WHERE dag_id = $1 AND (run_id = $2 OR (logical_date = $3 AND run_type IN ('scheduled', 'backfill')))
       ORDER BY (run_id = $2) DESC LIMIT 1 FOR UPDATE`,
      [p.dagId, runId, logicalDate],
    );
    if (!run) return;
    const now = this.clock.now();
    if (backfillId) await this.recordBackfillRun(em, backfillId, logicalDate, run.run_id, now);
    if (!p.rerunIfFinished || (run.state !== 'success' && run.state !== 'failed')) return;
    await em.query(
      `UPDATE task_instances SET state = 'scheduled', tries_before_clear = try_number, continues_try = false,
         worker = NULL, ended_at = NULL, updated_at = $2, ${RESET_SENSOR} WHERE run_pk = $1`,
      [run.id, now],
    );
    await em.query(
      `UPDATE dag_runs SET state = $2, started_at = NULL, ended_at = NULL, backfill_id = coalesce($3, backfill_id)
       WHERE id = $1`,
      [run.id, transitionRun(run.state as 'success' | 'failed', 'rerun'), backfillId],
    );
    await this.advanceDag(em, locked, run.id);
  }

  /** The coordinator handled a backfill's request for a date: this is the date's run. */
  private async recordBackfillRun(
    em: EntityManager,
    backfillId: string,
    logicalDate: Date,
    runId: string,
    now: Date,
  ): Promise<void> {
    await em.query(
      `UPDATE backfill_dates SET run_id = $3, handled_at = $4
       WHERE backfill_id = $1 AND logical_date = $2 AND handled_at IS NULL`,
      [backfillId, logicalDate, runId, now],
    );
  }

  private async applyTaskResult(em: EntityManager, p: TaskEventPayload): Promise<void> {
    const locked = await this.lockDag(em, p.dagId);
    const def = locked.def;
    const [ti] = await em.query(
      `SELECT ti.id, ti.task_id, ti.state, ti.try_number, ti.continues_try, ti.tries_before_clear,
              r.id AS run_pk, r.run_id, r.logical_date, r.data_interval_start, r.data_interval_end
       FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk WHERE ti.id = $1 FOR UPDATE OF ti`,
      [p.tiId],
    );
    if (!ti) return;
    if (ti.try_number !== p.tryNumber) {
      this.logger.debug(
        `ignored a stale result of try ${p.tryNumber} of ${p.dagId}.${p.taskId} (now on try ${ti.try_number})`,
      );
      return;
    }
    const task = def.tasks.find((t) => t.taskId === ti.task_id);
    const now = this.clock.now();
    if (p.kind === 'succeeded') {
      if (!(await this.setState(em, ti, 'succeed', now))) return;
      await em.query(
        `UPDATE task_instance_tries SET state = 'success', ended_at = $3 WHERE ti_id = $1 AND try_number = $2`,
        [ti.id, ti.try_number, now],
      );
      for (const asset of task?.outlets ?? []) await this.publishAssetEvent(em, def, ti, asset, now);
      if (task?.sensor) await this.forgetSensorWait(em, ti);
    } else if (p.kind === 'rescheduled' && task?.sensor) {
      await this.rescheduleSensor(em, task, ti, now);
    } else if (p.kind === 'failed' && p.exitReason === 'sensor_timeout' && task?.sensor) {
      await this.timeOutSensor(em, task, ti, now);
    } else if (p.kind === 'failed') {
      await this.failTry(
        em,
        def,
        task,
        ti,
        p.error ?? 'failed',
        p.exitReason ?? 'exception',
        p.retryable !== false,
      );
    }
    await this.advanceDag(em, locked, ti.run_pk);
  }

  /**
   * A reschedule-mode sensor's check was false: free the slot and set a timer for the next
   * check, later after each check with exponential backoff. The try (and its timeout) goes on.
   */
  private async rescheduleSensor(
    em: EntityManager,
    task: TaskDefinition,
    ti: TiRow,
    now: Date,
  ): Promise<void> {
    if (!(await this.setState(em, ti, 'reschedule', now))) return;
    const [row] = await queryRows<{ sensor_checks: number }>(
      em,
      `UPDATE task_instances SET sensor_checks = sensor_checks + 1, worker = NULL WHERE id = $1 RETURNING sensor_checks`,
      [ti.id],
    );
    await em.query(
      `UPDATE task_instance_tries SET state = 'up_for_reschedule' WHERE ti_id = $1 AND try_number = $2`,
      [ti.id, ti.try_number],
    );
    const due = new Date(now.getTime() + pokeDelayMs(task.sensor!, row.sensor_checks));
    await this.setTimer(
      em,
      'reschedule',
      `ti:${ti.id}:${ti.try_number}:check:${row.sensor_checks}`,
      due,
      ti,
      now,
    );
  }

  /** A durable timer for a TI's try; the key makes setting it twice harmless. */
  private async setTimer(
    em: EntityManager,
    kind: string,
    key: string,
    due: Date,
    ti: Pick<TiRow, 'id' | 'try_number'>,
    now: Date,
  ): Promise<void> {
    await setTimer(
      em,
      { owner: 'coordinator', kind, key, dueAt: due, payload: { tiId: ti.id, tryNumber: ti.try_number } },
      now,
    );
  }

  /** A try failed: retry the TI alone after its delay (a DB timer), or fail it for good. */
  private async failTry(
    em: EntityManager,
    def: DagDefinition,
    task: TaskDefinition | undefined,
    ti: TiRow & { run_id: string },
    error: string,
    exitReason: string,
    retryable: boolean,
  ): Promise<void> {
    // A TI that can no longer fail (already done, or cleared) keeps its try record as it is.
    if (!canTransitionTaskInstance(ti.state, 'fail')) return;
    const now = this.clock.now();
    await em.query(
      `UPDATE task_instance_tries SET state = 'failed', ended_at = $3, error = $4, exit_reason = $5
       WHERE ti_id = $1 AND try_number = $2`,
      [ti.id, ti.try_number, now, error.slice(0, 10_000), exitReason],
    );
    const decision =
      task && retryable
        ? decideAfterFailure(retryPolicyFrom(task.retry), ti.try_number, {
            seed: `${def.dagId}/${ti.run_id}/${ti.task_id}`,
            triesBeforeClear: ti.tries_before_clear,
          })
        : ({ action: 'fail' } as const);
    if (decision.action === 'retry') {
      if (!(await this.setState(em, ti, 'retry', now))) return;
      await this.setTimer(
        em,
        'retry',
        `ti:${ti.id}:${ti.try_number}`,
        new Date(now.getTime() + decision.delayMs),
        ti,
        now,
      );
    } else {
      await this.setState(em, ti, 'fail', now);
    }
    if (task?.sensor) await this.forgetSensorWait(em, ti);
  }

  /**
   * A due timer: a retry delay or a reschedule-mode sensor's next check ends (the TI is
   * scheduled again), or a sensor's timeout passes. Each acts only on the try it was set for.
   */
  private async fireTimer(em: EntityManager, kind: string, payload: Record<string, unknown>): Promise<void> {
    if (kind === 'run_deadline') return this.judgeRunDeadline(em, String(payload.runPk));
    if (!['retry', 'reschedule', 'sensor_timeout'].includes(kind)) return;
    const [ti] = await em.query(`SELECT dag_id FROM task_instances WHERE id = $1`, [payload.tiId]);
    if (!ti) return;
    const locked = await this.lockDag(em, ti.dag_id);
    const [row]: (TiRow & { run_pk: string; run_id: string })[] = await em.query(
      `SELECT ti.id, ti.run_pk, ti.task_id, ti.state, ti.try_number, ti.continues_try, ti.tries_before_clear, r.run_id
       FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk WHERE ti.id = $1 FOR UPDATE OF ti`,
      [payload.tiId],
    );
    if (!row || row.try_number !== payload.tryNumber) return;
    const now = this.clock.now();
    if (kind === 'retry' && row.state === 'up_for_retry') {
      await this.setState(em, row, 'resume', now);
    } else if (kind === 'reschedule' && row.state === 'up_for_reschedule') {
      await this.setState(em, row, 'resume', now);
    } else if (kind === 'sensor_timeout' && SENSOR_WAITING_STATES.has(row.state)) {
      const task = locked.def.tasks.find((t) => t.taskId === row.task_id);
      if (!task?.sensor) return;
      await this.timeOutSensor(em, task, row, now);
    } else {
      return;
    }
    await this.advanceDag(em, locked, row.run_pk);
  }

  /** A run's deadline passed: if it is not done, alert once (its success later recovers it). */
  private async judgeRunDeadline(em: EntityManager, runPk: string): Promise<void> {
    const [row] = await em.query(
      `SELECT definition FROM dags d JOIN dag_runs r ON r.dag_id = d.dag_id WHERE r.id = $1`,
      [runPk],
    );
    // A successful run settled its deadline when it finished.
    if (row?.definition.deadline)
      await this.raiseRunDeadline(em, row.definition, runPk, this.clock.now(), false);
  }

  /**
   * A run succeeded: done in time, its deadline timer goes; done late, its alert is recovered,
   * raised first if the timer has not fired yet (the run finished between deadline and tick).
   */
  private async settleRunDeadline(
    em: EntityManager,
    def: DagDefinition,
    run: Pick<RunRow, 'id' | 'run_id'>,
    now: Date,
  ): Promise<void> {
    // First: a deadline tick firing right now finishes (it holds the timer row) before we look.
    await em.query(`DELETE FROM timers WHERE timer_key = $1`, [`run:${run.id}:deadline`]);
    if (await this.raiseRunDeadline(em, def, run.id, now, true)) return;
    // Done in time by this clock, yet an alert may be open (raised by another host's clock, or for a run
    // that did not exist at the deadline): the run is done, so it recovers.
    await recoverAlerts(
      em,
      this.topics,
      { kind: 'run_deadline_missed', subject: runDeadlineSubject(def.dagId, run.run_id) },
      `${def.dagId} run ${run.run_id} is done (${describeRunDeadline(def.deadline as RunDeadlineDefinition, def.timezone)})`,
      now,
    );
  }

  /** Raises the run's deadline alert if the deadline has passed (and with `done`, recovers it). True when past it. */
  private async raiseRunDeadline(
    em: EntityManager,
    def: DagDefinition,
    runPk: string,
    now: Date,
    done: boolean,
  ): Promise<boolean> {
    const deadlineDef = def.deadline as RunDeadlineDefinition;
    const [run] = await em.query(
      `SELECT r.run_id, r.dag_id, r.state, r.logical_date, r.queued_at, d.deployed_at FROM dag_runs r
       JOIN dags d ON d.dag_id = r.dag_id WHERE r.id = $1`,
      [runPk],
    );
    if (!run || (!done && run.state === 'success')) return false;
    const deadline = runDeadlineAt(
      deadlineDef,
      new Date(run.logical_date),
      new Date(run.queued_at),
      def.timezone,
    );
    if (now.getTime() < deadline.getTime()) return false;
    // Catch-up runs for days before the DAG existed were never promised by their deadlines.
    if (deadline.getTime() < new Date(run.deployed_at).getTime()) return false;
    // Another run of the same day met the deadline (a re-run after an input was updated again).
    const [met] = await em.query(
      `SELECT 1 FROM dag_runs WHERE dag_id = $1 AND logical_date = $2 AND id <> $3 AND state = 'success' AND ended_at <= $4 LIMIT 1`,
      [run.dag_id, run.logical_date, runPk, deadline],
    );
    if (met) return false;
    const subject = runDeadlineSubject(run.dag_id, run.run_id);
    const rule = describeRunDeadline(deadlineDef, def.timezone);
    await raiseAlert(
      em,
      this.topics,
      {
        kind: 'run_deadline_missed',
        subject,
        severity: 'critical',
        message: `${run.dag_id} run ${run.run_id} is not done by its deadline (${rule}): it ${done ? 'finished after it' : `is ${run.state}`}`,
        dagId: run.dag_id,
        runId: run.run_id,
        deadline,
        details: {
          deadline: deadlineDef,
          state: run.state,
          logicalDate: new Date(run.logical_date).toISOString(),
        },
      },
      now,
    );
    if (done) {
      const late = describeDuration(now.getTime() - deadline.getTime());
      await recoverAlerts(
        em,
        this.topics,
        { kind: 'run_deadline_missed', subject },
        `${run.dag_id} run ${run.run_id} is done, ${late} after its deadline (${rule})`,
        now,
      );
    }
    return true;
  }

  /**
   * A sensor's timeout passed: it is skipped with softFail, else it fails without retries
   * (waiting longer is what retries would do, and the timeout says not to).
   */
  private async timeOutSensor(em: EntityManager, task: TaskDefinition, ti: TiRow, now: Date): Promise<void> {
    const soft = task.sensor?.softFail ?? false;
    const error = `sensor timed out after ${describeDuration(durationMs(task.sensor?.timeout ?? 0))}${soft ? ' (softFail: skipped)' : ''}`;
    if (!(await this.setState(em, ti, soft ? 'skip' : 'fail', now))) return;
    await em.query(
      `UPDATE task_instance_tries SET state = $3, ended_at = $4, error = $5, exit_reason = 'sensor_timeout'
       WHERE ti_id = $1 AND try_number = $2`,
      [ti.id, ti.try_number, soft ? 'skipped' : 'failed', now, error],
    );
    await this.forgetSensorWait(em, ti);
    this.logger.log(`${task.taskId} (TI ${ti.id}, try ${ti.try_number}): ${error}`);
  }

  /** The open trigger and the pending sensor timers of a TI's try: nothing waits any more. */
  private async forgetSensorWait(em: EntityManager, ti: Pick<TiRow, 'id' | 'try_number'>): Promise<void> {
    await em.query(`DELETE FROM triggers WHERE ti_id = $1 AND fired_at IS NULL`, [ti.id]);
    await this.dropSensorTimers(em, ti);
  }

  /** The try's timeout and next-check timers (keys `ti:<id>:<try>:...`; a retry's key has no suffix). */
  private async dropSensorTimers(em: EntityManager, ti: Pick<TiRow, 'id' | 'try_number'>): Promise<void> {
    await em.query(`DELETE FROM timers WHERE timer_key LIKE $1`, [`ti:${ti.id}:${ti.try_number}:%`]);
  }

  private async applyTriggerFired(em: EntityManager, p: TriggerFiredPayload): Promise<void> {
    const locked = await this.lockDag(em, p.dagId);
    const now = this.clock.now();
    const [ti] = await em.query(
      `SELECT ti.id, ti.task_id, ti.state, ti.try_number, ti.continues_try, ti.tries_before_clear,
              r.id AS run_pk, r.run_id, r.logical_date, r.data_interval_start, r.data_interval_end
       FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk WHERE ti.id = $1 FOR UPDATE OF ti`,
      [p.tiId],
    );
    if (!ti || ti.try_number !== p.tryNumber || ti.state !== 'deferred') {
      this.logger.debug(`ignored trigger ${p.triggerId} for ${p.dagId}.${p.taskId}: the TI has moved on`);
      return;
    }
    const def = locked.def;
    const task = def.tasks.find((t) => t.taskId === ti.task_id);
    if (p.outcome === 'failed') {
      await this.failTry(
        em,
        def,
        task,
        ti,
        p.message ?? 'the sensor condition can never hold',
        'sensor_failed',
        false,
      );
    } else if (task?.sensor?.onMet) {
      // Work remains after the wait: resume the same try on an executor, with what was found.
      await em.query(`UPDATE task_instances SET trigger_result = $2 WHERE id = $1`, [
        ti.id,
        { message: p.message ?? null, details: p.details ?? {}, triggerer: p.triggerer },
      ]);
      await this.setState(em, ti, 'resume', now);
    } else if (await this.setState(em, ti, 'succeed', now)) {
      await em.query(
        `UPDATE task_instance_tries SET state = 'success', ended_at = $3 WHERE ti_id = $1 AND try_number = $2`,
        [ti.id, ti.try_number, now],
      );
      for (const asset of task?.outlets ?? []) await this.publishAssetEvent(em, def, ti, asset, now);
    }
    await this.dropSensorTimers(em, ti);
    await this.advanceDag(em, locked, ti.run_pk);
  }

  /** Running TIs whose worker stopped heartbeating fail their try (exit reason worker_lost) and retry. */
  private async reapDeadWorkers(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.options.workerTimeoutMs);
    const lost: { id: string; dag_id: string; try_number: number }[] = await this.db.manager.query(
      `SELECT ti.id, ti.dag_id, ti.try_number FROM task_instances ti
       LEFT JOIN workers w ON w.worker_id = ti.worker
       WHERE ti.state = 'running' AND (w.worker_id IS NULL OR w.stopped_at IS NOT NULL OR w.heartbeat_at < $1)`,
      [cutoff],
    );
    for (const candidate of lost) {
      await this.db.transaction(async (em) => {
        const locked = await this.lockDag(em, candidate.dag_id);
        const def = locked.def;
        const [ti] = await em.query(
          `SELECT ti.id, ti.run_pk, ti.task_id, ti.state, ti.try_number, ti.continues_try, ti.tries_before_clear, ti.worker, r.run_id
           FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk WHERE ti.id = $1 FOR UPDATE OF ti`,
          [candidate.id],
        );
        if (!ti || ti.state !== 'running' || ti.try_number !== candidate.try_number) return;
        this.logger.warn(
          `worker ${ti.worker} is gone: retrying ${candidate.dag_id}.${ti.task_id} (try ${ti.try_number})`,
        );
        const task = def.tasks.find((t) => t.taskId === ti.task_id);
        await this.failTry(
          em,
          def,
          task,
          ti,
          `worker ${ti.worker} stopped heartbeating`,
          'worker_lost',
          true,
        );
        await this.advanceDag(em, locked, ti.run_pk);
      });
    }
    return lost.length;
  }

  /**
   * Moves a DAG forward under its row lock: starts queued runs up to maxActiveRuns (oldest
   * logical date first; backfill runs in their own lanes), settles trigger rules, dispatches
   * ready TIs up to maxActiveTasks (live runs' before backfill runs'), and finishes runs whose
   * TIs are all done. Repeats while a finished run frees a slot.
   */
  private async advanceDag(em: EntityManager, locked: LockedDag, focusRunPk?: string): Promise<void> {
    const def = locked.def;
    let starved = locked.slotStarved;
    for (let round = 0; round < 100; round++) {
      const started = locked.isPaused ? 0 : await this.startQueuedRuns(em, def);
      const [{ active }] = await em.query(
        `SELECT count(*)::int AS active FROM task_instances WHERE dag_id = $1 AND state IN ('queued', 'running')`,
        [def.dagId],
      );
      // Only the run an event touched can have changed, unless runs just started or others wait for a slot.
      const everyRun = round > 0 || started > 0 || starved || focusRunPk === undefined;
      const runs: RunRow[] = await em.query(
        `SELECT id, run_id, dag_id, state, logical_date, data_interval_start, data_interval_end, bundle_version
         FROM dag_runs WHERE dag_id = $1 AND state = 'running' AND ($2::bigint IS NULL OR id = $2)
         ORDER BY backfill_id IS NOT NULL, logical_date, id`,
        [def.dagId, everyRun ? null : focusRunPk],
      );
      let slots = def.maxActiveTasks - active;
      let finished = 0;
      let waiting = false;
      for (const run of runs) {
        const outcome = await this.evaluateRun(em, def, run, slots);
        slots = outcome.slots;
        waiting ||= outcome.waitingForSlot;
        if (outcome.finished) finished++;
      }
      // The flag is rewritten only when it changes; the row is already locked and read.
      if ((everyRun || waiting) && waiting !== starved) {
        await em.query(`UPDATE dags SET slot_starved = $2 WHERE dag_id = $1`, [def.dagId, waiting]);
        starved = waiting;
      }
      if (finished === 0) return;
    }
  }

  /**
   * Starts queued runs in two lanes, so a backfill never starves live runs: live runs (no
   * backfill) up to `maxActiveRuns` counting live running runs, oldest logical date first; each
   * backfill's runs up to that backfill's own max active runs, in its order. Returns how many it started.
   */
  private async startQueuedRuns(em: EntityManager, def: DagDefinition): Promise<number> {
    const [{ running }] = await em.query(
      `SELECT count(*)::int AS running FROM dag_runs WHERE dag_id = $1 AND state = 'running' AND backfill_id IS NULL`,
      [def.dagId],
    );
    const free = def.maxActiveRuns - running;
    const now = this.clock.now();
    const started: { id: string; logical_date: Date }[] =
      free > 0
        ? await queryRows<{ id: string; logical_date: Date }>(
            em,
            `UPDATE dag_runs SET state = 'running', started_at = $3 WHERE id IN (
               SELECT id FROM dag_runs WHERE dag_id = $1 AND state = 'queued' AND backfill_id IS NULL
               ORDER BY logical_date, id LIMIT $2)
             RETURNING id, logical_date`,
            [def.dagId, free, now],
          )
        : [];
    started.push(
      ...(await queryRows<{ id: string; logical_date: Date }>(
        em,
        `UPDATE dag_runs SET state = 'running', started_at = $3 WHERE id IN (
           SELECT id FROM (
             SELECT q.id, coalesce(b.max_active_runs, $2) - (
                 SELECT count(*) FROM dag_runs r WHERE r.dag_id = $1 AND r.backfill_id = q.backfill_id AND r.state = 'running'
               ) AS free,
               row_number() OVER (PARTITION BY q.backfill_id
                 ORDER BY CASE WHEN b.reverse THEN q.logical_date END DESC, q.logical_date, q.id) AS n
             FROM dag_runs q LEFT JOIN backfills b ON b.id = q.backfill_id
             WHERE q.dag_id = $1 AND q.state = 'queued' AND q.backfill_id IS NOT NULL
           ) lane WHERE n <= free)
         RETURNING id, logical_date`,
        [def.dagId, def.maxActiveRuns, now],
      )),
    );
    // Consumers see how their inputs stood against their contracts when the run started.
    if (inputAssetsOf(def).length > 0) {
      for (const run of started) {
        const inputs = await inputFreshness(em, def, new Date(run.logical_date), now);
        await em.query(`UPDATE dag_runs SET input_freshness = $2 WHERE id = $1`, [
          run.id,
          JSON.stringify(inputs),
        ]);
      }
    }
    return started.length;
  }

  private async evaluateRun(
    em: EntityManager,
    def: DagDefinition,
    run: RunRow,
    slots: number,
  ): Promise<{ slots: number; finished: boolean; waitingForSlot: boolean }> {
    const now = this.clock.now();
    const tis: TiRow[] = await em.query(
      `SELECT id, task_id, state, try_number, continues_try, tries_before_clear, trigger_result IS NOT NULL AS fired
       FROM task_instances WHERE run_pk = $1`,
      [run.id],
    );
    const byTask = new Map(tis.map((t) => [t.task_id, t]));
    const tasks = new Map(def.tasks.map((t) => [t.taskId, t]));
    let waitingForSlot = false;
    for (const taskId of topologicalOrder(def.tasks)) {
      const ti = byTask.get(taskId);
      const task = tasks.get(taskId);
      if (!ti || !task || ti.state !== 'scheduled') continue;
      const upstreamStates = task.upstreams.map((u) => byTask.get(u)?.state ?? 'scheduled');
      const decision = evaluateTriggerRule(task.triggerRule, upstreamStates);
      if (decision === 'skip') await this.setState(em, ti, 'skip', now);
      else if (decision === 'upstream_failed') await this.setState(em, ti, 'upstream_failed', now);
      else if (decision === 'run' && task.sensor?.mode === 'deferrable' && !ti.fired) {
        await this.defer(em, def, run, task, ti, now); // the triggerer waits: no executor slot
      } else if (decision === 'run' && slots > 0) {
        await this.dispatch(em, run, task, ti, now);
        slots--;
      } else if (decision === 'run') waitingForSlot = true;
    }
    if (!tis.every((t) => isTerminalTaskInstanceState(t.state)))
      return { slots, finished: false, waitingForSlot };
    const failed = tis.some((t) => t.state === 'failed' || t.state === 'upstream_failed');
    await em.query(`UPDATE dag_runs SET state = $2, ended_at = $3 WHERE id = $1`, [
      run.id,
      transitionRun('running', failed ? 'fail' : 'succeed'),
      now,
    ]);
    if (!failed && def.deadline) await this.settleRunDeadline(em, def, run, now);
    return { slots, finished: true, waitingForSlot };
  }

  private async dispatch(
    em: EntityManager,
    run: RunRow,
    task: TaskDefinition,
    ti: TiRow,
    now: Date,
  ): Promise<void> {
    const next = transitionTaskInstance(
      { state: ti.state, tryNumber: ti.try_number, continuesTry: ti.continues_try },
      'dispatch',
    );
    await em.query(
      `UPDATE task_instances SET state = 'queued', try_number = $2, continues_try = false, queued_at = $3,
         worker = NULL, updated_at = $3 WHERE id = $1`,
      [ti.id, next.tryNumber, now],
    );
    // A sensor's timeout counts from the first dispatch of its try; reschedules continue the try.
    if (task.sensor && !ti.continues_try)
      await this.startSensorTry(em, task, { id: ti.id, try_number: next.tryNumber }, now);
    await em.query(
      `INSERT INTO task_instance_tries (ti_id, try_number, state, queued_at) VALUES ($1, $2, 'queued', $3)
       ON CONFLICT (ti_id, try_number) DO UPDATE SET state = 'queued'`,
      [ti.id, next.tryNumber, now],
    );
    Object.assign(ti, { state: 'queued', try_number: next.tryNumber, continues_try: false });
    await enqueueOutbox(
      em,
      this.topics.name(TOPICS.taskCommands),
      run.run_id,
      envelope(
        'task.command',
        {
          command: 'run',
          tiId: ti.id,
          dagId: run.dag_id,
          runId: run.run_id,
          taskId: ti.task_id,
          tryNumber: next.tryNumber,
          bundleVersion: run.bundle_version,
        },
        now,
      ),
    );
  }

  /**
   * A deferrable sensor starts a try in the triggerer: the TI is deferred, its rendered check
   * goes to the `triggers` table (the truth) and topic (the fast path), and its timeout is a timer.
   */
  private async defer(
    em: EntityManager,
    def: DagDefinition,
    run: RunRow,
    task: TaskDefinition,
    ti: TiRow,
    now: Date,
  ): Promise<void> {
    const sensor = task.sensor!;
    const next = transitionTaskInstance(
      { state: ti.state, tryNumber: ti.try_number, continuesTry: ti.continues_try },
      'defer',
    );
    await em.query(
      `UPDATE task_instances SET state = 'deferred', try_number = $2, continues_try = false, queued_at = $3,
         started_at = $3, worker = NULL, updated_at = $3 WHERE id = $1`,
      [ti.id, next.tryNumber, now],
    );
    await em.query(
      `INSERT INTO task_instance_tries (ti_id, try_number, state, queued_at, started_at) VALUES ($1, $2, 'deferred', $3, $3)
       ON CONFLICT (ti_id, try_number) DO UPDATE SET state = 'deferred'`,
      [ti.id, next.tryNumber, now],
    );
    Object.assign(ti, { state: 'deferred', try_number: next.tryNumber, continues_try: false });
    await this.startSensorTry(em, task, ti, now);
    const check = resolveSensorCheck(sensor.check, sensor.spec, {
      logicalDate: run.logical_date,
      timezone: def.timezone,
      dagId: run.dag_id,
      runId: run.run_id,
      taskId: ti.task_id,
      dataIntervalStart: run.data_interval_start,
      dataIntervalEnd: run.data_interval_end,
    });
    const spec: TriggerSpec = {
      check,
      poke: {
        pokeInterval: sensor.pokeInterval,
        exponentialBackoff: sensor.exponentialBackoff,
        maxPokeInterval: sensor.maxPokeInterval,
        timeout: sensor.timeout,
      },
      dagId: run.dag_id,
      runId: run.run_id,
      taskId: ti.task_id,
    };
    const [trigger] = await queryRows<{ id: string }>(
      em,
      `INSERT INTO triggers (ti_id, try_number, kind, spec, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (ti_id, try_number) DO NOTHING RETURNING id`,
      [ti.id, ti.try_number, check.family, spec, now],
    );
    if (!trigger) return;
    await em.query(
      `INSERT INTO task_instance_logs (ti_id, try_number, logged_at, stream, level, message) VALUES ($1, $2, $3, 'log', 'info', $4)`,
      [
        ti.id,
        ti.try_number,
        now,
        `deferred to the triggerer (trigger ${trigger.id}): ${describeSensorCheck(check)}`,
      ],
    );
    const payload: TriggerPayload = {
      triggerId: trigger.id,
      tiId: ti.id,
      dagId: run.dag_id,
      runId: run.run_id,
      taskId: ti.task_id,
      tryNumber: ti.try_number,
    };
    await enqueueOutbox(em, this.topics.name(TOPICS.triggers), ti.id, envelope('trigger', payload, now));
  }

  /** A sensor try's deadline, on the row (executors read it) and as a timer (it survives restarts). */
  private async startSensorTry(
    em: EntityManager,
    task: TaskDefinition,
    ti: Pick<TiRow, 'id' | 'try_number'>,
    now: Date,
  ): Promise<void> {
    const deadline = new Date(now.getTime() + durationMs(task.sensor?.timeout ?? 0));
    await em.query(
      `UPDATE task_instances SET sensor_deadline = $2, sensor_checks = 0, trigger_result = NULL WHERE id = $1`,
      [ti.id, deadline],
    );
    await this.setTimer(em, 'sensor_timeout', `ti:${ti.id}:${ti.try_number}:timeout`, deadline, ti, now);
  }

  /** Applies a state-machine event to a TI row; false (and no change) when the machine refuses it. */
  private async setState(
    em: EntityManager,
    ti: TiRow,
    event: TaskInstanceEvent,
    now: Date,
  ): Promise<boolean> {
    let next;
    try {
      next = transitionTaskInstance(
        { state: ti.state, tryNumber: ti.try_number, continuesTry: ti.continues_try },
        event,
      );
    } catch (error) {
      if (error instanceof IllegalTransitionError) {
        this.logger.debug(`ignored: ${error.message} (TI ${ti.id})`);
        return false;
      }
      throw error;
    }
    const ended = isTerminalTaskInstanceState(next.state) ? now : null;
    await em.query(
      `UPDATE task_instances SET state = $2, try_number = $3, continues_try = $4, ended_at = $5, updated_at = $6
       WHERE id = $1`,
      [ti.id, next.state, next.tryNumber, next.continuesTry ?? false, ended, now],
    );
    Object.assign(ti, {
      state: next.state,
      try_number: next.tryNumber,
      continues_try: next.continuesTry ?? false,
    });
    return true;
  }

  private async publishAssetEvent(
    em: EntityManager,
    def: DagDefinition,
    ti: TiRow & {
      run_id: string;
      logical_date: Date;
      data_interval_start: Date | null;
      data_interval_end: Date | null;
    },
    asset: string,
    now: Date,
  ): Promise<void> {
    // A run without a data interval (manual, external) of a DAG that runs more often than daily
    // covers an unknown piece of its day: it must not complete the day, so it names no partition.
    const partition =
      !ti.data_interval_end && isSubDailySchedule(def, ti.logical_date)
        ? null
        : DateTime.fromJSDate(ti.logical_date, { zone: def.timezone }).toISODate();
    await enqueueOutbox(
      em,
      this.topics.name(TOPICS.assetEvents),
      asset,
      envelope(
        'asset.event',
        {
          asset,
          ...(partition ? { partition } : {}),
          metadata: {
            logicalDate: ti.logical_date.toISOString(),
            ...(ti.data_interval_start ? { dataIntervalStart: ti.data_interval_start.toISOString() } : {}),
            ...(ti.data_interval_end ? { dataIntervalEnd: ti.data_interval_end.toISOString() } : {}),
          },
          source: { dagId: def.dagId, runId: ti.run_id, taskId: ti.task_id, tryNumber: ti.try_number },
          ...(ti.data_interval_start && ti.data_interval_end
            ? {
                dataInterval: {
                  start: ti.data_interval_start.toISOString(),
                  end: ti.data_interval_end.toISOString(),
                },
              }
            : {}),
        },
        now,
      ),
    );
  }

  /** Locks the DAG row (every change to a DAG's runs and TIs holds it) and returns what it says. */
  private async lockDag(em: EntityManager, dagId: string): Promise<LockedDag> {
    const [row] = await em.query(
      `SELECT definition, slot_starved, is_paused FROM dags WHERE dag_id = $1 FOR UPDATE`,
      [dagId],
    );
    if (!row) throw new NotFoundError(`no DAG '${dagId}'`);
    return { def: row.definition, slotStarved: row.slot_starved, isPaused: row.is_paused };
  }

  private async findRun(em: EntityManager, dagId: string, runId: string): Promise<RunRow> {
    const [run] = await em.query(
      `SELECT id, run_id, dag_id, state, logical_date, data_interval_start, data_interval_end, bundle_version
       FROM dag_runs WHERE dag_id = $1 AND run_id = $2 FOR UPDATE`,
      [dagId, runId],
    );
    if (!run) throw new NotFoundError(`DAG '${dagId}' has no run '${runId}'`);
    return run;
  }
}

/** Whether the DAG's clock schedule fires more often than a day (its runs deliver pieces of days). */
function isSubDailySchedule(def: DagDefinition, around: Date): boolean {
  const timetable = timetableForDag(def, around);
  const next = timetable?.nextFireAfter(around);
  const after = next && timetable?.nextFireAfter(next.at);
  return !!after && after.at.getTime() - next.at.getTime() < PIECE_LIMIT_MS;
}

/** States in which a sensor's try still waits, so its timeout applies. */
const SENSOR_WAITING_STATES: ReadonlySet<TaskInstanceState> = new Set([
  'queued',
  'running',
  'up_for_reschedule',
  'deferred',
]);

/** Columns a clear or rerun resets so the next try of a sensor starts from scratch. */
const RESET_SENSOR = 'sensor_deadline = NULL, sensor_checks = 0, trigger_result = NULL';

/** A DAG row held under `FOR UPDATE`: its definition and whether ready TIs wait for a slot. */
interface LockedDag {
  def: DagDefinition;
  slotStarved: boolean;
  /** A paused DAG starts no queued run; runs already running carry on. */
  isPaused: boolean;
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A mark the state machine refuses (e.g. marking a successful TI success): a 409 naming the task. */
export class MarkRefusedError extends IllegalTransitionError {
  constructor(
    readonly taskId: string,
    cause: IllegalTransitionError,
  ) {
    super(cause.entity, cause.from, cause.event, [...cause.allowed]);
    this.message = `cannot mark task '${taskId}' ${cause.event === 'mark_success' ? 'success' : 'failed'}: ${cause.message}`;
  }
}
