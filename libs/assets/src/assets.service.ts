import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  AssetCondition,
  AssetFreshnessDefinition,
  AssetScheduleDefinition,
  CronTimetable,
  DagDefinition,
  PartitionEventFacts,
  assetNamesIn,
  dayPartitionOf,
  dayPartitionRange,
  describeDuration,
  describeRunDeadline,
  runDeadlineAt,
  RunDeadlineDefinition,
  describeFreshnessContract,
  durationMs,
  fnv1a32,
  isAssetConditionMet,
  isPieceEvent,
  judgeLag,
  judgePartition,
  missingAssets,
  nextPartitionDue,
  partitionCompletedAt,
  partitionDeadline,
  partitionsOfEvent,
  readyPartitions,
  shiftDayPartition,
  uncoveredRanges,
} from '@tributary/domain';
import {
  AssetEventEvent,
  AssetEventPayload,
  OutboxRelay,
  PoisonMessageError,
  RunRequestedPayload,
  TOPICS,
  TopicCatalog,
  enqueueOutbox,
  envelope,
  raiseAlert,
  recordProcessedEvent,
  recoverAlerts,
  runDeadlineSubject,
} from '@tributary/messaging';
import { Database, TimerOwner, setTimer } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE, DagRegistry, OUTBOX_RELAY, TOPIC_CATALOG } from '@tributary/runtime';
import { ASSET_COLUMNS, AssetRow, completedPartitions, judgeInputsForDay } from './asset-freshness';

export const ASSETS_GROUP = 'assets';
/** Timers the assets service fires (freshness deadlines, max-lag windows, schedule fallbacks). */
export const ASSETS_TIMER_OWNER: TimerOwner = 'assets';

interface QueueRow {
  asset_event_id: string;
  event_id: string;
  asset_name: string;
  partition: string;
}

interface ConsumerRow {
  dag_id: string;
  definition: DagDefinition;
  is_paused: boolean;
}

/** An asset registered from outside the bundle (`POST /api/v1/assets`). */
export interface AssetRegistration {
  name: string;
  description?: string;
  freshness?: AssetFreshnessDefinition;
  /** The zone its day partitions are read in (default: the contract's, else UTC). */
  timezone?: string;
}

/**
 * The asset registry, asset-triggered scheduling and freshness contracts (DESIGN §2).
 * - Each asset event is recorded once; the day partitions it completes are recorded with
 *   the time they completed (hourly pieces complete a day together).
 * - Asset-scheduled DAGs get a queue row per event (per partition it touches) and a run when
 *   their and/or condition holds: batched or per event, or once per complete partition.
 *   Queued events wait there, so none is lost while a DAG is busy or paused.
 * - Freshness deadlines, max-lag windows and schedule fallbacks are database timers owned by
 *   this service; a miss raises one alert on `tributary.alerts`, a late arrival one recovery.
 */
