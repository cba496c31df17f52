/**
 * Triggerer benchmark (never run as a test): `npm run bench:triggerer`.
 *
 * 10,000 concurrent deferred sensors in ONE triggerer process, through the real path: BENCH_TRIG_RUNS
 * (100) runs of a DAG of BENCH_TRIG_SENSORS (100) deferrable sensors are requested as kafkajs messages on
 * `<prefix>run.requested`; the coordinator defers every sensor TI (a `triggers` row and a
 * `<prefix>triggers` message each); one triggerer (capacity ≥ N) leases and watches them all. Per sensor
 * family (BENCH_TRIG_FAMILIES, default `kafka,file`) it measures:
 *
 * - deferral: from the first request to all N TIs `deferred` and all N triggers leased by the triggerer;
 * - steady state (every trigger watched, condition false) over BENCH_TRIG_STEADY_S: the triggerer's RSS
 *   (/proc/<pid>/status), V8 heap used (its /metrics), CPU% (/proc/<pid>/stat), CPU per poke round and
 *   per check, event-loop lag, TCP data segments it sent to the broker and the SQL it ran;
 * - firing: the condition flips for all N at one instant (one message produced to every partition of the
 *   topic; one rename() that makes every sensor's file appear) → latency to `triggers.fired_at` (the
 *   triggerer's clock) and to the TI's `task_instances.ended_at` (the coordinator's), p50/p90/p99/max,
 *   and fires per second. All processes share this machine's clock.
 *
 * The triggerer is restarted between families, so each family's memory starts from a fresh process.
 * Prints a table and writes bench/results/triggerer-<date>.json. Starts and removes its own broker,
 * database, topics, files and processes.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { envelope } from '@tributary/messaging';
import { existsSync, promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Admin, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { machineInfo } from './machine';
import {
  CLI,
  LocalInfra,
  REPO_ROOT,
  ServiceProcess,
  ServiceProcessOptions,
  Stats,
  cpuSeconds,
  intEnv,
  localInfra,
  log,
  machineCpu,
  runCli,
  sleep,
  stats,
  table,
  waitUntilBefore,
  withChildren,
  writeBenchResult,
} from './support';

const RUNS = intEnv('BENCH_TRIG_RUNS', 100);
const SENSORS = intEnv('BENCH_TRIG_SENSORS', 100);
const N = RUNS * SENSORS;
const POKE_S = intEnv('BENCH_TRIG_POKE_S', 5);
const STEADY_S = intEnv('BENCH_TRIG_STEADY_S', 30);
const PARTITIONS = intEnv('BENCH_TRIG_PARTITIONS', 3);
const CAPACITY = Math.max(intEnv('TRIBUTARY_TRIGGERER_CAPACITY', 20_000), N);
const FAMILIES = (process.env.BENCH_TRIG_FAMILIES ?? 'kafka,file,asset')
  .split(',')
  .map((f) => f.trim())
  .filter(Boolean) as Family[];
const DEADLINE = Date.now() + intEnv('BENCH_TIMEOUT_S', 600) * 1000;
const DAGS_DIR = path.join(REPO_ROOT, 'bench', 'dags');
const ASSET_NAME = 'bench.triggerer.asset';
const waitUntil = waitUntilBefore(DEADLINE);

type Family = 'kafka' | 'file' | 'asset';
const FAMILY = {
  kafka: { dagId: 'bench_trig_kafka', kind: 'kafka_offset', runPrefix: 'k-' },
  file: { dagId: 'bench_trig_file', kind: 'file', runPrefix: 'f-' },
  asset: { dagId: 'bench_trig_asset', kind: 'asset', runPrefix: 'a-' },
} as const;
const runIdOf = (family: Family, i: number) => `${FAMILY[family].runPrefix}${String(i).padStart(4, '0')}`;
for (const f of FAMILIES) if (!(f in FAMILY)) throw new Error(`BENCH_TRIG_FAMILIES: unknown family '${f}'`);

// ---------------------------------------------------------------------------------------------
// Small helpers.

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
const mib = (bytes: number | null | undefined) =>
  bytes == null ? null : Number((bytes / 2 ** 20).toFixed(1));

// ---------------------------------------------------------------------------------------------
// /proc (Linux).

/** VmRSS and VmHWM (peak RSS) in bytes. */
function memoryOf(pid: number | undefined): { rss: number; peak: number } | null {
  if (!pid) return null;
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * TCP data segments a process has sent to the broker's port so far, summed over its connections
 * (`ss -tinp`): with small requests one segment is about one Kafka request (admin, consumer fetch,
 * heartbeats and produce alike). Null when ss is unavailable.
 */
function segmentsToPort(
  pid: number | undefined,
  port: number,
): { segments: number; connections: number } | null {
  if (!pid) return null;
  const out = spawnSync('ss', ['-tinpH', 'state', 'established', `( dport = :${port} )`], {
    encoding: 'utf8',
  });
  if (out.status !== 0) return null;
  const lines = out.stdout.split('\n');
  let segments = 0;
  let connections = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].includes(`pid=${pid},`)) continue;
    // Details are on the same line or the next, depending on the ss version.
    const details = `${lines[i]} ${lines[i + 1] ?? ''}`;
    const match = /data_segs_out:(\d+)/.exec(details);
    connections++;
    if (match) segments += Number(match[1]);
  }
  return { segments, connections };
}

