/**
 * Distributed-mode benchmarks (never run as tests): `npm run bench:distributed`.
 *
 * Every service is its own process (coordinator, BENCH_EXECUTORS executors, assets, scheduler) over a
 * real Kafka broker and PostgreSQL (started here with scripts/local-infra, or KAFKA_BROKERS /
 * DATABASE_URL). Runs are requested from outside, as kafkajs messages on `<prefix>run.requested`.
 * Every time comes from the database (task_instance_tries, outbox, processed_events, task logs) or from
 * this process: all processes share one machine clock, so the timestamps are comparable.
 *
 * - latency, light load: one run of a chain of BENCH_CHAIN no-op tasks → task-to-task latency
 *   (upstream try `ended_at` → downstream try `started_at`), p50/p99, with where the time goes;
 * - request → first task: BENCH_REQUESTS sequential one-task runs → from producing the message to the
 *   task's try `started_at`, p50/p99;
 * - throughput: BENCH_RUNS runs of a wide DAG (head → BENCH_FANOUT tasks → join → BENCH_TAIL chain)
 *   requested at once → task instances per second from the first request to the last TI's `ended_at`,
 *   and task-to-task latency under that load; then the same batch spread over BENCH_DAG_COPIES DAGs;
 * - unit costs on this machine: a Kafka produce (acks=all), an offset commit, produce → consume, a
 *   PostgreSQL round trip and a one-row transaction.
 *
 * Prints the numbers and writes them as JSON under bench/results/. Starts and removes its own broker,
 * database, topics and processes.
 */
import { randomBytes, randomUUID } from 'crypto';
import { existsSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { Admin, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { machineInfo } from './machine';
import {
  CLI,
  LocalInfra,
  REPO_ROOT,
  ServiceProcess,
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

const RUNS = intEnv('BENCH_RUNS', 50);
const FANOUT = intEnv('BENCH_FANOUT', 14);
const TAIL = intEnv('BENCH_TAIL', 4);
const CHAIN = intEnv('BENCH_CHAIN', 100);
const COPIES = intEnv('BENCH_DAG_COPIES', 4);
const REQUESTS = intEnv('BENCH_REQUESTS', 100);
const EXECUTORS = intEnv('BENCH_EXECUTORS', 2);
const TASKS_PER_RUN = FANOUT + TAIL + 2;
const DEADLINE = Date.now() + intEnv('BENCH_TIMEOUT_S', 420) * 1000;
const DAGS_DIR = path.join(REPO_ROOT, 'bench', 'dags');
const waitUntil = waitUntilBefore(DEADLINE);

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '—' : v.toFixed(digits);

// ---------------------------------------------------------------------------------------------
// Services.

type ServiceName = 'coordinator' | 'executor' | 'assets' | 'scheduler';

/** Sums tributary_events_handled_total by outcome (handler retries and dead letters show up here). */
function eventOutcomes(text: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^tributary_events_handled_total\{([^}]*)\} (\S+)/.exec(line);
    if (!match) continue;
    const outcome = /outcome="([^"]+)"/.exec(match[1])?.[1] ?? 'unknown';
    totals[outcome] = (totals[outcome] ?? 0) + Number(match[2]);
  }
  return totals;
}

// ---------------------------------------------------------------------------------------------
// The bench.

interface TryRow {
  ti_id: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  try_number: number;
  state: string;
  queued_at: Date | null;
  started_at: Date | null;
  ended_at: Date | null;
}

interface OutboxRow {
  topic: string;
  event_id: string;
  ti_id: string | null;
  try_number: number | null;
  created_at: Date;
  published_at: Date | null;
}

const LEGS = {
  report: 'upstream task code ends → its task.event written (executor transaction)',
  eventTransit: 'task.event written → coordinator transaction begins (commit, relay, Kafka, consumer)',
  eventAck: '(task.event written → broker acknowledged it to the relay)',
  dagLockWait: 'coordinator transaction begins → upstream marked ended (inbox insert, DAG row lock, TI read)',
  advance: 'upstream marked ended → downstream task.command written (coordinator advanceDag)',
  commandTransit:
    'task.command written → downstream started (commit, relay, Kafka, executor slot and claim transaction)',
  commandAck: '(task.command written → broker acknowledged it to the relay)',
  hop: 'TASK-TO-TASK: upstream try ended_at → downstream try started_at',
  full: 'upstream task code ends → downstream try started_at',
} as const;
type Leg = keyof typeof LEGS;

interface CpuUse {
  cpuSeconds: number;
  coresBusy: number;
  cpuMsPerTaskInstance: number;
}

interface HopAnalysis {
  taskInstances: number;
  hops: number;
  legs: Partial<Record<Leg, Stats | null>>;
  queuedToStarted: Stats | null;
  firstStartedAt: number | null;
  lastEndedAt: number | null;
  lastQueuedRunAt: number | null;
  perSecond: { started: number[]; ended: number[] };
}

