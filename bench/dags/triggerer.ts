// DAGs of the triggerer benchmark (bench/triggerer.bench.ts): BENCH_TRIG_SENSORS deferrable sensors
// per run, nothing downstream, so every run of BENCH_TRIG_RUNS hands all its sensors to the triggerer at
// once. They exist only when BENCH_TRIGGERER=1 (the bench sets it for the migrate one-shot and for every
// service alike), so the other benches that load this folder deploy nothing extra.
import { Dag, dag, manual } from '@tributary/sdk';

const ON = process.env.BENCH_TRIGGERER === '1';
const RUNS = Number(process.env.BENCH_TRIG_RUNS ?? 100);
const SENSORS = Number(process.env.BENCH_TRIG_SENSORS ?? 100);
const POKE_S = Number(process.env.BENCH_TRIG_POKE_S ?? 5);
const TOPIC = process.env.BENCH_TRIG_TOPIC ?? 'bench-triggerer-flip';
const ASSET = process.env.BENCH_TRIG_ASSET ?? 'bench.triggerer.asset';
const DIR = process.env.BENCH_TRIG_DIR ?? '/tmp/tributary-bench-triggerer';

const waitOptions = { mode: 'deferrable', pokeInterval: `${POKE_S}s`, timeout: '1h' } as const;
const limits = { schedule: manual(), maxActiveRuns: RUNS, maxActiveTasks: RUNS * SENSORS };

function sensors(dagId: string, add: (d: Dag, taskId: string) => void): Dag[] {
  if (!ON) return [];
  return [
    dag(dagId, limits, (d) => {
      for (let i = 0; i < SENSORS; i++) add(d, `s${i}`);
    }),
  ];
}

/** Kafka offset sensors, all on one topic: met once every partition holds a message (minOffset 1). */
export const benchTriggererKafka = sensors('bench_trig_kafka', (d, taskId) =>
  d.kafkaOffsetSensor(taskId, { topic: TOPIC, minOffset: 1 }, waitOptions),
);

/**
 * Asset sensors: one asset, each run waiting for its own partition (the run id), so a check round
 * asks the database about RUNS distinct keys (the bench flips them with one INSERT of RUNS asset events).
 */
export const benchTriggererAsset = sensors('bench_trig_asset', (d, taskId) =>
  d.assetSensor(taskId, { asset: ASSET, partition: '{{ run_id }}' }, waitOptions),
);

/** File sensors, each on its own path (the bench creates them all with one rename of the parent folder). */
export const benchTriggererFile = sensors('bench_trig_file', (d, taskId) =>
  d.fileSensor(taskId, { path: `${DIR}/live/{{ run_id }}/{{ task_id }}` }, waitOptions),
);
