import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { createServer } from 'net';
import * as path from 'path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { REPO_ROOT, ServiceName, ServiceProcess, eventually, infraEnv } from '../support/cluster';

// docker-compose.yml is what a user starts with `docker compose up`. There is no Docker engine here, so this
// test reads the file and runs each service's `command` with its `environment` as a local process, against the
// integration suite's Kafka broker and PostgreSQL: the compose file's commands and variables are exercised, not
// just written. The only translation from the compose world to the local one is toLocalEnv() below.

jest.setTimeout(240_000);

const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
const SERVICES: ServiceName[] = ['api', 'scheduler', 'coordinator', 'executor', 'triggerer', 'assets'];
/** A DAG of examples/three-cadences that works whenever it is triggered: a snapshot as of the run's interval end. */
const DAG_ID = 'salesforce_to_raw';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

function readCompose(): ComposeFile {
  // merge: resolves the `<<: *tributary-service` / `<<: *tributary-env` merge keys as compose does.
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/** Compose's `${NAME:-default}` interpolation, resolved with its default (the shell is not consulted: deterministic). */
function interpolate(text: string): string {
  const resolved = text.replace(
    /\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}/g,
    (_match, fallback: string) => fallback,
  );
  if (resolved.includes('$')) throw new Error(`unsupported interpolation in '${text}'`);
  return resolved;
}

/** A service's bind mounts, `<host path>:<container path>[:mode]`, host paths resolved against the repo root. */
function bindMounts(service: ComposeService): { host: string; container: string; mode?: string }[] {
  return (service.volumes ?? []).map((volume) => {
    const [source, container, mode] = interpolate(volume).split(':');
    if (!/^[./]/.test(source)) throw new Error(`'${volume}' is not a bind mount of a host path`);
    return { host: path.resolve(REPO_ROOT, source), container, mode };
  });
}

interface LocalInfra {
  brokers: string;
  /** host:port of the local PostgreSQL. */
  postgres: string;
}

/**
 * The one place the compose world is mapped onto this machine, and only where it must be:
 * - host names of compose services in env values: `kafka:9092` is the local broker, `postgres:5432` the local
 *   PostgreSQL (its role, password and database are created as the compose `postgres` service would, so the
 *   credentials in DATABASE_URL are used as written);
 * - container paths under a bind mount (`./examples/three-cadences:/dags:ro`): the host path, since a local process
 *   sees the host's file system;
 * - HTTP_PORT: each container has its own network namespace, so every service can listen on 9464 there; local
 *   processes share one, so each gets a free port of its own (the compose value is replaced, not the variable).
 * Every other variable is passed exactly as written.
 */
const ADMIN_TOKEN = `compose_admin_${randomBytes(16).toString('hex')}`;

function toLocalEnv(service: ComposeService, infra: LocalInfra, httpPort?: number): Record<string, string> {
  const hosts: Record<string, string> = { 'kafka:9092': infra.brokers, 'postgres:5432': infra.postgres };
  const mounts = bindMounts(service);
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(service.environment ?? {})) {
    let value = String(raw).replace(/\b(kafka:9092|postgres:5432)\b/g, (host) => hosts[host]);
    const mount = mounts.find((m) => value === m.container || value.startsWith(`${m.container}/`));
    if (mount) value = mount.host + value.slice(mount.container.length);
    // A compose host name left over would make a process hang on DNS instead of failing this test clearly.
    if (
      /(^|[/@,])(kafka|postgres|api|scheduler|coordinator|executor|triggerer|assets|migrate):\d+/.test(value)
    ) {
      throw new Error(`${key}=${value} names a compose host that toLocalEnv() does not map`);
    }
    env[key] = value;
  }
  if (httpPort !== undefined && env.HTTP_PORT !== undefined) env.HTTP_PORT = String(httpPort);
  return env;
}

