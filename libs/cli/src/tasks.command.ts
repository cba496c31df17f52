import { Command } from 'commander';
import { ApiOptions, CommandContext, apiPath, parseCount, withApiOptions, withJson } from './api-client';
import { CliError, EXIT_USAGE } from './cli-error';
import { DagView } from './dags.command';
import { durationBetween, formatInstant, formatJson, formatTable, plural, truncate } from './format';
import { RunDetailView, TryView } from './runs.command';

export interface ClearAnswer {
  dagId: string;
  runId: string;
  dryRun?: boolean;
  cleared: string[];
  /** Named task instances left alone, and why (e.g. `it is success, not failed (onlyFailed)`). */
  skipped?: { taskId: string; state: string; reason: string }[];
}

export interface TaskInstanceDetail {
  dagId: string;
  runId: string;
  taskId: string;
  state: string;
  tryNumber: number;
  tries: TryView[];
}

export interface LogLine {
  at: string;
  stream: string;
  level: string;
  message: string;
}

export interface LogsAnswer {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
  lines: LogLine[];
}

export const MARK_STATES = ['success', 'failed'] as const;

export function formatClear(
  answer: ClearAnswer,
  asked: { taskIds: string[]; allStates: boolean },
  statesNow?: Map<string, string>,
): string {
  const { dagId, runId, cleared } = answer;
  const lines: string[] = [];
  const list = cleared.map((t) => (statesNow?.has(t) ? `${t} (${statesNow.get(t)})` : t)).join(', ');
  if (cleared.length === 0) lines.push(`nothing to clear in run ${runId} of ${dagId}`);
  else if (answer.dryRun)
    lines.push(`would clear ${plural(cleared.length, 'task instance')} of run ${runId} of ${dagId}: ${list}`);
  else
    lines.push(
      `cleared ${plural(cleared.length, 'task instance')} of run ${runId} of ${dagId}: ${list}; the run resumes from them`,
    );
  for (const s of answer.skipped ?? []) lines.push(`  not cleared: ${s.taskId} (${s.state}): ${s.reason}`);
  if (cleared.length === 0 && !asked.allStates)
    lines.push(
      '  (only failed and upstream_failed task instances are cleared; --all-states clears them whatever their state)',
    );
  if (answer.dryRun && cleared.length > 0)
    lines.push('(dry run: nothing changed; run it again without --dry-run to clear them)');
  return lines.join('\n');
}

export function formatTaskInstance(ti: TaskInstanceDetail, zone: string, now: Date): string {
  return [
    `Task ${ti.taskId} of run ${ti.runId} (DAG ${ti.dagId}): ${ti.state}, try ${ti.tryNumber}`,
    '',
    `Tries (${ti.tries.length}):`,
    formatTable(
      ['TRY', 'STATE', 'WORKER', 'QUEUED', 'STARTED', 'DURATION', 'EXIT', 'ERROR'],
      ti.tries.map((t) => [
        t.tryNumber,
        t.state,
        t.worker,
        formatInstant(t.queuedAt, zone),
        formatInstant(t.startedAt, zone),
        t.startedAt ? durationBetween(t.startedAt, t.endedAt, now) : null,
        t.exitReason,
        t.error ? truncate(t.error, 100) : null,
      ]),
      { indent: '  ' },
    ),
  ].join('\n');
}

/** One log line: `2026-04-25T02:00:01.123Z INFO  message` (stderr lines marked). */
export function formatLogLine(line: LogLine): string {
  const level = (line.level || 'info').toUpperCase().padEnd(5);
  const stream = line.stream === 'stderr' ? ' [stderr]' : '';
  return `${line.at} ${level}${stream} ${line.message}`;
}

