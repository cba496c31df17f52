import { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as os from 'os';
import { configureHttpApp, ensureFirstAdminToken } from '@tributary/api';
import { AssetsService } from '@tributary/assets';
import { CoordinatorService } from '@tributary/coordinator';
import { loadDagBundle } from '@tributary/dag-bundle';
import { DagValidationError } from '@tributary/domain';
import { ExecutorService } from '@tributary/executor';
import { InProcessTransport, OutboxRelay, TopicCatalog, TransportServer } from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import { Clock, DagRegistry, ManualClock, RuntimeOptions, SystemClock } from '@tributary/runtime';
import { SchedulerService, TopicBindingService, TopicBindingServiceOptions } from '@tributary/scheduler';
import { TriggererService } from '@tributary/triggerer';
import { StandaloneModule } from './standalone.module';

export interface StandaloneOptions {
  dagsDir: string;
  /** PGlite data directory (default .tributary); 'memory://' for throw-away runs. */
  dataDir?: string;
  /** Use PostgreSQL instead of PGlite. */
  databaseUrl?: string;
  clock?: Clock;
  /** Serve the REST API; false for headless (tests, demo). */
  http?: { host: string; port: number } | false;
  /** Drive the services from real-time loops (production); false when a simulated clock drives them. */
  loops?: boolean;
  executorSlots?: number;
  workerId?: string;
  logLevels?: LogLevel[] | false;
  logger?: LoggerService;
  /** How often the scheduler and coordinator look for due work in real-time mode. */
  pollIntervalMs?: number;
  /** The Kafka cluster that topic-scheduled DAGs read unless they name their own brokers (KAFKA_BROKERS). */
  kafkaBrokers?: string[];
  /** Tuning and test hooks of the topic bindings. */
  topicBindings?: Omit<TopicBindingServiceOptions, 'kafkaBrokers'>;
}

/**
 * The whole orchestrator in one process: PGlite (or PostgreSQL), the in-process transport,
 * and every service module, on the same code the distributed mode runs.
 */
export class StandaloneOrchestrator {
  private timers: NodeJS.Timeout[] = [];
  private ticking = false;
  /** The admin token this start created (the first start of a data directory), else null. */
  adminToken: string | null = null;

  private constructor(
    readonly app: INestApplication,
    readonly db: Database,
    readonly clock: Clock,
    readonly transport: InProcessTransport,
    readonly relay: OutboxRelay,
    readonly registry: DagRegistry,
    readonly scheduler: SchedulerService,
    readonly coordinator: CoordinatorService,
    readonly executor: ExecutorService,
    readonly assets: AssetsService,
    readonly url: string | null,
    /** The consumers of topic-scheduled DAGs; null when no DAG has a topic schedule. */
    readonly topicBindings: TopicBindingService | null = null,
  ) {}

  static async start(options: StandaloneOptions): Promise<StandaloneOrchestrator> {
    const bundle = await loadDagBundle(options.dagsDir);
    if (bundle.problems.length > 0) throw new DagValidationError(bundle.problems);
    const db = await Database.open({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
    try {
      await db.migrate();
      const clock = options.clock ?? new SystemClock();
      // The first start of a data directory creates an admin token and shows it once.
      const adminToken = await ensureFirstAdminToken(db, clock.now());
      const registry = new DagRegistry(
        bundle.version,
        bundle.dags.map((d) => ({ definition: d.definition, dag: d.dag, file: d.file })),
      );
      const transport = new InProcessTransport();
      const topics = new TopicCatalog();
      // One process owns the whole outbox: rows a previous run left are ours to publish at once.
      const relay = new OutboxRelay(db, transport, { orphanAfterMs: 0 });
      const runtimeOptions: RuntimeOptions = {
        workerId: options.workerId ?? `standalone-${os.hostname()}-${process.pid}`,
        executorSlots: options.executorSlots ?? 16,
        workerTimeoutMs: 60_000,
        heartbeatIntervalMs: 5_000,
        kafkaBrokers: options.kafkaBrokers,
      };
      const app = await NestFactory.create(
        StandaloneModule.forRoot({ db, clock, transport, topics, relay, registry, options: runtimeOptions }),
        {
          logger: options.logger ?? options.logLevels ?? ['error', 'warn'],
          abortOnError: false,
          // Webhook signatures are checked over the exact bytes sent.
          rawBody: true,
        },
      );
      configureHttpApp(app, { openApi: Boolean(options.http) });
      app.connectMicroservice(
        { strategy: new TransportServer(transport, topics) },
        { inheritAppConfig: true },
      );
      await app.startAllMicroservices();
      const scheduler = app.get(SchedulerService);
      const coordinator = app.get(CoordinatorService);
      const executor = app.get(ExecutorService);
      const assets = app.get(AssetsService);
      await executor.register();
      await app.get(TriggererService).register();
      await assets.deployBundle(registry);
      await scheduler.deployBundle(registry);
      relay.start();
      let topicBindings: TopicBindingService | null = null;
      if (TopicBindingService.boundDags(registry).length > 0) {
        topicBindings = new TopicBindingService(
          { db, clock, topics, relay },
          { ...options.topicBindings, kafkaBrokers: options.kafkaBrokers },
        );
        await topicBindings.start(registry);
      }
      let url: string | null = null;
      if (options.http) {
        await app.listen(options.http.port, options.http.host);
        const address = app.getHttpServer().address();
        url = `http://${options.http.host}:${typeof address === 'object' && address ? address.port : options.http.port}`;
      } else {
        await app.init();
      }
      const orchestrator = new StandaloneOrchestrator(
        app,
        db,
        clock,
        transport,
        relay,
        registry,
        scheduler,
        coordinator,
        executor,
        assets,
        url,
        topicBindings,
      );
      orchestrator.adminToken = adminToken;
      if (options.loops ?? !(clock instanceof ManualClock)) {
        orchestrator.startLoops(options.pollIntervalMs ?? 250, runtimeOptions.heartbeatIntervalMs);
      }
      return orchestrator;
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  /** The triggerer: deferred sensors wait here, in this process. */
  get triggerer(): TriggererService {
    return this.app.get(TriggererService);
  }

  /**
   * One round of clock-driven work: heartbeat, schedule what is due (and step backfills), fire
   * due timers, reap. Returns how many runs the scheduler requested.
   */
  async tick(): Promise<number> {
    await this.executor.heartbeat();
    await this.triggerer.tick();
    const requested = await this.scheduler.tick();
    await this.coordinator.tick();
    await this.assets.tick();
    return requested;
  }

  /** Waits until no message is in flight, no outbox row is waiting and no task is running. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 2;) {
      await this.executor.whenIdle();
      await this.relay.whenIdle();
      await this.transport.whenIdle();
      const [{ waiting }] = await this.db.manager.query(
        `SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL`,
      );
      const busy = this.executor.runningTasks > 0 || this.transport.pendingMessages > 0 || waiting > 0;
      if (waiting > 0) this.relay.kick();
      quiet = busy ? 0 : quiet + 1;
      if (busy) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Simulated time: jumps the manual clock from one due instant to the next (scheduled runs,
   * retry timers) up to `until`, letting the system settle at each, so days pass in seconds.
   */
  async advanceTo(until: Date, onStep?: (now: Date) => void): Promise<void> {
    if (!(this.clock instanceof ManualClock)) throw new Error('advanceTo needs a ManualClock');
    const clock = this.clock;
    let stuck = 0;
    for (;;) {
      const requested = await this.tick();
      await this.settle();
      onStep?.(clock.now());
      const due = [
        await this.scheduler.nextDue(),
        await this.coordinator.nextTimerDue(),
        await this.assets.nextTimerDue(),
      ]
        .filter((d): d is Date => d !== null)
        .reduce<Date | null>((min, d) => (min === null || d < min ? d : min), null);
      const now = clock.now().getTime();
      if (due === null || due.getTime() > until.getTime()) {
        if (now >= until.getTime()) return;
        clock.set(until);
        continue;
      }
      if (due.getTime() > now) {
        clock.set(due);
        stuck = 0;
      } else if (requested > 0) {
        stuck = 0; // a backfill asks for its next dates at the same instant, once the last ones finished
      } else if (++stuck > 3) {
        throw new Error(`work due at ${due.toISOString()} is not being done; the orchestrator is stuck`);
      }
    }
  }

  /** Graceful stop: no new work, running tasks finish, the outbox drains, then transport and database close. */
  async stop(): Promise<void> {
    // First: no new runs from Kafka; pending batches are recorded and committed.
    await this.topicBindings?.stop();
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
    while (this.ticking) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.executor.whenIdle();
    await this.settle().catch(() => undefined);
    await this.executor.shutdown();
    await this.triggerer.shutdown();
    await this.relay.stop();
    await this.app.close();
    await this.db.close();
  }

  /**
   * For crash tests: drops the process's work on the floor (no draining, running tasks
   * abandoned, heartbeats stop) and releases the database, as a killed process would.
   */
  async crash(): Promise<void> {
    // First: pending batches are neither recorded nor committed, so Kafka redelivers them.
    await this.topicBindings?.abandon();
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
    this.triggerer.abandon();
    await this.relay.stop().catch(() => undefined);
    await this.app.close().catch(() => undefined);
    await this.db.close();
  }

  private startLoops(pollMs: number, heartbeatMs: number): void {
    const guarded = (work: () => Promise<unknown>) => async () => {
      if (this.ticking) return;
      this.ticking = true;
      try {
        await work();
      } catch (error) {
        process.stderr.write(`tick failed: ${(error as Error).message}\n`);
      } finally {
        this.ticking = false;
      }
    };
    this.timers.push(
      setInterval(
        guarded(() => Promise.all([this.scheduler.tick(), this.coordinator.tick(), this.assets.tick()])),
        pollMs,
      ),
    );
    this.timers.push(
      setInterval(
        guarded(() => Promise.all([this.executor.heartbeat(), this.triggerer.tick()])),
        heartbeatMs,
      ),
    );
  }
}
