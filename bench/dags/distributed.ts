// DAGs of the distributed benchmark (bench/distributed.bench.ts): every task is a no-op, so what is
// measured is the orchestration. The shapes come from the environment, which the bench gives to the
// migrate one-shot and to every service alike (they must all deploy the same definitions).
import { dag, manual } from '@tributary/sdk';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 14);
const TAIL = Number(process.env.BENCH_TAIL ?? 4);
const CHAIN = Number(process.env.BENCH_CHAIN ?? 100);
const COPIES = Number(process.env.BENCH_DAG_COPIES ?? 4);

const noop = () => undefined;

/** head → f0..f(FANOUT-1) → join → t1 → … → tTAIL: FANOUT + TAIL + 2 tasks (20 by default). */
function wide(dagId: string) {
  return dag(dagId, { schedule: manual(), maxActiveRuns: RUNS, maxActiveTasks: 10_000 }, (d) => {
    const head = d.task('head', noop);
    const join = d.task('join', noop);
    for (let i = 0; i < FANOUT; i++) head.then(d.task(`f${i}`, noop)).then(join);
    let previous = join;
    for (let i = 1; i <= TAIL; i++) previous = previous.then(d.task(`t${i}`, noop));
  });
}

/** The throughput DAG: every run of the batch on one DAG (one DAG row lock). */
export const benchWide = wide('bench_wide');

/** The same shape BENCH_DAG_COPIES times: the batch spread over several DAGs. */
export const benchWideCopies = Array.from({ length: COPIES }, (_, k) => wide(`bench_wide_${k}`));

/** The light-load latency DAG: c0 → c1 → … → c(CHAIN-1). */
export const benchChain = dag('bench_chain', { schedule: manual(), maxActiveTasks: 10_000 }, (d) => {
  let previous = d.task('c0', noop);
  for (let i = 1; i < CHAIN; i++) previous = previous.then(d.task(`c${i}`, noop));
});

/** One task: from a run.requested message to the first task running. */
export const benchSingle = dag('bench_single', { schedule: manual(), maxActiveRuns: 1_000 }, (d) => {
  d.task('only', noop);
});