class Bench {
  readonly id = randomBytes(3).toString('hex');
  infra: LocalInfra | null = null;
  baseDatabaseUrl = '';
  databaseUrl = '';
  brokers: string[] = [];
  prefix = '';
  ownPrefix = false;
  db: Client | null = null;
  sampler: Client | null = null;
  kafka: Kafka | null = null;
  producer: Producer | null = null;
  admin: Admin | null = null;
  services: ServiceProcess<ServiceName>[] = [];
  statementsAvailable = false;
  serviceEnv: Record<string, string> = {};
  overrides: Record<string, string> = {};
  private cleaned: Promise<void> | null = null;

  topic(name: string): string {
    return `${this.prefix}${name}`;
  }

  async q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    // Marked, so pg_stat_statements figures leave the bench's own queries out.
    return (await this.db!.query(`/* bench */ ${sql}`, params)).rows as T[];
  }

  // ----- setup -----

  async setUp(): Promise<void> {
    if (!existsSync(CLI)) {
      throw new Error(
        `${CLI} does not exist: run the bench with \`npm run bench:distributed\` (it compiles first)`,
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
    this.databaseUrl = await localInfra.createDatabase(this.baseDatabaseUrl, `bench_${this.id}`);
    this.ownPrefix = !this.infra.kafka && !process.env.BENCH_TOPIC_PREFIX;
    this.prefix = process.env.BENCH_TOPIC_PREFIX ?? (this.infra.kafka ? 'tributary.' : `bench${this.id}.`);
    log(
      `broker ${this.brokers.join(',')}${this.infra.kafka ? ' (local)' : ''}, database ${this.databaseUrl}` +
        `${this.infra.postgres ? ' (local)' : ''}, topic prefix '${this.prefix}'`,
    );

    this.db = new Client({ connectionString: this.databaseUrl, application_name: 'bench' });
    await this.db.connect();
    this.sampler = new Client({ connectionString: this.databaseUrl, application_name: 'bench-sampler' });
    await this.sampler.connect();
    try {
      await this.q(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
      await this.q(`SELECT 1 FROM pg_stat_statements LIMIT 1`);
      this.statementsAvailable = true;
    } catch (error) {
      log(
        `pg_stat_statements unavailable (${(error as Error).message.split('\n')[0]}): no per-statement costs`,
      );
    }

    // Service tunables from the environment (TRIBUTARY_WORKER_SLOTS=16 npm run bench:distributed ...).
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && /^(TRIBUTARY_|KAFKA_(?!BROKERS$))/.test(key) && key !== 'TRIBUTARY_DAGS_DIR')
        this.overrides[key] = value;
    }
    this.serviceEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      ...this.overrides,
      KAFKA_BROKERS: this.brokers.join(','),
      DATABASE_URL: this.databaseUrl,
      TRIBUTARY_DAGS_DIR: DAGS_DIR,
      TRIBUTARY_TOPIC_PREFIX: this.prefix,
      BENCH_RUNS: String(RUNS),
      BENCH_FANOUT: String(FANOUT),
      BENCH_TAIL: String(TAIL),
      BENCH_CHAIN: String(CHAIN),
      BENCH_DAG_COPIES: String(COPIES),
    };
    log(`migrate and deploy ${path.relative(REPO_ROOT, DAGS_DIR)}`);
    await runCli(['migrate'], this.serviceEnv);

    const add = (service: ServiceName, n: number) => {
      const name = `${service}-${n}`;
      const proc = new ServiceProcess(service, name, {
        ...this.serviceEnv,
        TRIBUTARY_WORKER_ID: `${name}-${this.id}`,
        PGAPPNAME: name,
      });
      this.services.push(proc);
      return proc;
    };
    const first = [
      add('coordinator', 1),
      ...Array.from({ length: EXECUTORS }, (_, i) => add('executor', i + 1)),
    ];
    first.push(add('assets', 1));
    log(`starting ${first.map((s) => s.name).join(', ')}, then scheduler-1`);
    const t0 = Date.now();
    await Promise.all(first.map((s) => s.start()));
    await add('scheduler', 1).start();
    log(`services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    this.kafka = new Kafka({
      clientId: 'tributary-bench',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
    });
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  /** Restarts our own PostgreSQL with pg_stat_statements loaded (statement counts and server time; COMMITs too). */
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

  // ----- requests and waiting -----

  runRequested(dagId: string, runId: string, eventId: string = randomUUID()) {
    return {
      key: dagId,
      value: JSON.stringify({
        eventId,
        type: 'run.requested',
        version: 1,
        occurredAt: new Date().toISOString(),
        payload: { dagId, runType: 'external', runId },
      }),
    };
  }

  async request(runs: { dagId: string; runId: string; eventId?: string }[]): Promise<void> {
    await this.producer!.send({
      topic: this.topic('run.requested'),
      acks: -1,
      messages: runs.map((r) => this.runRequested(r.dagId, r.runId, r.eventId)),
    });
  }

  async waitForRuns(dagIds: string[], runPrefix: string, expected: number, timeoutMs: number): Promise<void> {
    await waitUntil(
      `${expected} successful runs '${runPrefix}*' of ${dagIds.join(', ')}`,
      async () => {
        const [row] = await this.q<{ success: number; failed: number }>(
          `SELECT count(*) FILTER (WHERE state = 'success')::int AS success,
                  count(*) FILTER (WHERE state = 'failed')::int AS failed
           FROM dag_runs WHERE dag_id = ANY($1) AND run_id LIKE $2`,
          [dagIds, `${runPrefix}%`],
        );
        if (row.failed > 0) throw new Error(`${row.failed} runs '${runPrefix}*' failed\n${this.logs()}`);
        return row.success >= expected;
      },
      timeoutMs,
      100,
      async () =>
        `${JSON.stringify(await this.q(`SELECT state, count(*) FROM task_instances GROUP BY state`))}\n${this.logs()}`,
    );
  }

  logs(): string {
    return this.services.map((s) => `--- ${s.name} (pid ${s.pid}) ---\n${s.tail(15)}`).join('\n');
  }

  // ----- analysis from the database -----

  async analyse(dagIds: string[], runPrefix: string, since: Date): Promise<HopAnalysis> {
    const tries = await this.q<TryRow>(
      `SELECT ti.id AS ti_id, ti.dag_id, ti.run_id, ti.task_id, t.try_number, t.state, t.queued_at, t.started_at, t.ended_at
       FROM task_instances ti JOIN task_instance_tries t ON t.ti_id = ti.id AND t.try_number = ti.try_number
       WHERE ti.dag_id = ANY($1) AND ti.run_id LIKE $2`,
      [dagIds, `${runPrefix}%`],
    );
    const taskEnds = await this.q<{ ti_id: string; try_number: number; at: Date }>(
      `SELECT l.ti_id, l.try_number, max(l.logged_at) AS at FROM task_instance_logs l
       JOIN task_instances ti ON ti.id = l.ti_id
       WHERE ti.dag_id = ANY($1) AND ti.run_id LIKE $2 AND l.message = 'succeeded' GROUP BY 1, 2`,
      [dagIds, `${runPrefix}%`],
    );
    const outbox = await this.outboxSince(since);
    const processed = await this.processedSince(since);
    const definitions = await this.q<{
      dag_id: string;
      definition: { tasks: { taskId: string; upstreams: string[] }[] };
    }>(`SELECT dag_id, definition FROM dags WHERE dag_id = ANY($1)`, [dagIds]);
    const [{ last_queued }] = await this.q<{ last_queued: Date | null }>(
      `SELECT max(queued_at) AS last_queued FROM dag_runs WHERE dag_id = ANY($1) AND run_id LIKE $2`,
      [dagIds, `${runPrefix}%`],
    );
    const upstreamsOf = new Map<string, string[]>();
    for (const d of definitions)
      for (const t of d.definition.tasks) upstreamsOf.set(`${d.dag_id}/${t.taskId}`, t.upstreams);
    const byTask = new Map(tries.map((t) => [`${t.dag_id}/${t.run_id}/${t.task_id}`, t]));
    const endOf = new Map(taskEnds.map((e) => [`${e.ti_id}/${e.try_number}`, e.at.getTime()]));
    const events = new Map<string, OutboxRow>();
    const commands = new Map<string, OutboxRow>();
    for (const row of outbox) {
      const key = `${row.ti_id}/${row.try_number}`;
      if (row.topic === this.topic('task.events')) events.set(key, row);
      if (row.topic === this.topic('task.commands')) commands.set(key, row);
    }

    const legs: Record<Leg, number[]> = {
      report: [],
      eventTransit: [],
      eventAck: [],
      dagLockWait: [],
      advance: [],
      commandTransit: [],
      commandAck: [],
      hop: [],
      full: [],
    };
    const queued: number[] = [];
    for (const d of tries) {
      if (d.started_at && d.queued_at) queued.push(d.started_at.getTime() - d.queued_at.getTime());
      const upstreamIds = upstreamsOf.get(`${d.dag_id}/${d.task_id}`) ?? [];
      if (upstreamIds.length === 0 || !d.started_at) continue;
      // The upstream that ended last is the one whose result dispatched this task.
      const ups = upstreamIds.map((u) => byTask.get(`${d.dag_id}/${d.run_id}/${u}`));
      if (ups.some((u) => !u?.ended_at)) continue;
      const u = ups.reduce((a, b) => (b!.ended_at!.getTime() > a!.ended_at!.getTime() ? b : a))!;
      const uEnded = u.ended_at!.getTime();
      const dStarted = d.started_at.getTime();
      legs.hop.push(dStarted - uEnded);
      const taskEnd = endOf.get(`${u.ti_id}/${u.try_number}`);
      const event = events.get(`${u.ti_id}/${u.try_number}`);
      const command = commands.get(`${d.ti_id}/${d.try_number}`);
      const coordinatorBegin = event ? processed.get(event.event_id) : undefined;
      if (taskEnd !== undefined) legs.full.push(dStarted - taskEnd);
      if (taskEnd !== undefined && event) legs.report.push(event.created_at.getTime() - taskEnd);
      if (event && coordinatorBegin !== undefined)
        legs.eventTransit.push(coordinatorBegin - event.created_at.getTime());
      if (event?.published_at) legs.eventAck.push(event.published_at.getTime() - event.created_at.getTime());
      if (coordinatorBegin !== undefined) legs.dagLockWait.push(uEnded - coordinatorBegin);
      if (command) {
        legs.advance.push(command.created_at.getTime() - uEnded);
        legs.commandTransit.push(dStarted - command.created_at.getTime());
        if (command.published_at)
          legs.commandAck.push(command.published_at.getTime() - command.created_at.getTime());
      }
    }
    const starts = tries.filter((t) => t.started_at).map((t) => t.started_at!.getTime());
    const ends = tries.filter((t) => t.ended_at).map((t) => t.ended_at!.getTime());
    // Tries started (executor claims) and ended (coordinator results) in each second since `since`.
    const perSecond = (times: number[]) => {
      const counts: number[] = [];
      for (const t of times) {
        const second = Math.max(0, Math.floor((t - since.getTime()) / 1000));
        while (counts.length <= second) counts.push(0);
        counts[second]++;
      }
      return counts;
    };
    return {
      taskInstances: tries.length,
      hops: legs.hop.length,
      legs: Object.fromEntries(Object.entries(legs).map(([k, v]) => [k, stats(v)])),
      queuedToStarted: stats(queued),
      firstStartedAt: starts.length ? Math.min(...starts) : null,
      lastEndedAt: ends.length ? Math.max(...ends) : null,
      lastQueuedRunAt: last_queued ? last_queued.getTime() : null,
      perSecond: { started: perSecond(starts), ended: perSecond(ends) },
    };
  }

  async outboxSince(since: Date): Promise<OutboxRow[]> {
    return this.q<OutboxRow>(
      `SELECT topic, payload->>'eventId' AS event_id, payload->'payload'->>'tiId' AS ti_id,
              (payload->'payload'->>'tryNumber')::int AS try_number, created_at, published_at
       FROM outbox WHERE created_at >= $1`,
      [since],
    );
  }

  async processedSince(since: Date): Promise<Map<string, number>> {
    const rows = await this.q<{ event_id: string; processed_at: Date }>(
      `SELECT event_id, processed_at FROM processed_events WHERE consumer_group = 'coordinator' AND processed_at >= $1`,
      [since],
    );
    return new Map(rows.map((r) => [r.event_id, r.processed_at.getTime()]));
  }

  // ----- resource accounting -----

  cpuSnapshot(): Record<string, number | null> {
    const snapshot: Record<string, number | null> = {};
    for (const s of this.services) snapshot[s.name] = cpuSeconds(s.pid);
    snapshot.postgres = withChildren(this.infra?.postgres?.pid);
    snapshot.kafka = cpuSeconds(this.infra?.kafka?.pid);
    const own = process.cpuUsage();
    snapshot.bench = (own.user + own.system) / 1e6;
    snapshot.machine = machineCpu().busy;
    return snapshot;
  }

  /** CPU used per process over a phase; `otherProcesses` is the machine's busy time that was none of ours. */
  static cpuDelta(
    before: Record<string, number | null>,
    after: Record<string, number | null>,
    seconds: number,
    taskInstances: number,
  ): Record<string, CpuUse | null> {
    const result: Record<string, CpuUse | null> = {};
    const use = (cpu: number): CpuUse => ({
      cpuSeconds: Number(cpu.toFixed(2)),
      coresBusy: Number((cpu / seconds).toFixed(2)),
      cpuMsPerTaskInstance: Number(((cpu * 1000) / taskInstances).toFixed(2)),
    });
    let ours = 0;
    let orchestration = 0;
    for (const key of Object.keys(after)) {
      const a = after[key];
      const b = before[key];
      if (a === null || b === null || b === undefined) {
        result[key] = null;
        continue;
      }
      result[key] = use(a - b);
      if (key !== 'machine') ours += a - b;
      if (key !== 'machine' && key !== 'bench') orchestration += a - b;
    }
    // Services, PostgreSQL and the broker: what the orchestration itself costs.
    result.orchestration = use(orchestration);
    const machine = result.machine;
    if (machine) result.otherProcesses = use(Math.max(0, machine.cpuSeconds - ours));
    return result;
  }

  async statementsReset(): Promise<void> {
    if (this.statementsAvailable) await this.q(`SELECT pg_stat_statements_reset()`);
  }

  async statements(taskInstances: number) {
    if (!this.statementsAvailable) return null;
    const rows = await this.q<{ calls: string; total_ms: number; mean_ms: number; query: string }>(
      `SELECT calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, query FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query NOT LIKE '%/* bench */%' AND query NOT LIKE '%pg_stat_activity%'
       ORDER BY total_exec_time DESC`,
    );
    const calls = rows.reduce((a, r) => a + Number(r.calls), 0);
    const totalMs = rows.reduce((a, r) => a + r.total_ms, 0);
    const commits = rows.filter((r) => /^\s*COMMIT/i.test(r.query)).reduce((a, r) => a + Number(r.calls), 0);
    const short = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 150);
    const entry = (r: (typeof rows)[number]) => ({
      callsPerTaskInstance: Number((Number(r.calls) / taskInstances).toFixed(2)),
      meanMs: Number(r.mean_ms.toFixed(3)),
      totalMs: Math.round(r.total_ms),
      query: short(r.query),
    });
    return {
      statements: calls,
      statementsPerTaskInstance: Number((calls / taskInstances).toFixed(1)),
      commitsPerTaskInstance: Number((commits / taskInstances).toFixed(2)),
      serverMs: Math.round(totalMs),
      serverMsPerTaskInstance: Number((totalMs / taskInstances).toFixed(3)),
      byTotalTime: rows.slice(0, 12).map(entry),
      byCalls: [...rows]
        .sort((a, b) => Number(b.calls) - Number(a.calls))
        .slice(0, 12)
        .map(entry),
    };
  }

  /** Samples pg_stat_activity every ~20 ms: what each service's sessions are doing, on average. */
  startActivitySampler(): () => Promise<Record<string, Record<string, number>>> {
    let stop = false;
    let samples = 0;
    const counts: Record<string, Record<string, number>> = {};
    const loop = (async () => {
      while (!stop) {
        let rows: { app: string; state: string | null; wtype: string | null }[];
        try {
          rows = (
            await this.sampler!.query(
              `SELECT application_name AS app, state, wait_event_type AS wtype FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name NOT LIKE 'bench%'`,
            )
          ).rows;
        } catch {
          return; // the bench is being torn down
        }
        samples++;
        for (const r of rows) {
          const service = r.app.replace(/-\d+$/, '') || 'other';
          const what =
            r.state === 'active'
              ? r.wtype === 'Lock'
                ? 'waitingForLock'
                : r.wtype && r.wtype !== 'Client'
                  ? `waiting${r.wtype}`
                  : 'executing'
              : r.state === 'idle in transaction'
                ? 'idleInTransaction'
                : null;
          if (!what) continue;
          counts[service] ??= {};
          counts[service][what] = (counts[service][what] ?? 0) + 1;
        }
        await sleep(20);
      }
    })();
    return async () => {
      stop = true;
      await loop;
      const averages: Record<string, Record<string, number>> = {};
      for (const [service, byState] of Object.entries(counts)) {
        averages[service] = {};
        for (const [state, n] of Object.entries(byState))
          averages[service][state] = Number((n / Math.max(1, samples)).toFixed(2));
      }
      return averages;
    };
  }

  async eventOutcomes(): Promise<Record<string, Record<string, number>>> {
    const result: Record<string, Record<string, number>> = {};
    for (const s of this.services) {
      try {
        result[s.name] = eventOutcomes(await s.metrics());
      } catch {
        result[s.name] = {};
      }
    }
    return result;
  }

  // ----- phases -----

  async warmUp(): Promise<void> {
    const runs = [
      { dagId: 'bench_wide', runId: 'warm-0' },
      { dagId: 'bench_wide', runId: 'warm-1' },
      ...Array.from({ length: COPIES }, (_, k) => ({ dagId: `bench_wide_${k}`, runId: 'warm-0' })),
      ...Array.from({ length: 3 }, (_, i) => ({ dagId: 'bench_single', runId: `warm-${i}` })),
    ];
    log(`warm-up: ${runs.length} runs (consumer groups settle, JIT, query plans)`);
    await this.request(runs);
    const dagIds = [...new Set(runs.map((r) => r.dagId))];
    await this.waitForRuns(dagIds, 'warm-', runs.length, 120_000);
  }

  async chainLatency() {
    log(`light load: one run of a ${CHAIN}-task chain`);
    const since = new Date();
    await this.request([{ dagId: 'bench_chain', runId: 'chain-0' }]);
    await this.waitForRuns(['bench_chain'], 'chain-', 1, 180_000);
    return this.analyse(['bench_chain'], 'chain-', since);
  }

  async requestToStart() {
    log(`request → first task: ${REQUESTS} sequential one-task runs`);
    const since = new Date();
    const sent: { runId: string; eventId: string; producedAt: number; ackedAt: number }[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const runId = `req-${i}`;
      const eventId = randomUUID();
      const producedAt = Date.now();
      await this.request([{ dagId: 'bench_single', runId, eventId }]);
      const ackedAt = Date.now();
      sent.push({ runId, eventId, producedAt, ackedAt });
      // One at a time: the next request only once this run is over.
      await waitUntil(
        `run ${runId}`,
        async () => {
          const [row] = await this.q<{ state: string }>(
            `SELECT state FROM dag_runs WHERE dag_id = 'bench_single' AND run_id = $1`,
            [runId],
          );
          if (row?.state === 'failed') throw new Error(`run ${runId} failed\n${this.logs()}`);
          return row?.state === 'success';
        },
        30_000,
        5,
      );
    }
    const rows = await this.q<{
      run_id: string;
      queued_at: Date;
      started_at: Date;
      ti_id: string;
      try_number: number;
    }>(
      `SELECT r.run_id, t.queued_at, t.started_at, ti.id AS ti_id, t.try_number
       FROM dag_runs r JOIN task_instances ti ON ti.run_pk = r.id
       JOIN task_instance_tries t ON t.ti_id = ti.id AND t.try_number = ti.try_number
       WHERE r.dag_id = 'bench_single' AND r.run_id LIKE 'req-%'`,
    );
    const processed = await this.processedSince(since);
    const commands = new Map(
      (await this.outboxSince(since))
        .filter((r) => r.topic === this.topic('task.commands'))
        .map((r) => [`${r.ti_id}/${r.try_number}`, r]),
    );
    const byRun = new Map(rows.map((r) => [r.run_id, r]));
    const legs = {
      total: [] as number[],
      produceAck: [] as number[],
      produceToCoordinator: [] as number[],
      coordinatorCreateRun: [] as number[],
      commandToStarted: [] as number[],
    };
    for (const s of sent) {
      const row = byRun.get(s.runId);
      if (!row?.started_at) continue;
      const started = row.started_at.getTime();
      legs.total.push(started - s.producedAt);
      legs.produceAck.push(s.ackedAt - s.producedAt);
      const begin = processed.get(s.eventId);
      const command = commands.get(`${row.ti_id}/${row.try_number}`);
      if (begin !== undefined) legs.produceToCoordinator.push(begin - s.producedAt);
      if (begin !== undefined && command)
        legs.coordinatorCreateRun.push(command.created_at.getTime() - begin);
      if (command) legs.commandToStarted.push(started - command.created_at.getTime());
    }
    return {
      requests: REQUESTS,
      measured: legs.total.length,
      legs: Object.fromEntries(Object.entries(legs).map(([k, v]) => [k, stats(v)])),
    };
  }

  async throughput(label: string, runPrefix: string, dagIds: string[]) {
    const runs = Array.from({ length: RUNS }, (_, r) => ({
      dagId: dagIds[r % dagIds.length],
      runId: `${runPrefix}${r}`,
    }));
    const expected = RUNS * TASKS_PER_RUN;
    log(
      `throughput (${label}): ${RUNS} runs × ${TASKS_PER_RUN} tasks = ${expected} task instances, one request batch`,
    );
    await this.statementsReset();
    const outcomesBefore = await this.eventOutcomes();
    const since = new Date();
    const stopSampler = this.startActivitySampler();
    const cpuBefore = this.cpuSnapshot();
    const t0 = Date.now();
    await this.request(runs);
    const ackedAt = Date.now();
    await this.waitForRuns(dagIds, runPrefix, RUNS, 240_000);
    const waitedSeconds = (Date.now() - t0) / 1000;
    const cpuAfter = this.cpuSnapshot();
    const activity = await stopSampler();
    const statements = await this.statements(expected);
    const outcomesAfter = await this.eventOutcomes();
    const analysis = await this.analyse(dagIds, runPrefix, since);
    if (analysis.taskInstances !== expected)
      throw new Error(`expected ${expected} task instances, found ${analysis.taskInstances}`);
    const seconds = (analysis.lastEndedAt! - t0) / 1000;
    const cpu = Bench.cpuDelta(cpuBefore, cpuAfter, waitedSeconds, expected);
    const outcomes: Record<string, Record<string, number>> = {};
    for (const [name, after] of Object.entries(outcomesAfter)) {
      outcomes[name] = {};
      for (const [k, v] of Object.entries(after)) {
        const delta = v - (outcomesBefore[name]?.[k] ?? 0);
        if (delta) outcomes[name][k] = delta;
      }
    }
    return {
      label,
      dags: dagIds,
      runs: RUNS,
      tasksPerRun: TASKS_PER_RUN,
      taskInstances: expected,
      seconds: Number(seconds.toFixed(3)),
      taskInstancesPerSecond: Math.round(expected / seconds),
      requestAckMs: ackedAt - t0,
      lastRunQueuedMs: analysis.lastQueuedRunAt ? analysis.lastQueuedRunAt - t0 : null,
      firstTaskStartedMs: analysis.firstStartedAt ? analysis.firstStartedAt - t0 : null,
      latency: analysis,
      cpu,
      cpuCeilingTaskInstancesPerSecond: cpu.orchestration
        ? Math.round((os.cpus().length * 1000) / cpu.orchestration.cpuMsPerTaskInstance)
        : null,
      cpuWindowSeconds: Number(waitedSeconds.toFixed(2)),
      dbSessions: activity,
      statements,
      eventsHandled: outcomes,
    };
  }

  /** What the deployment burns doing nothing (poll loops, sweeps, heartbeats, consumer fetches). */
  async idleCpu(seconds = 3) {
    log(`idle cluster: CPU over ${seconds} s`);
    const before = this.cpuSnapshot();
    await sleep(seconds * 1000);
    const after = this.cpuSnapshot();
    const result: Record<string, number> = {};
    for (const [name, use] of Object.entries(Bench.cpuDelta(before, after, seconds, 1)))
      if (use) result[name] = use.coresBusy;
    return result;
  }

  /** Unit costs on this machine, with the cluster idle. */
  async unitCosts() {
    log('unit costs: Kafka produce / commit / produce→consume, PostgreSQL round trip / transaction');
    const topic = this.topic('bench.probe');
    const groupId = this.topic('bench.probe');
    await this.admin!.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
    const consumer = this.kafka!.consumer({ groupId });
    const produceMs: number[] = [];
    const commitMs: number[] = [];
    const endToEndMs: number[] = [];
    let next: (() => void) | null = null;
    try {
      await consumer.connect();
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const received = performance.now();
          endToEndMs.push(received - Number(message.value!.toString()));
          const c0 = performance.now();
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
          commitMs.push(performance.now() - c0);
          next?.();
        },
      });
      await joined;
      for (let i = 0; i < 200; i++) {
        const delivered = new Promise<void>((resolve) => (next = resolve));
        const t = performance.now();
        await this.producer!.send({ topic, acks: -1, messages: [{ value: String(t) }] });
        produceMs.push(performance.now() - t);
        await Promise.race([
          delivered,
          sleep(10_000).then(() => {
            throw new Error('probe message not consumed within 10 s');
          }),
        ]);
      }
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }

    const roundTripMs: number[] = [];
    const transactionMs: number[] = [];
    await this.q(`CREATE TEMP TABLE bench_probe (id int PRIMARY KEY, n int NOT NULL)`);
    await this.q(`INSERT INTO bench_probe VALUES (1, 0)`);
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await this.q(`SELECT 1`);
      roundTripMs.push(performance.now() - t);
    }
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await this.q('BEGIN');
      await this.q(`UPDATE bench_probe SET n = n + 1 WHERE id = 1`);
      await this.q('COMMIT');
      transactionMs.push(performance.now() - t);
    }
    return {
      kafkaProduceAcksAll: stats(produceMs),
      kafkaCommitOffsets: stats(commitMs),
      kafkaProduceToConsume: stats(endToEndMs),
      postgresRoundTrip: stats(roundTripMs),
      postgresOneRowTransaction: stats(transactionMs),
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
    await quietly('services', () => Promise.all(this.services.map((s) => s.stop())));
    await quietly('database clients', async () => {
      await this.sampler?.end();
      await this.db?.end();
    });
    if (this.admin && this.ownPrefix) {
      await quietly('consumer groups', () =>
        this.admin!.deleteGroups(
          ['coordinator', 'executor', 'assets', 'bench.probe'].map((g) => this.topic(g)),
        ),
      );
      await quietly('topics', async () => {
        const topics = (await this.admin!.listTopics()).filter((t) => t.startsWith(this.prefix));
        if (topics.length) await this.admin!.deleteTopics({ topics });
      });
    }
    await quietly('admin', async () => this.admin?.disconnect());
    if (this.infra && !this.infra.postgres && this.databaseUrl) {
      await quietly('database', async () => {
        const client = new Client({ connectionString: this.baseDatabaseUrl });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS "bench_${this.id}" WITH (FORCE)`);
        } finally {
          await client.end();
        }
      });
    }
    if (this.infra) await quietly('local infrastructure', () => localInfra.stopLocalInfra(this.infra!));
  }
}

