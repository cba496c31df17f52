import { Command } from 'commander';
import {
  ApiClient,
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
  formatRangeEnd,
  formatTable,
  plural,
  progressBar,
} from './format';

export const REPROCESS = ['none', 'failed', 'all'] as const;
export const BACKFILL_STATES = ['running', 'completed', 'cancelled'] as const;

export interface BackfillProgressView {
  total: number;
  done: number;
  failed: number;
  running: number;
  queued: number;
  skipped: number;
  cancelled: number;
}

export interface BackfillView {
  id: string | number;
  dagId: string;
  from: string;
  to: string;
  reprocess: string;
  maxActiveRuns: number;
  reverse: boolean;
  state: string;
  createdAt: string;
  completedAt: string | null;
  cancelledAt: string | null;
  progress: BackfillProgressView;
}

export interface BackfillDateView {
  logicalDate: string;
  runId: string | null;
  action: string;
  state: string;
  reason?: string | null;
}

export interface BackfillDetailView extends BackfillView {
  dates: BackfillDateView[];
}

export interface BackfillDryRun {
  dagId: string;
  dryRun: true;
  dates: { logicalDate: string; action: string; reason?: string | null }[];
}

/** Dates that need nothing more: succeeded, failed, skipped or cancelled. */
export function finishedDates(p: BackfillProgressView): number {
  return p.done + p.failed + p.skipped + p.cancelled;
}

/** `[#########.....]  60%  9/15 dates · 8 done · 2 running · 4 queued · 1 failed`. */
export function backfillProgressLine(p: BackfillProgressView): { line: string; fraction: number } {
  const fraction = p.total === 0 ? 1 : finishedDates(p) / p.total;
  const parts = [
    `${finishedDates(p)}/${p.total} dates`,
    `${p.done} done`,
    `${p.running} running`,
    `${p.queued} queued`,
  ];
  parts.push(`${p.failed} failed`);
  if (p.skipped > 0) parts.push(`${p.skipped} skipped`);
  if (p.cancelled > 0) parts.push(`${p.cancelled} cancelled`);
  return {
    line: `${progressBar(fraction)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${parts.join(' · ')}`,
    fraction,
  };
}

/** The summary printed when a backfill ends (or `backfill watch` finds it ended). */
export function formatBackfillSummary(b: BackfillDetailView, zone: string, now: Date): string {
  const p = b.progress;
  const elapsed = durationBetween(b.createdAt, b.completedAt ?? b.cancelledAt, now);
  const verb =
    b.state === 'cancelled'
      ? 'was cancelled after'
      : b.state === 'completed'
        ? 'completed in'
        : 'running for';
  const lines = [
    `backfill ${b.id} of ${b.dagId} ${verb} ${elapsed}: ${plural(p.total, 'date')} from ${formatLogicalDate(b.from, zone)} to ${formatRangeEnd(b.to, zone)}`,
    `  ${p.done} succeeded · ${p.failed} failed · ${p.skipped} skipped · ${p.cancelled} cancelled${p.running + p.queued > 0 ? ` · ${p.running} running · ${p.queued} queued` : ''}`,
  ];
  const failed = (b.dates ?? []).filter((d) => d.state === 'failed');
  if (failed.length > 0) {
    lines.push(`  failed dates: ${failed.map((d) => formatLogicalDate(d.logicalDate, zone)).join(', ')}`);
    if (failed[0].runId)
      lines.push(`  see a failed run:   tributary runs show ${b.dagId} ${failed[0].runId}`);
    lines.push(
      `  rerun failed dates: tributary backfill create ${b.dagId} --from ${b.from} --to ${b.to} --reprocess failed`,
    );
  }
  return lines.join('\n');
}

/** Whether a finished backfill is a success for scripts: every date succeeded or was skipped. */
export function backfillSucceeded(b: BackfillView): boolean {
  return b.state === 'completed' && b.progress.failed === 0 && b.progress.cancelled === 0;
}

export function formatBackfillList(page: Page<BackfillView>, zones: Map<string, string>): string {
  if (page.items.length === 0) return 'No backfills match.';
  return formatTable(
    ['ID', 'DAG', 'FROM', 'TO', 'REPROCESS', 'STATE', 'PROGRESS', 'CREATED'],
    page.items.map((b) => {
      const zone = zones.get(b.dagId) ?? 'UTC';
      const p = b.progress;
      return [
        b.id,
        b.dagId,
        formatLogicalDate(b.from, zone),
        formatRangeEnd(b.to, zone),
        b.reprocess,
        b.state,
        `${finishedDates(p)}/${p.total}${p.failed > 0 ? ` (${p.failed} failed)` : ''}`,
        formatInstant(b.createdAt, zone),
      ];
    }),
  );
}

