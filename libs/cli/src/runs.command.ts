import { Command } from 'commander';
import {
  ApiClient,
  ApiError,
  ApiOptions,
  CommandContext,
  apiPath,
  follow,
  parseCount,
  withApiOptions,
  withJson,
} from './api-client';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE } from './cli-error';
import { DagView, Page, dagTimezones, pageNote } from './dags.command';
import {
  ProgressLine,
  durationBetween,
  formatFields,
  formatInstant,
  formatJson,
  formatLogicalDate,
  formatTable,
  plural,
  progressBar,
  truncate,
} from './format';

export const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export const RUN_TYPES = ['scheduled', 'manual', 'backfill', 'asset_triggered', 'external'] as const;
/** TI states after which a task instance does nothing more (unless cleared). */
export const FINISHED_TI_STATES = new Set(['success', 'failed', 'upstream_failed', 'skipped']);

export interface RunView {
  dagId: string;
  runId: string;
  runType: string;
  state: string;
  logicalDate: string;
  dataInterval: { start: string; end: string } | null;
  queuedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  backfillId: string | number | null;
}

export interface TryView {
  tryNumber: number;
  state: string;
  worker: string | null;
  queuedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  exitReason: string | null;
  error: string | null;
}

export interface TaskInstanceView {
  taskId: string;
  state: string;
  tryNumber: number;
  worker: string | null;
  queuedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  tries: TryView[];
}

export interface InputFreshnessView {
  asset: string;
  partition: string | null;
  contract: string | null;
  status: string;
  satisfied: boolean;
  deadline: string | null;
  completedAt: string | null;
  lateByMs: number;
}

export interface AssetEventView {
  eventId: string;
  asset: string;
  partition: string | null;
  metadata: Record<string, unknown>;
  source: { dagId: string; runId: string; taskId: string; tryNumber: number } | null;
  createdAt: string;
}

export interface RunDetailView extends RunView {
  conf: Record<string, unknown> | null;
  taskInstances: TaskInstanceView[];
  inputFreshness?: InputFreshnessView[];
  triggeringAssetEvents?: AssetEventView[];
}

export interface TriggerAnswer {
  dagId: string;
  runId: string;
  status: string;
}

function isDone(run: { state: string }): boolean {
  return run.state === 'success' || run.state === 'failed';
}

export function formatRunList(page: Page<RunView>, zones: Map<string, string>, now: Date): string {
  if (page.items.length === 0) return 'No runs match.';
  return formatTable(
    ['DAG', 'RUN ID', 'TYPE', 'STATE', 'LOGICAL DATE', 'STARTED', 'DURATION'],
    page.items.map((r) => {
      const zone = zones.get(r.dagId) ?? 'UTC';
      return [
        r.dagId,
        r.runId,
        r.runType,
        r.state,
        formatLogicalDate(r.logicalDate, zone),
        formatInstant(r.startedAt, zone),
        r.startedAt ? durationBetween(r.startedAt, r.endedAt, now) : null,
      ];
    }),
  );
}

/** `#1 failed, #2 success`. */
export function triesSummary(ti: TaskInstanceView): string {
  return ti.tries.map((t) => `#${t.tryNumber} ${t.state}`).join(', ');
}

function lastError(ti: TaskInstanceView): string | null {
  const failed = [...ti.tries].reverse().find((t) => t.error);
  return failed?.error ?? null;
}

