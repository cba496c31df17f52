import { Command } from 'commander';
import {
  ApiClient,
  ApiOptions,
  CommandContext,
  apiPath,
  parseCount,
  withApiOptions,
  withJson,
} from './api-client';
import { CliError, EXIT_USAGE } from './cli-error';
import { formatFields, formatInstant, formatJson, formatLogicalDate, formatTable } from './format';

/** A page of a list, as every list endpoint answers. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface DagView {
  dagId: string;
  description: string | null;
  owner: string | null;
  tags: string[];
  schedule: string;
  scheduleKind: string;
  timezone: string;
  isPaused: boolean;
  isActive: boolean;
  file: string | null;
  bundleVersion: string | null;
  maxActiveRuns: number | null;
  backfillWindow: string | null;
  nextRun: { logicalDate: string; runAfter: string } | null;
  latestRun: { runId: string; runType: string; state: string; logicalDate: string } | null;
}

export interface DagTaskView {
  taskId: string;
  upstreams: string[];
  kind: string;
  retries: number | null;
  triggerRule: string | null;
  sensor?: { mode?: string; family?: string; kind?: string } | null;
  inlets: (string | { name: string })[];
  outlets: (string | { name: string })[];
}

export interface DagDetailView extends DagView {
  tasks: DagTaskView[];
}

export function assetNames(list: (string | { name: string })[] | undefined): string {
  return (list ?? []).map((a) => (typeof a === 'string' ? a : a.name)).join(', ');
}

/** A zone per DAG (runs and backfills print their times in their DAG's zone). */
export async function dagTimezones(client: ApiClient): Promise<Map<string, string>> {
  const page = await client.get<Page<DagView>>('/dags', { limit: 1000 });
  return new Map(page.items.map((d) => [d.dagId, d.timezone]));
}

/** One line under a list when the page does not hold everything. */
export function pageNote(page: Page<unknown>, what: string): string | null {
  if (page.total <= page.items.length) return null;
  return `showing ${page.items.length} of ${page.total} ${what}; pass --limit to see more`;
}

export function formatDagList(page: Page<DagView>): string {
  if (page.items.length === 0) return 'No DAGs match.';
  return formatTable(
    ['DAG', 'PAUSED', 'SCHEDULE', 'NEXT RUN', 'LATEST RUN', 'TAGS'],
    page.items.map((d) => [
      d.dagId,
      d.isPaused,
      d.schedule,
      d.nextRun ? formatInstant(d.nextRun.runAfter, d.timezone) : null,
      d.latestRun ? `${d.latestRun.state} (${formatLogicalDate(d.latestRun.logicalDate, d.timezone)})` : null,
      d.tags.join(','),
    ]),
  );
}

export function formatDagDetail(dag: DagDetailView): string {
  const zone = dag.timezone;
  const lines = [
    `DAG ${dag.dagId}${dag.isPaused ? '  (paused)' : ''}${dag.isActive === false ? '  (no longer deployed)' : ''}`,
    formatFields([
      ['description', dag.description],
      ['owner', dag.owner],
      ['tags', dag.tags.join(', ')],
      ['schedule', dag.schedule],
      ['timezone', zone],
      [
        'next run',
        dag.nextRun
          ? `${formatInstant(dag.nextRun.runAfter, zone)} for logical date ${formatLogicalDate(dag.nextRun.logicalDate, zone)}`
          : dag.isPaused
            ? 'none while paused'
            : 'on events or triggers',
      ],
      [
        'latest run',
        dag.latestRun
          ? `${dag.latestRun.runId}  ${dag.latestRun.state}  (${dag.latestRun.runType}, logical date ${formatLogicalDate(dag.latestRun.logicalDate, zone)})`
          : 'none yet',
      ],
      ['max active runs', dag.maxActiveRuns],
      ['backfill window', dag.backfillWindow],
      ['file', dag.file ? `${dag.file}${dag.bundleVersion ? `  (bundle ${dag.bundleVersion})` : ''}` : null],
    ]),
    '',
    `Tasks (${dag.tasks.length}):`,
    formatTable(
      ['TASK', 'KIND', 'UPSTREAMS', 'RETRIES', 'TRIGGER RULE', 'INLETS', 'OUTLETS'],
      dag.tasks.map((t) => [
        t.taskId,
        t.sensor?.mode ? `${t.kind} (${t.sensor.mode})` : t.kind,
        t.upstreams.join(', '),
        t.retries,
        t.triggerRule,
        assetNames(t.inlets),
        assetNames(t.outlets),
      ]),
      { indent: '  ' },
    ),
  ];
  return lines.join('\n');
}

export function formatPaused(dag: DagView): string {
  if (dag.isPaused) return `DAG ${dag.dagId} is paused: no new runs start; runs already running finish.`;
  const next = dag.nextRun
    ? `next run ${formatInstant(dag.nextRun.runAfter, dag.timezone)} for logical date ${formatLogicalDate(dag.nextRun.logicalDate, dag.timezone)}`
    : 'it runs on events or triggers';
  return `DAG ${dag.dagId} is unpaused: ${next}.`;
}

/** `tributary dags list|show|pause|unpause` (`dags validate` is wired in program.ts). */
export function registerDagsCommands(dags: Command, ctx: CommandContext): void {
  withJson(
    withApiOptions(
      dags
        .command('list')
        .description('list deployed DAGs: schedule, paused, next run, latest run')
        .option('--paused', 'only paused DAGs')
        .option('--active', 'only DAGs that are not paused')
        .option('--tag <tag>', 'only DAGs with this tag')
        .option('--limit <n>', 'at most this many (1-1000)', '1000'),
    ),
  ).action(
    async (options: ApiOptions & { paused?: boolean; active?: boolean; tag?: string; limit: string }) => {
      if (options.paused && options.active)
        throw new CliError('--paused and --active exclude each other; pass one', EXIT_USAGE);
      const limit = parseCount('--limit', options.limit);
      const page = await ctx.client(options).get<Page<DagView>>('/dags', {
        paused: options.paused ? 'true' : options.active ? 'false' : undefined,
        tag: options.tag,
        limit,
      });
      if (options.json) return ctx.print(formatJson(page));
      ctx.print(formatDagList(page));
      const note = pageNote(page, 'DAGs');
      if (note) ctx.note(note);
    },
  );

  withJson(
    withApiOptions(
      dags
        .command('show')
        .description('one DAG: its schedule in words, next run, latest run and tasks')
        .argument('<dagId>', 'the DAG'),
    ),
  ).action(async (dagId: string, options: ApiOptions) => {
    const dag = await ctx.client(options).get<DagDetailView>(apiPath`/dags/${dagId}`);
    ctx.print(options.json ? formatJson(dag) : formatDagDetail(dag));
  });

  for (const [name, isPaused] of [
    ['pause', true],
    ['unpause', false],
  ] as const) {
    withJson(
      withApiOptions(
        dags
          .command(name)
          .description(
            isPaused
              ? 'pause a DAG: no new runs start (running ones finish); needs an operator token'
              : 'unpause a DAG: its schedule resumes (an asset-scheduled DAG runs on the events queued meanwhile); needs an operator token',
          )
          .argument('<dagId>', 'the DAG'),
      ),
    ).action(async (dagId: string, options: ApiOptions) => {
      const dag = await ctx.client(options).patch<DagView>(apiPath`/dags/${dagId}`, { isPaused });
      ctx.print(options.json ? formatJson(dag) : formatPaused(dag));
    });
  }
}
