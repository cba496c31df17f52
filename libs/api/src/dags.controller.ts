import { Body, Controller, Get, Inject, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AssetsService } from '@tributary/assets';
import { CoordinatorService, NotFoundError } from '@tributary/coordinator';
import {
  DagDefinition,
  DurationInput,
  SensorDefinition,
  TaskDefinition,
  describeDuration,
  durationMs,
  topologicalOrder,
} from '@tributary/domain';
import { Database } from '@tributary/persistence';
import { DATABASE } from '@tributary/runtime';
import { SchedulerService } from '@tributary/scheduler';
import { DEFAULT_GRID_RUNS, GridQuery, ListDagsQuery, PatchDagDto } from './dto';
import { Page, pageOf, pageWindow } from './pagination';

/** A `dags` row with its latest run (one LATERAL join, not one query per DAG). */
interface DagRow {
  dag_id: string;
  definition: DagDefinition;
  schedule_kind: string;
  schedule_description: string;
  timezone: string;
  is_paused: boolean;
  is_active: boolean;
  file: string;
  bundle_version: string;
  next_logical_date: Date | null;
  next_run_after: Date | null;
  latest_run_id: string | null;
  latest_run_type: string | null;
  latest_state: string | null;
  latest_logical_date: Date | null;
}

const DAG_SELECT = `
  SELECT d.dag_id, d.definition, d.schedule_kind, d.schedule_description, d.timezone, d.is_paused, d.is_active,
         d.file, d.bundle_version, d.next_logical_date, d.next_run_after,
         lr.run_id AS latest_run_id, lr.run_type AS latest_run_type, lr.state AS latest_state,
         lr.logical_date AS latest_logical_date
  FROM dags d
  LEFT JOIN LATERAL (
    SELECT run_id, run_type, state, logical_date FROM dag_runs r WHERE r.dag_id = d.dag_id
    ORDER BY r.logical_date DESC, r.id DESC LIMIT 1
  ) lr ON true`;

/** The deployed DAGs' filters: $1 paused, $2 tag, $3 text in the id (each null when not asked). */
const DAG_FILTER = `d.is_active AND ($1::boolean IS NULL OR d.is_paused = $1)
  AND ($2::text IS NULL OR d.definition->'tags' @> jsonb_build_array($2::text))
  AND ($3::text IS NULL OR strpos(lower(d.dag_id), lower($3::text)) > 0)`;

export type DagView = ReturnType<typeof dagView>;