export function formatRunDetail(run: RunDetailView, zone: string, now: Date): string {
  const interval = run.dataInterval
    ? `  (interval ${formatInstant(run.dataInterval.start, zone)} → ${formatInstant(run.dataInterval.end, zone)})`
    : '';
  const lines = [
    `Run ${run.runId} of DAG ${run.dagId}: ${run.state}`,
    formatFields([
      ['type', run.runType],
      ['logical date', `${formatLogicalDate(run.logicalDate, zone)}${interval}`],
      ['queued', formatInstant(run.queuedAt, zone)],
      ['started', run.startedAt ? formatInstant(run.startedAt, zone) : null],
      [
        'ended',
        run.endedAt
          ? `${formatInstant(run.endedAt, zone)}  (took ${durationBetween(run.startedAt ?? run.queuedAt, run.endedAt, now)})`
          : null,
      ],
      ['backfill', run.backfillId === null || run.backfillId === undefined ? null : String(run.backfillId)],
      ['conf', run.conf && Object.keys(run.conf).length > 0 ? JSON.stringify(run.conf) : null],
    ]),
    '',
    `Task instances (${run.taskInstances.length}):`,
    formatTable(
      ['TASK', 'STATE', 'TRY', 'WORKER', 'STARTED', 'DURATION', 'TRIES', 'ERROR'],
      run.taskInstances.map((ti) => [
        ti.taskId,
        ti.state,
        ti.tryNumber,
        ti.worker,
        formatInstant(ti.startedAt, zone),
        ti.startedAt ? durationBetween(ti.startedAt, ti.endedAt, now) : null,
        triesSummary(ti),
        ti.state === 'success' ? null : truncate(lastError(ti) ?? '', 80),
      ]),
      { indent: '  ' },
    ),
  ];
  const inputs = run.inputFreshness ?? [];
  if (inputs.length > 0) {
    lines.push(
      '',
      'Inputs at run start:',
      formatTable(
        ['ASSET', 'PARTITION', 'STATUS', 'SATISFIED', 'CONTRACT'],
        inputs.map((i) => [i.asset, i.partition, i.status, i.satisfied, i.contract]),
        { indent: '  ' },
      ),
    );
  }
  const events = run.triggeringAssetEvents ?? [];
  if (events.length > 0) {
    lines.push(
      '',
      'Triggered by asset events:',
      formatTable(
        ['ASSET', 'PARTITION', 'FROM', 'AT'],
        events.map((e) => [e.asset, e.partition, sourceText(e.source), formatInstant(e.createdAt, zone)]),
        { indent: '  ' },
      ),
    );
  }
  return lines.join('\n');
}

export function sourceText(source: AssetEventView['source']): string {
  return source
    ? `${source.dagId}/${source.runId}/${source.taskId}#${source.tryNumber}`
    : 'outside (API or Kafka)';
}

/** The progress line of `trigger --wait`: task instances finished out of all. */
export function runProgressLine(run: RunDetailView): { line: string; fraction: number } {
  const tis = run.taskInstances ?? [];
  const finished = tis.filter((t) => FINISHED_TI_STATES.has(t.state)).length;
  const running = tis.filter((t) => t.state === 'running' || t.state === 'deferred').length;
  const failed = tis.filter((t) => t.state === 'failed' || t.state === 'upstream_failed').length;
  const fraction = tis.length === 0 ? 0 : finished / tis.length;
  const parts = [`${finished}/${tis.length} tasks done`, `${running} running`];
  if (failed > 0) parts.push(`${failed} failed`);
  return {
    line: `${progressBar(fraction, 20)} ${String(Math.round(fraction * 100)).padStart(3)}%  ${run.state.padEnd(7)}  ${parts.join(' · ')}`,
    fraction,
  };
}

/** What `trigger --wait` prints when the run ends. */
export function formatRunOutcome(run: RunDetailView, now: Date): string {
  const took = durationBetween(run.startedAt ?? run.queuedAt, run.endedAt, now);
  if (run.state === 'success') return `run ${run.runId} of ${run.dagId} succeeded in ${took}`;
  const lines = [`run ${run.runId} of ${run.dagId} failed after ${took}`];
  const failed = run.taskInstances.filter((t) => t.state === 'failed');
  for (const ti of failed) {
    const error = lastError(ti);
    lines.push(`  failed: ${ti.taskId} (try ${ti.tryNumber})${error ? `: ${truncate(error, 200)}` : ''}`);
  }
  const upstreamFailed = run.taskInstances.filter((t) => t.state === 'upstream_failed').map((t) => t.taskId);
  if (upstreamFailed.length > 0) lines.push(`  upstream failed: ${upstreamFailed.join(', ')}`);
  if (failed.length > 0) {
    const first = failed[0].taskId;
    lines.push(
      `  logs:  tributary tasks logs ${run.dagId} ${run.runId} ${first}`,
      `  retry: tributary tasks clear ${run.dagId} ${run.runId} ${failed.map((t) => t.taskId).join(' ')} --downstream`,
    );
  }
  return lines.join('\n');
}

/** How long a just-requested run may stay unknown (the request is still on its way) before a 404 counts. */
const RUN_APPEARS_WITHIN_MS = 30_000;

