import { Inject, Injectable, Logger } from '@nestjs/common';
import { TriggerSpec, pokeDelayMs } from '@tributary/domain';
import {
  OutboxRelay,
  TOPICS,
  TopicCatalog,
  TriggerEvent,
  TriggerFiredPayload,
  enqueueOutbox,
  envelope,
} from '@tributary/messaging';
import {
  Database,
  heartbeatWorker,
  markWorkerStopped,
  queryRows,
  registerWorker,
} from '@tributary/persistence';
import {
  CLOCK,
  Clock,
  DATABASE,
  OUTBOX_RELAY,
  RUNTIME_OPTIONS,
  RuntimeOptions,
  SENSOR_CHECKER,
  TOPIC_CATALOG,
} from '@tributary/runtime';
import type { CheckOutcome, SensorChecker } from '@tributary/sensors';

export const TRIGGERER_GROUP = 'triggerer';
export const DEFAULT_TRIGGERER_CAPACITY = 20_000;

interface TriggerRow {
  id: string;
  ti_id: string;
  try_number: number;
  spec: TriggerSpec;
}

/** One trigger being watched: its row, and how to stop watching it. */
interface Watch {
  row: TriggerRow;
  abort: AbortController;
  /** When the watch started here (adoption or message), for the fire log line. */
  since: Date;
}

/**
 * Runs deferred sensors as async watchers, thousands at once (DESIGN §2): each trigger is
 * a timer loop around one check, and the checker batches database lookups and shares one
 * Kafka admin connection per cluster, so a watch costs a closure and a timer, not a
 * connection. Triggers are leased through the `triggers` table: the lease lasts as long as
 * this process's heartbeat in `workers`, and any live triggerer adopts the triggers of a
 * dead one. Firing marks the row and writes `trigger.fired` to the outbox in one
 * transaction; a trigger that fires twice is harmless (the coordinator applies the first).
 */
