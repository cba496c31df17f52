import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CoordinatorService, NotFoundError } from '@tributary/coordinator';
import { Database } from '@tributary/persistence';
import { DATABASE } from '@tributary/runtime';
import { SchedulerService } from '@tributary/scheduler';
import { eventView } from './assets.controller';
import { ListAllRunsQuery, ListRunsQuery, TriggerRunDto } from './dto';
import { Page, pageOf, pageWindow } from './pagination';

/** The columns `runView` reads. */
export const RUN_COLUMNS = `id, dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end,
  queued_at, started_at, ended_at, backfill_id`;

export interface RunRow {
  id: string;
  dag_id: string;
  run_id: string;
  run_type: string;
  state: string;
  logical_date: Date;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  queued_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  backfill_id: string | null;
}

export type RunView = ReturnType<typeof runView>;

/** Runs (`/api/v1`): trigger, list per DAG and across DAGs, detail, and the deliberate whole-run rerun. */
@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1')
export class RunsController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly scheduler: SchedulerService,
    private readonly coordinator: CoordinatorService,
  ) {}

  /** 202 `requested` the first time; 200 `duplicate` with the first run id when the idempotencyKey was seen. */
  @Post('dags/:dagId/runs')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Trigger a manual run',
    description:
      '202 `requested`; a repeated `idempotencyKey` answers 200 `duplicate` with the first run id.',
  })
  async triggerRun(
    @Param('dagId') dagId: string,
    @Body() body: TriggerRunDto,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const requested = await this.scheduler.requestRun(dagId, 'manual', {
      logicalDate: body.logicalDate ? new Date(body.logicalDate) : undefined,
      conf: body.conf,
      runId: body.runId,
      idempotencyKey: body.idempotencyKey,
      note: body.note,
    });
    if (!requested) throw new NotFoundError(`no DAG '${dagId}'`);
    if (requested.duplicate) response.status(200);
    return { dagId, runId: requested.runId, status: requested.duplicate ? 'duplicate' : 'requested' };
  }

  @Get('dags/:dagId/runs')
  @ApiOperation({
    summary: "A DAG's runs, newest logical date first",
    description: 'Filters: `state`, `runType`.',
  })
  async listRuns(@Param('dagId') dagId: string, @Query() query: ListRunsQuery): Promise<Page<RunView>> {
    const [dag] = await this.db.manager.query(`SELECT 1 FROM dags WHERE dag_id = $1`, [dagId]);
    if (!dag) throw new NotFoundError(`no DAG '${dagId}'`);
    return this.runs({ ...query, dagId });
  }

  @Get('runs')
  @ApiOperation({
    summary: 'Runs of every DAG, newest logical date first',
    description: 'Filters: `dagId`, `state`, `runType`.',
  })
  async listAllRuns(@Query() query: ListAllRunsQuery): Promise<Page<RunView>> {
    return this.runs(query);
  }

  @Get('dags/:dagId/runs/:runId')
  @ApiOperation({
    summary:
      'One run: conf, task instances with their tries, input freshness and the asset events that triggered it',
  })
  async getRun(@Param('dagId') dagId: string, @Param('runId') runId: string) {
    const [run] = await this.db.manager.query(
      `SELECT ${RUN_COLUMNS}, conf, note, input_freshness FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
      [dagId, runId],
    );
    if (!run) throw new NotFoundError(`DAG '${dagId}' has no run '${runId}'`);
    const tis = await this.db.manager.query(
      `SELECT id, task_id, state, try_number, worker, queued_at, started_at, ended_at FROM task_instances
       WHERE run_pk = $1 ORDER BY id`,
      [run.id],
    );
    const tries = await this.db.manager.query(
      `SELECT ti_id, try_number, state, worker, queued_at, started_at, ended_at, exit_reason, error
       FROM task_instance_tries WHERE ti_id = ANY($1::bigint[]) ORDER BY ti_id, try_number`,
      [tis.map((t: { id: string }) => t.id)],
    );
    const events = await this.db.manager.query(
      `SELECT e.event_id, e.asset_name, e.partition, e.metadata, e.source_dag_id, e.source_run_id, e.source_task_id,
              e.source_try_number, e.interval_start, e.interval_end, e.created_at
       FROM run_asset_events r JOIN asset_events e ON e.id = r.asset_event_id WHERE r.run_pk = $1 ORDER BY e.id`,
      [run.id],
    );
    return {
      ...runView(run),
      conf: run.conf,
      note: run.note ?? null,
      taskInstances: tis.map((t: Record<string, unknown>) => ({
        ...taskInstanceView(t),
        tries: tries.filter((x: { ti_id: string }) => x.ti_id === t.id).map(tryView),
      })),
      // How each input stood against its freshness contract when the run started (null: no inputs).
      inputFreshness: run.input_freshness ?? null,
      triggeringAssetEvents: events.map((e: Record<string, unknown>) => ({
        ...eventView(e),
        sourceDagId: e.source_dag_id,
        sourceRunId: e.source_run_id,
      })),
    };
  }

  @Post('dags/:dagId/runs/:runId/rerun')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rerun a whole finished run',
    description:
      'The deliberate rerun: every task instance goes back to scheduled and the run is queued again. ' +
      'A queued or running run is a 409. To rerun only what failed, clear task instances instead.',
  })
  async rerun(@Param('dagId') dagId: string, @Param('runId') runId: string) {
    await this.coordinator.rerunRun(dagId, runId);
    return { dagId, runId, status: 'queued' };
  }

  /** One page of runs with the total the same filters match. */
  private async runs(query: ListAllRunsQuery): Promise<Page<RunView>> {
    const window = pageWindow(query);
    const filters = [query.dagId ?? null, query.state ?? null, query.runType ?? null];
    const where = `($1::text IS NULL OR dag_id = $1) AND ($2::text IS NULL OR state = $2)
      AND ($3::text IS NULL OR run_type = $3)`;
    const rows: RunRow[] = await this.db.manager.query(
      `SELECT ${RUN_COLUMNS} FROM dag_runs WHERE ${where} ORDER BY logical_date DESC, id DESC LIMIT $4 OFFSET $5`,
      [...filters, window.limit, window.offset],
    );
    const [{ total }] = await this.db.manager.query(
      `SELECT count(*)::int AS total FROM dag_runs WHERE ${where}`,
      filters,
    );
    return pageOf(rows.map(runView), total, window);
  }
}

export function runView(row: RunRow) {
  return {
    dagId: row.dag_id,
    runId: row.run_id,
    runType: row.run_type,
    state: row.state,
    logicalDate: row.logical_date,
    dataInterval: row.data_interval_start
      ? { start: row.data_interval_start, end: row.data_interval_end }
      : null,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    backfillId: row.backfill_id === null ? null : String(row.backfill_id),
  };
}

// Rows come straight from SQL: their shape is the SELECT that read them.
export function taskInstanceView(row: Record<string, unknown>) {
  return {
    taskId: row.task_id,
    state: row.state,
    tryNumber: row.try_number,
    worker: row.worker,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

export function tryView(row: Record<string, unknown>) {
  return {
    tryNumber: row.try_number,
    state: row.state,
    worker: row.worker,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitReason: row.exit_reason,
    error: row.error,
  };
}
