/**
 * Standalone benchmarks (never run as tests): `npm run bench`.
 * - throughput: N manual runs × M independent no-op tasks → task instances per second;
 * - latency: one run of a chain of K no-op tasks → task-to-task latency (end of task i to
 *   start of task i+1, measured inside the tasks), p50/p99.
 * Prints the numbers and writes them as JSON under bench/results/.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { machineInfo } from './machine';
import { writeBenchResult } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const TASKS = Number(process.env.BENCH_TASKS ?? 20);
const CHAIN = Number(process.env.BENCH_CHAIN ?? 100);

// Spelled at run time: the build's alias rewriter would otherwise rewrite it inside this string.
const SDK = ['@tributary', 'sdk'].join('/');

const BUNDLE = `
import { dag, manual } from '${SDK}';
const g = globalThis as unknown as { benchHops: { start: bigint[]; end: bigint[] } };
g.benchHops = { start: [], end: [] };
export const fanout = dag('bench_fanout', { schedule: manual(), maxActiveRuns: ${RUNS}, maxActiveTasks: 10000 }, (d) => {
  for (let i = 0; i < ${TASKS}; i++) d.task('t' + i, () => undefined);
});
export const chain = dag('bench_chain', { schedule: manual(), maxActiveTasks: 10000 }, (d) => {
  let previous = d.task('c0', () => { g.benchHops.start[0] = process.hrtime.bigint(); g.benchHops.end[0] = process.hrtime.bigint(); });
  for (let i = 1; i < ${CHAIN}; i++) {
    const n = i;
    previous = previous.then(d.task('c' + n, () => { g.benchHops.start[n] = process.hrtime.bigint(); g.benchHops.end[n] = process.hrtime.bigint(); }));
  }
});
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-bench-'));
  await fs.writeFile(path.join(dir, 'bench.ts'), BUNDLE);
  const o = await StandaloneOrchestrator.start({
    dagsDir: dir,
    dataDir: 'memory://',
    // BENCH_DATABASE_URL=postgres://... measures on a PostgreSQL server instead of embedded PGlite.
    databaseUrl: process.env.BENCH_DATABASE_URL,
    http: false,
    logLevels: ['error'],
    executorSlots: 32,
  });
  try {
    // Warm up (JIT, first queries).
    await o.scheduler.requestManualRun('bench_fanout', { runId: 'warmup' });
    await o.settle();

    const started = process.hrtime.bigint();
    for (let r = 0; r < RUNS; r++) await o.scheduler.requestManualRun('bench_fanout', { runId: `run-${r}` });
    await o.settle();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [{ done }] = await o.db.manager.query(
      `SELECT count(*)::int AS done FROM task_instances WHERE dag_id = 'bench_fanout' AND run_id <> 'warmup' AND state = 'success'`,
    );
    if (done !== RUNS * TASKS)
      throw new Error(`expected ${RUNS * TASKS} successful task instances, got ${done}`);

    await o.scheduler.requestManualRun('bench_chain', { runId: 'chain' });
    await o.settle();
    const hops = (globalThis as unknown as { benchHops: { start: bigint[]; end: bigint[] } }).benchHops;
    const latencies = hops.start
      .slice(1)
      .map((start, i) => Number(start - hops.end[i]) / 1e6)
      .sort((a, b) => a - b);
    if (latencies.length !== CHAIN - 1)
      throw new Error(`chain incomplete: ${latencies.length + 1} of ${CHAIN} tasks ran`);

    const result = {
      benchmark: 'standalone',
      command: 'npm run bench',
      date: new Date().toISOString(),
      machine: machineInfo(),
      database: process.env.BENCH_DATABASE_URL ? 'PostgreSQL (pg pool)' : 'PGlite (embedded, in memory)',
      transport: 'in-process',
      throughput: {
        runs: RUNS,
        tasksPerRun: TASKS,
        taskInstances: RUNS * TASKS,
        seconds: Number(seconds.toFixed(3)),
        taskInstancesPerSecond: Math.round((RUNS * TASKS) / seconds),
      },
      latency: {
        chainLength: CHAIN,
        hops: latencies.length,
        p50Ms: Number(percentile(latencies, 50).toFixed(2)),
        p99Ms: Number(percentile(latencies, 99).toFixed(2)),
        maxMs: Number(latencies[latencies.length - 1].toFixed(2)),
      },
    };
    if (process.env.TRIBUTARY_QUERY_STATS) {
      const { queryStats } = await import('@tributary/persistence');
      const all = queryStats();
      console.log(
        `queries: ${all.reduce((a, s) => a + s.n, 0)}, db ms: ${all.reduce((a, s) => a + s.ms, 0).toFixed(0)}`,
      );
      for (const s of all.slice(0, 15)) console.log(`${s.n}\t${s.ms.toFixed(0)}ms\t${s.sql}`);
    }
    console.log(
      `throughput: ${result.throughput.taskInstances} task instances in ${result.throughput.seconds}s = ${result.throughput.taskInstancesPerSecond} TI/s`,
    );
    console.log(
      `task-to-task latency over ${result.latency.hops} hops: p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms`,
    );
    const file = await writeBenchResult('standalone', result);
    console.log(`written to ${file}`);
  } finally {
    await o.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