export function formatBackfillDetail(b: BackfillDetailView, zone: string, now: Date): string {
  const p = b.progress;
  return [
    `Backfill ${b.id} of DAG ${b.dagId}: ${b.state}`,
    formatFields([
      [
        'range',
        `${formatLogicalDate(b.from, zone)} to ${formatRangeEnd(b.to, zone)}${b.reverse ? ' (newest first)' : ''}`,
      ],
      ['reprocess', b.reprocess],
      ['max active runs', b.maxActiveRuns],
      ['created', formatInstant(b.createdAt, zone)],
      ['completed', b.completedAt ? formatInstant(b.completedAt, zone) : null],
      ['cancelled', b.cancelledAt ? formatInstant(b.cancelledAt, zone) : null],
      ['elapsed', durationBetween(b.createdAt, b.completedAt ?? b.cancelledAt, now)],
      ['progress', backfillProgressLine(p).line],
    ]),
    '',
    `Dates (${(b.dates ?? []).length}):`,
    formatTable(
      ['LOGICAL DATE', 'ACTION', 'STATE', 'RUN ID'],
      (b.dates ?? []).map((d) => [formatLogicalDate(d.logicalDate, zone), d.action, d.state, d.runId]),
      { indent: '  ' },
    ),
  ].join('\n');
}

export function formatDryRun(plan: BackfillDryRun, zone: string): string {
  if (plan.dates.length === 0)
    return `backfill of ${plan.dagId} (dry run): no logical date of its schedule falls in that range`;
  const counts = new Map<string, number>();
  for (const d of plan.dates) counts.set(d.action, (counts.get(d.action) ?? 0) + 1);
  return [
    `backfill of ${plan.dagId} (dry run, nothing created): ${plural(plan.dates.length, 'date')}, ${[...counts].map(([a, n]) => `${n} ${a}`).join(', ')}`,
    formatTable(
      ['LOGICAL DATE', 'ACTION', 'REASON'],
      plan.dates.map((d) => [formatLogicalDate(d.logicalDate, zone), d.action, d.reason]),
      { indent: '  ' },
    ),
  ].join('\n');
}

/**
 * Follows a backfill until it is no longer running: a progress bar on stderr (redrawn on a
 * terminal, one line per 10% otherwise), then the summary on stdout. Exit 1 unless every date
 * succeeded or was skipped; Ctrl-C stops watching (exit 130), not the backfill.
 */
export async function watchBackfill(
  ctx: CommandContext,
  client: ApiClient,
  id: string,
  zone: string,
  json: boolean,
): Promise<void> {
  const progress = new ProgressLine(ctx.io.stderr, Boolean(ctx.io.interactive));
  const { last, interrupted } = await follow<BackfillDetailView>(
    ctx.io,
    () => client.get<BackfillDetailView>(apiPath`/backfills/${id}`),
    (b) => b.state !== 'running',
    (b) => {
      if (b.state === 'running') {
        const { line, fraction } = backfillProgressLine(b.progress);
        progress.update(line, fraction);
      }
    },
  );
  if (interrupted) {
    if (ctx.io.interactive) ctx.io.stderr('\n');
    ctx.note(
      `stopped watching; backfill ${id} goes on. Watch it again: tributary backfill watch ${id} · cancel it: tributary backfill cancel ${id}`,
    );
    throw new CliError('', EXIT_INTERRUPTED);
  }
  progress.finish(backfillProgressLine(last.progress).line);
  const now = ctx.io.now?.() ?? new Date();
  ctx.print(json ? formatJson(last) : formatBackfillSummary(last, zone, now));
  if (!backfillSucceeded(last)) throw new CliError('', EXIT_FAILURE);
}

async function zoneOf(client: ApiClient, dagId: string): Promise<string> {
  return (await client.get<DagView>(apiPath`/dags/${dagId}`)).timezone;
}

function checkChoice(flag: string, value: string | undefined, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value))
    throw new CliError(`${flag}: '${value}' is not one of ${choices.join(', ')}`, EXIT_USAGE);
}

