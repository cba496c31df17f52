import {
  DynamicModule,
  INestApplication,
  Logger,
  LoggerService,
  LogLevel,
  Module,
  Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiModule, configureHttpApp, ensureFirstAdminToken, seedAdminToken } from '@tributary/api';
import { AssetsConsumerModule, AssetsModule, AssetsService } from '@tributary/assets';
import { ServiceConfig, ServiceName } from '@tributary/config';
import { CoordinatorConsumerModule, CoordinatorService } from '@tributary/coordinator';
import { loadDagBundle } from '@tributary/dag-bundle';
import { DagValidationError } from '@tributary/domain';
import { ExecutorConsumerModule, ExecutorService } from '@tributary/executor';
import {
  InProcessTransport,
  KafkaTransport,
  OutboxRelay,
  TopicCatalog,
  TransportServer,
} from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import {
  Clock,
  DagRegistry,
  RuntimeModule,
  RuntimeOptions,
  RuntimeParts,
  ScaledClock,
  SystemClock,
} from '@tributary/runtime';
import { SchedulerModule, SchedulerService, TopicBindingService } from '@tributary/scheduler';
import { TriggererConsumerModule, TriggererService } from '@tributary/triggerer';
import { HealthController, HealthReport, SERVICE_PROBE, ServiceProbe } from './health.controller';
import { PrometheusMetrics } from './prometheus-metrics';

/** The Nest modules each service runs: consumers only where the service owns the topic (DESIGN §2). */
const SERVICE_MODULES: Record<ServiceName, Type[]> = {
  api: [ApiModule],
  // The scheduler also deploys the bundle's assets, so it imports the assets service (not its consumer).
  scheduler: [SchedulerModule, AssetsModule],
  coordinator: [CoordinatorConsumerModule],
  executor: [ExecutorConsumerModule],
  triggerer: [TriggererConsumerModule],
  assets: [AssetsConsumerModule],
};

@Module({})
class ServiceModule {
  static forRoot(service: ServiceName, parts: RuntimeParts, probe: ServiceProbe): DynamicModule {
    return {
      module: ServiceModule,
      imports: [RuntimeModule.forRoot(parts), ...SERVICE_MODULES[service]],
      controllers: [HealthController],
      providers: [{ provide: SERVICE_PROBE, useValue: probe }],
    };
  }
}

@Module({})
class DeployModule {
  static forRoot(parts: RuntimeParts): DynamicModule {
    return { module: DeployModule, imports: [RuntimeModule.forRoot(parts), SchedulerModule, AssetsModule] };
  }
}

export interface ServiceHostOptions {
  logger?: LoggerService | LogLevel[];
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * One service of distributed mode in its own process: PostgreSQL, the Kafka driver, the
 * service's Nest module, its outbox relay and clock-driven loop, and `/health` + `/metrics`
 * on HTTP. Stops in order: loops, consuming, running tasks, the outbox, Kafka, the database.
 */
export class ServiceHost implements ServiceProbe {
  private readonly logger = new Logger('ServiceHost');
  private timers: NodeJS.Timeout[] = [];
  private ticking: Promise<unknown> | null = null;
  private stopping: Promise<void> | null = null;
  /** The scheduler's consumers of topic-scheduled DAGs. */
  private topicBindings: TopicBindingService | null = null;

  private constructor(
    readonly config: ServiceConfig,
    readonly app: INestApplication,
    readonly db: Database,
    readonly transport: KafkaTransport,
    readonly relay: OutboxRelay,
    readonly registry: DagRegistry,
    readonly prometheus: PrometheusMetrics,
    private readonly started: Date,
  ) {}

