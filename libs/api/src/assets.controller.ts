import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ASSET_COLUMNS,
  AssetRow,
  AssetsService,
  FreshnessReport,
  freshnessReport,
  inputAssetsOf,
} from '@tributary/assets';
import { NotFoundError } from '@tributary/coordinator';
import {
  AssetFreshnessDefinition,
  DagDefinition,
  buildLineage,
  describeFreshnessContract,
  describeSchedule,
} from '@tributary/domain';
import { Database } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE } from '@tributary/runtime';
import {
  AssetEventsQuery,
  FreshnessQuery,
  ListAlertsQuery,
  ListAssetsQuery,
  parsePublishAssetEvent,
  parseRegisterAsset,
} from './assets.dto';
import { Page, PageQuery, pageWindow } from './pagination';

const DEFAULT_LIMIT = 100;
/** Events shown inline in an asset's detail (page on with `limit` / `offset`, or use `/events`). */
const DETAIL_EVENTS_LIMIT = 20;
/** Partitions shown in an asset's detail, latest first. */
const DETAIL_PARTITIONS = 30;

interface ActiveDagRow {
  dag_id: string;
  definition: DagDefinition;
  schedule_description: string;
  is_paused: boolean;
}

/**
 * Assets, their events and partitions, lineage, freshness and alerts (`/api/v1`).
 *
 * Asset names may hold dots, slashes and colons (`s3://lake/raw`): in a path they are one
 * URL-encoded segment, `/api/v1/assets/s3%3A%2F%2Flake%2Fraw`. The fixed routes
 * (`/assets/lineage`, `/assets/events`) are declared before `/assets/:name`, so they win.
 */