/** `tributary tasks clear|mark|logs|show`. */
export function registerTasksCommands(program: Command, ctx: CommandContext): void {
  const tasks = program.command('tasks').description('task instances: clear, mark, logs, show');

  withJson(
    withApiOptions(
      tasks
        .command('clear')
        .description(
          'clear task instances of a run so they run again (by default only failed ones, and the run resumes from there); needs an operator token',
        )
        .argument('<dagId>', 'the DAG')
        .argument('<runId>', 'the run')
        .argument('<taskId...>', 'the tasks to clear')
        .option('--downstream', 'also clear every task downstream of them, whatever its state')
        .option(
          '--all-states',
          'clear the named tasks whatever their state (default: only failed / upstream_failed)',
        )
        .option('--dry-run', 'print what would be cleared and change nothing'),
    ),
  ).action(
    async (
      dagId: string,
      runId: string,
      taskIds: string[],
      options: ApiOptions & { downstream?: boolean; allStates?: boolean; dryRun?: boolean },
    ) => {
      const client = ctx.client(options);
      const answer = await client.post<ClearAnswer>(apiPath`/dags/${dagId}/runs/${runId}/clear`, {
        taskIds,
        downstream: Boolean(options.downstream),
        onlyFailed: !options.allStates,
        dryRun: Boolean(options.dryRun),
      });
      if (options.json) return ctx.print(formatJson(answer));
      let statesNow: Map<string, string> | undefined;
      if (options.dryRun && answer.cleared.length > 0) {
        const run = await client.get<RunDetailView>(apiPath`/dags/${dagId}/runs/${runId}`);
        statesNow = new Map(run.taskInstances.map((t) => [t.taskId, t.state]));
      }
      ctx.print(
        formatClear(
          { ...answer, dryRun: answer.dryRun ?? Boolean(options.dryRun) },
          { taskIds, allStates: Boolean(options.allStates) },
          statesNow,
        ),
      );
    },
  );

  withJson(
    withApiOptions(
      tasks
        .command('mark')
        .description(
          'set a task instance to success or failed by hand (its downstream tasks then go on, or not); needs an operator token',
        )
        .argument('<dagId>', 'the DAG')
        .argument('<runId>', 'the run')
        .argument('<taskId>', 'the task')
        .requiredOption('--state <state>', `the new state: ${MARK_STATES.join(' or ')}`),
    ),
  ).action(async (dagId: string, runId: string, taskId: string, options: ApiOptions & { state: string }) => {
    if (!(MARK_STATES as readonly string[]).includes(options.state))
      throw new CliError(`--state: '${options.state}' must be success or failed`, EXIT_USAGE);
    const answer = await ctx
      .client(options)
      .post<{ state: string; previousState?: string }>(
        apiPath`/dags/${dagId}/runs/${runId}/tasks/${taskId}/mark`,
        {
          state: options.state,
        },
      );
    ctx.print(
      options.json
        ? formatJson(answer)
        : `marked ${taskId} of run ${runId} of ${dagId} ${answer.state ?? options.state}${answer.previousState ? ` (was ${answer.previousState})` : ''}`,
    );
  });

  withJson(
    withApiOptions(
      tasks
        .command('logs')
        .description("print the log lines of a task instance's try (the latest by default)")
        .argument('<dagId>', 'the DAG')
        .argument('<runId>', 'the run')
        .argument('<taskId>', 'the task')
        .option('--try <n>', 'which try (1 is the first)'),
    ),
  ).action(async (dagId: string, runId: string, taskId: string, options: ApiOptions & { try?: string }) => {
    const tryNumber = parseCount('--try', options.try, 1_000_000);
    const logs = await ctx
      .client(options)
      .get<LogsAnswer>(apiPath`/dags/${dagId}/runs/${runId}/tasks/${taskId}/logs`, { try: tryNumber });
    if (options.json) return ctx.print(formatJson(logs));
    ctx.note(`logs of ${taskId}, try ${logs.tryNumber}, run ${runId} of ${dagId}:`);
    if (logs.lines.length === 0) return ctx.note('(no log lines)');
    ctx.print(logs.lines.map(formatLogLine).join('\n'));
  });

  withJson(
    withApiOptions(
      tasks
        .command('show')
        .description('one task instance: its state and every try (worker, times, exit reason, error)')
        .argument('<dagId>', 'the DAG')
        .argument('<runId>', 'the run')
        .argument('<taskId>', 'the task'),
    ),
  ).action(async (dagId: string, runId: string, taskId: string, options: ApiOptions) => {
    const client = ctx.client(options);
    const ti = await client.get<TaskInstanceDetail>(apiPath`/dags/${dagId}/runs/${runId}/tasks/${taskId}`);
    if (options.json) return ctx.print(formatJson(ti));
    const dag = await client.get<DagView>(apiPath`/dags/${dagId}`);
    ctx.print(formatTaskInstance(ti, dag.timezone, ctx.io.now?.() ?? new Date()));
  });
}