@Injectable()
export class AssetsService {
  private readonly logger = new Logger(AssetsService.name);

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
  ) {}

  /**
   * Registers the assets a bundle declares (outlets, inlets, schedules, freshness contracts)
   * and sets the timers of their contracts and of asset schedules' fallbacks.
   */
  async deployBundle(registry: DagRegistry): Promise<void> {
    const now = this.clock.now();
    const defs = registry.all().map((r) => r.definition);
    await this.db.transaction(async (em) => {
      for (const definition of defs) {
        const named = new Set<string>();
        definition.tasks.forEach((t) => [...t.outlets, ...t.inlets].forEach((a) => named.add(a)));
        if (definition.schedule.kind === 'assets')
          assetNamesIn(definition.schedule.condition).forEach((a) => named.add(a));
        const declared = new Map(definition.assets.map((a) => [a.name, a]));
        for (const name of new Set([...named, ...declared.keys()])) {
          const produces = definition.tasks.some((t) => t.outlets.includes(name));
          const asset = declared.get(name);
          // An asset's days are read in its contract's zone, else its producer's.
          const zone = asset?.freshness?.timezone ?? (produces ? definition.timezone : null);
          // A wall-clock contract without a zone is read in its declaring DAG's.
          const freshness =
            asset?.freshness?.by !== undefined && asset.freshness.timezone === undefined
              ? { ...asset.freshness, timezone: definition.timezone }
              : asset?.freshness;
          await em.query(
            `INSERT INTO assets (name, description, freshness, producer_dag_ids, timezone, registered_at)
             VALUES ($1, $2, $3, $4, COALESCE($5, 'UTC'), $6)
             ON CONFLICT (name) DO UPDATE SET
               description = COALESCE($2, assets.description),
               freshness = COALESCE($3, assets.freshness),
               timezone = COALESCE($5, assets.timezone),
               registered_by = 'dag',
               producer_dag_ids = (SELECT to_jsonb(array(SELECT DISTINCT jsonb_array_elements_text(assets.producer_dag_ids || $4::jsonb))))`,
            [
              name,
              asset?.description ?? null,
              freshness ?? null,
              JSON.stringify(produces ? [definition.dagId] : []),
              zone ?? freshness?.timezone ?? null,
              now,
            ],
          );
        }
      }
      const contracts: AssetRow[] = await em.query(
        `SELECT ${ASSET_COLUMNS} FROM assets WHERE freshness IS NOT NULL`,
      );
      for (const row of contracts) await this.armContract(em, row, now);
      await this.armScheduleTimers(em, defs, now);
      for (const def of defs)
        if (def.schedule.kind === 'assets') await this.alignQueue(em, def.dagId, def.schedule.partitioned);
    });
  }

  /**
   * A DAG switched between partitioned and not keeps its queued events, re-keyed for its
   * mode: by the partition each event names, or ''.
   */
  private async alignQueue(em: EntityManager, dagId: string, partitioned: boolean): Promise<void> {
    await em.query(
      `INSERT INTO asset_dag_queue (dag_id, asset_event_id, asset_name, partition, queued_at)
       SELECT q.dag_id, q.asset_event_id, q.asset_name, ${partitioned ? 'e.partition' : "''"}, q.queued_at
       FROM asset_dag_queue q JOIN asset_events e ON e.id = q.asset_event_id
       WHERE q.dag_id = $1 AND ${partitioned ? "q.partition = '' AND e.partition IS NOT NULL" : "q.partition <> ''"}
       ON CONFLICT DO NOTHING`,
      [dagId],
    );
    await em.query(
      `DELETE FROM asset_dag_queue WHERE dag_id = $1 AND ${partitioned ? "partition = ''" : "partition <> ''"}`,
      [dagId],
    );
  }

  /** Registers (or updates) an asset from outside the bundle. */
  async registerAsset(registration: AssetRegistration): Promise<AssetRow> {
    const now = this.clock.now();
    return this.db.transaction(async (em) => {
      const [existing]: { timezone: string }[] = await em.query(
        `SELECT timezone FROM assets WHERE name = $1 FOR UPDATE`,
        [registration.name],
      );
      // A wall-clock contract without a zone is read in the asset's zone (given now, or already registered).
      const zone = registration.timezone ?? registration.freshness?.timezone ?? existing?.timezone ?? 'UTC';
      const freshness =
        registration.freshness?.by !== undefined
          ? { offsetDays: 1, ...registration.freshness, timezone: registration.freshness.timezone ?? zone }
          : (registration.freshness ?? null);
      const [row]: AssetRow[] = await em.query(
        `INSERT INTO assets (name, description, freshness, timezone, registered_by, registered_at)
         VALUES ($1, $2, $3, $4, 'api', $5)
         ON CONFLICT (name) DO UPDATE SET
           description = COALESCE($2, assets.description),
           freshness = COALESCE($3, assets.freshness),
           timezone = CASE WHEN $6 THEN $4 ELSE assets.timezone END
         RETURNING ${ASSET_COLUMNS}`,
        [
          registration.name,
          registration.description ?? null,
          freshness,
          zone,
          now,
          registration.timezone !== undefined || registration.freshness?.timezone !== undefined,
        ],
      );
      if (row.freshness) await this.armContract(em, row, now);
      return row;
    });
  }

  /** An outside system says an asset was updated: the event goes to `asset.events` like any other. */
  async publishEvent(payload: AssetEventPayload): Promise<string> {
    const now = this.clock.now();
    const message = envelope('asset.event', payload, now);
    await this.db.transaction((em) =>
      enqueueOutbox(em, this.topics.name(TOPICS.assetEvents), payload.asset, message),
    );
    this.relay.kick();
    return message.eventId;
  }

  async onAssetEvent(event: AssetEventEvent): Promise<void> {
    const requested = await this.db.transaction(async (em) => {
      const now = this.clock.now();
      if (!(await recordProcessedEvent(em, ASSETS_GROUP, event.eventId, now))) return 0;
      const p = event.payload;
      const facts: PartitionEventFacts = {
        partition: p.partition ?? null,
        intervalStart: p.dataInterval ? new Date(p.dataInterval.start) : null,
        intervalEnd: p.dataInterval ? new Date(p.dataInterval.end) : null,
        createdAt: now,
      };
      if (facts.intervalStart && facts.intervalEnd && facts.intervalEnd <= facts.intervalStart) {
        throw new PoisonMessageError(
          `dataInterval.end (${p.dataInterval?.end}) must be after dataInterval.start (${p.dataInterval?.start})`,
        );
      }
      const inserted = await em.query(
        `INSERT INTO asset_events (event_id, asset_name, partition, metadata, source_dag_id, source_run_id, source_task_id,
           source_try_number, interval_start, interval_end, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
        [
          event.eventId,
          p.asset,
          facts.partition,
          p.metadata ?? {},
          p.source?.dagId ?? null,
          p.source?.runId ?? null,
          p.source?.taskId ?? null,
          p.source?.tryNumber ?? null,
          facts.intervalStart,
          facts.intervalEnd,
          now,
        ],
      );
      if (inserted.length === 0) return 0;
      const eventPk: string = inserted[0].id;
      const [asset]: AssetRow[] = await em.query(
        `INSERT INTO assets (name, registered_by, registered_at, last_event_at) VALUES ($1, 'event', $2, $2)
         ON CONFLICT (name) DO UPDATE SET last_event_at = $2 RETURNING ${ASSET_COLUMNS}`,
        [p.asset, now],
      );
      const partitions = partitionsOfEvent(facts, asset.timezone);
      for (const partition of partitions) await this.recordPartition(em, asset, partition, eventPk, now);
      if (asset.freshness?.maxLag !== undefined) await this.renewLag(em, asset, now);

      // Only the DAGs scheduled on this asset are locked (in dag_id order): events of unrelated assets
      // do not wait for each other, and events for one consumer see each other's completions.
      const candidates: { dag_id: string; definition: DagDefinition }[] = await em.query(
        `SELECT dag_id, definition FROM dags WHERE is_active AND schedule_kind = 'assets' ORDER BY dag_id`,
      );
      const named = candidates
        .filter((c) =>
          assetNamesIn((c.definition.schedule as AssetScheduleDefinition).condition).includes(p.asset),
        )
        .map((c) => c.dag_id);
      const consumers: ConsumerRow[] = named.length
        ? await em.query(
            `SELECT dag_id, definition, is_paused FROM dags
             WHERE dag_id = ANY($1::text[]) AND is_active AND schedule_kind = 'assets' ORDER BY dag_id FOR UPDATE`,
            [named],
          )
        : [];
      let runs = 0;
      for (const consumer of consumers) {
        const schedule = consumer.definition.schedule as AssetScheduleDefinition;
        // Re-checked under the lock: a redeploy may have changed the schedule meanwhile.
        if (!assetNamesIn(schedule.condition).includes(p.asset)) continue;
        for (const partition of schedule.partitioned ? partitions : ['']) {
          await em.query(
            `INSERT INTO asset_dag_queue (dag_id, asset_event_id, asset_name, partition, queued_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING`,
            [consumer.dag_id, eventPk, p.asset, partition, now],
          );
        }
        // A paused DAG keeps its events queued and runs on them once unpaused.
        if (consumer.is_paused) continue;
        runs += await this.triggerIfReady(em, consumer.definition, schedule, now);
      }
      return runs;
    });
    this.relay.kick();
    if (requested > 0) this.logger.debug(`asset event ${event.payload.asset}: ${requested} run(s) requested`);
  }

  /**
   * A DAG was unpaused: the events queued for it while paused may already satisfy its
   * condition. Returns how many runs it requested.
   */
  async releaseQueued(dagId: string): Promise<number> {
    const runs = await this.db.transaction((em) => this.releaseQueuedIn(em, dagId));
    if (runs > 0) this.relay.kick();
    return runs;
  }

  /**
   * `releaseQueued` inside the caller's transaction (the unpause itself, so the DAG is never
   * unpaused without its queued events released). The caller kicks the relay after commit.
   */
  async releaseQueuedIn(em: EntityManager, dagId: string): Promise<number> {
    const [consumer]: ConsumerRow[] = await em.query(
      `SELECT dag_id, definition, is_paused FROM dags WHERE dag_id = $1 AND is_active FOR UPDATE`,
      [dagId],
    );
    const schedule = consumer?.definition.schedule;
    if (!consumer || consumer.is_paused || schedule?.kind !== 'assets') return 0;
    return this.triggerIfReady(em, consumer.definition, schedule, this.clock.now());
  }

  /** Fires due freshness, max-lag and fallback timers. Returns how many it fired. */
  async tick(): Promise<number> {
    let fired = 0;
    for (;;) {
      const handled = await this.db.transaction(async (em) => {
        const now = this.clock.now();
        const due: {
          id: string;
          kind: string;
          timer_key: string;
          due_at: Date;
          payload: Record<string, unknown>;
        }[] = await em.query(
          `SELECT id, kind, timer_key, due_at, payload FROM timers WHERE owner = $1 AND due_at <= $2
             ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [ASSETS_TIMER_OWNER, now],
        );
        for (const timer of due) await this.fireTimer(em, timer, now);
        return due.length;
      });
      if (handled === 0) break;
      fired += handled;
    }
    if (fired > 0) this.relay.kick();
    return fired;
  }

  /** The earliest timer of this service, so a simulated clock knows where to jump next. */
  async nextTimerDue(): Promise<Date | null> {
    const [row] = await this.db.manager.query(`SELECT min(due_at) AS due FROM timers WHERE owner = $1`, [
      ASSETS_TIMER_OWNER,
    ]);
    return row?.due ? new Date(row.due) : null;
  }

  // ---- partitions and contracts ----

  /** Records that an event touched a partition, and when the partition became complete. */
  private async recordPartition(
    em: EntityManager,
    asset: AssetRow,
    partition: string,
    eventPk: string,
    now: Date,
  ): Promise<void> {
    const [row] = await em.query(
      `INSERT INTO asset_partitions (asset_name, partition, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (asset_name, partition) DO UPDATE SET updated_at = $3 RETURNING completed_at`,
      [asset.name, partition, now],
    );
    if (row.completed_at) return;
    const facts = await this.partitionEvents(em, asset, partition);
    const completedAt = partitionCompletedAt(partition, asset.timezone, facts);
    if (!completedAt) return;
    await em.query(
      `UPDATE asset_partitions SET completed_at = $3, completed_by_event_id = $4 WHERE asset_name = $1 AND partition = $2`,
      [asset.name, partition, completedAt, eventPk],
    );
    if (asset.freshness?.by === undefined) return;
    const verdict = judgePartition(asset.freshness, partition, completedAt, now);
    if (verdict.status === 'late') {
      await recoverAlerts(
        em,
        this.topics,
        { kind: 'freshness_missed', subject: freshnessSubject(asset.name, partition) },
        `${asset.name} for ${partition} is complete, ${describeDuration(verdict.lateByMs)} after its deadline (${describeFreshnessContract(asset.freshness)})`,
        now,
      );
    }
  }

  /** The events of an asset that name the partition or whose interval overlaps its day. */
  private async partitionEvents(
    em: EntityManager,
    asset: AssetRow,
    partition: string,
  ): Promise<PartitionEventFacts[]> {
    const range = dayPartitionRange(partition, asset.timezone);
    const rows: {
      partition: string | null;
      interval_start: Date | null;
      interval_end: Date | null;
      created_at: Date;
    }[] = await em.query(
      `SELECT partition, interval_start, interval_end, created_at FROM asset_events
         WHERE asset_name = $1 AND (partition = $2 OR (interval_start < $4 AND interval_end > $3))
         ORDER BY created_at, id`,
      [asset.name, partition, range?.start ?? null, range?.end ?? null],
    );
    return rows.map((r) => ({
      partition: r.partition,
      intervalStart: r.interval_start ? new Date(r.interval_start) : null,
      intervalEnd: r.interval_end ? new Date(r.interval_end) : null,
      createdAt: new Date(r.created_at),
    }));
  }

  /** Sets the asset's contract timer unless one for the same contract is already set. */
  private async armContract(em: EntityManager, asset: AssetRow, now: Date): Promise<void> {
    const contract = asset.freshness as AssetFreshnessDefinition;
    if (contract.maxLag !== undefined) {
      const due = judgeLag(
        contract,
        asset.last_event_at ? new Date(asset.last_event_at) : null,
        new Date(asset.registered_at),
        now,
      ).deadline;
      await this.setTimer(
        em,
        'freshness_lag',
        contractKey(asset.name),
        due,
        { asset: asset.name, contract },
        now,
        true,
      );
      return;
    }
    // Partitions from the day the asset was registered on: nothing was promised before it.
    const registeredDay = dayPartitionOf(new Date(asset.registered_at), contract.timezone ?? asset.timezone);
    const due = nextPartitionDue(contract, now);
    const partition = due < registeredDay ? registeredDay : due;
    await this.setTimer(
      em,
      'freshness_deadline',
      contractKey(asset.name),
      partitionDeadline(contract, partition),
      { asset: asset.name, partition, contract },
      now,
      true,
    );
  }

  /** A max-lag asset got an event: its window starts again, and an open miss recovers. */
  private async renewLag(em: EntityManager, asset: AssetRow, now: Date): Promise<void> {
    const contract = asset.freshness as AssetFreshnessDefinition;
    const due = new Date(now.getTime() + durationMs(contract.maxLag as string));
    await this.setTimer(
      em,
      'freshness_lag',
      contractKey(asset.name),
      due,
      { asset: asset.name, contract },
      now,
    );
    await recoverAlerts(
      em,
      this.topics,
      { kind: 'freshness_missed', asset: asset.name, partition: null },
      `${asset.name} has a new event (${describeFreshnessContract(contract)})`,
      now,
    );
  }

  /**
   * A durable timer of this service. With `keepSameContract`, a timer already set for the
   * same payload contract stays as it is (a redeploy must not move a pending deadline).
   */
  private async setTimer(
    em: EntityManager,
    kind: string,
    key: string,
    due: Date,
    payload: Record<string, unknown>,
    now: Date,
    keepSameContract = false,
  ): Promise<void> {
    await setTimer(
      em,
      { owner: ASSETS_TIMER_OWNER, kind, key, dueAt: due, payload },
      now,
      keepSameContract ? 'replace-if-contract-changed' : 'replace',
    );
  }

  /**
   * Timers of asset schedules: the fallback, and for partitioned DAGs with a wall-clock
   * deadline, the deadline of each day's run, which may not exist yet when it falls due.
   */
  private async armScheduleTimers(em: EntityManager, defs: DagDefinition[], now: Date): Promise<void> {
    const keys: string[] = [];
    for (const def of defs) {
      if (def.schedule.kind === 'assets' && def.schedule.partitioned && def.deadline?.by !== undefined) {
        let partition = dayPartitionOf(now, def.timezone);
        while (partitionRunDeadline(def, partition, now).getTime() <= now.getTime())
          partition = shiftDayPartition(partition, 1);
        keys.push(deadlineKey(def.dagId));
        const payload = { dagId: def.dagId, contract: def.deadline, partition };
        await this.setTimer(
          em,
          'asset_run_deadline',
          deadlineKey(def.dagId),
          partitionRunDeadline(def, partition, now),
          payload,
          now,
          true,
        );
      }
      if (def.schedule.kind !== 'assets' || !def.schedule.fallback) continue;
      const fallback = def.schedule.fallback;
      const timetable = new CronTimetable(fallback.at, fallback.timezone ?? def.timezone);
      const next = timetable.nextFireAfter(now);
      if (!next) continue;
      keys.push(fallbackKey(def.dagId));
      // Partitions from the first deploy's day on: the fallback promises nothing about earlier days.
      const payload = {
        dagId: def.dagId,
        contract: fallback,
        firstPartition: dayPartitionOf(now, def.timezone),
      };
      await this.setTimer(em, 'asset_fallback', fallbackKey(def.dagId), next.at, payload, now, true);
    }
    await em.query(
      `DELETE FROM timers WHERE owner = $1 AND kind IN ('asset_fallback', 'asset_run_deadline') AND NOT (timer_key = ANY($2::text[]))`,
      [ASSETS_TIMER_OWNER, keys],
    );
  }

  private async fireTimer(
    em: EntityManager,
    timer: { id: string; kind: string; due_at: Date; payload: Record<string, unknown> },
    now: Date,
  ): Promise<void> {
    const dueAt = new Date(timer.due_at);
    switch (timer.kind) {
      case 'freshness_deadline':
        return this.judgeDeadline(em, timer.id, timer.payload as { asset: string; partition: string }, now);
      case 'freshness_lag':
        return this.judgeLagWindow(em, timer.id, timer.payload as { asset: string }, now);
      case 'asset_run_deadline':
        return this.judgePartitionRunDeadline(
          em,
          timer.id,
          timer.payload as { dagId: string; partition: string },
          now,
        );
      case 'asset_fallback':
        return this.runFallback(
          em,
          timer.id,
          timer.payload as { dagId: string; firstPartition?: string },
          dueAt,
          now,
        );
      default:
        await em.query(`DELETE FROM timers WHERE id = $1`, [timer.id]);
    }
  }

  /** A partition's deadline passed: alert if it was not complete by then, and arm the next partition. */
  private async judgeDeadline(
    em: EntityManager,
    timerId: string,
    payload: { asset: string; partition: string },
    now: Date,
  ): Promise<void> {
    // FOR SHARE waits for an event of this asset still committing: one that landed in time counts.
    const [asset]: AssetRow[] = await em.query(
      `SELECT ${ASSET_COLUMNS} FROM assets WHERE name = $1 FOR SHARE`,
      [payload.asset],
    );
    if (!asset?.freshness || asset.freshness.by === undefined) {
      await em.query(`DELETE FROM timers WHERE id = $1`, [timerId]);
      return;
    }
    const contract = asset.freshness;
    const partition = payload.partition;
    const completedAt = (await completedPartitions(em, [asset.name], partition)).get(asset.name) ?? null;
    const verdict = judgePartition(contract, partition, completedAt, now);
    if (verdict.status === 'missing' || verdict.status === 'late') {
      const pieces = (await this.partitionEvents(em, asset, partition)).filter(isPieceEvent);
      const range = dayPartitionRange(partition, asset.timezone);
      const gaps =
        range && pieces.length > 0
          ? uncoveredRanges(
              range,
              pieces.map((e) => ({ start: e.intervalStart as Date, end: e.intervalEnd as Date })),
            )
          : [];
      const raised = await raiseAlert(
        em,
        this.topics,
        {
          kind: 'freshness_missed',
          subject: freshnessSubject(asset.name, partition),
          severity: 'critical',
          message: `${asset.name} for ${partition} was not complete by its deadline ${formatLocal(verdict.deadline, contract.timezone ?? 'UTC')} (${describeFreshnessContract(contract)})`,
          asset: asset.name,
          partition,
          deadline: verdict.deadline,
          details: {
            contract,
            producers: asset.producer_dag_ids,
            ...(gaps.length
              ? { missing: gaps.map((g) => ({ start: g.start.toISOString(), end: g.end.toISOString() })) }
              : {}),
          },
        },
        now,
      );
      if (raised) this.logger.warn(`freshness missed: ${asset.name} for ${partition}`);
      // Completed late while nobody was judging (this service was down): the recovery follows at once.
      if (completedAt) {
        await recoverAlerts(
          em,
          this.topics,
          { kind: 'freshness_missed', subject: freshnessSubject(asset.name, partition) },
          `${asset.name} for ${partition} is complete, ${describeDuration(verdict.lateByMs)} after its deadline`,
          now,
        );
      }
    }
    const next = shiftDayPartition(partition, 1);
    await em.query(`UPDATE timers SET due_at = $2, payload = $3 WHERE id = $1`, [
      timerId,
      partitionDeadline(contract, next),
      { asset: asset.name, partition: next, contract },
    ]);
  }

  /** A max-lag window ended without an event: alert (once per window). The next event re-arms it. */
  private async judgeLagWindow(
    em: EntityManager,
    timerId: string,
    payload: { asset: string },
    now: Date,
  ): Promise<void> {
    await em.query(`DELETE FROM timers WHERE id = $1`, [timerId]);
    const [asset]: AssetRow[] = await em.query(`SELECT ${ASSET_COLUMNS} FROM assets WHERE name = $1`, [
      payload.asset,
    ]);
    if (!asset?.freshness || asset.freshness.maxLag === undefined) return;
    const last = asset.last_event_at ? new Date(asset.last_event_at) : null;
    const verdict = judgeLag(asset.freshness, last, new Date(asset.registered_at), now);
    if (verdict.status !== 'missing') return;
    await raiseAlert(
      em,
      this.topics,
      {
        kind: 'freshness_missed',
        subject: `asset:${asset.name}:lag:${verdict.deadline.toISOString()}`,
        severity: 'critical',
        message: `${asset.name} has had no event ${last ? `since ${last.toISOString()}` : 'since it was registered'} (${describeFreshnessContract(asset.freshness)})`,
        asset: asset.name,
        deadline: verdict.deadline,
        details: {
          contract: asset.freshness,
          producers: asset.producer_dag_ids,
          lastEventAt: last?.toISOString() ?? null,
        },
      },
      now,
    );
  }

  /**
   * The deadline of a partitioned DAG's run for a day passed: alert unless that run succeeded,
   * even if it does not exist yet. The coordinator recovers it when the run succeeds.
   */
  private async judgePartitionRunDeadline(
    em: EntityManager,
    timerId: string,
    payload: { dagId: string; partition: string },
    now: Date,
  ): Promise<void> {
    const [consumer]: ConsumerRow[] = await em.query(
      `SELECT dag_id, definition, is_paused FROM dags WHERE dag_id = $1 AND is_active`,
      [payload.dagId],
    );
    const def = consumer?.definition;
    if (
      !def ||
      def.schedule.kind !== 'assets' ||
      !def.schedule.partitioned ||
      def.deadline?.by === undefined
    ) {
      await em.query(`DELETE FROM timers WHERE id = $1`, [timerId]);
      return;
    }
    const partition = payload.partition;
    const next = shiftDayPartition(partition, 1);
    await em.query(`UPDATE timers SET due_at = $2, payload = $3 WHERE id = $1`, [
      timerId,
      partitionRunDeadline(def, next, now),
      { dagId: def.dagId, contract: def.deadline, partition: next },
    ]);
    if (consumer.is_paused) return;
    const runId = partitionRunId(partition);
    // FOR SHARE waits for a run's success still committing; any successful run of the day (a fallback run too) meets it.
    const runs: { run_id: string; state: string }[] = await em.query(
      `SELECT run_id, state FROM dag_runs WHERE dag_id = $1 AND logical_date = $2 AND run_type = 'asset_triggered'
       ORDER BY id FOR SHARE`,
      [def.dagId, partitionLogicalDate(partition, def.timezone, now)],
    );
    if (runs.some((r) => r.state === 'success')) return;
    const run = runs.find((r) => r.run_id === runId);
    const names = assetNamesIn(def.schedule.condition);
    const completed = await completedPartitions(em, names, partition);
    const missing = missingAssets(def.schedule.condition, new Set(completed.keys()));
    const deadline = partitionRunDeadline(def, partition, now);
    const rule = describeRunDeadline(def.deadline, def.timezone);
    await raiseAlert(
      em,
      this.topics,
      {
        kind: 'run_deadline_missed',
        subject: runDeadlineSubject(def.dagId, runId),
        severity: 'critical',
        message: run
          ? `${def.dagId} run ${runId} is not done by its deadline (${rule}): it is ${run.state}`
          : `${def.dagId} for ${partition} is not done by its deadline (${rule}): no run yet, waiting for ${missing.join(', ')}`,
        dagId: def.dagId,
        runId,
        partition,
        deadline,
        details: { deadline: def.deadline, state: run?.state ?? null, missing },
      },
      now,
    );
  }

  /**
   * An asset schedule's wall-clock fallback: if the run it waits for has not been requested,
   * alert (and with action 'run', request it anyway, marked as a fallback run).
   */
  private async runFallback(
    em: EntityManager,
    timerId: string,
    payload: { dagId: string; firstPartition?: string },
    dueAt: Date,
    now: Date,
  ): Promise<void> {
    const [consumer]: ConsumerRow[] = await em.query(
      `SELECT dag_id, definition, is_paused FROM dags WHERE dag_id = $1 AND is_active FOR UPDATE`,
      [payload.dagId],
    );
    const schedule = consumer?.definition.schedule;
    if (!consumer || schedule?.kind !== 'assets' || !schedule.fallback) {
      await em.query(`DELETE FROM timers WHERE id = $1`, [timerId]);
      return;
    }
    const def = consumer.definition;
    const fallback = schedule.fallback!;
    const zone = fallback.timezone ?? def.timezone;
    const timetable = new CronTimetable(fallback.at, zone);
    const previous = timetable.previousFireBefore(dueAt);
    const next = timetable.nextFireAfter(dueAt > now ? dueAt : now);
    if (next) await em.query(`UPDATE timers SET due_at = $2 WHERE id = $1`, [timerId, next.at]);
    else await em.query(`DELETE FROM timers WHERE id = $1`, [timerId]);
    if (consumer.is_paused) return;

    const at = `${fallback.at} (${zone})`;
    if (schedule.partitioned) {
      // The fallback at T answers for the partition of T's cron interval: the day before a daily 05:00.
      const partition = dayPartitionOf(previous?.at ?? dueAt, def.timezone);
      if (payload.firstPartition && partition < payload.firstPartition) return;
      const [done] = await em.query(
        `SELECT 1 FROM asset_partition_runs WHERE dag_id = $1 AND partition = $2 LIMIT 1`,
        [def.dagId, partition],
      );
      if (done) return;
      const names = assetNamesIn(schedule.condition);
      const completed = await completedPartitions(em, names, partition);
      const missing = missingAssets(schedule.condition, new Set(completed.keys()));
      const inputs = await judgeInputsForDay(em, names, partition, now);
      await raiseAlert(
        em,
        this.topics,
        {
          kind: 'asset_fallback',
          subject: fallbackSubject(def.dagId, partition),
          severity: 'critical',
          message: `${def.dagId} for ${partition} has not started by its fallback at ${formatLocal(dueAt, zone)}: waiting for ${missing.join(', ')}${fallback.action === 'run' ? '; running anyway' : ''}`,
          dagId: def.dagId,
          partition,
          deadline: dueAt,
          details: { fallback, missing, inputs },
        },
        now,
      );
      if (fallback.action === 'run') {
        const queued: QueueRow[] = await this.queued(em, def.dagId, partition);
        await this.requestRun(
          em,
          def,
          queued,
          partitionLogicalDate(partition, def.timezone, now),
          now,
          `${partitionRunId(partition)}__fallback`,
          {
            partition,
            fallback: true,
            note: `fallback run at ${at}: inputs not all complete (${missing.join(', ')})`,
            consume: false,
          },
        );
      }
      return;
    }
    const since = previous?.at ?? new Date(0);
    if (payload.firstPartition && dayPartitionOf(since, def.timezone) < payload.firstPartition) return;
    const [ran] = await em.query(
      `SELECT 1 FROM asset_partition_runs WHERE dag_id = $1 AND partition = '' AND requested_at > $2 LIMIT 1`,
      [def.dagId, since],
    );
    if (ran) return;
    const queued = await this.queued(em, def.dagId, '');
    const missing = missingAssets(schedule.condition, new Set(queued.map((q) => q.asset_name)));
    await raiseAlert(
      em,
      this.topics,
      {
        kind: 'asset_fallback',
        subject: `dag:${def.dagId}:${dueAt.toISOString()}`,
        severity: 'critical',
        message: `${def.dagId} has not run since ${formatLocal(since, zone)}: waiting for ${missing.join(', ')} at its fallback ${formatLocal(dueAt, zone)}${fallback.action === 'run' ? '; running anyway' : ''}`,
        dagId: def.dagId,
        deadline: dueAt,
        details: { fallback, missing },
      },
      now,
    );
    if (fallback.action === 'run') {
      await this.requestRun(em, def, queued, now, now, `asset_triggered__${now.toISOString()}__fallback`, {
        partition: '',
        fallback: true,
        note: `fallback run at ${at}: waiting for ${missing.join(', ')}`,
        consume: true,
      });
    }
  }

  // ---- triggering ----

  private queued(em: EntityManager, dagId: string, partition?: string): Promise<QueueRow[]> {
    return em.query(
      `SELECT q.asset_event_id, e.event_id, q.asset_name, q.partition FROM asset_dag_queue q
       JOIN asset_events e ON e.id = q.asset_event_id WHERE q.dag_id = $1 AND ($2::text IS NULL OR q.partition = $2)
       ORDER BY q.asset_event_id`,
      [dagId, partition ?? null],
    );
  }

  /** Requests the runs whose condition holds, consuming the queued events that satisfied it. */
  private async triggerIfReady(
    em: EntityManager,
    def: DagDefinition,
    schedule: AssetScheduleDefinition,
    now: Date,
  ): Promise<number> {
    // A partitioned DAG's queue rows name a partition; a non-partitioned DAG's are ''.
    const queue = (await this.queued(em, def.dagId)).filter(
      (q) => (q.partition === '') !== schedule.partitioned,
    );
    if (schedule.partitioned) return this.triggerPartitions(em, def, schedule.condition, queue, now);
    if ((schedule.events ?? 'batched') === 'batched') {
      if (!isAssetConditionMet(schedule.condition, new Set(queue.map((q) => q.asset_name)))) return 0;
      const last = queue[queue.length - 1].asset_event_id;
      await this.requestRun(em, def, queue, now, now, `asset_triggered__${now.toISOString()}__${last}`, {
        partition: '',
        consume: true,
      });
      return 1;
    }
    let runs = 0;
    for (let pending = queue; ;) {
      const used = nextPerEventSet(schedule.condition, pending);
      if (!used) return runs;
      const last = used[used.length - 1].asset_event_id;
      await this.requestRun(em, def, used, now, now, `asset_triggered__${now.toISOString()}__${last}`, {
        partition: '',
        consume: true,
      });
      const taken = new Set(used.map((u) => u.asset_event_id));
      pending = pending.filter((q) => !taken.has(q.asset_event_id));
      runs++;
    }
  }

  /** Partition-aware: one run per partition once every input the condition needs is complete for it. */
  private async triggerPartitions(
    em: EntityManager,
    def: DagDefinition,
    condition: AssetCondition,
    queue: QueueRow[],
    now: Date,
  ): Promise<number> {
    const candidates = [...new Set(queue.map((q) => q.partition))].filter((p) => p !== '').sort();
    if (candidates.length === 0) return 0;
    const names = assetNamesIn(condition);
    const rows: { asset_name: string; partition: string }[] = await em.query(
      `SELECT asset_name, partition FROM asset_partitions
       WHERE asset_name = ANY($1::text[]) AND partition = ANY($2::text[]) AND completed_at IS NOT NULL`,
      [names, candidates],
    );
    const complete = new Map<string, Set<string>>();
    for (const r of rows)
      complete.set(r.asset_name, (complete.get(r.asset_name) ?? new Set()).add(r.partition));
    let runs = 0;
    for (const partition of readyPartitions(condition, complete)) {
      const used = queue.filter((q) => q.partition === partition);
      const [before] = await em.query(
        `SELECT count(*)::int AS n FROM asset_partition_runs WHERE dag_id = $1 AND partition = $2 AND NOT fallback`,
        [def.dagId, partition],
      );
      // The first run of a partition has a stable id; later ones (an input was updated again) add the event.
      const runId =
        before.n === 0
          ? partitionRunId(partition)
          : `${partitionRunId(partition)}__${used[used.length - 1].asset_event_id}`;
      await this.requestRun(em, def, used, partitionLogicalDate(partition, def.timezone, now), now, runId, {
        partition,
        consume: true,
      });
      await recoverAlerts(
        em,
        this.topics,
        { kind: 'asset_fallback', subject: fallbackSubject(def.dagId, partition) },
        `${def.dagId} for ${partition}: every input is complete; run ${runId} requested`,
        now,
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
    options: { partition: string; consume: boolean; fallback?: boolean; note?: string },
  ): Promise<void> {
    if (options.consume && events.length > 0) {
      await em.query(
        `DELETE FROM asset_dag_queue WHERE dag_id = $1 AND asset_event_id = ANY($2::bigint[]) AND partition = $3`,
        [def.dagId, events.map((e) => e.asset_event_id), options.partition],
      );
    }
    await em.query(
      `INSERT INTO asset_partition_runs (dag_id, partition, run_id, fallback, requested_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [def.dagId, options.partition, runId, options.fallback ?? false, now],
    );
    if (options.partition === '' && !options.fallback) {
      await recoverAlerts(
        em,
        this.topics,
        { kind: 'asset_fallback', dagId: def.dagId, partition: null },
        `${def.dagId}: its asset condition holds; run ${runId} requested`,
        now,
      );
    }
    const payload: RunRequestedPayload = {
      dagId: def.dagId,
      runType: 'asset_triggered',
      runId,
      logicalDate: logicalDate.toISOString(),
      triggeringAssetEventIds: [...new Set(events.map((e) => e.event_id))],
      ...(options.fallback ? { conf: { fallback: true }, note: options.note } : {}),
    };
    await enqueueOutbox(
      em,
      this.topics.name(TOPICS.runRequested),
      def.dagId,
      envelope('run.requested', payload, now),
    );
  }
}

/**
 * Per-event mode: the oldest queued event of each input, in arrival order, until the
 * condition holds; then only the events the condition needs (or(a, b) takes one event).
 */
export function nextPerEventSet<T extends { asset_name: string }>(
  condition: AssetCondition,
  queue: readonly T[],
): T[] | null {
  const heads: T[] = [];
  const seen = new Set<string>();
  for (const q of queue) {
    if (seen.has(q.asset_name)) continue;
    seen.add(q.asset_name);
    heads.push(q);
    if (!isAssetConditionMet(condition, seen)) continue;
    // Drop heads the condition can do without, newest first so older events go first; the newest completed it.
    const needed = [...heads];
    for (const candidate of heads.slice(0, -1).reverse()) {
      const without = new Set(needed.filter((h) => h !== candidate).map((h) => h.asset_name));
      if (isAssetConditionMet(condition, without)) needed.splice(needed.indexOf(candidate), 1);
    }
    return needed;
  }
  return null;
}

const contractKey = (asset: string) => `freshness:${asset}`;
const deadlineKey = (dagId: string) => `run-deadline:${dagId}`;

/** When the run of a partitioned DAG for day D must be done (its logical date is midnight D). */
function partitionRunDeadline(def: DagDefinition, partition: string, now: Date): Date {
  return runDeadlineAt(
    def.deadline as RunDeadlineDefinition,
    partitionLogicalDate(partition, def.timezone, now),
    now,
    def.timezone,
  );
}
const fallbackKey = (dagId: string) => `fallback:${dagId}`;
const freshnessSubject = (asset: string, partition: string) => `asset:${asset}:${partition}`;
const fallbackSubject = (dagId: string, partition: string) => `dag:${dagId}:${partition}`;

/** A partition is free text ('region=us/2026-04-25'); a run id allows [A-Za-z0-9_.:+-] only. */
function partitionRunId(partition: string): string {
  const safe = partition.replace(/[^A-Za-z0-9_.:+-]/g, '_').slice(0, 120);
  // Two partitions that read the same once made safe ('a=b', 'a_b') keep distinct run ids.
  return `asset_triggered__${safe === partition ? safe : `${safe}.${fnv1a32(partition).toString(16)}`}`;
}

/** A day partition's run has logical date midnight D in the DAG's zone; other partitions, the request time. */
function partitionLogicalDate(partition: string, timezone: string, now: Date): Date {
  return dayPartitionRange(partition, timezone)?.start ?? now;
}

function formatLocal(instant: Date, zone: string): string {
  return `${new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(instant)} ${zone}`;
}