@Controller('api/v1')
export class AssetsController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly assets: AssetsService,
  ) {}

  @Get('assets')
  async listAssets(@Query() query: ListAssetsQuery): Promise<Page<ReturnType<typeof assetView>>> {
    const { limit, offset } = pageWindow(query, DEFAULT_LIMIT);
    const prefix = query.prefix ?? null;
    const rows: AssetRow[] = await this.db.manager.query(
      `SELECT ${ASSET_COLUMNS} FROM assets WHERE ($1::text IS NULL OR starts_with(name, $1))
       ORDER BY name LIMIT $2 OFFSET $3`,
      [prefix, limit, offset],
    );
    const [{ total }] = await this.db.manager.query(
      `SELECT count(*)::int AS total FROM assets WHERE ($1::text IS NULL OR starts_with(name, $1))`,
      [prefix],
    );
    const consumers = consumersByAsset(await this.activeDags());
    const reports = rows.some((r) => r.freshness) ? await this.reportsByAsset() : new Map();
    return {
      items: rows.map((r) => assetView(r, consumers.get(r.name) ?? [], reports.get(r.name))),
      total,
      limit,
      offset,
    };
  }

  /** `{ nodes, edges }`: DAG → asset (produces), asset → DAG (triggers, reads), with freshness and schedules. */
  @Get('assets/lineage')
  async lineage() {
    const dags = await this.activeDags();
    const names: { name: string }[] = await this.db.manager.query(`SELECT name FROM assets ORDER BY name`);
    const graph = buildLineage(
      dags.map((d) => d.definition),
      names.map((n) => n.name),
    );
    const reports = await this.reportsByAsset();
    const byDag = new Map(dags.map((d) => [d.dag_id, d]));
    return {
      nodes: graph.nodes.map((node) => {
        if (node.kind === 'asset') {
          const report = reports.get(node.name);
          return {
            ...node,
            freshness: report
              ? {
                  status: report.status,
                  partition: report.partition,
                  deadline: report.deadline,
                  lateByMs: report.lateByMs,
                }
              : null,
          };
        }
        const dag = byDag.get(node.name) as ActiveDagRow;
        return { ...node, schedule: scheduleOf(dag), isPaused: dag.is_paused };
      }),
      edges: graph.edges,
    };
  }

  @Get('assets/:name')
  async getAsset(@Param('name') name: string, @Query() query: PageQuery) {
    const row = await this.findAsset(name);
    const consumers = consumersByAsset(await this.activeDags());
    const reports = row.freshness ? await this.reportsByAsset(name) : new Map();
    const partitions = await this.db.manager.query(
      `SELECT partition, completed_at, completed_by_event_id, updated_at FROM asset_partitions
       WHERE asset_name = $1 ORDER BY partition DESC LIMIT $2`,
      [name, DETAIL_PARTITIONS],
    );
    return {
      ...assetView(row, consumers.get(name) ?? [], reports.get(name)),
      events: await this.events(name, null, pageWindow(query, DETAIL_EVENTS_LIMIT)),
      partitions: partitions.map((p: Record<string, unknown>) => ({
        partition: p.partition,
        completedAt: p.completed_at,
        updatedAt: p.updated_at,
      })),
    };
  }

  @Get('assets/:name/events')
  async listEvents(@Param('name') name: string, @Query() query: AssetEventsQuery) {
    await this.findAsset(name);
    return {
      asset: name,
      ...(await this.events(name, query.partition ?? null, pageWindow(query, DEFAULT_LIMIT))),
    };
  }

  /**
   * A name with slashes sent without encoding (`/assets/s3://lake/raw`) arrives as several
   * segments: serve it when it names an asset, else say how to encode it.
   */
  @Get('assets/*path')
  async getAssetBySegments(@Param('path') path: string[] | string, @Query() query: PageQuery) {
    const name = Array.isArray(path) ? path.join('/') : path;
    const [known] = await this.db.manager.query(`SELECT 1 FROM assets WHERE name = $1`, [name]);
    if (!known) {
      throw new NotFoundError(
        `no asset '${name}'; a name with slashes is one URL-encoded path segment: /api/v1/assets/${encodeURIComponent(name)}`,
      );
    }
    return this.getAsset(name, query);
  }

  /** 201 with the asset when it is new, 200 when it existed (its description, contract or zone updated). */
  @Post('assets')
  async registerAsset(
    @Body() body: unknown,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const dto = parseRegisterAsset(body);
    const [existing] = await this.db.manager.query(`SELECT 1 FROM assets WHERE name = $1`, [dto.name]);
    let freshness = dto.freshness as AssetFreshnessDefinition | undefined;
    // A wall-clock contract without its own zone is read in the asset's zone (as a DAG's is in the DAG's).
    if (freshness?.by !== undefined && freshness.timezone === undefined && dto.timezone !== undefined) {
      freshness = { ...freshness, timezone: dto.timezone };
    }
    await this.assets.registerAsset({
      name: dto.name,
      description: dto.description,
      timezone: dto.timezone,
      freshness,
    });
    if (existing) response.status(200);
    return this.getAsset(dto.name, {});
  }

  /** 202 `{ eventId, asset }`: the event is on `asset.events`; the assets service records it and triggers DAGs. */
  @Post('assets/events')
  @HttpCode(202)
  async publishEvent(@Body() body: unknown) {
    const dto = parsePublishAssetEvent(body);
    const eventId = await this.assets.publishEvent({
      asset: dto.asset,
      ...(dto.partition !== undefined ? { partition: dto.partition } : {}),
      ...(dto.metadata !== undefined ? { metadata: dto.metadata } : {}),
      ...(dto.dataInterval
        ? {
            dataInterval: {
              start: new Date(dto.dataInterval.start).toISOString(),
              end: new Date(dto.dataInterval.end).toISOString(),
            },
          }
        : {}),
    });
    return { eventId, asset: dto.asset, partition: dto.partition ?? null };
  }

  /** Every asset with a freshness contract and where it stands now (`?asset=` for one). */
  @Get('freshness')
  async freshness(@Query() query: FreshnessQuery) {
    if (query.asset !== undefined) await this.findAsset(query.asset);
    const now = this.clock.now();
    return { at: now.toISOString(), items: await freshnessReport(this.db.manager, now, query.asset) };
  }

  /** Alerts newest first; `open=true` for those not recovered yet. */
  @Get('alerts')
  async listAlerts(@Query() query: ListAlertsQuery) {
    const { limit, offset } = pageWindow(query, DEFAULT_LIMIT);
    const open = query.open === undefined ? null : query.open === 'true';
    const where = `($1::boolean IS NULL OR (recovered_at IS NULL) = $1) AND ($2::text IS NULL OR kind = $2)
       AND ($3::text IS NULL OR dag_id = $3) AND ($4::text IS NULL OR asset = $4)`;
    const params = [open, query.kind ?? null, query.dagId ?? null, query.asset ?? null];
    const rows = await this.db.manager.query(
      `SELECT id, kind, subject, severity, message, dag_id, run_id, asset, partition, deadline, details, raised_at,
              recovered_at, recovery_message
       FROM alerts WHERE ${where} ORDER BY raised_at DESC, id DESC LIMIT $5 OFFSET $6`,
      [...params, limit, offset],
    );
    const [{ total }] = await this.db.manager.query(
      `SELECT count(*)::int AS total FROM alerts WHERE ${where}`,
      params,
    );
    return { items: rows.map(alertView), total, limit, offset };
  }

  // ---- reads ----

  private async findAsset(name: string): Promise<AssetRow> {
    const [row]: AssetRow[] = await this.db.manager.query(
      `SELECT ${ASSET_COLUMNS} FROM assets WHERE name = $1`,
      [name],
    );
    if (!row) {
      throw new NotFoundError(
        `no asset '${name}': assets are registered by the DAGs that name them, by POST /api/v1/assets, or by their first event`,
      );
    }
    return row;
  }

  private activeDags(): Promise<ActiveDagRow[]> {
    return this.db.manager.query(
      `SELECT dag_id, definition, schedule_description, is_paused FROM dags WHERE is_active ORDER BY dag_id`,
    );
  }

  private async reportsByAsset(asset?: string): Promise<Map<string, FreshnessReport>> {
    const reports = await freshnessReport(this.db.manager, this.clock.now(), asset);
    return new Map(reports.map((r) => [r.asset, r]));
  }

  private async events(
    name: string,
    partition: string | null,
    { limit, offset }: { limit: number; offset: number },
  ): Promise<Page<ReturnType<typeof eventView>>> {
    const rows = await this.db.manager.query(
      `SELECT event_id, asset_name, partition, metadata, source_dag_id, source_run_id, source_task_id,
              source_try_number, interval_start, interval_end, created_at
       FROM asset_events WHERE asset_name = $1 AND ($2::text IS NULL OR partition = $2)
       ORDER BY id DESC LIMIT $3 OFFSET $4`,
      [name, partition, limit, offset],
    );
    const [{ total }] = await this.db.manager.query(
      `SELECT count(*)::int AS total FROM asset_events WHERE asset_name = $1 AND ($2::text IS NULL OR partition = $2)`,
      [name, partition],
    );
    return { items: rows.map(eventView), total, limit, offset };
  }
}