function metricValue(text: string, name: string): number | null {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

// ---------------------------------------------------------------------------------------------
// Service processes.

type ServiceName = 'coordinator' | 'triggerer';

/** A short tail in errors; a triggerer holding thousands of watches may take a while to stop. */
const SERVICE_OPTIONS: ServiceProcessOptions = { tailLines: 20, stopTimeoutMs: 30_000 };

// ---------------------------------------------------------------------------------------------
// The bench.

interface Sample {
  at: number;
  rss: number | null;
  heapUsed: number | null;
}

interface FamilyResult {
  family: Family;
  sensors: number;
  pokeIntervalS: number;
  error?: string;
  idle?: { rssMiB: number | null; heapUsedMiB: number | null };
  deferral?: {
    requestsProducedMs: number;
    allRunsCreatedS: number | null;
    allDeferredS: number | null;
    allLeasedS: number | null;
    triggerMessagesPerSecond: number | null;
    triggererPeakRssMiB: number | null;
    coordinatorCpuS: number | null;
    triggererCpuS: number | null;
    postgresCpuS: number | null;
  };
  steady?: {
    windowS: number;
    watched: number;
    rssMiB: { min: number | null; mean: number | null; max: number | null };
    heapUsedMiB: { min: number | null; mean: number | null; max: number | null };
    heapTotalMiB: number | null;
    externalMiB: number | null;
    rssPerTriggerKiB: number | null;
    heapPerTriggerKiB: number | null;
    triggererCpuPercent: number | null;
    cpuMsPerRound: number | null;
    cpuUsPerCheck: number | null;
    eventLoopLagP99Ms: number | null;
    brokerSegmentsPerRound: number | null;
    brokerConnections: number | null;
    sqlPerRound: SqlLine[] | null;
    otherCpuPercent: Record<string, number | null>;
  };
  firing?: {
    flip: string;
    flipDurationMs: number;
    toFiredMs: Stats | null;
    toSuccessMs: Stats | null;
    firedAfterFlipS: number | null;
    succeededAfterFlipS: number | null;
    firesPerSecond: number | null;
    successesPerSecond: number | null;
    firesPerSecondTimeline: number[];
    successesPerSecondTimeline: number[];
    failed: number;
    neverFired: number;
    triggererCpuS: number | null;
    coordinatorCpuS: number | null;
    postgresCpuS: number | null;
    triggererPeakRssMiB: number | null;
    sqlPerFire: SqlLine[] | null;
  };
}

interface SqlLine {
  perUnit: number;
  meanMs: number;
  msPerUnit: number;
  rowsPerCall: number | null;
  query: string;
}

class Bench {
  readonly id = randomBytes(3).toString('hex');
  infra: LocalInfra | null = null;
  baseDatabaseUrl = '';
  databaseUrl = '';
  brokers: string[] = [];
  prefix = '';
  ownPrefix = false;
  flipTopic = '';
  fileDir = '';
  db: Client | null = null;
  kafka: Kafka | null = null;
  producer: Producer | null = null;
  admin: Admin | null = null;
  coordinator: ServiceProcess<ServiceName> | null = null;
  triggerer: ServiceProcess<ServiceName> | null = null;
  triggererCount = 0;
  serviceEnv: Record<string, string> = {};
  statementsAvailable = false;
  /** Set by fire() when some triggers never fired. */
  unfired: string | null = null;
  private cleaned: Promise<void> | null = null;

  topic(name: string): string {
    return `${this.prefix}${name}`;
  }

  async q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db!.query(`/* bench */ ${sql}`, params)).rows as T[];
  }

  get brokerPort(): number {
    return Number(this.brokers[0].split(':').pop());
  }

  async setUp(): Promise<void> {
    if (!existsSync(CLI)) {
      throw new Error(
        `${CLI} does not exist: run the bench with \`npm run bench:triggerer\` (it compiles first)`,
      );
    }
    log(
      process.env.KAFKA_BROKERS && process.env.DATABASE_URL
        ? 'using KAFKA_BROKERS and DATABASE_URL'
        : 'starting a local Kafka broker and PostgreSQL (scripts/local-infra)',
    );
    this.infra = await localInfra.startLocalInfra({ env: process.env });
    this.brokers = this.infra.env.KAFKA_BROKERS.split(',');
    this.baseDatabaseUrl = this.infra.env.DATABASE_URL;
    if (this.infra.postgres) await this.enableStatementStats();
    this.databaseUrl = await localInfra.createDatabase(this.baseDatabaseUrl, `bench_trig_${this.id}`);
    this.ownPrefix = !this.infra.kafka;
    this.prefix = this.infra.kafka ? 'tributary.' : `benchtrig${this.id}.`;
    this.flipTopic = `bench-trig-flip-${this.id}`;
    this.fileDir = path.join(os.tmpdir(), `tributary-bench-triggerer-${this.id}`);
    await fs.mkdir(this.fileDir, { recursive: true });
    log(`broker ${this.brokers.join(',')}, database ${this.databaseUrl}, topic prefix '${this.prefix}'`);

    this.db = new Client({ connectionString: this.databaseUrl, application_name: 'bench' });
    await this.db.connect();
    try {
      await this.q(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
      await this.q(`SELECT 1 FROM pg_stat_statements LIMIT 1`);
      this.statementsAvailable = true;
    } catch (error) {
      log(`pg_stat_statements unavailable (${(error as Error).message.split('\n')[0]})`);
    }

    const overrides: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && /^(TRIBUTARY_|KAFKA_(?!BROKERS$))/.test(key) && key !== 'TRIBUTARY_DAGS_DIR')
        overrides[key] = value;
    }
    this.serviceEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      ...overrides,
      TRIBUTARY_TRIGGERER_CAPACITY: String(CAPACITY),
      KAFKA_BROKERS: this.brokers.join(','),
      DATABASE_URL: this.databaseUrl,
      TRIBUTARY_DAGS_DIR: DAGS_DIR,
      TRIBUTARY_TOPIC_PREFIX: this.prefix,
      BENCH_TRIGGERER: '1',
      BENCH_TRIG_RUNS: String(RUNS),
      BENCH_TRIG_SENSORS: String(SENSORS),
      BENCH_TRIG_POKE_S: String(POKE_S),
      BENCH_TRIG_TOPIC: this.flipTopic,
      BENCH_TRIG_DIR: this.fileDir,
      BENCH_TRIG_ASSET: ASSET_NAME,
    };

    this.kafka = new Kafka({
      clientId: 'tributary-bench',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
    });
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.admin.createTopics({
      topics: [{ topic: this.flipTopic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });

    log(`migrate and deploy ${path.relative(REPO_ROOT, DAGS_DIR)} (BENCH_TRIGGERER=1)`);
    await runCli(['migrate'], this.serviceEnv);
    this.coordinator = new ServiceProcess(
      'coordinator',
      'coordinator-1',
      {
        ...this.serviceEnv,
        TRIBUTARY_WORKER_ID: `coordinator-1-${this.id}`,
        PGAPPNAME: 'coordinator-1',
      },
      SERVICE_OPTIONS,
    );
    const t0 = Date.now();
    await Promise.all([this.coordinator.start(), this.startTriggerer()]);
    log(`coordinator and ${this.triggerer!.name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  private async enableStatementStats(): Promise<void> {
    const client = new Client({ connectionString: this.baseDatabaseUrl });
    await client.connect();
    try {
      await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    } finally {
      await client.end();
    }
    await this.infra!.postgres!.stop();
    await this.infra!.postgres!.start();
  }

  get triggererId(): string {
    return `triggerer-${this.triggererCount}-${this.id}`;
  }

  /** A fresh triggerer process (the previous one, if any, is stopped first). */
  async startTriggerer(): Promise<void> {
    await this.triggerer?.stop();
    this.triggererCount++;
    const name = `triggerer-${this.triggererCount}`;
    this.triggerer = new ServiceProcess(
      'triggerer',
      name,
      {
        ...this.serviceEnv,
        TRIBUTARY_WORKER_ID: this.triggererId,
        PGAPPNAME: name,
      },
      SERVICE_OPTIONS,
    );
    await this.triggerer.start();
  }

  async heapUsed(): Promise<{
    used: number | null;
    total: number | null;
    external: number | null;
    lagP99: number | null;
  }> {
    const text = await this.triggerer!.metricsOrEmpty();
    return {
      used: metricValue(text, 'tributary_nodejs_heap_size_used_bytes'),
      total: metricValue(text, 'tributary_nodejs_heap_size_total_bytes'),
      external: metricValue(text, 'tributary_nodejs_external_memory_bytes'),
      lagP99: metricValue(text, 'tributary_nodejs_eventloop_lag_p99_seconds'),
    };
  }

  cpu(): Record<string, number | null> {
    return {
      triggerer: cpuSeconds(this.triggerer?.pid),
      coordinator: cpuSeconds(this.coordinator?.pid),
      postgres: withChildren(this.infra?.postgres?.pid),
      kafka: cpuSeconds(this.infra?.kafka?.pid),
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      machine: machineCpu().busy,
    };
  }

  static delta(
    a: Record<string, number | null>,
    b: Record<string, number | null>,
    key: string,
  ): number | null {
    const x = a[key];
    const y = b[key];
    return x === null || y === null || x === undefined || y === undefined ? null : Number((y - x).toFixed(2));
  }

  logs(): string {
    return [this.coordinator, this.triggerer]
      .filter((s): s is ServiceProcess<ServiceName> => s !== null)
      .map((s) => `--- ${s.name} (pid ${s.pid}) ---\n${s.tail(15)}`)
      .join('\n');
  }

  async progress(family: Family): Promise<{
    runs: number;
    deferred: number;
    triggers: number;
    leased: number;
    fired: number;
    success: number;
    failed: number;
  }> {
    const { dagId, kind } = FAMILY[family];
    const [row] = await this.q<{ runs: number; deferred: number; success: number; failed: number }>(
      `SELECT (SELECT count(*)::int FROM dag_runs WHERE dag_id = $1) AS runs,
              count(*) FILTER (WHERE state = 'deferred')::int AS deferred,
              count(*) FILTER (WHERE state = 'success')::int AS success,
              count(*) FILTER (WHERE state IN ('failed', 'skipped', 'upstream_failed'))::int AS failed
       FROM task_instances WHERE dag_id = $1`,
      [dagId],
    );
    const [t] = await this.q<{ triggers: number; leased: number; fired: number }>(
      `SELECT count(*)::int AS triggers,
              count(*) FILTER (WHERE lease_owner = $2 AND fired_at IS NULL)::int AS leased,
              count(*) FILTER (WHERE fired_at IS NOT NULL)::int AS fired
       FROM triggers WHERE kind = $1`,
      [kind, this.triggererId],
    );
    return { ...row, ...t };
  }

  /**
   * What pg_stat_statements saw since its last reset (every service's statements, not the bench's), the
   * most expensive first, per `unit` (a poke round, a fire).
   */
  async sql(units: number): Promise<SqlLine[] | null> {
    if (!this.statementsAvailable) return null;
    const rows = await this.q<{
      calls: string;
      rows: string;
      total_ms: number;
      mean_ms: number;
      query: string;
    }>(
      `SELECT calls, rows, total_exec_time AS total_ms, mean_exec_time AS mean_ms, query FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query NOT LIKE '%/* bench */%' ORDER BY total_exec_time DESC`,
    );
    const all = {
      calls: rows.reduce((a, r) => a + Number(r.calls), 0),
      totalMs: rows.reduce((a, r) => a + r.total_ms, 0),
    };
    return [
      {
        perUnit: Number((all.calls / units).toFixed(2)),
        meanMs: Number((all.totalMs / Math.max(1, all.calls)).toFixed(3)),
        msPerUnit: Number((all.totalMs / units).toFixed(2)),
        rowsPerCall: null,
        query: '(all statements)',
      },
      ...rows.slice(0, 10).map((r) => ({
        perUnit: Number((Number(r.calls) / units).toFixed(2)),
        meanMs: Number(r.mean_ms.toFixed(3)),
        msPerUnit: Number((r.total_ms / units).toFixed(2)),
        rowsPerCall: Number((Number(r.rows) / Math.max(1, Number(r.calls))).toFixed(1)),
        query: r.query.replace(/\s+/g, ' ').trim().slice(0, 150),
      })),
    ];
  }

  async resetSql(): Promise<void> {
    if (this.statementsAvailable) await this.q(`SELECT pg_stat_statements_reset()`);
  }

  // ----- one family -----

  async family(family: Family): Promise<FamilyResult> {
    const result: FamilyResult = { family, sensors: N, pokeIntervalS: POKE_S };
    const { dagId } = FAMILY[family];
    try {
      // A fresh triggerer per family: memory and CPU start from an idle process.
      if (family !== FAMILIES[0]) await this.startTriggerer();
      await sleep(3_000);
      const idleHeap = await this.heapUsed();
      result.idle = { rssMiB: mib(memoryOf(this.triggerer!.pid)?.rss), heapUsedMiB: mib(idleHeap.used) };
      log(
        `${family}: idle ${this.triggerer!.name}: RSS ${result.idle.rssMiB} MiB, heap used ${result.idle.heapUsedMiB} MiB`,
      );

      if (family === 'file') await this.prepareFiles();

      // 1. Deferral: RUNS run.requested messages in one batch.
      const cpu0 = this.cpu();
      const t0 = Date.now();
      await this.producer!.send({
        topic: this.topic('run.requested'),
        acks: -1,
        messages: Array.from({ length: RUNS }, (_, i) => ({
          key: dagId,
          value: JSON.stringify(
            envelope('run.requested', { dagId, runType: 'external', runId: runIdOf(family, i) }, new Date()),
          ),
        })),
      });
      const producedMs = Date.now() - t0;
      log(`${family}: ${RUNS} runs of ${SENSORS} deferrable sensors requested (${producedMs} ms)`);
      let runsAt: number | null = null;
      let deferredAt: number | null = null;
      let leasedAt: number | null = null;
      let peakRss = 0;
      let lastLog = 0;
      await waitUntil(
        `all ${N} ${family} sensors deferred and leased by ${this.triggererId}`,
        async () => {
          const p = await this.progress(family);
          const now = Date.now();
          peakRss = Math.max(peakRss, memoryOf(this.triggerer!.pid)?.rss ?? 0);
          if (runsAt === null && p.runs >= RUNS) runsAt = now;
          if (deferredAt === null && p.triggers >= N) deferredAt = now;
          if (leasedAt === null && p.leased >= N) leasedAt = now;
          if (now - lastLog > 10_000) {
            lastLog = now;
            log(
              `${family}: runs ${p.runs}, deferred ${p.deferred}, triggers ${p.triggers}, leased ${p.leased}, RSS ${mib(memoryOf(this.triggerer!.pid)?.rss)} MiB`,
            );
          }
          if (p.failed > 0)
            throw new Error(`${p.failed} ${family} sensor TIs failed before the flip\n${this.logs()}`);
          if (!this.triggerer!.running) throw new Error(`${this.triggerer!.name} exited\n${this.logs()}`);
          return deferredAt !== null && leasedAt !== null;
        },
        DEADLINE - Date.now(),
        250,
        async () => `${JSON.stringify(await this.progress(family))}\n${this.logs()}`,
      );
      const cpu1 = this.cpu();
      // The database's own instants for the first and last deferral (the coordinator's clock).
      const [created] = await this.q<{ last: Date }>(
        `SELECT max(created_at) AS last FROM triggers WHERE kind = $1`,
        [FAMILY[family].kind],
      );
      result.deferral = {
        requestsProducedMs: producedMs,
        allRunsCreatedS: runsAt === null ? null : Number(((runsAt - t0) / 1000).toFixed(1)),
        allDeferredS: Number(((created.last.getTime() - t0) / 1000).toFixed(1)),
        allLeasedS: leasedAt === null ? null : Number(((leasedAt! - t0) / 1000).toFixed(1)),
        triggerMessagesPerSecond: leasedAt === null ? null : Math.round(N / ((leasedAt! - t0) / 1000)),
        triggererPeakRssMiB: mib(peakRss),
        coordinatorCpuS: Bench.delta(cpu0, cpu1, 'coordinator'),
        triggererCpuS: Bench.delta(cpu0, cpu1, 'triggerer'),
        postgresCpuS: Bench.delta(cpu0, cpu1, 'postgres'),
      };
      log(
        `${family}: all ${N} deferred after ${result.deferral.allDeferredS} s, leased after ${result.deferral.allLeasedS} s`,
      );

      // 2. Steady state: every watch has checked at least once and sleeps between checks.
      await sleep((POKE_S + 5) * 1000);
      result.steady = await this.steady(family);
      log(
        `${family}: steady: RSS ${result.steady.rssMiB.mean} MiB, heap used ${result.steady.heapUsedMiB.mean} MiB, ` +
          `CPU ${result.steady.triggererCpuPercent}% of a core, ${result.steady.cpuMsPerRound} ms CPU per ${POKE_S} s round`,
      );

      // 3. Flip the condition for all at one instant, then wait for every trigger and TI.
      this.unfired = null;
      result.firing = await this.fire(family);
      if (this.unfired) result.error = this.unfired;
      log(
        `${family}: all fired ${result.firing.firedAfterFlipS} s and succeeded ${result.firing.succeededAfterFlipS} s after the flip`,
      );
    } catch (error) {
      result.error = (error as Error).message;
      log(`${family}: FAILED: ${result.error}`);
      result.error += `\nprogress: ${JSON.stringify(await this.progress(family).catch(() => null))}`;
    }
    return result;
  }

  /** Every file sensor's file, made in a staging folder that one rename() turns into the watched one. */
  async prepareFiles(): Promise<void> {
    const staging = path.join(this.fileDir, 'staging');
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(path.join(this.fileDir, 'live'), { recursive: true, force: true });
    for (let r = 0; r < RUNS; r++) {
      const dir = path.join(staging, runIdOf('file', r));
      await fs.mkdir(dir, { recursive: true });
      await Promise.all(
        Array.from({ length: SENSORS }, (_, i) => fs.writeFile(path.join(dir, `s${i}`), 'ok')),
      );
    }
  }

  async steady(family: Family): Promise<NonNullable<FamilyResult['steady']>> {
    const pid = this.triggerer!.pid;
    const p = await this.progress(family);
    await this.resetSql();
    const samples: Sample[] = [];
    const cpu0 = this.cpu();
    const seg0 = segmentsToPort(pid, this.brokerPort);
    const t0 = Date.now();
    let heap = await this.heapUsed();
    const lags: number[] = [];
    let total: number | null = heap.total;
    let external: number | null = heap.external;
    for (let s = 0; Date.now() - t0 < STEADY_S * 1000; s++) {
      // Heap from /metrics every 5 s (a scrape costs the triggerer a little CPU); RSS every second.
      if (s > 0 && s % 5 === 0) {
        heap = await this.heapUsed();
        total = heap.total ?? total;
        external = heap.external ?? external;
        if (heap.lagP99 !== null) lags.push(heap.lagP99 * 1000);
      }
      samples.push({
        at: Date.now(),
        rss: memoryOf(pid)?.rss ?? null,
        heapUsed: s % 5 === 0 ? heap.used : null,
      });
      await sleep(1000 - ((Date.now() - t0) % 1000));
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu1 = this.cpu();
    const seg1 = segmentsToPort(pid, this.brokerPort);
    const rounds = seconds / POKE_S;
    const trigCpu = Bench.delta(cpu0, cpu1, 'triggerer');
    const summary = (values: number[]) =>
      values.length === 0
        ? { min: null, mean: null, max: null }
        : {
            min: mib(Math.min(...values)),
            mean: mib(values.reduce((a, b) => a + b, 0) / values.length),
            max: mib(Math.max(...values)),
          };
    const rssValues = samples.map((s) => s.rss).filter((v): v is number => v !== null);
    const heapValues = samples.map((s) => s.heapUsed).filter((v): v is number => v !== null);
    const sql = await this.sql(rounds);
    const pct = (key: string) => {
      const d = Bench.delta(cpu0, cpu1, key);
      return d === null ? null : Number(((d / seconds) * 100).toFixed(1));
    };
    const rssMean = rssValues.length ? rssValues.reduce((a, b) => a + b, 0) / rssValues.length : null;
    const heapMean = heapValues.length ? heapValues.reduce((a, b) => a + b, 0) / heapValues.length : null;
    return {
      windowS: Number(seconds.toFixed(1)),
      watched: p.leased,
      rssMiB: summary(rssValues),
      heapUsedMiB: summary(heapValues),
      heapTotalMiB: mib(total),
      externalMiB: mib(external),
      rssPerTriggerKiB: null,
      heapPerTriggerKiB: null,
      triggererCpuPercent: trigCpu === null ? null : Number(((trigCpu / seconds) * 100).toFixed(1)),
      cpuMsPerRound: trigCpu === null ? null : Number(((trigCpu * 1000) / rounds).toFixed(0)),
      cpuUsPerCheck: trigCpu === null ? null : Number(((trigCpu * 1e6) / (rounds * p.leased)).toFixed(1)),
      eventLoopLagP99Ms: lags.length ? Number(Math.max(...lags).toFixed(1)) : null,
      brokerSegmentsPerRound:
        seg0 && seg1 ? Number(((seg1.segments - seg0.segments) / rounds).toFixed(1)) : null,
      brokerConnections: seg1?.connections ?? null,
      sqlPerRound: sql,
      otherCpuPercent: {
        coordinator: pct('coordinator'),
        postgres: pct('postgres'),
        kafka: pct('kafka'),
        bench: pct('bench'),
        machine: pct('machine'),
      },
      // Filled in by the caller, which knows the idle figures.
      ...({ _rssMean: rssMean, _heapMean: heapMean } as object),
    };
  }

  async fire(family: Family): Promise<NonNullable<FamilyResult['firing']>> {
    const { dagId, kind } = FAMILY[family];
    await this.resetSql();
    const cpu0 = this.cpu();
    let flipStart: number;
    let flipAt: number;
    let flip: string;
    if (family === 'kafka') {
      flipStart = Date.now();
      await this.producer!.send({
        topic: this.flipTopic,
        acks: -1,
        messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: 'flip' })),
      });
      flipAt = Date.now();
      flip = `one message to each of the ${PARTITIONS} partitions of ${this.flipTopic}, acks=all (flip instant: the acknowledgement)`;
    } else if (family === 'asset') {
      // Straight into the table the check reads (what the assets service does on an asset.events message).
      flipStart = Date.now();
      await this.q(
        `INSERT INTO asset_events (event_id, asset_name, partition, created_at)
         SELECT gen_random_uuid()::text, $1, run_id, now() FROM unnest($2::text[]) AS run_id`,
        [ASSET_NAME, Array.from({ length: RUNS }, (_, i) => runIdOf('asset', i))],
      );
      flipAt = Date.now();
      flip = `one INSERT (one transaction) of ${RUNS} asset events, one per run's partition`;
    } else {
      flipStart = Date.now();
      await fs.rename(path.join(this.fileDir, 'staging'), path.join(this.fileDir, 'live'));
      flipAt = Date.now();
      flip = `one rename() of a folder holding all ${N} files onto the watched folder`;
    }
    log(`${family}: flipped (${flipAt - flipStart} ms)`);
    let peakRss = 0;
    let lastLog = 0;
    // A trigger that has not fired three poke intervals after the last fire never will: it is leased
    // but nobody watches it. Stop waiting for it (and say so) rather than for the sensor timeout.
    const stallMs = (3 * POKE_S + 10) * 1000;
    let firedSeen = -1;
    let firedChangedAt = Date.now();
    let unfired = 0;
    await waitUntil(
      `all ${N} ${family} triggers fired and their TIs done`,
      async () => {
        const p = await this.progress(family);
        peakRss = Math.max(peakRss, memoryOf(this.triggerer!.pid)?.rss ?? 0);
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`${family}: fired ${p.fired}, success ${p.success}, failed ${p.failed}`);
        }
        if (p.fired !== firedSeen) {
          firedSeen = p.fired;
          firedChangedAt = Date.now();
        }
        if (p.fired < N && Date.now() - firedChangedAt > stallMs) unfired = N - p.fired;
        return (p.fired >= N || unfired > 0) && p.success + p.failed >= p.fired;
      },
      DEADLINE - Date.now(),
      250,
      async () => `${JSON.stringify(await this.progress(family))}\n${this.logs()}`,
    );
    const cpu1 = this.cpu();
    if (unfired > 0) {
      const [lost] = await this.q<{ n: number; owner: string | null; created: string | null }>(
        `SELECT count(*)::int AS n, min(lease_owner) AS owner,
                string_agg(DISTINCT to_char(created_at, 'HH24:MI:SS.MS'), ', ') AS created
         FROM triggers WHERE kind = $1 AND fired_at IS NULL`,
        [kind],
      );
      this.unfired =
        `${lost.n} of ${N} triggers never fired (no fire for ${stallMs / 1000} s after the flip): ` +
        `leased to ${lost.owner ?? 'nobody'}, created at ${lost.created}`;
      log(`${family}: ${this.unfired}`);
    }
    const fired = await this.q<{ at: Date }>(
      `SELECT fired_at AS at FROM triggers WHERE kind = $1 AND fired_at IS NOT NULL`,
      [kind],
    );
    const done = await this.q<{ at: Date; state: string }>(
      `SELECT ended_at AS at, state FROM task_instances WHERE dag_id = $1`,
      [dagId],
    );
    const firedMs = fired.map((r) => r.at.getTime() - flipAt);
    const successMs = done.filter((r) => r.state === 'success' && r.at).map((r) => r.at.getTime() - flipAt);
    const timeline = (values: number[]) => {
      const counts: number[] = [];
      for (const v of values) {
        const second = Math.max(0, Math.floor(v / 1000));
        while (counts.length <= second) counts.push(0);
        counts[second]++;
      }
      return counts;
    };
    const lastFired = Math.max(...firedMs);
    const lastSuccess = successMs.length ? Math.max(...successMs) : null;
    // Fires per second: while firing was going on (first to last fire), not counting the poke wait before.
    const firstFired = Math.min(...firedMs);
    const firstSuccess = successMs.length ? Math.min(...successMs) : null;
    return {
      flip,
      flipDurationMs: flipAt - flipStart,
      toFiredMs: stats(firedMs, { digits: 1, withMin: true }),
      toSuccessMs: stats(successMs, { digits: 1, withMin: true }),
      firedAfterFlipS: Number((lastFired / 1000).toFixed(1)),
      succeededAfterFlipS: lastSuccess === null ? null : Number((lastSuccess / 1000).toFixed(1)),
      firesPerSecond:
        lastFired > firstFired ? Math.round((fired.length * 1000) / (lastFired - firstFired)) : null,
      successesPerSecond:
        lastSuccess !== null && firstSuccess !== null && lastSuccess > firstSuccess
          ? Math.round((successMs.length * 1000) / (lastSuccess - firstSuccess))
          : null,
      firesPerSecondTimeline: timeline(firedMs),
      successesPerSecondTimeline: timeline(successMs),
      failed: done.filter((r) => r.state !== 'success' && r.state !== 'deferred').length,
      neverFired: unfired,
      triggererCpuS: Bench.delta(cpu0, cpu1, 'triggerer'),
      coordinatorCpuS: Bench.delta(cpu0, cpu1, 'coordinator'),
      postgresCpuS: Bench.delta(cpu0, cpu1, 'postgres'),
      triggererPeakRssMiB: mib(peakRss),
      sqlPerFire: await this.sql(N),
    };
  }

  // ----- teardown -----

  cleanUp(): Promise<void> {
    this.cleaned ??= this.doCleanUp();
    return this.cleaned;
  }

  private async doCleanUp(): Promise<void> {
    const quietly = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        log(`cleanup: ${what} failed: ${(error as Error).message}`);
      }
    };
    await quietly('producer', async () => this.producer?.disconnect());
    await quietly('services', () =>
      Promise.all([this.triggerer?.stop(), this.coordinator?.stop()].filter(Boolean)),
    );
    await quietly('database client', async () => this.db?.end());
    if (this.admin) {
      await quietly('topics', async () => {
        const topics = (await this.admin!.listTopics()).filter(
          (t) => t === this.flipTopic || (this.ownPrefix && t.startsWith(this.prefix)),
        );
        if (topics.length) await this.admin!.deleteTopics({ topics });
      });
      if (this.ownPrefix)
        await quietly('consumer groups', () =>
          this.admin!.deleteGroups(['coordinator', 'triggerer'].map((g) => this.topic(g))),
        );
    }
    await quietly('admin', async () => this.admin?.disconnect());
    if (this.fileDir) await quietly('files', () => fs.rm(this.fileDir, { recursive: true, force: true }));
    if (this.infra && !this.infra.postgres && this.databaseUrl) {
      await quietly('database', async () => {
        const client = new Client({ connectionString: this.baseDatabaseUrl });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS "bench_trig_${this.id}" WITH (FORCE)`);
        } finally {
          await client.end();
        }
      });
    }
    if (this.infra) await quietly('local infrastructure', () => localInfra.stopLocalInfra(this.infra!));
  }
}

// ---------------------------------------------------------------------------------------------

function sqlTable(lines: SqlLine[], calls: string, ms: string): string {
  return table([
    [calls, 'mean ms', ms, 'rows/call', 'statement'],
    ...lines.map((s) => [s.perUnit, s.meanMs, s.msPerUnit, s.rowsPerCall ?? '', s.query]),
  ]);
}

let interrupted = false;

async function main(): Promise<void> {
  const bench = new Bench();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    void bench.cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const loadBefore = os.loadavg();
  if (loadBefore[0] > 1) log(`warning: load average ${loadBefore[0].toFixed(2)}: something else is running`);
  const startedAt = Date.now();
  try {
    await bench.setUp();
    const families: FamilyResult[] = [];
    for (const family of FAMILIES) {
      const r = await bench.family(family);
      if (r.steady && r.idle) {
        const extra = r.steady as unknown as { _rssMean: number | null; _heapMean: number | null };
        const watched = r.steady.watched || N;
        if (extra._rssMean !== null && r.idle.rssMiB !== null)
          r.steady.rssPerTriggerKiB = Number(
            ((extra._rssMean - r.idle.rssMiB * 2 ** 20) / 1024 / watched).toFixed(2),
          );
        if (extra._heapMean !== null && r.idle.heapUsedMiB !== null)
          r.steady.heapPerTriggerKiB = Number(
            ((extra._heapMean - r.idle.heapUsedMiB * 2 ** 20) / 1024 / watched).toFixed(2),
          );
        delete (r.steady as unknown as Record<string, unknown>)._rssMean;
        delete (r.steady as unknown as Record<string, unknown>)._heapMean;
      }
      families.push(r);
    }

    const result = {
      benchmark: 'triggerer',
      command: 'npm run bench:triggerer',
      date: new Date().toISOString(),
      machine: {
        ...machineInfo(),
        loadAverageBefore: loadBefore.map((l) => Number(l.toFixed(2))),
        loadAverageAfter: os.loadavg().map((l) => Number(l.toFixed(2))),
      },
      infrastructure: {
        kafka: bench.infra!.kafka ? 'local single-node broker (scripts/local-infra)' : 'KAFKA_BROKERS',
        postgres: bench.infra!.postgres
          ? 'local PostgreSQL, fsync=off, synchronous_commit=off (scripts/local-infra)'
          : 'DATABASE_URL',
        services: ['coordinator-1', 'one triggerer per family'],
      },
      parameters: { RUNS, SENSORS, N, POKE_S, STEADY_S, PARTITIONS, CAPACITY, FAMILIES },
      families,
      wallSeconds: Math.round((Date.now() - startedAt) / 1000),
    };

    console.log(
      `\n=== triggerer bench: ${N} deferred sensors in one triggerer, poke interval ${POKE_S} s ===`,
    );
    const col = (f: (r: FamilyResult) => string) =>
      families.map((r) => (r.error && !r.firing ? `${f(r)} (failed)` : f(r)));
    const rows: (string | number)[][] = [['measure', ...families.map((r) => `${r.family} sensors`)]];
    const row = (label: string, f: (r: FamilyResult) => string) => rows.push([label, ...col(f)]);
    row('sensors deferred and leased', (r) => String(r.steady?.watched ?? '—'));
    row('requests → all deferred (triggers rows) s', (r) => fmt(r.deferral?.allDeferredS));
    row('requests → all leased by the triggerer s', (r) => fmt(r.deferral?.allLeasedS));
    row('idle triggerer RSS / heap used MiB', (r) => `${fmt(r.idle?.rssMiB)} / ${fmt(r.idle?.heapUsedMiB)}`);
    row('steady RSS MiB (min / mean / max)', (r) =>
      r.steady
        ? `${fmt(r.steady.rssMiB.min)} / ${fmt(r.steady.rssMiB.mean)} / ${fmt(r.steady.rssMiB.max)}`
        : '—',
    );
    row('steady heap used MiB (min / mean / max)', (r) =>
      r.steady
        ? `${fmt(r.steady.heapUsedMiB.min)} / ${fmt(r.steady.heapUsedMiB.mean)} / ${fmt(r.steady.heapUsedMiB.max)}`
        : '—',
    );
    row(
      'per trigger above idle: RSS / heap KiB',
      (r) => `${fmt(r.steady?.rssPerTriggerKiB, 2)} / ${fmt(r.steady?.heapPerTriggerKiB, 2)}`,
    );
    row(
      'peak RSS (deferral / firing) MiB',
      (r) => `${fmt(r.deferral?.triggererPeakRssMiB)} / ${fmt(r.firing?.triggererPeakRssMiB)}`,
    );
    row('triggerer CPU while waiting, % of a core', (r) => fmt(r.steady?.triggererCpuPercent));
    row(
      `CPU per round (${POKE_S} s) ms / per check µs`,
      (r) => `${fmt(r.steady?.cpuMsPerRound, 0)} / ${fmt(r.steady?.cpuUsPerCheck)}`,
    );
    row('event-loop lag p99 while waiting ms', (r) => fmt(r.steady?.eventLoopLagP99Ms));
    row('TCP segments to the broker per round', (r) => fmt(r.steady?.brokerSegmentsPerRound));
    row('flip → fired_at p50 / p90 / p99 / max s', (r) => {
      const s = r.firing?.toFiredMs;
      return s
        ? `${fmt(s.p50 / 1000, 2)} / ${fmt(s.p90 / 1000, 2)} / ${fmt(s.p99 / 1000, 2)} / ${fmt(s.max / 1000, 2)}`
        : '—';
    });
    row('flip → TI success p50 / p90 / p99 / max s', (r) => {
      const s = r.firing?.toSuccessMs;
      return s
        ? `${fmt(s.p50 / 1000, 2)} / ${fmt(s.p90 / 1000, 2)} / ${fmt(s.p99 / 1000, 2)} / ${fmt(s.max / 1000, 2)}`
        : '—';
    });
    row('triggers that never fired', (r) => String(r.firing?.neverFired ?? '—'));
    row('fires/s (first to last fire)', (r) => fmt(r.firing?.firesPerSecond, 0));
    row('TI successes/s (first to last)', (r) => fmt(r.firing?.successesPerSecond, 0));
    row('CPU s while firing: triggerer / coordinator / PostgreSQL', (r) =>
      r.firing
        ? `${fmt(r.firing.triggererCpuS)} / ${fmt(r.firing.coordinatorCpuS)} / ${fmt(r.firing.postgresCpuS)}`
        : '—',
    );
    console.log(table(rows));
    for (const r of families) {
      if (r.error) console.log(`\n${r.family}: ERROR ${r.error}`);
      if (r.steady) {
        console.log(
          `\n${r.family}: CPU % of a core while waiting: ${JSON.stringify(r.steady.otherCpuPercent)}`,
        );
        if (r.steady.sqlPerRound) {
          console.log(`${r.family}: SQL while waiting (all services), per ${POKE_S} s round, by total time:`);
          console.log(sqlTable(r.steady.sqlPerRound, 'calls/round', 'ms/round'));
        }
      }
      if (r.firing) {
        console.log(
          `${r.family}: fires per second after the flip: ${r.firing.firesPerSecondTimeline.join(' ')}`,
        );
        console.log(
          `${r.family}: successes per second after the flip: ${r.firing.successesPerSecondTimeline.join(' ')}`,
        );
        if (r.firing.sqlPerFire) {
          console.log(
            `${r.family}: SQL from the flip until every TI succeeded (all services), per fire, by total time:`,
          );
          console.log(sqlTable(r.firing.sqlPerFire, 'calls/fire', 'ms/fire'));
        }
      }
    }
    const file = await writeBenchResult('triggerer', result);
    console.log(`\nwritten to ${file} (${result.wallSeconds} s in all)`);
    if (families.some((r) => r.error)) process.exitCode = 1;
  } finally {
    if (!interrupted) {
      log('stopping services and infrastructure');
      await bench.cleanUp();
    }
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    if (interrupted) return;
    console.error(error);
    process.exit(1);
  },
);
