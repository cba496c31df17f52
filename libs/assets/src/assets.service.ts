import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DateTime } from 'luxon';
import {
  AssetCondition,
  DagDefinition,
  assetNamesIn,
  isAssetConditionMet,
  readyPartitions,
} from '@tributary/domain';
import {
  AssetEventEvent,
  OutboxRelay,
  RunRequestedPayload,
  TOPICS,
  TopicCatalog,
  enqueueOutbox,
  envelope,
  recordProcessedEvent,
} from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE, DagRegistry, OUTBOX_RELAY, TOPIC_CATALOG } from '@tributary/runtime';

export const ASSETS_GROUP = 'assets';

interface QueueRow {
  asset_event_id: string;
  event_id: string;
  asset_name: string;
  partition: string | null;
}

/**
 * The asset registry and asset-triggered scheduling (DESIGN §2): records each asset event
 * once, queues it for every DAG scheduled on that asset, and requests a run when a DAG's
 * and/or condition holds (per partition when the DAG asks). Events wait in the queue, so
 * none is lost while a DAG is at maxActiveRuns: its runs queue in the coordinator instead.
 */
@Injectable()
export class AssetsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
  ) {}

  /** Registers the assets a bundle declares (outlets, inlets, schedules, freshness contracts). */
  async deployBundle(registry: DagRegistry): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (em) => {
      for (const { definition } of registry.all()) {
        const named = new Set<string>();
        definition.tasks.forEach((t) => [...t.outlets, ...t.inlets].forEach((a) => named.add(a)));
        if (definition.schedule.kind === 'assets')
          assetNamesIn(definition.schedule.condition).forEach((a) => named.add(a));
        const declared = new Map(definition.assets.map((a) => [a.name, a]));
        for (const name of new Set([...named, ...declared.keys()])) {
          const producer = definition.tasks.some((t) => t.outlets.includes(name)) ? [definition.dagId] : [];
          const asset = declared.get(name);
          await em.query(
            `INSERT INTO assets (name, description, freshness, producer_dag_ids, registered_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET
               description = COALESCE($2, assets.description),
               freshness = COALESCE($3, assets.freshness),
               producer_dag_ids = (SELECT to_jsonb(array(SELECT DISTINCT jsonb_array_elements_text(assets.producer_dag_ids || $4::jsonb))))`,
            [name, asset?.description ?? null, asset?.freshness ?? null, JSON.stringify(producer), now],
          );
        }
      }
    });
  }

  async onAssetEvent(event: AssetEventEvent): Promise<void> {
    const requested = await this.db.transaction(async (em) => {
      const now = this.clock.now();
      if (!(await recordProcessedEvent(em, ASSETS_GROUP, event.eventId, now))) return 0;
      const p = event.payload;
      const inserted = await em.query(
        `INSERT INTO asset_events (event_id, asset_name, partition, metadata, source_dag_id, source_run_id, source_task_id,
           source_try_number, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
        [
          event.eventId,
          p.asset,
          p.partition ?? null,
          p.metadata ?? {},
          p.source?.dagId ?? null,
          p.source?.runId ?? null,
          p.source?.taskId ?? null,
          p.source?.tryNumber ?? null,
          now,
        ],
      );
      if (inserted.length === 0) return 0;
      await em.query(
        `INSERT INTO assets (name, registered_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
        [p.asset, now],
      );
      const consumers: { dag_id: string; definition: DagDefinition; is_paused: boolean }[] = await em.query(
        `SELECT dag_id, definition, is_paused FROM dags WHERE is_active AND schedule_kind = 'assets' ORDER BY dag_id FOR UPDATE`,
      );
      let runs = 0;
      for (const consumer of consumers) {
        const schedule = consumer.definition.schedule;
        if (schedule.kind !== 'assets' || !assetNamesIn(schedule.condition).includes(p.asset)) continue;
        await em.query(
          `INSERT INTO asset_dag_queue (dag_id, asset_event_id, asset_name, partition, queued_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [consumer.dag_id, inserted[0].id, p.asset, p.partition ?? null, now],
        );
        // A paused DAG keeps its events queued and runs on them once unpaused.
        if (consumer.is_paused) continue;
        runs += await this.triggerIfReady(
          em,
          consumer.definition,
          schedule.condition,
          schedule.partitioned,
          now,
        );
      }
      return runs;
    });
    if (requested > 0) this.relay.kick();
  }

  /** Requests runs whose condition holds, consuming the queued events that satisfied it. */
  private async triggerIfReady(
    em: EntityManager,
    def: DagDefinition,
    condition: AssetCondition,
    partitioned: boolean,
    now: Date,
  ): Promise<number> {
    const queue: QueueRow[] = await em.query(
      `SELECT q.asset_event_id, e.event_id, q.asset_name, q.partition FROM asset_dag_queue q
       JOIN asset_events e ON e.id = q.asset_event_id WHERE q.dag_id = $1 ORDER BY q.asset_event_id`,
      [def.dagId],
    );
    if (!partitioned) {
      if (!isAssetConditionMet(condition, new Set(queue.map((q) => q.asset_name)))) return 0;
      await this.requestRun(
        em,
        def,
        queue,
        now,
        now,
        `asset_triggered__${now.toISOString()}__${queue[queue.length - 1].asset_event_id}`,
      );
      return 1;
    }
    const byAsset = new Map<string, Set<string>>();
    for (const q of queue) {
      if (q.partition === null) continue;
      const set = byAsset.get(q.asset_name) ?? new Set<string>();
      set.add(q.partition);
      byAsset.set(q.asset_name, set);
    }
    let runs = 0;
    for (const partition of readyPartitions(condition, byAsset)) {
      const used = queue.filter((q) => q.partition === partition);
      const logicalDate = partitionStart(partition, def.timezone) ?? now;
      await this.requestRun(
        em,
        def,
        used,
        logicalDate,
        now,
        // A partition is free text ('region=us/2026-04-25'); a run id allows [A-Za-z0-9_.:+-] only.
        `asset_triggered__${partition.replace(/[^A-Za-z0-9_.:+-]/g, '_').slice(0, 120)}__${used[used.length - 1].asset_event_id}`,
      );
      runs++;
    }
    return runs;
  }

  private async requestRun(
    em: EntityManager,
    def: DagDefinition,
    events: QueueRow[],
    logicalDate: Date,
    now: Date,
    runId: string,
  ): Promise<void> {
    await em.query(`DELETE FROM asset_dag_queue WHERE dag_id = $1 AND asset_event_id = ANY($2::bigint[])`, [
      def.dagId,
      events.map((e) => e.asset_event_id),
    ]);
    const payload: RunRequestedPayload = {
      dagId: def.dagId,
      runType: 'asset_triggered',
      runId,
      logicalDate: logicalDate.toISOString(),
      triggeringAssetEventIds: events.map((e) => e.event_id),
    };
    await enqueueOutbox(
      em,
      this.topics.name(TOPICS.runRequested),
      def.dagId,
      envelope('run.requested', payload, now),
    );
  }
}

/** A partition named by a date ('2026-04-25') starts at that local midnight; other names have no date. */
function partitionStart(partition: string, timezone: string): Date | null {
  const parsed = DateTime.fromISO(partition, { zone: timezone });
  return parsed.isValid ? parsed.toJSDate() : null;
}