/** asset → the DAGs whose schedule names it or whose tasks read it. */
function consumersByAsset(dags: ActiveDagRow[]): Map<string, string[]> {
  const consumers = new Map<string, string[]>();
  for (const dag of dags) {
    for (const name of inputAssetsOf(dag.definition))
      consumers.set(name, [...(consumers.get(name) ?? []), dag.dag_id]);
  }
  return consumers;
}

function scheduleOf(dag: ActiveDagRow): string {
  try {
    return describeSchedule(dag.definition);
  } catch {
    return dag.schedule_description;
  }
}

function contractText(contract: AssetFreshnessDefinition): string | null {
  try {
    return describeFreshnessContract(contract);
  } catch {
    return null;
  }
}

function assetView(row: AssetRow, consumers: string[], report: FreshnessReport | undefined) {
  return {
    name: row.name,
    description: row.description,
    registeredBy: row.registered_by,
    registeredAt: row.registered_at,
    timezone: row.timezone,
    freshness: row.freshness,
    contractText: row.freshness ? contractText(row.freshness) : null,
    producers: row.producer_dag_ids ?? [],
    consumers,
    lastEventAt: row.last_event_at,
    freshnessStatus: report
      ? {
          status: report.status,
          partition: report.partition,
          deadline: report.deadline,
          completedAt: report.completedAt,
          lateByMs: report.lateByMs,
          next: report.next,
          openAlertId: report.openAlertId,
        }
      : null,
  };
}

// Rows come straight from SQL: their shape is the SELECT above.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function eventView(row: Record<string, any>) {
  return {
    eventId: row.event_id,
    asset: row.asset_name,
    partition: row.partition,
    dataInterval: row.interval_start ? { start: row.interval_start, end: row.interval_end } : null,
    metadata: row.metadata ?? {},
    source: row.source_dag_id
      ? {
          dagId: row.source_dag_id,
          runId: row.source_run_id,
          taskId: row.source_task_id,
          tryNumber: row.source_try_number,
        }
      : null,
    createdAt: row.created_at,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function alertView(row: Record<string, any>) {
  return {
    alertId: String(row.id),
    kind: row.kind,
    subject: row.subject,
    severity: row.severity,
    message: row.message,
    dagId: row.dag_id,
    runId: row.run_id,
    asset: row.asset,
    partition: row.partition,
    deadline: row.deadline,
    details: row.details ?? {},
    raisedAt: row.raised_at,
    recoveredAt: row.recovered_at,
    recoveryMessage: row.recovery_message,
  };
}
