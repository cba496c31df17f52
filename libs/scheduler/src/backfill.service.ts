import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { NotFoundError } from '@tributary/coordinator';
import {
  BackfillAction,
  BackfillDateFacts,
  BackfillDateStatus,
  BackfillProgress,
  BackfillReprocess,
  BackfillRequestError,
  BackfillState,
  DagDefinition,
  DateInput,
  ExistingRun,
  PlannedBackfillDate,
  RunState,
  backfillDateStatus,
  backfillPlanProblem,
  backfillProgress,
  backfillRangesOverlap,
  backfillRunId,
  backfillRuns,
  describeSchedule,
  durationMs,
  formatUtc,
  nextBackfillStep,
  parseDateInput,
  planBackfill,
  runScheduleForDag,
  MAX_BACKFILL_DATES,
  parseRangeEnd,
} from '@tributary/domain';
import {
  OutboxRelay,
  RunRequestedPayload,
  TOPICS,
  TopicCatalog,
  enqueueOutbox,
  envelope,
} from '@tributary/messaging';
import { Database, queryRows } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE, OUTBOX_RELAY, TOPIC_CATALOG } from '@tributary/runtime';

export interface BackfillCreateRequest {
  /** First logical date (inclusive): an instant, or a date / local time read in the DAG's timezone. */
  from: DateInput;
  /** Last logical date (inclusive), read like `from`. */
  to: DateInput;
  reprocess?: BackfillReprocess;
  maxActiveRuns?: number;
  /** Newest logical date first. */
  reverse?: boolean;
  /** Answer the plan and write nothing. */
  dryRun?: boolean;
  /** Who asked (the API token's name). */
  createdBy?: string | null;
}

export const BACKFILL_DEFAULT_MAX_ACTIVE_RUNS = 4;

export interface BackfillView {
  id: number;
  dagId: string;
  from: Date;
  to: Date;
  reprocess: BackfillReprocess;
  maxActiveRuns: number;
  reverse: boolean;
  state: BackfillState;
  createdAt: Date;
  createdBy: string | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  progress: BackfillProgress;
}

export interface BackfillDateView {
  logicalDate: Date;
  dataInterval: { start: Date; end: Date };
  action: BackfillAction;
  reason: string | null;
  /** The date's run: the one it created or reran, the existing one it skipped, or the one it will create. */
  runId: string;
  state: BackfillDateStatus;
}

export interface BackfillDryRun {
  dagId: string;
  dryRun: true;
  dates: { logicalDate: Date; action: BackfillAction; reason?: string; runId: string }[];
}

export interface BackfillListQuery {
  dagId?: string;
  state?: BackfillState;
  limit: number;
  offset: number;
}

interface BackfillRow {
  id: string;
  dag_id: string;
  from_date: Date;
  to_date: Date;
  reprocess: BackfillReprocess;
  max_active_runs: number;
  reverse: boolean;
  state: BackfillState;
  created_at: Date;
  created_by: string | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
}

interface DateRow {
  position: number;
  logical_date: Date;
  data_interval_start: Date;
  data_interval_end: Date;
  action: BackfillAction;
  reason: string | null;
  run_id: string;
  requested: boolean;
  handled: boolean;
  run_state: RunState | null;
}

/** Dates of a backfill that share everything their status depends on. */
interface ProgressGroupRow extends Pick<DateRow, 'action' | 'requested' | 'handled' | 'run_state'> {
  backfill_id: string;
  backfill_state: BackfillState;
  count: number;
}

const BACKFILL_COLUMNS = `b.id, b.dag_id, b.from_date, b.to_date, b.reprocess, b.max_active_runs, b.reverse, b.state,
  b.created_at, b.created_by, b.completed_at, b.cancelled_at`;

/** A date's facts; its run is looked up only once the coordinator handled the request. */
const DATE_SELECT = `SELECT d.position, d.logical_date, d.data_interval_start, d.data_interval_end, d.action, d.reason,
    d.run_id, d.requested_at IS NOT NULL AS requested, d.handled_at IS NOT NULL AS handled, r.state AS run_state
  FROM backfill_dates d JOIN backfills b ON b.id = d.backfill_id
  LEFT JOIN dag_runs r ON d.handled_at IS NOT NULL AND r.dag_id = b.dag_id AND r.run_id = d.run_id`;

/** Dates that still need the backfill (final ones are left out; nextBackfillStep allows that). */
const OPEN_DATES = `${DATE_SELECT}
  WHERE d.backfill_id = $1 AND d.action <> 'skip'
    AND (d.handled_at IS NULL OR r.state IN ('queued', 'running'))
  ORDER BY d.position`;