  static async start(config: ServiceConfig, options: ServiceHostOptions = {}): Promise<ServiceHost> {
    const registry = await loadRegistry(config.dagsDir);
    const db = await Database.open({ databaseUrl: config.databaseUrl, poolSize: config.workerSlots + 4 });
    let transport: KafkaTransport | null = null;
    try {
      const pending = await db.pendingMigrations();
      if (pending.length > 0) {
        throw new Error(
          `the database schema is behind (${pending.join(', ')} not applied): run \`tributary migrate\` (the compose 'migrate' service) first`,
        );
      }
      transport = new KafkaTransport({
        brokers: config.kafka.brokers,
        clientId: config.kafka.clientId,
        partitions: config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
        partitionsConsumedConcurrently: config.kafka.partitions,
        logLevel: config.kafka.logLevel,
      });
      const topics = new TopicCatalog(config.kafka.topicPrefix);
      const relay = new OutboxRelay(db, transport);
      const metrics = new PrometheusMetrics(config.service, db, transport);
      const runtimeOptions: RuntimeOptions = {
        workerId: config.workerId,
        executorSlots: config.workerSlots,
        triggererCapacity: config.triggererCapacity,
        // Kafka sensors and topic bindings default to the cluster the service talks to.
        kafkaBrokers: config.kafka.brokers,
        workerTimeoutMs: config.workerTimeoutMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
      };
      const parts: RuntimeParts = {
        db,
        clock: config.clock
          ? new ScaledClock(config.clock.start, config.clock.epoch, config.clock.speed)
          : new SystemClock(),
        transport,
        topics,
        relay,
        registry,
        options: runtimeOptions,
        metrics,
      };
      // The probe is the host, which exists only once Nest has built the app: bind it late.
      let host: ServiceHost | null = null;
      const probe: ServiceProbe = {
        health: () => host!.health(),
        metrics: () => host!.metrics(),
      };
      const app = await NestFactory.create(ServiceModule.forRoot(config.service, parts, probe), {
        logger: options.logger ?? LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel) + 1),
        abortOnError: false,
        // Webhook signatures are checked over the exact bytes sent.
        rawBody: true,
      });
      configureHttpApp(app, { openApi: config.service === 'api' });
      app.connectMicroservice(
        {
          strategy: new TransportServer(transport, topics, {
            onHandled: (topic, group, outcome) => metrics.eventHandled(topic, group, outcome),
          }),
        },
        { inheritAppConfig: true },
      );
      host = new ServiceHost(config, app, db, transport, relay, registry, metrics, new Date());
      // Before consuming: an executor's claims name a registered worker; the scheduler plans on the deployed bundle.
      if (config.service === 'executor') await app.get(ExecutorService).register();
      if (config.service === 'triggerer') await app.get(TriggererService).register();
      if (config.service === 'scheduler') await deploy(app, registry);
      if (config.service === 'api') await host.bootstrapAdminToken(parts.clock.now());
      await app.startAllMicroservices();
      relay.start();
      if (config.service === 'scheduler') await host.startTopicBindings(parts);
      await app.listen(config.http.port, config.http.host);
      host.startLoop();
      return host;
    } catch (error) {
      await transport?.stop().catch(() => undefined);
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  /** `tributary migrate`: applies migrations and, given a DAG folder, deploys its DAGs and assets. */
  static async migrate(
    databaseUrl: string,
    dagsDir?: string,
    clock: Clock = new SystemClock(),
  ): Promise<{ applied: string[]; dags: number }> {
    const registry = dagsDir ? await loadRegistry(dagsDir) : null;
    const db = await Database.open({ databaseUrl });
    try {
      const applied = await db.migrate();
      if (!registry) return { applied, dags: 0 };
      // Deploying writes no outbox rows: a transport that never connects is enough.
      const transport = new InProcessTransport();
      const parts: RuntimeParts = {
        db,
        clock,
        transport,
        topics: new TopicCatalog(),
        relay: new OutboxRelay(db, transport),
        registry,
        options: {
          workerId: 'migrate',
          executorSlots: 1,
          workerTimeoutMs: 60_000,
          heartbeatIntervalMs: 5_000,
        },
      };
      const context = await NestFactory.createApplicationContext(DeployModule.forRoot(parts), {
        logger: false,
      });
      try {
        await deploy(context, registry);
      } finally {
        await context.close();
      }
      return { applied, dags: registry.all().length };
    } finally {
      await db.close();
    }
  }

  get url(): string {
    const address = this.app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : this.config.http.port;
    const host = this.config.http.host === '0.0.0.0' ? '127.0.0.1' : this.config.http.host;
    return `http://${host}:${port}`;
  }

  /**
   * The api's first start prints an admin token once (`admin token: …`), as standalone does;
   * with TRIBUTARY_ADMIN_TOKEN set, that secret is the admin token instead and nothing is printed.
   */
  async bootstrapAdminToken(now: Date): Promise<void> {
    if (this.config.adminToken) {
      await seedAdminToken(this.db, this.config.adminToken, now);
      return;
    }
    const token = await ensureFirstAdminToken(this.db, now);
    if (token)
      this.logger.log(
        `admin token: ${token} (shown once: store it; create more with \`tributary tokens create\`)`,
      );
  }

  async health(): Promise<HealthReport> {
    const checks: Record<string, string> = {};
    try {
      await this.db.manager.query('SELECT 1');
      checks.database = 'ok';
    } catch (error) {
      checks.database = `failing: ${(error as Error).message}`;
    }
    checks.kafka = this.transport.healthy ? 'ok' : 'not connected';
    if (this.stopping) checks.lifecycle = 'stopping';
    return {
      status: Object.values(checks).every((c) => c === 'ok') ? 'ok' : 'unavailable',
      service: this.config.service,
      workerId: this.config.workerId,
      checks,
    };
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    return {
      contentType: this.prometheus.registry.contentType,
      body: await this.prometheus.registry.metrics(),
    };
  }

  /** Graceful stop (SIGTERM): idempotent; concurrent callers wait for the same stop. */
  stop(): Promise<void> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  /** After the bundle is deployed: one consumer per topic-scheduled DAG (none without such DAGs). */
  private async startTopicBindings(parts: RuntimeParts): Promise<void> {
    if (TopicBindingService.boundDags(this.registry).length === 0) return;
    this.topicBindings = new TopicBindingService(parts, {
      kafkaBrokers: parts.options.kafkaBrokers,
      clientId: `${this.config.kafka.clientId}-bindings`,
      sessionTimeoutMs: this.config.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: this.config.kafka.heartbeatIntervalMs,
    });
    await this.topicBindings.start(this.registry);
  }

  private async stopInOrder(): Promise<void> {
    // No new runs from Kafka first: pending batches are recorded and their offsets committed.
    await this.topicBindings?.stop();
    const executor = this.config.service === 'executor';
    // An executor keeps heartbeating while its running tasks drain, or the reaper would retry them.
    if (!executor) this.stopLoop();
    await this.ticking;
    await this.transport.stopConsuming();
    // Hands its triggers back at once: another triggerer adopts them without waiting for the timeout.
    if (this.config.service === 'triggerer') await this.app.get(TriggererService).shutdown();
    if (executor) {
      await this.app.get(ExecutorService).shutdown();
      this.stopLoop();
      await this.ticking;
    }
    await this.relay.stop();
    await this.app.close();
    await this.db.close();
  }

  private stopLoop(): void {
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
  }

  private startLoop(): void {
    const work = this.loopWork();
    if (!work) return;
    const [tick, intervalMs] = work;
    this.timers.push(
      setInterval(() => {
        if (this.ticking) return;
        this.ticking = tick()
          .catch((error) => this.logger.warn(`tick failed: ${(error as Error).message}`))
          .finally(() => (this.ticking = null));
      }, intervalMs),
    );
  }

  private loopWork(): [() => Promise<unknown>, number] | null {
    switch (this.config.service) {
      case 'scheduler':
        return [() => this.app.get(SchedulerService).tick(), this.config.pollIntervalMs];
      case 'coordinator':
        return [() => this.app.get(CoordinatorService).tick(), this.config.pollIntervalMs];
      case 'executor':
        return [() => this.app.get(ExecutorService).heartbeat(), this.config.heartbeatIntervalMs];
      case 'assets':
        // Freshness deadlines, max-lag windows and asset-schedule fallbacks are timers of this service.
        return [() => this.app.get(AssetsService).tick(), this.config.pollIntervalMs];
      case 'triggerer':
        // The heartbeat is the lease on its triggers; the same tick adopts orphans.
        return [() => this.app.get(TriggererService).tick(), this.config.heartbeatIntervalMs];
      default:
        return null;
    }
  }
}

async function loadRegistry(dagsDir: string): Promise<DagRegistry> {
  const bundle = await loadDagBundle(dagsDir);
  if (bundle.problems.length > 0) throw new DagValidationError(bundle.problems);
  return new DagRegistry(
    bundle.version,
    bundle.dags.map((d) => ({ definition: d.definition, dag: d.dag, file: d.file })),
  );
}

async function deploy(app: { get: INestApplication['get'] }, registry: DagRegistry): Promise<void> {
  await app.get(AssetsService).deployBundle(registry);
  await app.get(SchedulerService).deployBundle(registry);
}
