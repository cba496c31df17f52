import { Command } from 'commander';
import { ApiOptions, CommandContext, apiPath, parseCount, withApiOptions, withJson } from './api-client';
import { Page, pageNote } from './dags.command';
import { formatDuration, formatFields, formatInstant, formatJson, formatTable, truncate } from './format';
import { AssetEventView, sourceText } from './runs.command';

export interface FreshnessStatusView {
  status: string;
  partition: string | null;
  deadline: string;
  completedAt: string | null;
  lateByMs: number;
  next: { partition: string; deadline: string; status: string; completedAt: string | null } | null;
  openAlertId: string | null;
}

export interface AssetView {
  name: string;
  description: string | null;
  registeredBy: string | null;
  registeredAt: string | null;
  timezone: string | null;
  freshness: { timezone?: string } | null;
  contractText: string | null;
  producers: string[];
  consumers: string[];
  lastEventAt: string | null;
  freshnessStatus: FreshnessStatusView | null;
}

export interface AssetDetailView extends AssetView {
  events: Page<AssetEventView>;
  partitions: { partition: string; completedAt: string | null; updatedAt: string | null }[];
}

export interface FreshnessItem {
  asset: string;
  contract: { timezone?: string } | null;
  description: string;
  partition: string | null;
  status: string;
  deadline: string;
  completedAt: string | null;
  lateByMs: number;
  next: FreshnessStatusView['next'];
  openAlertId: string | null;
}

export interface LineageNode {
  id: string;
  kind: 'dag' | 'asset';
  name: string;
  schedule?: string;
  isPaused?: boolean;
  freshness?: { status: string; partition: string | null; deadline: string; lateByMs: number } | null;
}

export interface LineageEdge {
  from: string;
  to: string;
  kind: 'produces' | 'triggers' | 'reads';
  tasks?: string[];
}

export interface AlertView {
  alertId: string;
  kind: string;
  subject: string;
  severity: string;
  message: string;
  dagId: string | null;
  runId: string | null;
  asset: string | null;
  partition: string | null;
  deadline: string | null;
  raisedAt: string;
  recoveredAt: string | null;
  recoveryMessage: string | null;
}

function assetZone(a: { timezone?: string | null; freshness?: { timezone?: string } | null }): string {
  return a.freshness?.timezone ?? a.timezone ?? 'UTC';
}

/** `late by 2h 03m (2026-04-25)`, `fresh (2026-04-25)`. */
export function freshnessText(
  f: { status: string; partition: string | null; lateByMs: number } | null,
): string | null {
  if (!f) return null;
  const late = f.lateByMs > 0 ? ` by ${formatDuration(f.lateByMs)}` : '';
  return `${f.status}${late}${f.partition ? ` (${f.partition})` : ''}`;
}

export function formatAssetList(page: Page<AssetView>): string {
  if (page.items.length === 0) return 'No assets match.';
  return formatTable(
    ['ASSET', 'PRODUCERS', 'CONSUMERS', 'FRESHNESS', 'LAST EVENT'],
    page.items.map((a) => [
      a.name,
      a.producers.join(', '),
      a.consumers.join(', '),
      freshnessText(a.freshnessStatus),
      formatInstant(a.lastEventAt, assetZone(a)),
    ]),
  );
}

export function formatEvents(events: AssetEventView[], zone: string, indent = ''): string {
  return formatTable(
    ['AT', 'PARTITION', 'FROM', 'METADATA'],
    events.map((e) => [
      formatInstant(e.createdAt, zone),
      e.partition,
      sourceText(e.source),
      Object.keys(e.metadata ?? {}).length > 0 ? truncate(JSON.stringify(e.metadata), 60) : null,
    ]),
    { indent },
  );
}

export function formatAssetDetail(a: AssetDetailView): string {
  const zone = assetZone(a);
  const f = a.freshnessStatus;
  const lines = [
    `Asset ${a.name}`,
    formatFields([
      ['description', a.description],
      ['timezone', a.timezone],
      ['contract', a.contractText],
      ['freshness', f ? `${freshnessText(f)}, deadline ${formatInstant(f.deadline, zone)}` : null],
      [
        'next',
        f?.next ? `${f.next.partition} due ${formatInstant(f.next.deadline, zone)} (${f.next.status})` : null,
      ],
      ['open alert', f?.openAlertId],
      ['producers', a.producers.join(', ') || 'none declared (fed from outside)'],
      ['consumers', a.consumers.join(', ') || 'none'],
      [
        'registered',
        a.registeredAt ? `${formatInstant(a.registeredAt, zone)} by ${a.registeredBy ?? '?'}` : null,
      ],
      ['last event', formatInstant(a.lastEventAt, zone)],
    ]),
  ];
  const events = a.events?.items ?? [];
  lines.push('', `Recent events (${events.length} of ${a.events?.total ?? 0}):`);
  if (events.length > 0) lines.push(formatEvents(events, zone, '  '));
  if ((a.partitions ?? []).length > 0) {
    lines.push(
      '',
      'Partitions (latest first):',
      formatTable(
        ['PARTITION', 'COMPLETED', 'UPDATED'],
        a.partitions.map((p) => [
          p.partition,
          formatInstant(p.completedAt, zone),
          formatInstant(p.updatedAt, zone),
        ]),
        { indent: '  ' },
      ),
    );
  }
  return lines.join('\n');
}

