// Distributed-mode test harness: every service a real child process (`node bin/tributary.js
// serve <service>`), over the integration suite's Kafka broker and PostgreSQL.
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { runNodeScript, waitForReadyLine } from './child-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDatabase } = require('../../scripts/local-infra') as {
  createDatabase(baseUrl: string, name: string): Promise<string>;
};

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'tributary.js');

export type ServiceName = 'api' | 'scheduler' | 'coordinator' | 'executor' | 'triggerer' | 'assets';

export function infraEnv(): { KAFKA_BROKERS: string; DATABASE_URL: string } {
  const { KAFKA_BROKERS, DATABASE_URL } = process.env;
  if (!KAFKA_BROKERS || !DATABASE_URL) {
    throw new Error(
      'KAFKA_BROKERS and DATABASE_URL are not set: run the integration project (npm run test:integration), whose global setup starts a broker and PostgreSQL',
    );
  }
  return { KAFKA_BROKERS, DATABASE_URL };
}

/** One service process. Output is kept (and printed when a test fails to find what it waits for). */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private output = '';
  private exited: Promise<number | null> | null = null;
  url: string | null = null;

  constructor(
    readonly service: ServiceName,
    readonly name: string,
    readonly env: Record<string, string>,
    readonly command: string[] = ['node', CLI, 'serve', service],
    readonly cwd: string = REPO_ROOT,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  /** Starts the process and resolves once it printed its ready line (or rejects with its output). */
  async start(timeoutMs = 60_000): Promise<void> {
    this.output = '';
    this.url = null;
    const [command, ...args] = this.command;
    const child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.url = await waitForReadyLine(
      child,
      this.name,
      timeoutMs,
      (chunk) => (this.output += chunk),
      () => this.tail(),
    );
  }

  /** Graceful stop (SIGTERM): resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill('SIGTERM');
    return this.exited!;
  }

  /** kill -9: no draining, no goodbye. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  async health(): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.url}/health`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}

export interface ClusterOptions {
  dagsDir: string;
  /** How many processes of each service (default: one of each but the triggerer). */
  services?: Partial<Record<ServiceName, number>>;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Topic prefix (default: a fresh one, so tests never see each other's messages). */
  topicPrefix?: string;
  /** Broker list (default: the suite's broker). */
  brokers?: string;
}

/** A whole distributed deployment on a fresh database and fresh topics. */
export class TestCluster {
  readonly processes: ServiceProcess[] = [];
  readonly markersDir = mkdtempSync(path.join(tmpdir(), 'tributary-markers-'));

  private constructor(
    readonly options: ClusterOptions,
    readonly env: Record<string, string>,
    readonly databaseUrl: string,
    readonly topicPrefix: string,
  ) {}

  static async create(options: ClusterOptions): Promise<TestCluster> {
    const infra = infraEnv();
    const id = randomBytes(4).toString('hex');
    const databaseUrl = await createDatabase(infra.DATABASE_URL, `it_${id}`);
    const topicPrefix = options.topicPrefix ?? `it${id}.`;
    const env: Record<string, string> = {
      KAFKA_BROKERS: options.brokers ?? infra.KAFKA_BROKERS,
      DATABASE_URL: databaseUrl,
      TRIBUTARY_DAGS_DIR: path.resolve(REPO_ROOT, options.dagsDir),
      TRIBUTARY_TOPIC_PREFIX: topicPrefix,
      TRIBUTARY_TOPIC_PARTITIONS: '6',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      // Fast failure detection so crash tests finish quickly.
      // (Not too fast: a loaded 2-core CI machine can stall a process for seconds, and a live
      // executor presumed dead has its tries retried.)
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      TRIBUTARY_HEARTBEAT_INTERVAL_MS: '1000',
      TRIBUTARY_WORKER_TIMEOUT_MS: '10000',
      TRIBUTARY_POLL_INTERVAL_MS: '100',
      ...options.env,
    };
    const cluster = new TestCluster(options, env, databaseUrl, topicPrefix);
    cluster.env.TRIBUTARY_TEST_MARKERS = cluster.markersDir;
    await cluster.migrate();
    return cluster;
  }

  /** `tributary migrate` as its own process, like the compose one-shot. */
  async migrate(): Promise<string> {
    return runCli(['migrate'], this.env);
  }

  /** Starts the configured services (coordinator first, the scheduler last). */
  async start(): Promise<void> {
    const counts = this.options.services ?? { coordinator: 1, executor: 1, assets: 1, api: 1, scheduler: 1 };
    const order: ServiceName[] = ['coordinator', 'executor', 'assets', 'triggerer', 'api', 'scheduler'];
    const started: Promise<ServiceProcess>[] = [];
    for (const service of order) {
      for (let i = 0; i < (counts[service] ?? 0); i++) started.push(this.add(service));
    }
    await Promise.all(started);
  }

  async add(service: ServiceName, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const n = this.processes.filter((p) => p.service === service).length + 1;
    const proc = new ServiceProcess(service, `${service}-${n}`, {
      ...this.env,
      TRIBUTARY_WORKER_ID: `${service}-${n}-${randomBytes(2).toString('hex')}`,
      ...env,
    });
    this.processes.push(proc);
    await proc.start();
    return proc;
  }

  of(service: ServiceName): ServiceProcess[] {
    return this.processes.filter((p) => p.service === service);
  }

  topic(name: string): string {
    return `${this.topicPrefix}${name}`;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Logs of every process, for failure messages. */
  logs(): string {
    return this.processes.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.tail(25)}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    await Promise.all(this.processes.map((p) => p.kill()));
    rmSync(this.markersDir, { recursive: true, force: true });
  }
}

/** Runs `tributary <args>` to completion; rejects with its output on a non-zero exit. */
export function runCli(args: string[], env: Record<string, string>): Promise<string> {
  return runNodeScript(CLI, args, REPO_ROOT, {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...env,
  });
}

/**
 * Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`
 * with `describe()` — a bound so a broken system fails the test instead of hanging it.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = options.describe ? await options.describe() : '';
      throw new Error(
        `gave up waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}\n${detail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
