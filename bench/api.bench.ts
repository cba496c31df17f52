/**
 * REST API benchmark (never run as a test): `npm run bench:api`.
 * A standalone process on a real PostgreSQL (scripts/local-infra starts one, or BENCH_DATABASE_URL)
 * seeded with BENCH_API_RUNS runs; then each endpoint an operator's UI and CLI call most is hit
 * BENCH_API_REQUESTS times by BENCH_API_CONCURRENCY clients over HTTP on 127.0.0.1, with a bearer
 * token (so every request pays the token lookup). Reports requests/s and p50/p99 latency.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { machineInfo } from './machine';
import { LocalInfra, intEnv, localInfra, log, stats, table, writeBenchResult } from './support';

const RUNS = intEnv('BENCH_API_RUNS', 300);
const REQUESTS = intEnv('BENCH_API_REQUESTS', 2000);
const CONCURRENCY = intEnv('BENCH_API_CONCURRENCY', 8);
const TASKS = 8;

const SDK = ['@tributary', 'sdk'].join('/');
const BUNDLE = `
import { dag, manual } from '${SDK}';
export const api = dag('bench_api', { schedule: manual(), maxActiveRuns: 1000, maxActiveTasks: 10000 }, (d) => {
  let previous = d.task('t0', () => undefined);
  for (let i = 1; i < ${TASKS}; i++) previous = previous.then(d.task('t' + i, () => undefined));
});
`;

interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  path: (i: number) => string;
  body?: (i: number) => unknown;
  token: 'admin' | 'none';
  expect: number;
  requests?: number;
}

async function measure(url: string, token: string, e: Endpoint) {
  const total = e.requests ?? REQUESTS;
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const client = async () => {
    for (let i = next++; i < total; i = next++) {
      const t0 = process.hrtime.bigint();
      const response = await fetch(`${url}${e.path(i)}`, {
        method: e.method,
        headers: {
          ...(e.token === 'admin' ? { authorization: `Bearer ${token}` } : {}),
          ...(e.body ? { 'content-type': 'application/json' } : {}),
        },
        body: e.body ? JSON.stringify(e.body(i)) : undefined,
      });
      await response.arrayBuffer();
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (response.status !== e.expect)
        throw new Error(`${e.name}: expected ${e.expect}, got ${response.status} for ${e.path(i)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    endpoint: e.name,
    requests: total,
    requestsPerSecond: Math.round(total / seconds),
    latencyMs: stats(latencies),
  };
}

async function main(): Promise<void> {
  let infra: LocalInfra | null = null;
  let databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl) {
    log('starting PostgreSQL (scripts/local-infra)');
    infra = await localInfra.startLocalInfra({ env: process.env });
    databaseUrl = await localInfra.createDatabase(infra.env.DATABASE_URL, `bench_api_${process.pid}`);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-bench-api-'));
  await fs.writeFile(path.join(dir, 'bench.ts'), BUNDLE);
  // The 401 row measures the unauthenticated path itself, not the limiter's 429s.
  process.env.TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT = String(10 * REQUESTS);
  const o = await StandaloneOrchestrator.start({
    dagsDir: dir,
    databaseUrl,
    http: { host: '127.0.0.1', port: 0 },
    logLevels: ['error'],
    executorSlots: 32,
  });
  try {
    const token = o.adminToken!;
    log(`seeding ${RUNS} runs of ${TASKS} tasks`);
    for (let r = 0; r < RUNS; r++) await o.scheduler.requestManualRun('bench_api', { runId: `seed-${r}` });
    await o.settle();
    const endpoints: Endpoint[] = [
      {
        name: 'GET /auth/whoami (token check only)',
        method: 'GET',
        path: () => '/api/v1/auth/whoami',
        token: 'admin',
        expect: 200,
      },
      { name: 'GET /dags', method: 'GET', path: () => '/api/v1/dags', token: 'admin', expect: 200 },
      {
        name: 'GET /dags/{id}/grid (25 runs)',
        method: 'GET',
        path: () => '/api/v1/dags/bench_api/grid?limit=25',
        token: 'admin',
        expect: 200,
      },
      {
        name: 'GET /runs (page of 50)',
        method: 'GET',
        path: () => '/api/v1/runs?limit=50',
        token: 'admin',
        expect: 200,
      },
      {
        name: 'GET /dags/{id}/runs/{runId}',
        method: 'GET',
        path: (i) => `/api/v1/dags/bench_api/runs/seed-${i % RUNS}`,
        token: 'admin',
        expect: 200,
      },
      {
        name: 'GET /dags/{id}/runs/{runId}/tasks/{taskId}/logs',
        method: 'GET',
        path: (i) => `/api/v1/dags/bench_api/runs/seed-${i % RUNS}/tasks/t3/logs`,
        token: 'admin',
        expect: 200,
      },
      {
        name: 'GET /dags without a token (401)',
        method: 'GET',
        path: () => '/api/v1/dags',
        token: 'none',
        expect: 401,
      },
      {
        name: 'POST /dags/{id}/runs (trigger)',
        method: 'POST',
        path: () => '/api/v1/dags/bench_api/runs',
        body: (i) => ({ runId: `bench-trigger-${i}` }),
        token: 'admin',
        expect: 202,
        requests: Math.min(REQUESTS, 500),
      },
    ];
    const results = [];
    for (const e of endpoints) {
      await measure(o.url!, token, { ...e, requests: 50 }); // warm up
      results.push(await measure(o.url!, token, e));
      log(`${e.name}: ${results[results.length - 1].requestsPerSecond} req/s`);
    }
    await o.settle();
    const result = {
      benchmark: 'api',
      command: 'npm run bench:api',
      date: new Date().toISOString(),
      machine: machineInfo(),
      database: process.env.BENCH_DATABASE_URL
        ? 'PostgreSQL (BENCH_DATABASE_URL)'
        : 'PostgreSQL (local, scripts/local-infra)',
      seededRuns: RUNS,
      tasksPerRun: TASKS,
      concurrency: CONCURRENCY,
      results,
    };
    console.log(
      table([
        ['endpoint', 'requests', 'req/s', 'p50 ms', 'p99 ms'],
        ...results.map((r) => [
          r.endpoint,
          r.requests,
          r.requestsPerSecond,
          r.latencyMs!.p50,
          r.latencyMs!.p99,
        ]),
      ]),
    );
    const file = await writeBenchResult('api', result);
    console.log(`written to ${file}`);
  } finally {
    await o.stop();
    await fs.rm(dir, { recursive: true, force: true });
    if (infra) await localInfra.stopLocalInfra(infra);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