/** `tributary backfill create|list|show|watch|cancel`. */
export function registerBackfillCommands(program: Command, ctx: CommandContext): void {
  const backfill = program
    .command('backfill')
    .description('run a DAG over a past range of logical dates, with its own concurrency');

  withJson(
    withApiOptions(
      backfill
        .command('create')
        .description(
          'create a backfill and follow it with a progress bar until it ends; exit 0 when every date succeeded, 1 when one failed; Ctrl-C stops watching, not the backfill. Needs an operator token',
        )
        .argument('<dagId>', 'the DAG')
        .requiredOption(
          '--from <date>',
          "start of the range: runs whose logical date is at or after it (YYYY-MM-DD is midnight in the DAG's timezone; or an ISO instant)",
        )
        .requiredOption(
          '--to <date>',
          'end of the range: runs whose logical date is at or before it (a daily 02:00 DAG: --to 2026-04-10 stops at the 2026-04-09 run)',
        )
        .option(
          '--reprocess <what>',
          'none: fill gaps only; failed: also rerun failed runs; all: rerun every run',
          'none',
        )
        .option('--max-active-runs <n>', 'runs of this backfill at once, 1-100 (default 4)')
        .option('--reverse', 'newest dates first')
        .option('--dry-run', 'print what it would do with each date and create nothing')
        .option('--no-wait', 'create it and return; follow it later with `backfill watch <id>`'),
    ),
    'print one JSON document: the plan (--dry-run), the backfill (--no-wait), or the finished backfill',
  ).action(
    async (
      dagId: string,
      options: ApiOptions & {
        from: string;
        to: string;
        reprocess: string;
        maxActiveRuns?: string;
        reverse?: boolean;
        dryRun?: boolean;
        wait: boolean;
      },
    ) => {
      checkChoice('--reprocess', options.reprocess, REPROCESS);
      const maxActiveRuns = parseCount('--max-active-runs', options.maxActiveRuns, 100);
      const client = ctx.client(options);
      const answer = await client.post<BackfillView | BackfillDryRun>(apiPath`/dags/${dagId}/backfills`, {
        from: options.from,
        to: options.to,
        reprocess: options.reprocess,
        ...(maxActiveRuns !== undefined ? { maxActiveRuns } : {}),
        reverse: Boolean(options.reverse),
        dryRun: Boolean(options.dryRun),
      });
      if ('dryRun' in answer && answer.dryRun) {
        if (options.json) return ctx.print(formatJson(answer));
        return ctx.print(formatDryRun(answer, await zoneOf(client, dagId)));
      }
      const created = answer as BackfillView;
      if (options.json && !options.wait) return ctx.print(formatJson(created));
      const zone = await zoneOf(client, dagId);
      const line = `backfill ${created.id} created for ${dagId}: ${plural(created.progress.total, 'date')} from ${formatLogicalDate(created.from, zone)} to ${formatRangeEnd(created.to, zone)} (reprocess ${created.reprocess}, ${created.maxActiveRuns} at a time)`;
      if (!options.wait) {
        return ctx.print(`${line}\nfollow it: tributary backfill watch ${created.id}`);
      }
      if (options.json) ctx.note(line);
      else ctx.print(line);
      await watchBackfill(ctx, client, String(created.id), zone, Boolean(options.json));
    },
  );

  withJson(
    withApiOptions(
      backfill
        .command('list')
        .description('list backfills, newest first')
        .option('--dag <dagId>', "only this DAG's backfills")
        .option('--state <state>', `only backfills in this state: ${BACKFILL_STATES.join(', ')}`)
        .option('--limit <n>', 'at most this many (1-1000)', '50'),
    ),
  ).action(async (options: ApiOptions & { dag?: string; state?: string; limit: string }) => {
    checkChoice('--state', options.state, BACKFILL_STATES);
    const limit = parseCount('--limit', options.limit);
    const client = ctx.client(options);
    const page = await client.get<Page<BackfillView>>('/backfills', {
      dagId: options.dag,
      state: options.state,
      limit,
    });
    if (options.json) return ctx.print(formatJson(page));
    const zones = page.items.length > 0 ? await dagTimezones(client) : new Map<string, string>();
    ctx.print(formatBackfillList(page, zones));
    const note = pageNote(page, 'backfills');
    if (note) ctx.note(note);
  });

  withJson(
    withApiOptions(
      backfill
        .command('show')
        .description('one backfill: its range, progress and every date with its run')
        .argument('<id>', 'the backfill id'),
    ),
  ).action(async (id: string, options: ApiOptions) => {
    const client = ctx.client(options);
    const b = await client.get<BackfillDetailView>(apiPath`/backfills/${id}`);
    if (options.json) return ctx.print(formatJson(b));
    ctx.print(formatBackfillDetail(b, await zoneOf(client, b.dagId), ctx.io.now?.() ?? new Date()));
  });

  withJson(
    withApiOptions(
      backfill
        .command('watch')
        .description(
          'follow a backfill with a progress bar until it ends, then summarise it; exit 0 when every date succeeded, 1 otherwise',
        )
        .argument('<id>', 'the backfill id'),
    ),
    'print the finished backfill as one JSON document',
  ).action(async (id: string, options: ApiOptions) => {
    const client = ctx.client(options);
    const b = await client.get<BackfillView>(apiPath`/backfills/${id}`);
    await watchBackfill(ctx, client, id, await zoneOf(client, b.dagId), Boolean(options.json));
  });

  withJson(
    withApiOptions(
      backfill
        .command('cancel')
        .description(
          'cancel a backfill: it requests no more runs (runs already started finish); needs an operator token',
        )
        .argument('<id>', 'the backfill id'),
    ),
  ).action(async (id: string, options: ApiOptions) => {
    const b = await ctx.client(options).post<BackfillView>(apiPath`/backfills/${id}/cancel`);
    if (options.json) return ctx.print(formatJson(b));
    ctx.print(
      `backfill ${b.id} of ${b.dagId} is ${b.state}: ${b.progress.done} succeeded, ${b.progress.failed} failed, ${b.progress.cancelled} cancelled, ${b.progress.running} still running`,
    );
  });
}