// ---------------------------------------------------------------------------------------------

function printLegs(
  title: string,
  legs: Record<string, Stats | null | undefined>,
  names: Record<string, string>,
) {
  console.log(`\n${title}`);
  const rows: (string | number)[][] = [['ms', 'n', 'mean', 'p50', 'p90', 'p99', 'max', 'leg']];
  for (const [key, description] of Object.entries(names)) {
    const s = legs[key];
    if (!s) continue;
    rows.push([key, s.n, fmt(s.mean), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max), description]);
  }
  console.log(table(rows));
}

/** Set on SIGINT / SIGTERM: the handler cleans up and exits. */
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
    await bench.warmUp();
    const chain = await bench.chainLatency();
    const requestToStart = await bench.requestToStart();
    const oneDag = await bench.throughput('one DAG', 'tpa-', ['bench_wide']);
    const spread =
      COPIES > 1
        ? await bench.throughput(
            `${COPIES} DAGs`,
            'tpb-',
            Array.from({ length: COPIES }, (_, k) => `bench_wide_${k}`),
          )
        : null;
    const idleCoresBusy = await bench.idleCpu();
    const unitCosts = await bench.unitCosts();

    const result = {
      benchmark: 'distributed',
      command: 'npm run bench:distributed',
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
        topicPrefix: bench.prefix,
        services: bench.services.map((s) => s.name),
        serviceOverrides: bench.overrides,
      },
      parameters: { RUNS, FANOUT, TAIL, CHAIN, COPIES, REQUESTS, EXECUTORS, TASKS_PER_RUN },
      latencyLightLoad: chain,
      requestToFirstTask: requestToStart,
      throughput: oneDag,
      throughputSpread: spread,
      idleCoresBusy,
      unitCosts,
      wallSeconds: Math.round((Date.now() - startedAt) / 1000),
    };

    console.log('\n=== distributed bench ===');
    const hopOf = (a: HopAnalysis) => a.legs.hop;
    const rows: (string | number)[][] = [['measure', 'result', 'target']];
    rows.push([
      `throughput, one DAG (${oneDag.taskInstances} TIs)`,
      `${oneDag.taskInstancesPerSecond} TI/s (${oneDag.seconds} s)`,
      '> 500 TI/s',
    ]);
    if (spread)
      rows.push([
        `throughput, ${COPIES} DAGs (${spread.taskInstances} TIs)`,
        `${spread.taskInstancesPerSecond} TI/s (${spread.seconds} s)`,
        '> 500 TI/s',
      ]);
    rows.push([
      `task-to-task, light load (${CHAIN}-chain) p50 / p99`,
      `${fmt(hopOf(chain)?.p50)} / ${fmt(hopOf(chain)?.p99)} ms`,
      'p50 < 20 ms',
    ]);
    rows.push([
      'task-to-task, throughput load p50 / p99',
      `${fmt(hopOf(oneDag.latency)?.p50)} / ${fmt(hopOf(oneDag.latency)?.p99)} ms`,
      'p50 < 20 ms',
    ]);
    if (spread)
      rows.push([
        `task-to-task, ${COPIES}-DAG load p50 / p99`,
        `${fmt(hopOf(spread.latency)?.p50)} / ${fmt(hopOf(spread.latency)?.p99)} ms`,
        'p50 < 20 ms',
      ]);
    const rts = requestToStart.legs.total;
    rows.push([
      `run.requested → first task running p50 / p99 (${requestToStart.measured})`,
      `${fmt(rts?.p50)} / ${fmt(rts?.p99)} ms`,
      '',
    ]);
    console.log(table(rows));

    printLegs('task-to-task, light load: where the time goes', chain.legs, LEGS);
    printLegs(
      'task-to-task under the throughput load (one DAG): where the time goes',
      oneDag.latency.legs,
      LEGS,
    );
    if (spread) printLegs(`task-to-task under the ${COPIES}-DAG load`, spread.latency.legs, LEGS);
    printLegs('run.requested → first task running', requestToStart.legs, {
      total: 'produced → try started_at',
      produceAck: '(produced → broker acknowledged)',
      produceToCoordinator: 'produced → coordinator transaction begins',
      coordinatorCreateRun: 'coordinator begins → task.command written (create run, start it, dispatch)',
      commandToStarted: 'task.command written → started (commit, relay, Kafka, executor claim)',
    });
    for (const tp of [oneDag, spread]) {
      if (!tp) continue;
      console.log(`\nthroughput (${tp.label}): resources over ${tp.cpuWindowSeconds} s`);
      const cpuRows: (string | number)[][] = [['process', 'CPU s', 'cores busy', 'CPU ms per TI']];
      for (const [name, c] of Object.entries(tp.cpu))
        if (c) cpuRows.push([name, c.cpuSeconds, c.coresBusy, c.cpuMsPerTaskInstance]);
      console.log(table(cpuRows));
      console.log(
        `first task started after ${tp.firstTaskStartedMs} ms; last run queued after ${tp.lastRunQueuedMs} ms; ` +
          `queued → started p50 ${fmt(tp.latency.queuedToStarted?.p50)} ms`,
      );
      console.log(
        `tries started per second: ${tp.latency.perSecond.started.join(' ')}; ended per second: ${tp.latency.perSecond.ended.join(' ')}`,
      );
      console.log(
        `orchestration CPU ${fmt(tp.cpu.orchestration?.cpuMsPerTaskInstance, 2)} ms per TI → ` +
          `at most ${tp.cpuCeilingTaskInstancesPerSecond} TI/s on ${os.cpus().length} cores with nothing else running`,
      );
      console.log('database sessions of each service, on average (pg_stat_activity every 20 ms):');
      const states = ['executing', 'idleInTransaction', 'waitingForLock'];
      const sessionRows: (string | number)[][] = [['service', ...states, 'other waits']];
      for (const [service, byState] of Object.entries(tp.dbSessions)) {
        const other = Object.entries(byState)
          .filter(([k]) => !states.includes(k))
          .reduce((a, [, v]) => a + v, 0);
        sessionRows.push([service, ...states.map((k) => byState[k] ?? 0), Number(other.toFixed(2))]);
      }
      console.log(table(sessionRows));
      console.log(`consumer outcomes during the batch: ${JSON.stringify(tp.eventsHandled)}`);
      if (tp.statements) {
        console.log(
          `SQL: ${tp.statements.statementsPerTaskInstance} statements and ${tp.statements.commitsPerTaskInstance} commits ` +
            `per task instance; ${tp.statements.serverMsPerTaskInstance} ms server time per task instance`,
        );
        if (tp === oneDag) {
          const sqlRows: (string | number)[][] = [
            ['calls/TI', 'mean ms', 'total ms', 'statement (by total time)'],
          ];
          for (const s of tp.statements.byTotalTime)
            sqlRows.push([s.callsPerTaskInstance, s.meanMs, s.totalMs, s.query.slice(0, 110)]);
          console.log(table(sqlRows));
        }
      }
    }
    console.log(`\nidle cluster, cores busy: ${JSON.stringify(idleCoresBusy)}`);
    console.log('\nunit costs on this machine (idle cluster), ms');
    const unitRows: (string | number)[][] = [['operation', 'p50', 'p99', 'mean']];
    for (const [name, s] of Object.entries(unitCosts))
      if (s) unitRows.push([name, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.mean, 2)]);
    console.log(table(unitRows));

    const file = await writeBenchResult('distributed', result);
    console.log(`\nwritten to ${file} (${result.wallSeconds} s in all)`);
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
    // Interrupted: the signal handler is cleaning up and exits when done.
    if (interrupted) return;
    console.error(error);
    process.exit(1);
  },
);