/**
 * Backfills (DESIGN §4): a past range of a clock-scheduled DAG, run again on request. A
 * backfill plans its logical dates once (create a run, rerun the existing one, or skip it),
 * then the scheduler's tick asks the coordinator for the next dates in order, never more
 * than the backfill's own max active runs at once. Its runs start in their own lane (see the
 * coordinator's startQueuedRuns), so live runs keep the DAG's `maxActiveRuns`.
 */
@Injectable()
export class BackfillService {
  private readonly logger = new Logger('Backfills');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
  ) {}

  /**
   * Plans a backfill and, unless it is a dry run, records it with its dates in one
   * transaction under the DAG's row lock (so two overlapping backfills cannot both start).
   */
  async create(dagId: string, request: BackfillCreateRequest): Promise<BackfillView | BackfillDryRun> {
    const reprocess = request.reprocess ?? 'none';
    const maxActiveRuns = request.maxActiveRuns ?? BACKFILL_DEFAULT_MAX_ACTIVE_RUNS;
    const reverse = request.reverse ?? false;
    const created = await this.db.transaction(async (em) => {
      const [dag] = await em.query(
        `SELECT definition, deployed_at FROM dags WHERE dag_id = $1 AND is_active ${request.dryRun ? '' : 'FOR UPDATE'}`,
        [dagId],
      );
      if (!dag) throw new NotFoundError(`no DAG '${dagId}'`);
      const def: DagDefinition = dag.definition;
      const { from, to } = readRange(request, def.timezone);
      const schedule = runScheduleForDag(def, dag.deployed_at);
      if (!schedule) {
        throw new BackfillRequestError(
          400,
          'backfill_not_schedulable',
          `DAG '${dagId}' has no time schedule (${describeSchedule(def)}): a backfill needs a cron or ` +
            `interval schedule to know the logical dates of a range; trigger runs with ` +
            `POST /api/v1/dags/${dagId}/runs instead`,
        );
      }
      const now = this.clock.now();
      const runs = backfillRuns(schedule, {
        from,
        to,
        now,
        backfillWindowMs: def.backfillWindow !== undefined ? durationMs(def.backfillWindow) : undefined,
        reverse,
        dagId,
        // One past the limit: enough to refuse the range without planning all of it.
        maxRuns: MAX_BACKFILL_DATES + 1,
      });
      if (runs.length > MAX_BACKFILL_DATES) {
        throw new BackfillRequestError(
          400,
          'backfill_empty',
          backfillPlanProblem(
            dagId,
            runs.map(() => ({ action: 'create' as const })),
            { from, to },
            reprocess,
          )!,
        );
      }
      const plan = planBackfill(runs, await existingRuns(em, dagId, runs), reprocess);
      if (request.dryRun) {
        return {
          dagId,
          dryRun: true as const,
          dates: plan.map((d) => ({
            logicalDate: d.logicalDate,
            action: d.action,
            ...(d.reason ? { reason: d.reason } : {}),
            runId: d.runId,
          })),
        };
      }
      const problem = backfillPlanProblem(dagId, plan, { from, to }, reprocess);
      if (problem) throw new BackfillRequestError(400, 'backfill_empty', problem);
      await refuseOverlap(em, dagId, { from, to });
      const [{ id }] = await em.query(
        `INSERT INTO backfills (dag_id, from_date, to_date, reprocess, max_active_runs, reverse, state, created_at,
           created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8) RETURNING id`,
        [dagId, from, to, reprocess, maxActiveRuns, reverse, now, request.createdBy ?? null],
      );
      await insertDates(em, id, plan);
      const counts = plan.reduce<Record<BackfillAction, number>>(
        (c, d) => ({ ...c, [d.action]: c[d.action] + 1 }),
        { create: 0, rerun: 0, skip: 0 },
      );
      this.logger.log(
        `backfill ${id} of ${dagId}: ${plan.length} dates from ${formatUtc(from.getTime())} to ` +
          `${formatUtc(to.getTime())} (create ${counts.create}, rerun ${counts.rerun}, skip ${counts.skip})`,
      );
      return String(id);
    });
    return typeof created === 'string' ? this.view(created) : created;
  }

  /**
   * One step of every running backfill: requests its next dates (while fewer than its max
   * active runs are in flight), or marks it completed once every date is final. Each backfill
   * is one transaction holding its row (`SKIP LOCKED`: two schedulers never both step it).
   * A paused or undeployed DAG holds its backfills. Returns how many runs it requested.
   */
  async tick(): Promise<number> {
    const running: { id: string }[] = await this.db.manager.query(
      `SELECT id FROM backfills WHERE state = 'running' ORDER BY id`,
    );
    let requested = 0;
    for (const { id } of running) requested += await this.db.transaction((em) => this.step(em, id));
    if (requested > 0) this.relay.kick();
    return requested;
  }

  /** Now when a backfill has a step to take (for a simulated clock), else null. */
  async nextDue(): Promise<Date | null> {
    const running: (BackfillRow & { held: boolean })[] = await this.db.manager.query(
      `SELECT ${BACKFILL_COLUMNS}, (NOT d.is_active OR d.is_paused) AS held
       FROM backfills b JOIN dags d ON d.dag_id = b.dag_id WHERE b.state = 'running' ORDER BY b.id`,
    );
    for (const backfill of running) {
      const step = nextBackfillStep(
        (await this.db.manager.query(OPEN_DATES, [backfill.id])).map(dateFacts),
        backfill.max_active_runs,
      );
      if (step.complete || (!backfill.held && step.request.length > 0)) return this.clock.now();
    }
    return null;
  }

  async list(query: BackfillListQuery): Promise<{ items: BackfillView[]; total: number }> {
    const filter = `($1::text IS NULL OR b.dag_id = $1) AND ($2::text IS NULL OR b.state = $2)`;
    const params = [query.dagId ?? null, query.state ?? null];
    const rows: BackfillRow[] = await this.db.manager.query(
      `SELECT ${BACKFILL_COLUMNS} FROM backfills b WHERE ${filter} ORDER BY b.id DESC LIMIT $3 OFFSET $4`,
      [...params, query.limit, query.offset],
    );
    const [{ total }] = await this.db.manager.query(
      `SELECT count(*)::int AS total FROM backfills b WHERE ${filter}`,
      params,
    );
    const progress = await this.progressOf(
      this.db.manager,
      rows.map((r) => r.id),
    );
    return { items: rows.map((r) => backfillView(r, progress.get(r.id))), total };
  }

  /** A backfill with its progress and every date (in the order it runs them). */
  async get(id: string): Promise<BackfillView & { dates: BackfillDateView[] }> {
    const backfill = await this.find(this.db.manager, id);
    const dates: DateRow[] = await this.db.manager.query(
      `${DATE_SELECT} WHERE d.backfill_id = $1 ORDER BY d.position`,
      [backfill.id],
    );
    const statuses = dates.map((d) => backfillDateStatus(dateFacts(d), backfill.state));
    return {
      ...backfillView(backfill, backfillProgress(statuses)),
      dates: dates.map((d, i) => ({
        logicalDate: d.logical_date,
        dataInterval: { start: d.data_interval_start, end: d.data_interval_end },
        action: d.action,
        reason: d.reason,
        runId: d.run_id,
        state: statuses[i],
      })),
    };
  }

  /**
   * Cancels a running backfill: it requests nothing more, requests still on their way create
   * nothing (the coordinator checks the state under the same DAG row lock), and its runs that
   * started are stopped: the ones it created and that never ran are removed (their dates are
   * missing again); a rerun waiting to start fails with its tasks skipped (what it was before the
   * rerun is gone). Running and finished runs are untouched.
   */
  async cancel(id: string): Promise<BackfillView> {
    await this.db.transaction(async (em) => {
      const { dag_id: dagId } = await this.find(em, id);
      await em.query(`SELECT 1 FROM dags WHERE dag_id = $1 FOR UPDATE`, [dagId]);
      const backfill = await this.find(em, id, true);
      if (backfill.state !== 'running') {
        throw new BackfillRequestError(
          409,
          'illegal_transition',
          `backfill ${id} is already ${backfill.state}: only a running backfill can be cancelled`,
        );
      }
      const now = this.clock.now();
      await em.query(`UPDATE backfills SET state = 'cancelled', cancelled_at = $2 WHERE id = $1`, [id, now]);
      const removed = await queryRows<{ id: string }>(
        em,
        `DELETE FROM dag_runs r USING backfill_dates d
         WHERE r.dag_id = $2 AND r.backfill_id = $1 AND r.state = 'queued' AND r.run_type = 'backfill'
           AND d.backfill_id = $1 AND d.run_id = r.run_id AND d.action = 'create'
           AND NOT EXISTS (SELECT 1 FROM task_instances t WHERE t.run_pk = r.id AND t.try_number > 0)
         RETURNING r.id`,
        [id, dagId],
      );
      await em.query(`DELETE FROM timers WHERE timer_key = ANY($1::text[])`, [
        removed.map((r) => `run:${r.id}:deadline`),
      ]);
      const stopped = await queryRows<{ id: string }>(
        em,
        // Only the reruns this backfill asked for: an operator's own rerun of a run it once tagged goes on.
        `UPDATE dag_runs r SET state = 'failed', ended_at = $3 FROM backfill_dates d
         WHERE r.dag_id = $2 AND r.backfill_id = $1 AND r.state = 'queued'
           AND d.backfill_id = $1 AND d.run_id = r.run_id AND d.action = 'rerun' RETURNING r.id`,
        [id, dagId, now],
      );
      await em.query(
        `UPDATE task_instances SET state = 'skipped', ended_at = $2, updated_at = $2
         WHERE run_pk = ANY($1::bigint[]) AND state = 'scheduled'`,
        [stopped.map((r) => r.id), now],
      );
      this.logger.log(
        `backfill ${id} of ${dagId} cancelled (${removed.length} queued runs removed, ${stopped.length} queued reruns stopped)`,
      );
    });
    return this.view(id);
  }

  /** A backfill with its progress (without its dates). */
  private async view(id: string): Promise<BackfillView> {
    const backfill = await this.find(this.db.manager, id);
    return backfillView(backfill, (await this.progressOf(this.db.manager, [backfill.id])).get(backfill.id));
  }

  private async step(em: EntityManager, id: string): Promise<number> {
    const [backfill]: (BackfillRow & { held: boolean })[] = await em.query(
      `SELECT ${BACKFILL_COLUMNS}, (NOT d.is_active OR d.is_paused) AS held
       FROM backfills b JOIN dags d ON d.dag_id = b.dag_id
       WHERE b.id = $1 AND b.state = 'running' FOR UPDATE OF b SKIP LOCKED`,
      [id],
    );
    if (!backfill) return 0;
    const open: DateRow[] = await em.query(OPEN_DATES, [id]);
    const step = nextBackfillStep(open.map(dateFacts), backfill.max_active_runs);
    const now = this.clock.now();
    if (step.complete) {
      await em.query(`UPDATE backfills SET state = 'completed', completed_at = $2 WHERE id = $1`, [id, now]);
      this.logger.log(`backfill ${id} of ${backfill.dag_id} completed`);
      return 0;
    }
    if (backfill.held || step.request.length === 0) return 0;
    const byPosition = new Map(open.map((d) => [d.position, d]));
    for (const position of step.request) {
      const date = byPosition.get(position)!;
      const payload: RunRequestedPayload = {
        dagId: backfill.dag_id,
        runType: 'backfill',
        runId: backfillRunId(date.logical_date),
        logicalDate: date.logical_date.toISOString(),
        dataIntervalStart: date.data_interval_start.toISOString(),
        dataIntervalEnd: date.data_interval_end.toISOString(),
        backfillId: String(backfill.id),
        ...(date.action === 'rerun' ? { rerunIfFinished: true } : {}),
      };
      await enqueueOutbox(
        em,
        this.topics.name(TOPICS.runRequested),
        backfill.dag_id,
        envelope('run.requested', payload, now),
      );
    }
    await em.query(
      `UPDATE backfill_dates SET requested_at = $3 WHERE backfill_id = $1 AND position = ANY($2::int[])`,
      [id, step.request, now],
    );
    return step.request.length;
  }

  private async find(em: EntityManager, id: string, lock = false): Promise<BackfillRow> {
    const [row] = /^[1-9][0-9]{0,17}$/.test(id)
      ? await em.query(
          `SELECT ${BACKFILL_COLUMNS} FROM backfills b WHERE b.id = $1 ${lock ? 'FOR UPDATE' : ''}`,
          [id],
        )
      : [];
    if (!row) throw new NotFoundError(`no backfill '${id}'`);
    return row;
  }

  /** Each backfill's progress, counted in SQL by what decides a date's status. */
  private async progressOf(em: EntityManager, ids: string[]): Promise<Map<string, BackfillProgress>> {
    const groups: ProgressGroupRow[] = await em.query(
      `SELECT d.backfill_id, b.state AS backfill_state, d.action, d.requested_at IS NOT NULL AS requested,
         d.handled_at IS NOT NULL AS handled, r.state AS run_state, count(*)::int AS count
       FROM backfill_dates d JOIN backfills b ON b.id = d.backfill_id
       LEFT JOIN dag_runs r ON d.handled_at IS NOT NULL AND r.dag_id = b.dag_id AND r.run_id = d.run_id
       WHERE d.backfill_id = ANY($1::bigint[])
       GROUP BY 1, 2, 3, 4, 5, 6`,
      [ids],
    );
    return new Map(
      ids.map((id) => [
        id,
        backfillProgress(
          groups
            .filter((g) => g.backfill_id === id)
            .map((g) => ({
              status: backfillDateStatus(dateFacts({ ...g, position: 0 }), g.backfill_state),
              count: g.count,
            })),
        ),
      ]),
    );
  }
}