/** Creates the compose `postgres` service's user, password and (fresh) database in the local cluster. */
async function createComposeDatabase(adminUrl: string, postgres: ComposeService): Promise<void> {
  const user = String(postgres.environment?.POSTGRES_USER);
  const password = String(postgres.environment?.POSTGRES_PASSWORD);
  const database = String(postgres.environment?.POSTGRES_DB);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const role = client.escapeIdentifier(user);
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
    const [exists] = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rows;
    // Not a superuser (the postgres image makes POSTGRES_USER one): stricter, so it proves the services need no more.
    await client.query(
      `${exists ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD ${client.escapeLiteral(password)}`,
    );
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} OWNER ${role}`);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion from the repo root (as the image's WORKDIR /app), with only `env` set. */
function runToCompletion(
  command: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = command;
    const child = spawn(program === 'node' ? process.execPath : program, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')} did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The sum of a metric's samples whose labels include `labels`. */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const sample = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => sample[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

describe('docker-compose.yml', () => {
  const compose = readCompose();
  const processes: ServiceProcess[] = [];

  afterAll(async () => {
    // Whatever a failed test left running.
    await Promise.all(processes.map((p) => p.kill()));
  });

  it('describes Kafka (KRaft), PostgreSQL, a one-shot migrate and every service', () => {
    const { kafka, postgres, migrate } = compose.services;
    expect(kafka.image).toMatch(/^apache\/kafka:/);
    expect(kafka.environment).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: expect.stringMatching(/^1@kafka:9093$/),
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      // Topics and offsets live on the volume, not in the image's /tmp default.
      KAFKA_LOG_DIRS: '/var/lib/kafka/data',
    });
    expect(String(kafka.environment?.KAFKA_ADVERTISED_LISTENERS)).toContain('PLAINTEXT://kafka:9092');
    expect(kafka.healthcheck?.test).toBeDefined();

    expect(postgres.image).toMatch(/^postgres:/);
    expect(postgres.environment).toMatchObject({
      POSTGRES_USER: expect.any(String),
      POSTGRES_PASSWORD: expect.any(String),
      POSTGRES_DB: expect.any(String),
    });
    expect(postgres.healthcheck?.test).toBeDefined();

    expect(migrate.command).toEqual(['node', 'bin/tributary.js', 'migrate']);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(bindMounts(migrate)).toEqual([
      { host: path.join(REPO_ROOT, 'examples', 'three-cadences'), container: '/dags', mode: 'ro' },
    ]);
    expect(migrate.environment?.TRIBUTARY_DAGS_DIR).toBe('/dags');

    expect(Object.keys(compose.services).sort()).toEqual(
      [...SERVICES, 'kafka', 'postgres', 'migrate'].sort(),
    );
    for (const name of SERVICES) {
      const service = compose.services[name];
      expect({ name, command: service.command }).toEqual({
        name,
        command: ['node', `dist/apps/${name}/src/main.js`],
      });
      expect({ name, depends_on: service.depends_on }).toEqual({
        name,
        depends_on: {
          kafka: { condition: 'service_healthy' },
          migrate: { condition: 'service_completed_successfully' },
        },
      });
      expect({ name, healthcheck: service.healthcheck?.test?.[0] }).toEqual({ name, healthcheck: 'CMD' });
      expect({ name, mounts: bindMounts(service) }).toEqual({
        name,
        mounts: [
          { host: path.join(REPO_ROOT, 'examples', 'three-cadences'), container: '/dags', mode: 'ro' },
        ],
      });
      expect({ name, env: service.environment }).toMatchObject({
        name,
        env: {
          KAFKA_BROKERS: 'kafka:9092',
          TRIBUTARY_DAGS_DIR: '/dags',
          DATABASE_URL: migrate.environment?.DATABASE_URL,
        },
      });
      // Docker's SIGKILL must not cut a graceful stop short (TRIBUTARY_SHUTDOWN_TIMEOUT_MS defaults to 30 s).
      const grace = /^(\d+)s$/.exec(service.stop_grace_period ?? '');
      expect({ name, grace: grace ? Number(grace[1]) : null }).toEqual({ name, grace: expect.any(Number) });
      expect(Number(grace![1]) * 1000).toBeGreaterThan(
        Number(service.environment?.TRIBUTARY_SHUTDOWN_TIMEOUT_MS ?? 30_000),
      );
    }
    expect(compose.services.executor.deploy?.replicas).toBe(3);
    expect(compose.services.api.environment?.HTTP_PORT).toBe('8080');
  });

  it('runs as local processes: migrate, then every service; a manual run succeeds; SIGTERM stops all cleanly', async () => {
    const infra = infraEnv();
    const local: LocalInfra = { brokers: infra.KAFKA_BROKERS, postgres: new URL(infra.DATABASE_URL).host };
    await createComposeDatabase(infra.DATABASE_URL, compose.services.postgres);
    const composeDatabaseUrl = toLocalEnv(compose.services.migrate, local).DATABASE_URL;
    const query = async <T extends Record<string, unknown>>(
      sql: string,
      params: unknown[] = [],
    ): Promise<T[]> => {
      const client = new Client({ connectionString: composeDatabaseUrl });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    };
    const logs = () => processes.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.tail(25)}`).join('\n');

    // 1. migrate, alone first (every service depends on it completing successfully).
    const migrateEnv = toLocalEnv(compose.services.migrate, local);
    const migrated = await runToCompletion(compose.services.migrate.command!, migrateEnv);
    expect({ code: migrated.code, output: migrated.output }).toEqual({ code: 0, output: expect.any(String) });
    expect(migrated.output).toContain(`deployed 4 DAG(s) from ${migrateEnv.TRIBUTARY_DAGS_DIR}`);
    // Applied with the compose credentials: the schema belongs to the compose user, not the suite's superuser.
    const [owner] = await query<{ tableowner: string }>(
      `SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'dag_runs'`,
    );
    expect(owner?.tableowner).toBe(compose.services.postgres.environment?.POSTGRES_USER);

    // 2. every service with its replicas, all at once as compose starts them.
    const ports = new Map<ServiceProcess, number>();
    for (const name of SERVICES) {
      const service = compose.services[name];
      const replicas = service.deploy?.replicas ?? 1;
      for (let i = 1; i <= replicas; i++) {
        const port = await freePort();
        const proc = new ServiceProcess(
          name,
          `${name}-${i}`,
          // The api stores this admin token at start, as an operator sets it in their compose env.
          {
            ...toLocalEnv(service, local, port),
            ...(name === 'api' ? { TRIBUTARY_ADMIN_TOKEN: ADMIN_TOKEN } : {}),
          },
          service.command,
        );
        ports.set(proc, port);
        processes.push(proc);
      }
    }
    expect(processes).toHaveLength(8);
    await Promise.all(processes.map((p) => p.start(90_000)));

    for (const proc of processes) {
      expect({ name: proc.name, url: proc.url }).toEqual({
        name: proc.name,
        url: `http://127.0.0.1:${ports.get(proc)}`,
      });
      const health = await proc.health();
      expect({ name: proc.name, status: health.status, body: health.body }).toMatchObject({
        name: proc.name,
        status: 200,
        body: { status: 'ok', service: proc.service, checks: { database: 'ok', kafka: 'ok' } },
      });
      const metrics = await proc.metrics();
      for (const metric of [
        'tributary_events_handled_total',
        'tributary_task_queue_latency_seconds',
        'tributary_task_duration_seconds',
        'tributary_task_instances',
        'tributary_outbox_unpublished',
        'tributary_consumer_lag',
      ]) {
        expect({ name: proc.name, metric, exposed: metrics.includes(`# TYPE ${metric} `) }).toEqual({
          name: proc.name,
          metric,
          exposed: true,
        });
      }
      // prom-client's default process metrics, under the service's prefix.
      expect({
        name: proc.name,
        process: /^# TYPE tributary_\S*cpu_user_seconds_total counter$/m.test(metrics),
      }).toEqual({
        name: proc.name,
        process: true,
      });
    }

    // The compose healthcheck command itself, in each process's environment (its HTTP_PORT).
    await Promise.all(
      processes.map(async (proc) => {
        const [kind, ...command] = compose.services[proc.service].healthcheck!.test;
        expect(kind).toBe('CMD');
        const result = await runToCompletion(command, proc.env, 20_000);
        expect({ name: proc.name, healthcheck: result.code, output: result.output }).toEqual({
          name: proc.name,
          healthcheck: 0,
          output: '',
        });
      }),
    );

    const workers = await query<{ worker_id: string; slots: number; stopped_at: Date | null }>(
      `SELECT worker_id, slots, stopped_at FROM workers WHERE kind = 'executor' ORDER BY worker_id`,
    );
    expect(workers).toHaveLength(3);
    expect(new Set(workers.map((w) => w.worker_id)).size).toBe(3);
    expect(workers.every((w) => w.slots === 8 && w.stopped_at === null)).toBe(true);

    // 3. a manual run through the API, identified by its own run id (the `tributary.` topics may hold others).
    const api = processes.find((p) => p.service === 'api')!;
    const runId = `compose__${Date.now()}_${randomBytes(3).toString('hex')}`;
    const response = await fetch(`${api.url}/api/v1/dags/${DAG_ID}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ runId, note: 'compose-cluster.spec.ts' }),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 202,
      body: { dagId: DAG_ID, runId, status: 'requested' },
    });
    interface RunView {
      state: string;
      taskInstances: { taskId: string; state: string; worker: string | null; tries: unknown[] }[];
    }
    const run = await eventually(
      `run ${runId} of ${DAG_ID} to finish`,
      async () => {
        const res = await fetch(`${api.url}/api/v1/dags/${DAG_ID}/runs/${encodeURIComponent(runId)}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as RunView;
        return body.state === 'success' || body.state === 'failed' ? body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300, describe: logs },
    );
    expect({ state: run.state, tasks: run.taskInstances }).toMatchObject({
      state: 'success',
      tasks: [
        { taskId: 'fetch_accounts', state: 'success' },
        { taskId: 'land', state: 'success' },
      ],
    });
    // Ran by the compose executors, and its tasks wrote through the compose DATABASE_URL.
    const workerIds = workers.map((w) => w.worker_id);
    for (const ti of run.taskInstances) expect(workerIds).toContain(ti.worker);
    const [landed] = await query<{ landed_rows: number; landed_try: number | null }>(
      `SELECT landed_rows, landed_try FROM warehouse.ingest_batches WHERE run_id = $1`,
      [runId],
    );
    expect(landed?.landed_try).toBe(1);
    expect(landed!.landed_rows).toBeGreaterThan(0);

    // The work shows in the metrics: executors ran both tasks, the coordinator handled the run's events.
    const executorMetrics = await Promise.all(
      processes.filter((p) => p.service === 'executor').map((p) => p.metrics()),
    );
    const succeeded = executorMetrics.reduce(
      (n, text) => n + metricSum(text, 'tributary_task_duration_seconds_count', { outcome: 'succeeded' }),
      0,
    );
    expect(succeeded).toBeGreaterThanOrEqual(2);
    const coordinator = await processes.find((p) => p.service === 'coordinator')!.metrics();
    expect(
      metricSum(coordinator, 'tributary_events_handled_total', {
        topic: `${compose.services.coordinator.environment?.TRIBUTARY_TOPIC_PREFIX}task.events`,
        outcome: 'handled',
      }),
    ).toBeGreaterThanOrEqual(2);

    // 4. `docker compose stop`: SIGTERM to every process; each drains and exits 0.
    const codes = await Promise.all(processes.map(async (p) => ({ name: p.name, code: await p.stop() })));
    expect(codes).toEqual(processes.map((p) => ({ name: p.name, code: 0 })));
    const stopped = await query<{ stopped_at: Date | null }>(
      `SELECT stopped_at FROM workers WHERE kind = 'executor'`,
    );
    expect(stopped.map((w) => w.stopped_at !== null)).toEqual([true, true, true]);
  });
});
