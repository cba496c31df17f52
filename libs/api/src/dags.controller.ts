import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { AssetsService } from '@tributary/assets';
import { CoordinatorService, NotFoundError } from '@tributary/coordinator';
import { Database } from '@tributary/persistence';
import { DATABASE } from '@tributary/runtime';
import { SchedulerService } from '@tributary/scheduler';
import { eventView } from './assets.controller';
import { ClearTaskInstanceDto, PatchDagDto, TriggerRunDto } from './dto';

/** The first slice of the REST API (`/api/v1`): DAGs, runs, task instances with tries, logs, clear. */
@Controller('api/v1')
export class DagsController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly scheduler: SchedulerService,
    private readonly coordinator: CoordinatorService,
    private readonly assets: AssetsService,
  ) {}

  @Get('dags')
  async listDags() {
    const rows = await this.db.manager.query(
      `SELECT dag_id, definition, schedule_description, timezone, is_paused, file, bundle_version,
              next_logical_date, next_run_after
       FROM dags WHERE is_active ORDER BY dag_id`,
    );
    return { dags: rows.map(dagView) };
  }

  @Get('dags/:dagId')
  async getDag(@Param('dagId') dagId: string) {
    const [row] = await this.db.manager.query(
      `SELECT dag_id, definition, schedule_description, timezone, is_paused, file, bundle_version,
              next_logical_date, next_run_after FROM dags WHERE dag_id = $1`,
      [dagId],
    );
    if (!row) throw new NotFoundError(`no DAG '${dagId}'`);
    return { ...dagView(row), tasks: row.definition.tasks };
  }

  @Patch('dags/:dagId')
  async patchDag(@Param('dagId') dagId: string, @Body() body: PatchDagDto) {
    if (!(await this.scheduler.setPaused(dagId, body.isPaused))) throw new NotFoundError(`no DAG '${dagId}'`);
    // An asset-scheduled DAG runs on the events that queued while it was paused.
    if (!body.isPaused) await this.assets.releaseQueued(dagId);
    return this.getDag(dagId);
  }

  /** 202 `requested` the first time; 200 `duplicate` with the first run id when the idempotencyKey was seen. */
  @Post('dags/:dagId/runs')
  @HttpCode(202)
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
  async listRuns(@Param('dagId') dagId: string, @Query('state') state?: string) {
    const rows = await this.db.manager.query(
      `SELECT run_id, run_type, state, logical_date, data_interval_start, data_interval_end, queued_at, started_at, ended_at
       FROM dag_runs WHERE dag_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY logical_date DESC, id DESC LIMIT 500`,
      [dagId, state ?? null],
    );
    return { dagId, runs: rows.map(runView) };
  }

  @Get('dags/:dagId/runs/:runId')
  async getRun(@Param('dagId') dagId: string, @Param('runId') runId: string) {
    const [run] = await this.db.manager.query(
      `SELECT id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, conf, queued_at,
              started_at, ended_at, input_freshness FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
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
      dagId,
      ...runView(run),
      conf: run.conf,
      taskInstances: tis.map((t: Record<string, unknown>) => ({
        taskId: t.task_id,
        state: t.state,
        tryNumber: t.try_number,
        worker: t.worker,
        queuedAt: t.queued_at,
        startedAt: t.started_at,
        endedAt: t.ended_at,
        tries: tries
          .filter((x: { ti_id: string }) => x.ti_id === t.id)
          .map((x: Record<string, unknown>) => ({
            tryNumber: x.try_number,
            state: x.state,
            worker: x.worker,
            queuedAt: x.queued_at,
            startedAt: x.started_at,
            endedAt: x.ended_at,
            exitReason: x.exit_reason,
            error: x.error,
          })),
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

  @Get('dags/:dagId/runs/:runId/tasks/:taskId/logs')
  async getLogs(
    @Param('dagId') dagId: string,
    @Param('runId') runId: string,
    @Param('taskId') taskId: string,
    @Query('try') tryParam?: string,
  ) {
    const [ti] = await this.db.manager.query(
      `SELECT id, try_number FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND task_id = $3`,
      [dagId, runId, taskId],
    );
    if (!ti) throw new NotFoundError(`run '${runId}' of DAG '${dagId}' has no task '${taskId}'`);
    const tryNumber = tryParam === undefined ? ti.try_number : Number(tryParam);
    const lines = await this.db.manager.query(
      `SELECT logged_at, stream, level, message FROM task_instance_logs WHERE ti_id = $1 AND try_number = $2 ORDER BY id`,
      [ti.id, tryNumber],
    );
    return {
      dagId,
      runId,
      taskId,
      tryNumber,
      lines: lines.map((l: Record<string, unknown>) => ({
        at: l.logged_at,
        stream: l.stream,
        level: l.level,
        message: l.message,
      })),
    };
  }

  @Post('dags/:dagId/runs/:runId/tasks/:taskId/clear')
  async clear(
    @Param('dagId') dagId: string,
    @Param('runId') runId: string,
    @Param('taskId') taskId: string,
    @Body() body: ClearTaskInstanceDto,
  ) {
    const cleared = await this.coordinator.clearTaskInstances(dagId, runId, [taskId], {
      downstream: body.downstream,
    });
    return { dagId, runId, cleared };
  }

  @Post('dags/:dagId/runs/:runId/rerun')
  @HttpCode(202)
  async rerun(@Param('dagId') dagId: string, @Param('runId') runId: string) {
    await this.coordinator.rerunRun(dagId, runId);
    return { dagId, runId, status: 'queued' };
  }
}

// Rows come straight from SQL: their shape is the SELECT above.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function dagView(row: Record<string, any>) {
  const def = row.definition;
  return {
    dagId: row.dag_id,
    description: def.description ?? null,
    owner: def.owner ?? null,
    tags: def.tags ?? [],
    schedule: row.schedule_description,
    timezone: row.timezone,
    isPaused: row.is_paused,
    file: row.file,
    bundleVersion: row.bundle_version,
    nextRun: row.next_run_after ? { logicalDate: row.next_logical_date, runAfter: row.next_run_after } : null,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function runView(row: Record<string, any>) {
  return {
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
  };
}