function readRange(request: BackfillCreateRequest, timezone: string): { from: Date; to: Date } {
  const from = parseDateInput(request.from, timezone);
  // A plain day as `to` takes in that whole day's runs (a daily 02:00 run of the last day too).
  const to = parseRangeEnd(request.to, timezone);
  const fields: Record<string, string[]> = {};
  if (!from) fields.from = ['from must be an ISO 8601 date (2026-04-01) or instant (2026-04-01T00:00:00Z)'];
  if (!to) fields.to = ['to must be an ISO 8601 date (2026-04-10) or instant (2026-04-10T00:00:00Z)'];
  if (from && to && to.getTime() < from.getTime()) {
    fields.to = [`to (${formatUtc(to.getTime())}) is before from (${formatUtc(from.getTime())}); swap them`];
  }
  if (!from || !to || Object.keys(fields).length > 0) {
    // The API answers these fields as its usual validation_failed 400.
    throw new BackfillRequestError(400, 'validation_failed', 'the backfill range is invalid', fields);
  }
  return { from, to };
}

/** The scheduled or backfill run holding each planned logical date, by epoch ms. */
async function existingRuns(
  em: EntityManager,
  dagId: string,
  runs: { logicalDate: Date }[],
): Promise<Map<number, ExistingRun>> {
  if (runs.length === 0) return new Map();
  const rows: { run_id: string; state: RunState; logical_date: Date }[] = await em.query(
    `SELECT run_id, state, logical_date FROM dag_runs
     WHERE dag_id = $1 AND run_type IN ('scheduled', 'backfill') AND logical_date = ANY($2::timestamptz[])`,
    [dagId, runs.map((r) => r.logicalDate.toISOString())],
  );
  return new Map(rows.map((r) => [r.logical_date.getTime(), { runId: r.run_id, state: r.state }]));
}

