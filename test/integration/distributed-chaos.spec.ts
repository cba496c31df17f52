// Crashes and restarts in distributed mode, on a broker of this file's own (it is restarted):
// kill -9 of an executor mid-task, a coordinator killed and replaced mid-run, the Kafka broker
// restarted under load. Every run completes; every TI ends with exactly one successful try.
import { envelope } from '@tributary/messaging';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { TestCluster, eventually } from '../support/cluster';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { KafkaBroker } = require('../../scripts/local-infra') as {
  KafkaBroker: {
    create(): Promise<{
      brokers: string;
      start(): Promise<void>;
      restart(): Promise<void>;
      destroy(): Promise<void>;
    }>;
  };
};

jest.setTimeout(300_000);

describe('distributed mode under crashes and restarts', () => {
  let broker: Awaited<ReturnType<typeof KafkaBroker.create>>;
  let cluster: TestCluster;
  let producer: Producer;

  beforeAll(async () => {
    broker = await KafkaBroker.create();
    await broker.start();
    cluster = await TestCluster.create({
      dagsDir: 'test/fixtures/distributed',
      brokers: broker.brokers,
      services: { coordinator: 1, executor: 2, assets: 1, scheduler: 1 },
      // Keep the scheduled DAG quiet: these tests drive runs from outside.
      env: { TICKER_SCHEDULE: '0 0 1 1 *' },
    });
    await cluster.start();
    const kafka = new Kafka({ clientId: 'it-chaos', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await cluster?.stop();
    await broker?.destroy();
  });

  const request = (dagId: string, runId: string, conf: Record<string, unknown> = {}) =>
    producer.send({
      topic: cluster.topic('run.requested'),
      messages: [
        {
          key: dagId,
          value: JSON.stringify(
            envelope('run.requested', { dagId, runType: 'external', runId, conf }, new Date()),
          ),
        },
      ],
    });

  const describeState = async () =>
    `${JSON.stringify(
      await cluster.query(
        `SELECT r.run_id, ti.task_id, ti.state, ti.try_number, ti.worker FROM task_instances ti
         JOIN dag_runs r ON r.id = ti.run_pk WHERE ti.state <> 'success' ORDER BY 1, 2 LIMIT 40`,
      ),
    )}\n${cluster.logs()}`;

  const allSucceeded = (runIds: string[]) =>
    eventually(
      `${runIds.length} runs to succeed`,
      async () => {
        const rows = await cluster.query<{ state: string; n: number }>(
          `SELECT state, count(*)::int AS n FROM dag_runs WHERE run_id = ANY($1) GROUP BY state`,
          [runIds],
        );
        return rows.length === 1 && rows[0].state === 'success' && rows[0].n === runIds.length
          ? rows
          : undefined;
      },
      { timeoutMs: 150_000, describe: describeState },
    );

  /** Every TI of these runs has exactly one successful try, and no try is left running or queued. */
  const expectOneSuccessfulTryEach = async (runIds: string[], tasksPerRun: number) => {
    const tis = await cluster.query<{ run_id: string; task_id: string; successes: number; open: number }>(
      `SELECT r.run_id, ti.task_id,
              count(*) FILTER (WHERE t.state = 'success')::int AS successes,
              count(*) FILTER (WHERE t.state IN ('queued', 'running'))::int AS open
       FROM task_instances ti JOIN dag_runs r ON r.id = ti.run_pk
       JOIN task_instance_tries t ON t.ti_id = ti.id
       WHERE r.run_id = ANY($1) GROUP BY r.run_id, ti.task_id`,
      [runIds],
    );
    expect(tis).toHaveLength(runIds.length * tasksPerRun);
    expect(tis.filter((t) => t.successes !== 1 || t.open !== 0)).toEqual([]);
  };

  it('kill -9 of an executor mid-task: another executor retries the TI and the run completes', async () => {
    const runIds = Array.from({ length: 4 }, (_, i) => `slow-kill-${i}`);
    for (const runId of runIds) await request('slow', runId, { sleepMs: 4000 });
    const markers = path.join(cluster.markersDir, 'slow');
    // Wait for a first try to start, then kill the executor process running it.
    const victimPid = await eventually('a slow task to start', async () => {
      const match = /start try 1 pid (\d+)/.exec(readMarkers(markers));
      return match ? Number(match[1]) : undefined;
    });
    const victim = cluster.of('executor').find((p) => p.pid === victimPid);
    expect(victim).toBeDefined();
    await victim!.kill();
    await allSucceeded(runIds);
    await expectOneSuccessfulTryEach(runIds, 2);
    // The killed executor's tries were retried elsewhere: try 1 lost, try 2 succeeded on a live executor.
    const lost = await cluster.query<{ run_id: string; try_number: number; exit_reason: string | null }>(
      `SELECT r.run_id, t.try_number, t.exit_reason FROM task_instance_tries t
       JOIN task_instances ti ON ti.id = t.ti_id JOIN dag_runs r ON r.id = ti.run_pk
       WHERE r.run_id = ANY($1) AND t.state <> 'success' ORDER BY 1, 2`,
      [runIds],
    );
    expect(lost.length).toBeGreaterThanOrEqual(1);
    const finishers = readMarkers(markers)
      .split('\n')
      .filter((line) => / done try \d+ pid /.test(line))
      .map((line) => Number(/pid (\d+)/.exec(line)![1]));
    expect(finishers).not.toContain(victimPid);
    await cluster.add('executor');
  });

  it('a coordinator killed and replaced, then a broker restart, in the middle of runs: all complete, nothing lost or duplicated', async () => {
    const chains = Array.from({ length: 12 }, (_, i) => `chain-chaos-${i}`);
    const slows = Array.from({ length: 4 }, (_, i) => `slow-chaos-${i}`);
    for (const runId of slows) await request('slow', runId, { sleepMs: 1500 });
    for (const runId of chains.slice(0, 6)) await request('manual_chain', runId);
    await eventually('some runs to be under way', async () => {
      const [row] = await cluster.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM task_instances WHERE run_id = ANY($1) AND state = 'success'`,
        [[...chains, ...slows]],
      );
      return row.n >= 2 ? row : undefined;
    });
    const [coordinator] = cluster.of('coordinator');
    await coordinator.kill();
    for (const runId of chains.slice(6, 9)) await request('manual_chain', runId);
    await cluster.add('coordinator');
    await broker.restart();
    // Requests sent right after the restart (the producer reconnects).
    for (const runId of chains.slice(9)) await request('manual_chain', runId);
    const all = [...chains, ...slows];
    await allSucceeded(all);
    await expectOneSuccessfulTryEach(chains, 3);
    await expectOneSuccessfulTryEach(slows, 2);
    const duplicates = await cluster.query(
      `SELECT run_id, count(*) FROM dag_runs WHERE run_id = ANY($1) GROUP BY run_id HAVING count(*) > 1`,
      [all],
    );
    expect(duplicates).toEqual([]);
    // Every service is still (or again) healthy after the broker came back.
    for (const proc of cluster.processes.filter((p) => p.running)) {
      await eventually(`${proc.name} to report healthy`, async () => (await proc.health()).status === 200);
    }
  });

  it('after all of it, every service still stops gracefully on SIGTERM', async () => {
    const running = cluster.processes.filter((p) => p.running);
    const codes = await Promise.all(running.map(async (p) => ({ name: p.name, code: await p.stop() })));
    expect(codes).toEqual(running.map((p) => ({ name: p.name, code: 0 })));
  });
});

function readMarkers(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
