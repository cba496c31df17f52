/**
 * What the process-level benches (distributed.bench.ts, triggerer.bench.ts) share: the repository's
 * paths, env knobs, the local broker and database, logging, statistics, waiting, CPU accounting from
 * /proc and the service processes they start. Each bench keeps its own measurements.
 */
import { ChildProcess, spawn } from 'child_process';
import { promises as fsPromises, readFileSync, readdirSync } from 'fs';
import * as path from 'path';
import { runNodeScript, waitForReadyLine } from '../test/support/child-process';

/** dist-bench/bench/ → the repository (the benches run from their compiled copy). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

// The bench's own compile of apps/ and libs/ (tsconfig.bench.json): always the current sources.
export const CLI = path.resolve(
  REPO_ROOT,
  process.env.BENCH_CLI ?? path.join('dist-bench', 'apps', 'cli', 'src', 'main.js'),
);

/** A whole-number env knob; a typo fails the bench at once rather than running the wrong size. */
export function intEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, got '${value}'`);
  return Number(value);
}

// ---------------------------------------------------------------------------------------------
// Local infrastructure (plain CommonJS, outside the compiled tree).

export interface LocalInfra {
  kafka: { brokers: string; pid?: number } | null;
  postgres: { url: string; pid?: number; stop(): Promise<void>; start(): Promise<void> } | null;
  env: { KAFKA_BROKERS: string; DATABASE_URL: string };
  timings: { kafkaMs?: number; postgresMs?: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const localInfra = require(path.join(REPO_ROOT, 'scripts', 'local-infra')) as {
  startLocalInfra(options?: { env?: Record<string, string | undefined> }): Promise<LocalInfra>;
  stopLocalInfra(infra?: LocalInfra): Promise<void>;
  createDatabase(baseUrl: string, name: string): Promise<string>;
};

// ---------------------------------------------------------------------------------------------
// Small helpers.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 23)}] ${line}`);
}

/** `tributary <args>` to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<string> {
  return runNodeScript(CLI, args, REPO_ROOT, env);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface Stats {
  n: number;
  mean: number;
  /** Only with `withMin` (the triggerer bench reports it, the distributed one does not). */
  min?: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * n, mean, p50/p90/p99 and max of `values`, rounded to `digits` decimals; null when there are none.
 * The options keep each bench's results file as it was (key order included).
 */
export function stats(
  values: number[],
  { digits = 2, withMin = false }: { digits?: number; withMin?: boolean } = {},
): Stats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Number(v.toFixed(digits));
  return {
    n: sorted.length,
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    ...(withMin ? { min: round(sorted[0]) } : {}),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
}

/** Writes a bench's result as bench/results/<name>-<date>.json; returns the file's path relative to the cwd. */
export async function writeBenchResult(name: string, result: { date: string }): Promise<string> {
  const file = path.join(REPO_ROOT, 'bench', 'results', `${name}-${result.date.replace(/[:.]/g, '-')}.json`);
  await fsPromises.mkdir(path.dirname(file), { recursive: true });
  await fsPromises.writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return path.relative(process.cwd(), file);
}

/** A plain-text table; the first row is the header. */
export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}` : line;
    })
    .join('\n');
}

/**
 * A bench's `waitUntil`: polls `check` until it returns a value, giving up after timeoutMs or at the
 * bench's overall `deadline` (BENCH_TIMEOUT_S), whichever is first, so a stuck phase cannot hang the run.
 */
export function waitUntilBefore(deadline: number) {
  return async function waitUntil<T>(
    what: string,
    check: () => Promise<T | undefined | false>,
    timeoutMs: number,
    intervalMs = 100,
    describe?: () => Promise<string>,
  ): Promise<T> {
    const giveUpAt = Math.min(Date.now() + timeoutMs, deadline);
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > giveUpAt) {
        const detail = describe ? `\n${await describe()}` : '';
        throw new Error(
          `gave up waiting for ${what}${Date.now() > deadline ? ' (BENCH_TIMEOUT_S reached)' : ''}${detail}`,
        );
      }
      await sleep(intervalMs);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux): services, PostgreSQL (postmaster and its children), the broker JVM.

export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), or null. */
export function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process has used so far, or null. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  const fields = procStat(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND : null;
}

/**
 * CPU seconds of a process and its children: live children, plus the reaped ones (cutime/cstime),
 * so a PostgreSQL backend that exits mid-phase is not lost.
 */
export function withChildren(pid: number | undefined): number | null {
  if (!pid) return null;
  const own = procStat(pid);
  if (!own) return null;
  let total =
    (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / CLOCK_TICKS_PER_SECOND;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(Number(entry));
    if (fields && Number(fields[1]) === pid) total += cpuSeconds(Number(entry)) ?? 0;
  }
  return total;
}

/** The whole machine's CPU seconds so far (/proc/stat): busy (not idle or iowait) and in all. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = ticks[3] + ticks[4];
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
}

// ---------------------------------------------------------------------------------------------
// Service processes.

export interface ServiceProcessOptions {
  /** Output lines tail() shows by default (in the error when the service fails to start). */
  tailLines?: number;
  /** How long stop() waits after SIGTERM before SIGKILL, by default. */
  stopTimeoutMs?: number;
}

/** `tributary serve <service>` as a child process of the bench, its URL read from its ready line. */
export class ServiceProcess<Service extends string = string> {
  private child: ChildProcess | null = null;
  private output = '';
  private exited: Promise<void> | null = null;
  url: string | null = null;

  constructor(
    readonly service: Service,
    readonly name: string,
    readonly env: Record<string, string>,
    private readonly options: ServiceProcessOptions = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(lines = this.options.tailLines ?? 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  async start(timeoutMs = 90_000): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve', this.service], {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    this.url = await waitForReadyLine(
      child,
      this.name,
      timeoutMs,
      // Keep only the end: a long bench must not hoard logs.
      (chunk) => (this.output = (this.output + chunk).slice(-20_000)),
      () => this.tail(),
    );
  }

  /** The service's /metrics text; a failed scrape throws. */
  async metrics(): Promise<string> {
    if (!this.url) return '';
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** The service's /metrics text, or '' when the scrape fails or takes over timeoutMs (a busy service). */
  async metricsOrEmpty(timeoutMs = 10_000): Promise<string> {
    if (!this.url) return '';
    try {
      return await (await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })).text();
    } catch {
      return '';
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after timeoutMs. */
  async stop(timeoutMs = this.options.stopTimeoutMs ?? 20_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timedOut = await Promise.race([this.exited!.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut && this.running) {
      this.child!.kill('SIGKILL');
      await this.exited;
    }
  }
}