/** DAGs (`/api/v1/dags`): list, show with tasks, pause and unpause, and the grid of recent runs. */
@ApiTags('dags')
@ApiBearerAuth()
@Controller('api/v1')
export class DagsController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly scheduler: SchedulerService,
    private readonly assets: AssetsService,
    private readonly coordinator: CoordinatorService,
  ) {}

  @Get('dags')
  @ApiOperation({
    summary: 'Deployed DAGs by id, with schedule, next run and latest run',
    description: 'Filters: `paused=true|false`, `tag`, `q` (text in the DAG id, any case).',
  })
  async listDags(@Query() query: ListDagsQuery): Promise<Page<DagView>> {
    const window = pageWindow(query);
    const filters = [query.paused ?? null, query.tag ?? null, query.q ?? null];
    const rows: DagRow[] = await this.db.manager.query(
      `${DAG_SELECT} WHERE ${DAG_FILTER} ORDER BY d.dag_id LIMIT $4 OFFSET $5`,
      [...filters, window.limit, window.offset],
    );
    const [{ total }] = await this.db.manager.query(
      `SELECT count(*)::int AS total FROM dags d WHERE ${DAG_FILTER}`,
      filters,
    );
    return pageOf(rows.map(dagView), total, window);
  }

  @Get('dags/:dagId')
  @ApiOperation({ summary: 'One DAG with its tasks (topological order)' })
  async getDag(@Param('dagId') dagId: string) {
    const row = await this.findDag(dagId);
    const byId = new Map(row.definition.tasks.map((t) => [t.taskId, t]));
    return {
      ...dagView(row),
      tasks: topologicalOrder(row.definition.tasks).map((id) => taskView(byId.get(id)!)),
    };
  }

  @Patch('dags/:dagId')
  @ApiOperation({
    summary: 'Pause or unpause a DAG',
    description:
      'Paused, the scheduler creates no runs, requested runs wait queued and asset events queue up. ' +
      'Unpausing plans the next run from now, starts the queued runs and, for an asset-scheduled DAG, ' +
      'releases its queued events, in the same transaction.',
  })
  async patchDag(@Param('dagId') dagId: string, @Body() body: PatchDagDto) {
    const found = await this.scheduler.setPaused(dagId, body.isPaused, async (em) => {
      // Runs and asset events that queued while it was paused go ahead with the unpause, or not at all.
      if (!body.isPaused) {
        await this.assets.releaseQueuedIn(em, dagId);
        await this.coordinator.startQueuedRunsIn(em, dagId);
      }
    });
    if (!found) throw new NotFoundError(`no DAG '${dagId}'`);
    return this.getDag(dagId);
  }

  @Get('dags/:dagId/grid')
  @ApiOperation({
    summary: "Recent runs (newest first) with every task instance's state, for a grid view",
    description: '`limit` runs (default 25) from `offset`; `tasks` lists the columns in topological order.',
  })
  async grid(@Param('dagId') dagId: string, @Query() query: GridQuery) {
    const dag = await this.findDag(dagId);
    const window = pageWindow(query, DEFAULT_GRID_RUNS);
    const runs: {
      id: string;
      run_id: string;
      run_type: string;
      state: string;
      logical_date: Date;
    }[] = await this.db.manager.query(
      `SELECT id, run_id, run_type, state, logical_date FROM dag_runs WHERE dag_id = $1
       ORDER BY logical_date DESC, id DESC LIMIT $2 OFFSET $3`,
      [dagId, window.limit, window.offset],
    );
    const tis: { run_pk: string; task_id: string; state: string; try_number: number }[] =
      runs.length === 0
        ? []
        : await this.db.manager.query(
            `SELECT run_pk, task_id, state, try_number FROM task_instances WHERE run_pk = ANY($1::bigint[])`,
            [runs.map((r) => r.id)],
          );
    const byRun = new Map<string, Record<string, { state: string; tryNumber: number }>>(
      runs.map((r) => [String(r.id), {}]),
    );
    for (const ti of tis)
      byRun.get(String(ti.run_pk))![ti.task_id] = { state: ti.state, tryNumber: ti.try_number };
    return {
      dagId,
      tasks: topologicalOrder(dag.definition.tasks),
      runs: runs.map((r) => ({
        runId: r.run_id,
        runType: r.run_type,
        state: r.state,
        logicalDate: r.logical_date,
        tis: byRun.get(String(r.id))!,
      })),
    };
  }

  private async findDag(dagId: string): Promise<DagRow> {
    const [row]: DagRow[] = await this.db.manager.query(`${DAG_SELECT} WHERE d.dag_id = $1`, [dagId]);
    if (!row) throw new NotFoundError(`no DAG '${dagId}'`);
    return row;
  }
}

export function dagView(row: DagRow) {
  const def = row.definition;
  // A paused or removed DAG has no next run, whatever its bookkeeping says.
  const scheduled = row.is_active && !row.is_paused && row.next_run_after;
  return {
    dagId: row.dag_id,
    description: def.description ?? null,
    owner: def.owner ?? null,
    tags: def.tags ?? [],
    schedule: row.schedule_description,
    scheduleKind: row.schedule_kind,
    timezone: row.timezone,
    isPaused: row.is_paused,
    isActive: row.is_active,
    file: row.file,
    bundleVersion: row.bundle_version,
    maxActiveRuns: def.maxActiveRuns,
    backfillWindow: def.backfillWindow === undefined ? null : durationText(def.backfillWindow),
    nextRun: scheduled ? { logicalDate: row.next_logical_date, runAfter: row.next_run_after } : null,
    latestRun: row.latest_run_id
      ? {
          runId: row.latest_run_id,
          runType: row.latest_run_type,
          state: row.latest_state,
          logicalDate: row.latest_logical_date,
        }
      : null,
  };
}

function taskView(task: TaskDefinition) {
  return {
    taskId: task.taskId,
    upstreams: task.upstreams,
    kind: task.kind,
    retries: task.retry?.retries ?? 0,
    triggerRule: task.triggerRule,
    ...(task.sensor ? { sensor: sensorView(task.sensor) } : {}),
    inlets: task.inlets ?? [],
    outlets: task.outlets ?? [],
  };
}

function sensorView(sensor: SensorDefinition) {
  return {
    mode: sensor.mode,
    check: sensor.check,
    pokeInterval: durationText(sensor.pokeInterval),
    timeout: sensor.timeout === undefined ? null : durationText(sensor.timeout),
    softFail: sensor.softFail,
  };
}

/** '30d' → '30 days'; a deployed definition's durations were validated, but never fail a read on one. */
function durationText(input: DurationInput): string {
  try {
    return describeDuration(durationMs(input));
  } catch {
    return String(input);
  }
}