/**
 * Follows a run until it succeeds or fails, drawing its progress on stderr; the exit code says how
 * it ended (1 failed, 130 Ctrl-C).
 */
export async function waitForRun(
  ctx: CommandContext,
  client: ApiClient,
  dagId: string,
  runId: string,
  json: boolean,
): Promise<void> {
  const started = Date.now();
  const progress = new ProgressLine(ctx.io.stderr, Boolean(ctx.io.interactive));
  const placeholder = (): RunDetailView =>
    ({ dagId, runId, state: 'requested', taskInstances: [] }) as unknown as RunDetailView;
  const { last, interrupted } = await follow<RunDetailView>(
    ctx.io,
    async () => {
      try {
        return await client.get<RunDetailView>(apiPath`/dags/${dagId}/runs/${runId}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && Date.now() - started < RUN_APPEARS_WITHIN_MS)
          return placeholder();
        throw error;
      }
    },
    isDone,
    (run) => {
      if (!isDone(run)) {
        const { line, fraction } = runProgressLine(run);
        progress.update(line, fraction);
      }
    },
  );
  const now = ctx.io.now?.() ?? new Date();
  if (interrupted) {
    if (ctx.io.interactive) ctx.io.stderr('\n');
    ctx.note(`stopped watching; run ${runId} goes on. See it with: tributary runs show ${dagId} ${runId}`);
    throw new CliError('', EXIT_INTERRUPTED);
  }
  progress.finish(runProgressLine(last).line);
  ctx.print(json ? formatJson(last) : formatRunOutcome(last, now));
  if (last.state !== 'success') throw new CliError('', EXIT_FAILURE);
}

function parseConf(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let conf: unknown;
  try {
    conf = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `--conf: not JSON (${(error as Error).message}); pass an object, e.g. --conf '{"date": "2026-04-25"}'`,
      EXIT_USAGE,
    );
  }
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf))
    throw new CliError(`--conf: must be a JSON object, e.g. --conf '{"date": "2026-04-25"}'`, EXIT_USAGE);
  return conf as Record<string, unknown>;
}

function checkChoice(flag: string, value: string | undefined, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value))
    throw new CliError(`${flag}: '${value}' is not one of ${choices.join(', ')}`, EXIT_USAGE);
}

/** `tributary trigger` and `tributary runs list|show|rerun`. */
export function registerRunsCommands(program: Command, ctx: CommandContext): void {
  withJson(
    withApiOptions(
      program
        .command('trigger')
        .description(
          'start a manual run of a DAG; with --wait, follow it until it ends (exit 1 when it failed); needs an operator token',
        )
        .argument('<dagId>', 'the DAG')
        .option('--conf <json>', 'the run\'s conf, a JSON object, e.g. \'{"date": "2026-04-25"}\'')
        .option('--logical-date <iso>', 'the logical date (ISO 8601 instant; default: now)')
        .option('--run-id <id>', 'the run id (default: manual__<logical date>)')
        .option('--idempotency-key <key>', 'a retried trigger with the same key is the same run')
        .option('--note <text>', 'a note kept with the run')
        .option('--wait', 'follow the run until it ends: exit 0 when it succeeded, 1 when it failed'),
    ),
    "print the API's answer as one JSON document (with --wait: the finished run)",
  ).action(
    async (
      dagId: string,
      options: ApiOptions & {
        conf?: string;
        logicalDate?: string;
        runId?: string;
        idempotencyKey?: string;
        note?: string;
        wait?: boolean;
      },
    ) => {
      const conf = parseConf(options.conf);
      const client = ctx.client(options);
      const answer = await client.post<TriggerAnswer>(apiPath`/dags/${dagId}/runs`, {
        ...(conf !== undefined ? { conf } : {}),
        ...(options.logicalDate !== undefined ? { logicalDate: options.logicalDate } : {}),
        ...(options.runId !== undefined ? { runId: options.runId } : {}),
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        ...(options.note !== undefined ? { note: options.note } : {}),
      });
      const what =
        answer.status === 'duplicate'
          ? `run ${answer.runId} of ${dagId} was already requested with this idempotency key`
          : `triggered ${dagId}: run ${answer.runId}`;
      if (!options.wait) return ctx.print(options.json ? formatJson(answer) : what);
      ctx.note(what);
      const dag = await client.get<DagView>(apiPath`/dags/${dagId}`);
      if (dag.isPaused)
        ctx.note(
          `DAG ${dagId} is paused: the run waits queued until \`tributary dags unpause ${dagId}\` (Ctrl-C stops watching)`,
        );
      await waitForRun(ctx, client, dagId, answer.runId, Boolean(options.json));
    },
  );

  const runs = program.command('runs').description('DAG runs: list, show, rerun');

  withJson(
    withApiOptions(
      runs
        .command('list')
        .description("list runs, newest first (times in each DAG's timezone)")
        .option('--dag <dagId>', "only this DAG's runs")
        .option('--state <state>', `only runs in this state: ${RUN_STATES.join(', ')}`)
        .option('--type <type>', `only runs of this type: ${RUN_TYPES.join(', ')}`)
        .option('--limit <n>', 'at most this many (1-1000)', '50'),
    ),
  ).action(async (options: ApiOptions & { dag?: string; state?: string; type?: string; limit: string }) => {
    checkChoice('--state', options.state, RUN_STATES);
    checkChoice('--type', options.type, RUN_TYPES);
    const limit = parseCount('--limit', options.limit);
    const client = ctx.client(options);
    const query = { state: options.state, runType: options.type, limit };
    const page = options.dag
      ? await client.get<Page<RunView>>(apiPath`/dags/${options.dag}/runs`, query)
      : await client.get<Page<RunView>>('/runs', query);
    if (options.json) return ctx.print(formatJson(page));
    const zones = options.dag
      ? new Map([[options.dag, (await client.get<DagView>(apiPath`/dags/${options.dag}`)).timezone]])
      : page.items.length > 0
        ? await dagTimezones(client)
        : new Map<string, string>();
    ctx.print(formatRunList(page, zones, ctx.io.now?.() ?? new Date()));
    const note = pageNote(page, 'runs');
    if (note) ctx.note(note);
  });

  withJson(
    withApiOptions(
      runs
        .command('show')
        .description(
          'one run: its task instances with their tries, its inputs and the asset events that triggered it',
        )
        .argument('<dagId>', 'the DAG')
        .argument('<runId>', 'the run'),
    ),
  ).action(async (dagId: string, runId: string, options: ApiOptions) => {
    const client = ctx.client(options);
    const run = await client.get<RunDetailView>(apiPath`/dags/${dagId}/runs/${runId}`);
    if (options.json) return ctx.print(formatJson(run));
    const dag = await client.get<DagView>(apiPath`/dags/${dagId}`);
    ctx.print(formatRunDetail(run, dag.timezone, ctx.io.now?.() ?? new Date()));
  });

  withJson(
    withApiOptions(
      runs
        .command('rerun')
        .description(
          'rerun a whole run from scratch: every task instance runs again, whatever its state (needs --yes; to rerun only what failed, use `tasks clear`); needs an operator token',
        )
        .argument('<dagId>', 'the DAG')
        .argument('<runId>', 'the run')
        .option('--yes', 'really rerun every task instance of the run'),
    ),
  ).action(async (dagId: string, runId: string, options: ApiOptions & { yes?: boolean }) => {
    const client = ctx.client(options);
    if (!options.yes) {
      const run = await client.get<RunDetailView>(apiPath`/dags/${dagId}/runs/${runId}`);
      throw new CliError(
        [
          `refusing without --yes: this would rerun run ${runId} of ${dagId} (${run.state}) from scratch:`,
          `  all ${plural(run.taskInstances.length, 'task instance')} (${stateCounts(run.taskInstances)}) run again, successful ones included.`,
          `  Pass --yes to do it; to rerun only what failed: tributary tasks clear ${dagId} ${runId} <taskId> --downstream`,
        ].join('\n'),
        EXIT_USAGE,
      );
    }
    const answer = await client.post<TriggerAnswer>(apiPath`/dags/${dagId}/runs/${runId}/rerun`);
    ctx.print(
      options.json
        ? formatJson(answer)
        : `run ${runId} of ${dagId} is ${answer.status} to run again from scratch; follow it with: tributary runs show ${dagId} ${runId}`,
    );
  });
}

/** `3 success, 1 failed`. */
export function stateCounts(tis: { state: string }[]): string {
  const counts = new Map<string, number>();
  for (const ti of tis) counts.set(ti.state, (counts.get(ti.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'none yet';
}