export function formatFreshness(report: { at: string; items: FreshnessItem[] }): string {
  if (report.items.length === 0) return 'No asset declares a freshness contract.';
  return [
    `Freshness as of ${formatInstant(report.at)}:`,
    formatTable(
      ['ASSET', 'STATUS', 'PARTITION', 'DEADLINE', 'COMPLETED', 'LATE BY', 'NEXT'],
      report.items.map((r) => {
        const zone = r.contract?.timezone ?? 'UTC';
        return [
          r.asset,
          r.status,
          r.partition,
          formatInstant(r.deadline, zone),
          formatInstant(r.completedAt, zone),
          r.lateByMs > 0 ? formatDuration(r.lateByMs) : null,
          r.next ? `${r.next.partition} ${r.next.status}, due ${formatInstant(r.next.deadline, zone)}` : null,
        ];
      }),
    ),
  ].join('\n');
}

export function formatAlerts(page: Page<AlertView>): string {
  if (page.items.length === 0) return 'No alerts match.';
  return formatTable(
    ['ID', 'RAISED (UTC)', 'KIND', 'SEVERITY', 'SUBJECT', 'STATE', 'MESSAGE'],
    page.items.map((a) => [
      a.alertId,
      formatInstant(a.raisedAt),
      a.kind,
      a.severity,
      a.subject,
      a.recoveredAt ? `recovered ${formatInstant(a.recoveredAt)}` : 'open',
      truncate(a.message, 100),
    ]),
  );
}

/**
 * The lineage as a text tree, from the nodes nothing feeds (outside assets, DAGs on a clock)
 * down: `dag → asset` (produces), `asset → dag` (triggers / reads). A node reached twice is
 * shown once with its subtree, then as `(see above)`.
 */
export function formatLineage(graph: { nodes: LineageNode[]; edges: LineageEdge[] }): string {
  if (graph.nodes.length === 0) return 'No DAGs or assets yet.';
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  // One edge per (from, to): `triggers, reads` when both.
  const out = new Map<string, Map<string, string[]>>();
  const hasIncoming = new Set<string>();
  for (const e of graph.edges) {
    const targets = out.get(e.from) ?? new Map<string, string[]>();
    out.set(e.from, targets);
    targets.set(e.to, [...(targets.get(e.to) ?? []), e.kind]);
    if (e.from !== e.to) hasIncoming.add(e.to);
  }
  const label = (n: LineageNode): string => {
    if (n.kind === 'dag')
      return `${n.name} (DAG${n.isPaused ? ', paused' : ''}${n.schedule ? `: ${n.schedule}` : ''})`;
    const f = freshnessText(n.freshness ?? null);
    return `${n.name} (asset${f ? `, ${f}` : ''})`;
  };
  const sortIds = (ids: string[]) =>
    ids.sort((a, b) => (byId.get(a)?.name ?? a).localeCompare(byId.get(b)?.name ?? b));
  const lines: string[] = [];
  const shown = new Set<string>();
  const walk = (id: string, prefix: string, via: string | null, last: boolean, root: boolean) => {
    const node = byId.get(id);
    const text = node ? label(node) : id;
    const branch = root ? '' : `${last ? '└─' : '├─'} ${via} → `;
    if (shown.has(id)) {
      lines.push(`${prefix}${branch}${text}${out.get(id)?.size ? '  (see above)' : ''}`);
      return;
    }
    shown.add(id);
    lines.push(`${prefix}${branch}${text}`);
    const children = sortIds([...(out.get(id)?.keys() ?? [])]);
    const childPrefix = root ? prefix : `${prefix}${last ? '   ' : '│  '}`;
    children.forEach((child, i) =>
      walk(child, childPrefix, out.get(id)!.get(child)!.join(', '), i === children.length - 1, false),
    );
  };
  const roots = sortIds(graph.nodes.map((n) => n.id).filter((id) => !hasIncoming.has(id)));
  for (const root of roots) walk(root, '', null, true, true);
  // Cycles have no root: show what is left.
  for (const id of sortIds(graph.nodes.map((n) => n.id))) if (!shown.has(id)) walk(id, '', null, true, true);
  return lines.join('\n');
}

export function formatLineageEdges(graph: { nodes: LineageNode[]; edges: LineageEdge[] }): string {
  const name = new Map(graph.nodes.map((n) => [n.id, `${n.kind === 'dag' ? 'DAG' : 'asset'} ${n.name}`]));
  if (graph.edges.length === 0) return 'No edges: no DAG produces or consumes an asset.';
  return formatTable(
    ['FROM', 'EDGE', 'TO', 'TASKS'],
    graph.edges.map((e) => [
      name.get(e.from) ?? e.from,
      e.kind,
      name.get(e.to) ?? e.to,
      (e.tasks ?? []).join(', '),
    ]),
  );
}