async function refuseOverlap(
  em: EntityManager,
  dagId: string,
  range: { from: Date; to: Date },
): Promise<void> {
  const running: { id: string; from_date: Date; to_date: Date }[] = await em.query(
    `SELECT id, from_date, to_date FROM backfills WHERE dag_id = $1 AND state = 'running' ORDER BY id`,
    [dagId],
  );
  const other = running.find((b) => backfillRangesOverlap(range, { from: b.from_date, to: b.to_date }));
  if (other) {
    throw new BackfillRequestError(
      409,
      'backfill_overlap',
      `DAG '${dagId}': backfill ${other.id} (${formatUtc(other.from_date.getTime())} to ` +
        `${formatUtc(other.to_date.getTime())}) is still running over part of this range; wait for it ` +
        `to complete or cancel it (POST /api/v1/backfills/${other.id}/cancel)`,
    );
  }
}

async function insertDates(
  em: EntityManager,
  backfillId: string,
  plan: PlannedBackfillDate[],
): Promise<void> {
  for (let i = 0; i < plan.length; i += 1000) {
    const chunk = plan.slice(i, i + 1000);
    await em.query(
      `INSERT INTO backfill_dates (backfill_id, position, logical_date, data_interval_start, data_interval_end,
         action, reason, run_id)
       SELECT $1, * FROM unnest($2::int[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::text[],
         $7::text[], $8::text[])`,
      [
        backfillId,
        chunk.map((d) => d.position),
        chunk.map((d) => d.logicalDate.toISOString()),
        chunk.map((d) => d.dataInterval.start.toISOString()),
        chunk.map((d) => d.dataInterval.end.toISOString()),
        chunk.map((d) => d.action),
        chunk.map((d) => d.reason),
        chunk.map((d) => d.runId),
      ],
    );
  }
}

function dateFacts(
  row: Pick<DateRow, 'position' | 'action' | 'requested' | 'handled' | 'run_state'>,
): BackfillDateFacts {
  return {
    position: row.position,
    action: row.action,
    requested: row.requested,
    handled: row.handled,
    runState: row.run_state,
  };
}

function backfillView(row: BackfillRow, progress: BackfillProgress = backfillProgress([])): BackfillView {
  return {
    id: Number(row.id),
    dagId: row.dag_id,
    from: row.from_date,
    to: row.to_date,
    reprocess: row.reprocess,
    maxActiveRuns: row.max_active_runs,
    reverse: row.reverse,
    state: row.state,
    createdAt: row.created_at,
    createdBy: row.created_by,
    completedAt: row.completed_at,
    cancelledAt: row.cancelled_at,
    progress,
  };
}
