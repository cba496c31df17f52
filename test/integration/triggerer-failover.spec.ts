// The triggerer under failure, with every service a real process over the suite's Kafka broker and
// PostgreSQL: two triggerers share the deferred sensors of a run; one is killed with kill -9 and the
// other adopts all of its triggers once its heartbeat is stale; one is stopped gracefully and hands
// its triggers back at once; a trigger that fires twice changes nothing the second time.
import { randomBytes } from 'crypto';
import { envelope } from '@tributary/messaging';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { ServiceProcess, TestCluster, eventually, infraEnv } from '../support/cluster';
import {
  FILE_SENSORS,
  HANDBACK_SENSORS,
  KAFKA_MIN_OFFSET,
  KAFKA_SENSORS,
} from '../fixtures/triggerer-failover/sensors';

jest.setTimeout(300_000);

const FAILOVER_DAG = 'triggerer_failover';
const HANDBACK_DAG = 'triggerer_handback';

interface SensorRow {
  ti_id: string;
  task_id: string;
  state: string;
  try_number: number;
  trigger_id: string | null;
  lease_owner: string | null;
  fired_at: Date | null;
}

describe('triggerer failover (real processes, Kafka and PostgreSQL)', () => {
  const sensorDir = mkdtempSync(path.join(tmpdir(), 'tributary-triggers-'));
  const sensorTopic = `it-trigger-input-${randomBytes(4).toString('hex')}`;
  let cluster: TestCluster;
  let kafka: Kafka;
  let producer: Producer;

  // Short heartbeats for the triggerers of the kill -9 test: a dead one's leases are up after 5 s.
  // (Only the triggerers get the short timeout: the coordinator's reaper keeps the cluster's 10 s.)
  const fastFailover = { TRIBUTARY_HEARTBEAT_INTERVAL_MS: '1000', TRIBUTARY_WORKER_TIMEOUT_MS: '5000' };
  // For the graceful hand-back: a timeout far longer than any wait of the test, so a trigger that
  // changes hands can only have been handed back, never adopted because its owner looked dead.
  const noTimeoutFailover = {
    TRIBUTARY_HEARTBEAT_INTERVAL_MS: '1000',
    TRIBUTARY_WORKER_TIMEOUT_MS: '600000',
  };

  beforeAll(async () => {
    kafka = new Kafka({
      clientId: 'it-triggerer-failover',
      brokers: infraEnv().KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: sensorTopic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    cluster = await TestCluster.create({
      dagsDir: 'test/fixtures/triggerer-failover',
      services: { coordinator: 1, executor: 1 },
      env: { TRIBUTARY_TEST_TRIGGER_DIR: sensorDir, TRIBUTARY_TEST_TRIGGER_TOPIC: sensorTopic },
    });
    await cluster.start();
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await cluster?.stop();
    const admin = kafka?.admin();
    if (admin) {
      await admin.connect().catch(() => undefined);
      await admin.deleteTopics({ topics: [sensorTopic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    rmSync(sensorDir, { recursive: true, force: true });
  });

  const workerId = (proc: ServiceProcess) => proc.env.TRIBUTARY_WORKER_ID;

  const requestRun = (dagId: string, runId: string) =>
    producer.send({
      topic: cluster.topic('run.requested'),
      messages: [
        {
          key: dagId,
          value: JSON.stringify(
            envelope('run.requested', { dagId, runType: 'external', runId, conf: {} }, new Date()),
          ),
        },
      ],
    });

  /** Every sensor TI of a run, with its current try's trigger (if any). */
  const sensors = (dagId: string, runId: string) =>
    cluster.query<SensorRow>(
      `SELECT ti.id AS ti_id, ti.task_id, ti.state, ti.try_number, t.id AS trigger_id, t.lease_owner, t.fired_at
       FROM task_instances ti LEFT JOIN triggers t ON t.ti_id = ti.id AND t.try_number = ti.try_number
       WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id LIKE 'wait\\_%' ORDER BY ti.task_id`,
      [dagId, runId],
    );

  const describeRun = (dagId: string, runId: string) => async () => {
    const rows = await sensors(dagId, runId).catch((e: Error) => e.message);
    const others = await cluster
      .query(
        `SELECT task_id, state, try_number FROM task_instances
         WHERE dag_id = $1 AND run_id = $2 AND state <> 'success' ORDER BY task_id`,
        [dagId, runId],
      )
      .catch((e: Error) => e.message);
    const workers = await cluster
      .query(`SELECT * FROM workers ORDER BY worker_id`)
      .catch((e: Error) => e.message);
    return `sensors: ${JSON.stringify(rows)}\nnot succeeded: ${JSON.stringify(others)}\nworkers: ${JSON.stringify(
      workers,
    )}\n${cluster.logs()}`;
  };

  /** Waits until all `count` sensors of the run are deferred with a trigger leased by one of `owners`. */
  const allDeferredAndLeased = (dagId: string, runId: string, count: number, owners: string[]) =>
    eventually(
      `the ${count} sensors of ${runId} to be deferred, each trigger leased by a triggerer`,
      async () => {
        const rows = await sensors(dagId, runId);
        const ready =
          rows.length === count &&
          rows.every(
            (r) =>
              r.state === 'deferred' &&
              r.trigger_id !== null &&
              r.fired_at === null &&
              r.lease_owner !== null &&
              owners.includes(r.lease_owner),
          );
        return ready ? rows : undefined;
      },
      { timeoutMs: 90_000, describe: describeRun(dagId, runId) },
    );

  const runSucceeded = (dagId: string, runId: string) =>
    eventually(
      `run ${dagId}/${runId} to succeed`,
      async () => {
        const [run] = await cluster.query<{ state: string }>(
          `SELECT state FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
          [dagId, runId],
        );
        if (run?.state === 'failed') throw new Error(`run ${runId} failed`);
        return run?.state === 'success' ? run : undefined;
      },
      { timeoutMs: 120_000, describe: describeRun(dagId, runId) },
    );

  /** Each sensor TI of the run succeeded with exactly one try, and its trigger row is fired. */
  const expectOneTryEachAndAllFired = async (dagId: string, runId: string, count: number) => {
    const tries = await cluster.query<{ task_id: string; tries: number; states: string }>(
      `SELECT ti.task_id, count(t.try_number)::int AS tries, string_agg(t.state, ',') AS states
       FROM task_instances ti LEFT JOIN task_instance_tries t ON t.ti_id = ti.id
       WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id LIKE 'wait\\_%' GROUP BY ti.task_id ORDER BY 1`,
      [dagId, runId],
    );
    expect(tries).toHaveLength(count);
    expect(tries.filter((t) => t.tries !== 1 || t.states !== 'success')).toEqual([]);
    const triggers = await cluster.query<{ task_id: string; fired: boolean }>(
      `SELECT ti.task_id, t.fired_at IS NOT NULL AS fired FROM triggers t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE ti.dag_id = $1 AND ti.run_id = $2 ORDER BY 1`,
      [dagId, runId],
    );
    expect(triggers).toHaveLength(count);
    expect(triggers.filter((t) => !t.fired)).toEqual([]);
    const tis = await cluster.query<{ task_id: string; state: string }>(
      `SELECT task_id, state FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND state <> 'success'`,
      [dagId, runId],
    );
    expect(tis).toEqual([]);
  };

  /** Who fired each trigger, according to the TI logs (`trigger <id> fired on <worker> ...`). */
  const firers = async (triggerIds: string[]): Promise<Record<string, string[]>> => {
    const logs = await cluster.query<{ message: string }>(
      `SELECT l.message FROM task_instance_logs l JOIN triggers t ON t.ti_id = l.ti_id AND t.try_number = l.try_number
       WHERE t.id = ANY($1::bigint[]) AND l.message LIKE 'trigger % fired on %'`,
      [triggerIds],
    );
    const byTrigger: Record<string, string[]> = Object.fromEntries(triggerIds.map((id) => [id, []]));
    for (const { message } of logs) {
      const match = /^trigger (\d+) fired on (\S+) /.exec(message);
      if (match && byTrigger[match[1]]) byTrigger[match[1]].push(match[2]);
    }
    return byTrigger;
  };

  const createFiles = (runId: string, count: number) => {
    mkdirSync(path.join(sensorDir, runId), { recursive: true });
    for (let i = 0; i < count; i++) {
      writeFileSync(path.join(sensorDir, runId, `file_${String(i).padStart(2, '0')}`), 'ready\n');
    }
  };

  it('kill -9 of a triggerer: the survivor adopts every unfired trigger, fires them all, each sensor has one try', async () => {
    const triggerers = [
      await cluster.add('triggerer', fastFailover),
      await cluster.add('triggerer', fastFailover),
    ];
    const ids = triggerers.map(workerId);
    expect(new Set(ids).size).toBe(2);
    const runId = 'failover-1';
    const total = FILE_SENSORS + KAFKA_SENSORS;
    await requestRun(FAILOVER_DAG, runId);

    const before = await allDeferredAndLeased(FAILOVER_DAG, runId, total, ids);
    const held = new Map(ids.map((id) => [id, before.filter((r) => r.lease_owner === id)]));
    // Kill one that holds some (both usually do).
    const victimIndex = held.get(ids[0])!.length > 0 ? 0 : 1;
    const victim = triggerers[victimIndex];
    const survivor = triggerers[1 - victimIndex];
    const victimTriggers = held.get(workerId(victim))!.map((r) => r.trigger_id!);
    expect(victimTriggers.length).toBeGreaterThan(0);
    // Nothing can have fired yet: no file exists and the topic is empty.
    expect(before.every((r) => r.fired_at === null)).toBe(true);

    await victim.kill();

    // The survivor adopts all of them once the victim's heartbeat is older than the worker timeout.
    const adopted = await eventually(
      `${workerId(survivor)} to hold every unfired trigger of ${runId}`,
      async () => {
        const rows = await sensors(FAILOVER_DAG, runId);
        return rows.length === total &&
          rows.every((r) => r.fired_at === null && r.lease_owner === workerId(survivor))
          ? rows
          : undefined;
      },
      { timeoutMs: 60_000, describe: describeRun(FAILOVER_DAG, runId) },
    );
    expect(adopted.map((r) => r.trigger_id).sort()).toEqual(before.map((r) => r.trigger_id).sort());
    // The adopted ones are still waiting (nothing was fired or dropped in the hand-over).
    expect(adopted.every((r) => r.state === 'deferred')).toBe(true);

    // Now satisfy every condition: the files, and enough messages on the watched topic.
    createFiles(runId, FILE_SENSORS);
    await producer.send({
      topic: sensorTopic,
      acks: -1,
      messages: Array.from({ length: KAFKA_MIN_OFFSET }, (_, i) => ({ partition: 0, value: `m${i}` })),
    });

    await runSucceeded(FAILOVER_DAG, runId);
    await expectOneTryEachAndAllFired(FAILOVER_DAG, runId, total);
    // Every trigger (the victim's among them) was fired exactly once, by the survivor.
    const fired = await firers(before.map((r) => r.trigger_id!));
    expect(Object.entries(fired).filter(([, by]) => by.length !== 1 || by[0] !== workerId(survivor))).toEqual(
      [],
    );
    expect(victimTriggers.every((id) => fired[id][0] === workerId(survivor))).toBe(true);
    // The Kafka sensors saw the offsets the test produced.
    const kafkaResults = await cluster.query<{ message: string }>(
      `SELECT l.message FROM task_instance_logs l JOIN task_instances ti ON ti.id = l.ti_id
       WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id LIKE 'wait\\_kafka\\_%' AND l.message LIKE 'trigger % fired on %'`,
      [FAILOVER_DAG, runId],
    );
    expect(kafkaResults).toHaveLength(KAFKA_SENSORS);
    for (const { message } of kafkaResults) {
      expect(message).toContain(`"high":${KAFKA_MIN_OFFSET}`);
    }
  });

  it('SIGTERM of a triggerer: it exits 0 and hands its triggers back at once; the other adopts and fires them', async () => {
    // Retire the triggerers of the previous test; this one starts two with a 10-minute worker timeout.
    for (const proc of cluster.of('triggerer').filter((p) => p.running)) expect(await proc.stop()).toBe(0);
    const triggerers = [
      await cluster.add('triggerer', noTimeoutFailover),
      await cluster.add('triggerer', noTimeoutFailover),
    ];
    const ids = triggerers.map(workerId);
    const runId = 'handback-1';
    await requestRun(HANDBACK_DAG, runId);

    const before = await allDeferredAndLeased(HANDBACK_DAG, runId, HANDBACK_SENSORS, ids);
    const count = (id: string) => before.filter((r) => r.lease_owner === id).length;
    // Stop the one that holds more (so it certainly holds some).
    const leaverIndex = count(ids[0]) >= count(ids[1]) ? 0 : 1;
    const leaver = triggerers[leaverIndex];
    const stayer = triggerers[1 - leaverIndex];
    const handedBack = before.filter((r) => r.lease_owner === workerId(leaver)).map((r) => r.trigger_id!);
    expect(handedBack.length).toBeGreaterThan(0);

    expect(await leaver.stop()).toBe(0);
    // By the time it has exited, it holds nothing: every lease it had is released (or already adopted).
    const right = await sensors(HANDBACK_DAG, runId);
    expect(right.filter((r) => r.lease_owner === workerId(leaver))).toEqual([]);
    expect(right.every((r) => r.fired_at === null && r.state === 'deferred')).toBe(true);
    const [leaverRow] = await cluster.query<{ stopped_at: Date | null }>(
      `SELECT stopped_at FROM workers WHERE worker_id = $1`,
      [workerId(leaver)],
    );
    expect(leaverRow.stopped_at).not.toBeNull();

    // The other adopts them all (its worker timeout is 10 minutes: only the hand-back lets it).
    await eventually(
      `${workerId(stayer)} to hold every trigger of ${runId}`,
      async () => {
        const rows = await sensors(HANDBACK_DAG, runId);
        return rows.length === HANDBACK_SENSORS &&
          rows.every((r) => r.fired_at === null && r.lease_owner === workerId(stayer))
          ? rows
          : undefined;
      },
      { timeoutMs: 60_000, describe: describeRun(HANDBACK_DAG, runId) },
    );

    createFiles(runId, HANDBACK_SENSORS);
    await runSucceeded(HANDBACK_DAG, runId);
    await expectOneTryEachAndAllFired(HANDBACK_DAG, runId, HANDBACK_SENSORS);
    const fired = await firers(before.map((r) => r.trigger_id!));
    expect(Object.entries(fired).filter(([, by]) => by.length !== 1 || by[0] !== workerId(stayer))).toEqual(
      [],
    );
    expect(handedBack.every((id) => fired[id][0] === workerId(stayer))).toBe(true);
  });

  it('a second trigger.fired for an already fired trigger changes nothing', async () => {
    const runId = 'failover-1';
    const [target] = await cluster.query<{
      ti_id: string;
      task_id: string;
      state: string;
      try_number: number;
      trigger_id: string;
      fired_at: Date;
    }>(
      `SELECT ti.id AS ti_id, ti.task_id, ti.state, ti.try_number, t.id AS trigger_id, t.fired_at
       FROM task_instances ti JOIN triggers t ON t.ti_id = ti.id AND t.try_number = ti.try_number
       WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = 'wait_file_00'`,
      [FAILOVER_DAG, runId],
    );
    expect(target).toMatchObject({ state: 'success', try_number: 1 });
    expect(target.fired_at).not.toBeNull();
    const triesBefore = await cluster.query(
      `SELECT try_number, state, ended_at FROM task_instance_tries WHERE ti_id = $1 ORDER BY 1`,
      [target.ti_id],
    );
    expect(triesBefore).toHaveLength(1);

    // A late fire from a triggerer that lost the lease: a new eventId, same TI and try, outcome failed.
    const secondFire = envelope(
      'trigger.fired',
      {
        triggerId: String(target.trigger_id),
        tiId: String(target.ti_id),
        dagId: FAILOVER_DAG,
        runId,
        taskId: target.task_id,
        tryNumber: target.try_number,
        outcome: 'failed',
        message: 'a late, second fire of the same trigger',
        triggerer: 'triggerer-that-lost-its-lease',
      },
      new Date(),
    );
    const eventId = secondFire.eventId;
    await producer.send({
      topic: cluster.topic('trigger.events'),
      acks: -1,
      messages: [
        {
          key: String(target.ti_id),
          value: JSON.stringify(secondFire),
        },
      ],
    });

    // The coordinator handled it (its inbox recorded the eventId in the handler's transaction) ...
    await eventually(
      'the coordinator to handle the second trigger.fired',
      async () =>
        (
          await cluster.query(
            `SELECT 1 FROM processed_events WHERE consumer_group = 'coordinator' AND event_id = $1`,
            [eventId],
          )
        ).length === 1,
      { timeoutMs: 60_000, describe: describeRun(FAILOVER_DAG, runId) },
    );
    // ... and changed nothing: the TI, its tries, the trigger row and the run are as they were.
    const [after] = await cluster.query<{ state: string; try_number: number }>(
      `SELECT state, try_number FROM task_instances WHERE id = $1`,
      [target.ti_id],
    );
    expect(after).toEqual({ state: 'success', try_number: 1 });
    expect(
      await cluster.query(
        `SELECT try_number, state, ended_at FROM task_instance_tries WHERE ti_id = $1 ORDER BY 1`,
        [target.ti_id],
      ),
    ).toEqual(triesBefore);
    const [trigger] = await cluster.query<{ fired_at: Date }>(`SELECT fired_at FROM triggers WHERE id = $1`, [
      target.trigger_id,
    ]);
    expect(trigger.fired_at).toEqual(target.fired_at);
    const [run] = await cluster.query<{ state: string }>(
      `SELECT state FROM dag_runs WHERE dag_id = $1 AND run_id = $2`,
      [FAILOVER_DAG, runId],
    );
    expect(run.state).toBe('success');
    const downstream = await cluster.query(
      `SELECT state FROM task_instances WHERE dag_id = $1 AND run_id = $2 AND task_id = 'after_file_00'`,
      [FAILOVER_DAG, runId],
    );
    expect(downstream).toEqual([{ state: 'success' }]);
    // No try of the run failed (a `failed` outcome applied would fail the sensor's try for good).
    const failedTries = await cluster.query(
      `SELECT 1 FROM task_instance_tries t JOIN task_instances ti ON ti.id = t.ti_id
       WHERE ti.dag_id = $1 AND ti.run_id = $2 AND t.state <> 'success'`,
      [FAILOVER_DAG, runId],
    );
    expect(failedTries).toEqual([]);
  });
});