/** `tributary assets list|show|events|lineage`, `tributary freshness`, `tributary alerts`. */
export function registerAssetsCommands(program: Command, ctx: CommandContext): void {
  const assets = program.command('assets').description('assets: what DAGs produce and consume');

  withJson(
    withApiOptions(
      assets
        .command('list')
        .description('list assets with their producers, consumers and freshness')
        .option('--prefix <prefix>', 'only assets whose name starts with this, e.g. raw.')
        .option('--limit <n>', 'at most this many (1-1000)', '1000'),
    ),
  ).action(async (options: ApiOptions & { prefix?: string; limit: string }) => {
    const limit = parseCount('--limit', options.limit);
    const page = await ctx.client(options).get<Page<AssetView>>('/assets', { prefix: options.prefix, limit });
    if (options.json) return ctx.print(formatJson(page));
    ctx.print(formatAssetList(page));
    const note = pageNote(page, 'assets');
    if (note) ctx.note(note);
  });

  withJson(
    withApiOptions(
      assets
        .command('show')
        .description(
          'one asset: its contract and freshness, producers, consumers, recent events and partitions',
        )
        .argument('<name>', 'the asset name, e.g. raw.orders or s3://lake/raw/orders'),
    ),
  ).action(async (name: string, options: ApiOptions) => {
    const asset = await ctx.client(options).get<AssetDetailView>(apiPath`/assets/${name}`);
    ctx.print(options.json ? formatJson(asset) : formatAssetDetail(asset));
  });

  withJson(
    withApiOptions(
      assets
        .command('events')
        .description("an asset's events, newest first")
        .argument('<name>', 'the asset name')
        .option('--partition <partition>', 'only events for this partition, e.g. 2026-04-25')
        .option('--limit <n>', 'at most this many (1-1000)', '50'),
    ),
  ).action(async (name: string, options: ApiOptions & { partition?: string; limit: string }) => {
    const limit = parseCount('--limit', options.limit);
    const page = await ctx
      .client(options)
      .get<Page<AssetEventView> & { asset: string }>(apiPath`/assets/${name}/events`, {
        partition: options.partition,
        limit,
      });
    if (options.json) return ctx.print(formatJson(page));
    ctx.print(
      page.items.length === 0
        ? `No events for ${name}${options.partition ? ` partition ${options.partition}` : ''}.`
        : formatEvents(page.items, 'UTC'),
    );
    const note = pageNote(page, 'events');
    if (note) ctx.note(note);
  });

  withJson(
    withApiOptions(
      assets
        .command('lineage')
        .description('which DAGs produce which assets and which assets trigger or feed which DAGs, as a tree')
        .option('--edges', 'one line per edge instead of a tree'),
    ),
  ).action(async (options: ApiOptions & { edges?: boolean }) => {
    const graph = await ctx
      .client(options)
      .get<{ nodes: LineageNode[]; edges: LineageEdge[] }>('/assets/lineage');
    if (options.json) return ctx.print(formatJson(graph));
    ctx.print(options.edges ? formatLineageEdges(graph) : formatLineage(graph));
  });

  withJson(
    withApiOptions(
      program
        .command('freshness')
        .description(
          'every freshness contract and where it stands now: asset, status, deadline, last completion',
        )
        .option('--asset <name>', 'only this asset'),
    ),
  ).action(async (options: ApiOptions & { asset?: string }) => {
    const report = await ctx
      .client(options)
      .get<{ at: string; items: FreshnessItem[] }>('/freshness', { asset: options.asset });
    ctx.print(options.json ? formatJson(report) : formatFreshness(report));
  });

  withJson(
    withApiOptions(
      program
        .command('alerts')
        .description('alerts newest first: missed freshness contracts, run deadlines, and their recoveries')
        .option('--open', 'only alerts not recovered yet')
        .option('--kind <kind>', 'only alerts of this kind')
        .option('--dag <dagId>', "only this DAG's alerts")
        .option('--asset <name>', "only this asset's alerts")
        .option('--limit <n>', 'at most this many (1-1000)', '50'),
    ),
  ).action(
    async (
      options: ApiOptions & { open?: boolean; kind?: string; dag?: string; asset?: string; limit: string },
    ) => {
      const limit = parseCount('--limit', options.limit);
      const page = await ctx.client(options).get<Page<AlertView>>('/alerts', {
        open: options.open ? 'true' : undefined,
        kind: options.kind,
        dagId: options.dag,
        asset: options.asset,
        limit,
      });
      if (options.json) return ctx.print(formatJson(page));
      ctx.print(formatAlerts(page));
      const note = pageNote(page, 'alerts');
      if (note) ctx.note(note);
    },
  );
}
