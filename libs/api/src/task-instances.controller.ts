import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClearOptions, CoordinatorService, NotFoundError } from '@tributary/coordinator';
import { Database } from '@tributary/persistence';
import { DATABASE } from '@tributary/runtime';
import { ApiPrincipal, Principal } from './auth';
import { ClearRunDto, ClearTaskInstanceDto, LogsQuery, MarkTaskInstanceDto } from './dto';
import { taskInstanceView, tryView } from './runs.controller';

const CLEAR_DESCRIPTION =
  'Only failed / upstream_failed task instances of those named by default (`onlyFailed`); the others ' +
  'come back in `skipped` with their state. `downstream` also clears every task after a cleared one that ' +
  'has run. A queued or running task instance is never cleared (409). `dryRun` answers the same lists and ' +
  'changes nothing. The run resumes from there; successful upstream task instances keep their state.';

/** Task instances (`/api/v1/dags/:dagId/runs/:runId/...`): tries, logs, clear, mark success / failed. */
@ApiTags('task instances')
@ApiBearerAuth()
@Controller('api/v1/dags/:dagId/runs/:runId')
export class TaskInstancesController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly coordinator: CoordinatorService,
  ) {}

  @Get('tasks/:taskId')
  @ApiOperation({ summary: 'One task instance with every try' })
  async getTaskInstance(
    @Param('dagId') dagId: string,
    @Param('runId') runId: string,
    @Param('taskId') taskId: string,
  ) {
    const ti = await this.findTaskInstance(dagId, runId, taskId);
    const tries = await this.db.manager.query(
      `SELECT try_number, state, worker, queued_at, started_at, ended_at, exit_reason, error
       FROM task_instance_tries WHERE ti_id = $1 ORDER BY try_number`,
      [ti.id],
    );
    return { dagId, runId, ...taskInstanceView(ti), tries: tries.map(tryView) };
  }

  @Get('tasks/:taskId/logs')
  @ApiOperation({ summary: "A try's log lines (default: the latest try)" })
  async getLogs(
    @Param('dagId') dagId: string,
    @Param('runId') runId: string,
    @Param('taskId') taskId: string,
    @Query() query: LogsQuery,
  ) {
    const ti = await this.findTaskInstance(dagId, runId, taskId);
    const tryNumber = query.try ?? ti.try_number;
    if (tryNumber > ti.try_number)
      throw new NotFoundError(
        `task '${taskId}' of run '${runId}' has no try ${tryNumber} (it is on try ${ti.try_number})`,
      );
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

  @Post('clear')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Clear task instances of a run so they run again',
    description: CLEAR_DESCRIPTION,
  })
  async clearRun(@Param('dagId') dagId: string, @Param('runId') runId: string, @Body() body: ClearRunDto) {
    return this.clear(dagId, runId, body.taskIds, body);
  }

  @Post('tasks/:taskId/clear')
  @HttpCode(200)
  @ApiOperation({ summary: 'Clear one task instance so it runs again', description: CLEAR_DESCRIPTION })
  async clearOne(
    @Param('dagId') dagId: string,
    @Param('runId') runId: string,
    @Param('taskId') taskId: string,
    @Body() body: ClearTaskInstanceDto,
  ) {
    return this.clear(dagId, runId, [taskId], body);
  }

  @Post('tasks/:taskId/mark')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mark a task instance success or failed',
    description:
      "An operator's override through the state machine (409 when it refuses, e.g. success → success). " +
      "The executor's later result for that try is ignored. Marked success, the tasks after it that failed " +
      'only because of it run; marked failed, the tasks after it fail by their trigger rules. A finished ' +
      'run settles again. No asset event is published for its outlets.',
  })
  async mark(
    @Param('dagId') dagId: string,
    @Param('runId') runId: string,
    @Param('taskId') taskId: string,
    @Body() body: MarkTaskInstanceDto,
    @Principal() principal: ApiPrincipal,
  ) {
    const marked = await this.coordinator.markTaskInstance(dagId, runId, taskId, body.state, principal?.name);
    return { dagId, runId, taskId, state: marked.state, previousState: marked.previousState };
  }

  private async clear(dagId: string, runId: string, taskIds: string[], options: ClearOptions) {
    const plan = await this.coordinator.clear(dagId, runId, taskIds, {
      downstream: options.downstream,
      onlyFailed: options.onlyFailed,
      dryRun: options.dryRun,
    });
    return { dagId, runId, dryRun: plan.dryRun, cleared: plan.cleared, skipped: plan.skipped };
  }

  /** The TI, or a 404 that says which of DAG, run and task is missing. */
  private async findTaskInstance(dagId: string, runId: string, taskId: string) {
    const [run] = await this.db.manager.query(`SELECT id FROM dag_runs WHERE dag_id = $1 AND run_id = $2`, [
      dagId,
      runId,
    ]);
    if (!run) throw new NotFoundError(`DAG '${dagId}' has no run '${runId}'`);
    const [ti] = await this.db.manager.query(
      `SELECT id, task_id, state, try_number, worker, queued_at, started_at, ended_at FROM task_instances
       WHERE run_pk = $1 AND task_id = $2`,
      [run.id, taskId],
    );
    if (!ti) throw new NotFoundError(`run '${runId}' of DAG '${dagId}' has no task '${taskId}'`);
    return ti;
  }
}