@Injectable()
export class TriggererService {
  private readonly logger = new Logger('Triggerer');
  private readonly watches = new Map<string, Watch>();
  private stopping = false;
  /** Triggers this process fired (for tests, metrics and the bench). */
  fired = 0;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
    @Inject(RUNTIME_OPTIONS) private readonly options: RuntimeOptions,
    @Inject(SENSOR_CHECKER) private readonly checker: SensorChecker,
  ) {}

  get workerId(): string {
    return this.options.workerId;
  }

  get capacity(): number {
    return this.options.triggererCapacity ?? DEFAULT_TRIGGERER_CAPACITY;
  }

  /** Triggers watched right now. */
  get watching(): number {
    return this.watches.size;
  }

  async register(): Promise<void> {
    const worker = { workerId: this.workerId, kind: 'triggerer', slots: this.capacity } as const;
    await registerWorker(this.db, worker, this.clock.now());
  }

  /** The fast path: a new trigger's message. Claims it unless another live triggerer holds it. */
  async onTrigger(event: TriggerEvent): Promise<void> {
    if (this.stopping || this.watches.has(event.payload.triggerId)) return;
    if (this.watches.size >= this.capacity) return; // full: a triggerer with room adopts it from the table
    const rows = await queryRows<TriggerRow>(
      this.db.manager,
      `UPDATE triggers t SET lease_owner = $1
       WHERE t.id = $2 AND t.fired_at IS NULL AND (t.lease_owner = $1 OR ${leaseIsFree('$3')})
       RETURNING t.id, t.ti_id, t.try_number, t.spec`,
      [this.workerId, event.payload.triggerId, this.livenessCutoff()],
    );
    rows.forEach((row) => this.watch(row));
  }

  /**
   * The slow path, every heartbeat: prove this process is alive, stop watching triggers that
   * are gone (timed out, cleared, fired elsewhere), and adopt unleased or orphaned ones.
   * Returns how many it adopted.
   */
  async tick(): Promise<number> {
    if (this.stopping) return 0;
    await heartbeatWorker(this.db, this.workerId, this.clock.now());
    await this.dropLostWatches();
    const room = this.capacity - this.watches.size;
    if (room <= 0) return 0;
    const adopted = await queryRows<TriggerRow>(
      this.db.manager,
      `UPDATE triggers SET lease_owner = $1 WHERE id IN (
         SELECT t.id FROM triggers t WHERE t.fired_at IS NULL AND ${leaseIsFree('$2')}
         ORDER BY t.id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id, ti_id, try_number, spec`,
      [this.workerId, this.livenessCutoff(), room],
    );
    adopted.forEach((row) => this.watch(row));
    if (adopted.length > 0) this.logger.log(`adopted ${adopted.length} trigger(s)`);
    return adopted.length;
  }

  /** Stops watching and hands every unfired trigger back, so another triggerer adopts it at once. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const watch of this.watches.values()) watch.abort.abort();
    this.watches.clear();
    await this.db.manager.query(
      `UPDATE triggers SET lease_owner = NULL WHERE lease_owner = $1 AND fired_at IS NULL`,
      [this.workerId],
    );
    await markWorkerStopped(this.db, this.workerId, this.clock.now());
  }

  /** For crash tests: stops watching without a word to the database, as a killed process would. */
  abandon(): void {
    this.stopping = true;
    for (const watch of this.watches.values()) watch.abort.abort();
    this.watches.clear();
  }

  private livenessCutoff(): Date {
    return new Date(this.clock.now().getTime() - this.options.workerTimeoutMs);
  }

  private async dropLostWatches(): Promise<void> {
    if (this.watches.size === 0) return;
    // Only watches that predate the query: one a trigger message started meanwhile holds a lease it may not have seen.
    const before = new Set(this.watches.keys());
    const held = await queryRows<{ id: string }>(
      this.db.manager,
      `SELECT id FROM triggers WHERE lease_owner = $1 AND fired_at IS NULL`,
      [this.workerId],
    );
    const ids = new Set(held.map((r) => String(r.id)));
    for (const [id, watch] of this.watches) {
      if (before.has(id) && !ids.has(id)) {
        watch.abort.abort();
        this.watches.delete(id);
      }
    }
  }

  private watch(row: TriggerRow): void {
    const id = String(row.id);
    if (this.stopping || this.watches.has(id)) return;
    const watch: Watch = { row: { ...row, id }, abort: new AbortController(), since: this.clock.now() };
    this.watches.set(id, watch);
    void this.runWatch(watch).finally(() => {
      if (this.watches.get(id) === watch) this.watches.delete(id);
    });
  }

  /** Check, sleep, check again (with backoff) until the condition is met or can never be, then fire. */
  private async runWatch(watch: Watch): Promise<void> {
    const { spec } = watch.row;
    const signal = watch.abort.signal;
    for (let checks = 1; !signal.aborted; checks++) {
      let outcome: CheckOutcome;
      try {
        outcome = await this.checker.check(spec.check, { signal });
      } catch (error) {
        outcome = { status: 'waiting', message: `the check failed: ${(error as Error).message}` };
      }
      if (signal.aborted) return;
      if (outcome.status !== 'waiting') {
        await this.fireUntilRecorded(watch, outcome, checks);
        return;
      }
      await sleep(pokeDelayMs(spec.poke, checks), signal);
    }
  }

  /** Fires; a database hiccup must not lose the news, so it tries again until it lands or the watch ends. */
  private async fireUntilRecorded(
    watch: Watch,
    outcome: Exclude<CheckOutcome, { status: 'waiting' }>,
    checks: number,
  ): Promise<void> {
    for (let attempt = 1; !watch.abort.signal.aborted; attempt++) {
      try {
        await this.fire(watch, outcome, checks);
        return;
      } catch (error) {
        this.logger.warn(
          `firing trigger ${watch.row.id} failed (attempt ${attempt}): ${(error as Error).message}`,
        );
        await sleep(Math.min(1000 * attempt, 10_000), watch.abort.signal);
      }
    }
  }

  private async fire(
    watch: Watch,
    outcome: Exclude<CheckOutcome, { status: 'waiting' }>,
    checks: number,
  ): Promise<void> {
    const { row } = watch;
    const now = this.clock.now();
    const message =
      outcome.status === 'met' ? `condition met ${JSON.stringify(outcome.details)}` : outcome.message;
    const recorded = await this.db.transaction(async (em) => {
      const [mine] = await queryRows<{ id: string }>(
        em,
        `UPDATE triggers SET fired_at = $3 WHERE id = $1 AND lease_owner = $2 AND fired_at IS NULL RETURNING id`,
        [row.id, this.workerId, now],
      );
      if (!mine) return false; // timed out, cleared, or taken over meanwhile: the news is not ours to tell
      await em.query(
        `INSERT INTO task_instance_logs (ti_id, try_number, logged_at, stream, level, message) VALUES ($1, $2, $3, 'log', $4, $5)`,
        [
          row.ti_id,
          row.try_number,
          now,
          outcome.status === 'met' ? 'info' : 'error',
          `trigger ${row.id} fired on ${this.workerId} after ${checks} check(s) since ${watch.since.toISOString()}: ${message}`,
        ],
      );
      const payload: TriggerFiredPayload = {
        triggerId: row.id,
        tiId: String(row.ti_id),
        dagId: row.spec.dagId,
        runId: row.spec.runId,
        taskId: row.spec.taskId,
        tryNumber: row.try_number,
        outcome: outcome.status,
        message,
        ...(outcome.status === 'met' ? { details: outcome.details } : {}),
        triggerer: this.workerId,
      };
      await enqueueOutbox(
        em,
        this.topics.name(TOPICS.triggerEvents),
        String(row.ti_id),
        envelope('trigger.fired', payload, now),
      );
      return true;
    });
    if (recorded) {
      this.fired++;
      this.relay.kick();
    }
  }
}

/**
 * SQL: the trigger row `t` is leased to nobody, or to a triggerer that stopped or whose last
 * heartbeat is older than the cutoff (the parameter named). A lease lasts as long as its owner's heartbeat.
 */
function leaseIsFree(cutoffParam: string): string {
  return `(t.lease_owner IS NULL OR NOT EXISTS (SELECT 1 FROM workers w WHERE w.worker_id = t.lease_owner
    AND w.stopped_at IS NULL AND w.heartbeat_at >= ${cutoffParam}))`;
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
