import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  InputFreshness,
  TaskDefinition,
  describeDuration,
  durationMs,
  pokeDelayMs,
  resolveSensorCheck,
} from '@tributary/domain';
import {
  OutboxRelay,
  TOPICS,
  TaskCommandEvent,
  TaskEventPayload,
  TopicCatalog,
  enqueueOutbox,
  envelope,
} from '@tributary/messaging';
import {
  Database,
  heartbeatWorker,
  markWorkerStopped,
  queryRows,
  registerWorker,
} from '@tributary/persistence';
import {
  CLOCK,
  Clock,
  DAG_REGISTRY,
  DATABASE,
  DagRegistry,
  OUTBOX_RELAY,
  RUNTIME_OPTIONS,
  RuntimeOptions,
  RegisteredDag,
  SENSOR_CHECKER,
  SERVICE_METRICS,
  ServiceMetrics,
  TOPIC_CATALOG,
} from '@tributary/runtime';
import type { SensorCode, SqlQuery, TaskFunction } from '@tributary/sdk';
import type { CheckOutcome, SensorChecker } from '@tributary/sensors';
import type { EntityManager } from 'typeorm';
import { TaskOutcome, TryLog, runFunctionTask, runShellTask, timeoutOf } from './task-runner';

export const EXECUTOR_GROUP = 'executor';

interface ClaimedTry {
  tiId: string;
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
  logicalDate: Date;
  dataIntervalStart: Date | null;
  dataIntervalEnd: Date | null;
  conf: Record<string, unknown>;
  inputs: InputFreshness[];
  queuedAt: Date | null;
  startedAt: Date;
  sensorDeadline: Date | null;
  /** Set when a deferred sensor's trigger fired and its onMet work runs now. */
  triggerResult: { message: string | null; details: Record<string, unknown> } | null;
}

interface ClaimRow {
  id: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  try_number: number;
  logical_date: Date;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  conf: Record<string, unknown> | null;
  input_freshness: InputFreshness[] | null;
  queued_at: Date | null;
  sensor_deadline: Date | null;
  trigger_result: ClaimedTry['triggerResult'];
}

/** Counts free executor slots; `acquire` waits for one (backpressure on the command consumer). */
class Slots {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Runs task code (DESIGN §3.5, §3.7): waits for a free slot, claims the TI with a fenced
 * update (a duplicate command claims nothing and is dropped), acknowledges the command,
 * and runs the task off the consumer loop. The result goes out through the outbox with the
 * try's logs. Liveness is the `workers` heartbeat; the coordinator's reaper retries the
 * running TIs of an executor that stopped beating.
 */
@Injectable()
export class ExecutorService {
  private readonly logger = new Logger('Executor');
  private readonly slots: Slots;
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  tasksRun = 0;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOPIC_CATALOG) private readonly topics: TopicCatalog,
    @Inject(OUTBOX_RELAY) private readonly relay: OutboxRelay,
    @Inject(DAG_REGISTRY) private readonly registry: DagRegistry,
    @Inject(RUNTIME_OPTIONS) private readonly options: RuntimeOptions,
    @Inject(SERVICE_METRICS) private readonly metrics: ServiceMetrics,
    @Inject(SENSOR_CHECKER) private readonly checker: SensorChecker,
  ) {
    this.slots = new Slots(options.executorSlots);
  }

  get workerId(): string {
    return this.options.workerId;
  }

  async register(): Promise<void> {
    const worker = { workerId: this.workerId, kind: 'executor', slots: this.options.executorSlots } as const;
    await registerWorker(this.db, worker, this.clock.now());
  }

  async heartbeat(): Promise<void> {
    await heartbeatWorker(this.db, this.workerId, this.clock.now());
  }

  /** Waits for running tasks, then marks this worker stopped (its TIs are no longer its). */
  async shutdown(): Promise<void> {
    await this.whenIdle();
    await markWorkerStopped(this.db, this.workerId, this.clock.now());
  }

  whenIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get runningTasks(): number {
    return this.running.size;
  }

  async onTaskCommand(event: TaskCommandEvent): Promise<void> {
    const command = event.payload;
    await this.slots.acquire();
    let claimed: ClaimedTry | null;
    try {
      claimed = await this.claim(command.tiId, command.tryNumber);
    } catch (error) {
      this.slots.release();
      throw error;
    }
    if (!claimed) {
      this.slots.release();
      return;
    }
    if (claimed.queuedAt) this.metrics.taskStarted(claimed.startedAt.getTime() - claimed.queuedAt.getTime());
    const work = this.execute(claimed)
      .catch((error) => this.logger.error(`reporting ${claimed.dagId}.${claimed.taskId} failed: ${error}`))
      .finally(() => {
        this.slots.release();
        this.running.delete(work);
        if (this.running.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          waiters.forEach((w) => w());
        }
      });
    this.running.add(work);
  }

  /** The fenced claim: queued → running only for this exact try. Null when another executor (or a duplicate) got it. */
  private async claim(tiId: string, tryNumber: number): Promise<ClaimedTry | null> {
    return this.db.transaction(async (em) => {
      const now = this.clock.now();
      const [row] = await queryRows<ClaimRow>(
        em,
        `UPDATE task_instances ti SET state = 'running', worker = $3, started_at = $4, updated_at = $4
         FROM dag_runs r
         WHERE ti.id = $1 AND ti.state = 'queued' AND ti.try_number = $2 AND r.id = ti.run_pk
         RETURNING ti.id, ti.dag_id, ti.run_id, ti.task_id, ti.try_number, r.logical_date, r.data_interval_start,
                   r.data_interval_end, r.conf, r.input_freshness, ti.queued_at, ti.sensor_deadline, ti.trigger_result`,
        [tiId, tryNumber, this.workerId, now],
      );
      if (!row) return null;
      await em.query(
        // A reschedule-mode sensor's later checks continue its try: the try started at its first check.
        `UPDATE task_instance_tries SET state = 'running', worker = $3, started_at = COALESCE(started_at, $4)
         WHERE ti_id = $1 AND try_number = $2`,
        [tiId, tryNumber, this.workerId, now],
      );
      return {
        tiId: row.id,
        dagId: row.dag_id,
        runId: row.run_id,
        taskId: row.task_id,
        tryNumber: row.try_number,
        logicalDate: row.logical_date,
        dataIntervalStart: row.data_interval_start,
        dataIntervalEnd: row.data_interval_end,
        conf: row.conf ?? {},
        inputs: row.input_freshness ?? [],
        queuedAt: row.queued_at,
        startedAt: now,
        sensorDeadline: row.sensor_deadline,
        triggerResult: row.trigger_result,
      };
    });
  }

  private async execute(t: ClaimedTry): Promise<void> {
    const log = new TryLog();
    log.write('log', `try ${t.tryNumber} of ${t.dagId}.${t.taskId} on ${this.workerId}`, 'info');
    const outcome = await this.runTask(t, log);
    log.write(
      'log',
      outcome.kind === 'failed' ? `failed: ${outcome.error}` : outcome.kind,
      outcome.kind === 'failed' ? 'error' : 'info',
    );
    this.tasksRun++;
    this.metrics.taskFinished(outcome.kind, this.clock.now().getTime() - t.startedAt.getTime());
    await this.db.transaction(async (em) => {
      if (log.lines.length > 0) {
        await em.query(
          `INSERT INTO task_instance_logs (ti_id, try_number, logged_at, stream, level, message)
           SELECT $1, $2, * FROM unnest($3::timestamptz[], $4::text[], $5::text[], $6::text[])`,
          [
            t.tiId,
            t.tryNumber,
            log.lines.map((l) => l.at),
            log.lines.map((l) => l.stream),
            log.lines.map((l) => l.level),
            log.lines.map((l) => l.message),
          ],
        );
      }
      const payload: TaskEventPayload = {
        kind: outcome.kind,
        tiId: t.tiId,
        dagId: t.dagId,
        runId: t.runId,
        taskId: t.taskId,
        tryNumber: t.tryNumber,
        worker: this.workerId,
        ...(outcome.kind === 'failed'
          ? { error: outcome.error, exitReason: outcome.exitReason, retryable: outcome.retryable }
          : {}),
      };
      await enqueueOutbox(
        em,
        this.topics.name(TOPICS.taskEvents),
        t.runId,
        envelope('task.event', payload, this.clock.now()),
      );
    });
    this.relay.kick();
  }

  private async runTask(t: ClaimedTry, log: TryLog): Promise<TaskOutcome> {
    const registered = this.registry.get(t.dagId);
    const task = registered?.definition.tasks.find((d) => d.taskId === t.taskId);
    if (!registered || !task) {
      const error = `task ${t.dagId}.${t.taskId} is not in the deployed bundle (${this.registry.bundleVersion})`;
      log.write('log', error, 'error');
      return { kind: 'failed', error, exitReason: 'task_not_found', retryable: false };
    }
    const dataInterval = {
      start: t.dataIntervalStart ?? t.logicalDate,
      end: t.dataIntervalEnd ?? t.logicalDate,
    };
    const context = {
      dagId: t.dagId,
      runId: t.runId,
      taskId: t.taskId,
      tryNumber: t.tryNumber,
      logicalDate: t.logicalDate,
      dataInterval,
      conf: t.conf,
      inputs: t.inputs,
      now: () => this.clock.now(),
      sql: sqlOn(this.db.manager),
      transaction: <T>(work: (sql: SqlQuery) => Promise<T>) => this.db.transaction((em) => work(sqlOn(em))),
    };
    switch (task.kind) {
      case 'function':
        return runFunctionTask(
          registered.dag.callableOf(t.taskId) as TaskFunction,
          context,
          log,
          timeoutOf(task),
        );
      case 'sql':
        return runFunctionTask(
          async (ctx) => {
            const rows = await ctx.sql(task.sql?.query ?? '', []);
            ctx.log.info(`statement done (${rows.length} rows returned)`);
          },
          context,
          log,
          timeoutOf(task),
        );
      case 'shell':
        return runShellTask(
          task.command ?? '',
          {
            ...(task.env ?? {}),
            TRIBUTARY_DAG_ID: t.dagId,
            TRIBUTARY_RUN_ID: t.runId,
            TRIBUTARY_TASK_ID: t.taskId,
            TRIBUTARY_TRY_NUMBER: String(t.tryNumber),
            TRIBUTARY_LOGICAL_DATE: t.logicalDate.toISOString(),
            TRIBUTARY_DATA_INTERVAL_START: dataInterval.start.toISOString(),
            TRIBUTARY_DATA_INTERVAL_END: dataInterval.end.toISOString(),
          },
          log,
          timeoutOf(task),
        );
      case 'sensor':
        return this.runSensor(registered, task, t, context, log);
      default: {
        const error = `${task.kind} tasks are declared but not executable in this release`;
        log.write('log', error, 'error');
        return { kind: 'failed', error, exitReason: 'unsupported', retryable: false };
      }
    }
  }

  /**
   * A sensor on this executor. Poke mode holds the slot and checks until met or the try's
   * deadline; reschedule mode checks once and frees the slot; a deferred sensor whose trigger
   * fired comes here only to run its onMet work. The deadline is the coordinator's (it is
   * also a database timer), so a retried or rescheduled try keeps counting from its start.
   */
  private async runSensor(
    registered: RegisteredDag,
    task: TaskDefinition,
    t: ClaimedTry,
    context: SensorRunContext,
    log: TryLog,
  ): Promise<TaskOutcome> {
    const sensor = task.sensor!;
    const code = registered.dag.sensorCodeOf(t.taskId);
    if (t.triggerResult) {
      log.write('log', `trigger fired: ${t.triggerResult.message ?? 'condition met'}`, 'info');
      return this.sensorMet(code, context, log, t.triggerResult.details ?? {}, timeoutOf(task));
    }
    if (sensor.mode === 'deferrable') {
      const error = 'a deferrable sensor waits in the triggerer; only its onMet work runs on an executor';
      return { kind: 'failed', error, exitReason: 'unsupported', retryable: false };
    }
    const deadline = (
      t.sensorDeadline ?? new Date(this.clock.now().getTime() + durationMs(sensor.timeout ?? 0))
    ).getTime();
    // Pokes sleep in real time: a simulated clock that stands still must not keep the slot forever.
    const realDeadline = Date.now() + Math.max(0, deadline - this.clock.now().getTime());
    const left = () => Math.min(deadline - this.clock.now().getTime(), realDeadline - Date.now());
    const timedOut = (): TaskOutcome => ({
      kind: 'failed',
      error: `sensor timed out after ${describeDuration(durationMs(sensor.timeout ?? 0))}`,
      exitReason: 'sensor_timeout',
      retryable: false,
    });
    let lastMessage = '';
    for (let checks = 1; ; checks++) {
      if (left() <= 0) return timedOut();
      const outcome = await this.checkSensor(registered, task, code, t, context, log, left());
      if (outcome.status === 'error') return outcome.failure;
      if (outcome.status === 'met') {
        log.write('log', `check ${checks}: condition met`, 'info');
        return this.sensorMet(code, context, log, outcome.details, timeoutOf(task));
      }
      if (outcome.status === 'failed') {
        log.write('log', `check ${checks}: ${outcome.message}`, 'error');
        return { kind: 'failed', error: outcome.message, exitReason: 'sensor_failed', retryable: false };
      }
      // A long poke would log thousands of identical lines: log changes, and every 50th check.
      if (outcome.message !== lastMessage || checks % 50 === 0) {
        log.write('log', `check ${checks}: not yet (${outcome.message})`, 'info');
        lastMessage = outcome.message;
      }
      if (sensor.mode === 'reschedule') return { kind: 'rescheduled' };
      const wait = Math.min(pokeDelayMs(sensor, checks), left());
      if (wait <= 0) return timedOut();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** One check: the predicate (user code, with the task context) or a data family through the checker. */
  private async checkSensor(
    registered: RegisteredDag,
    task: TaskDefinition,
    code: SensorCode,
    t: ClaimedTry,
    context: SensorRunContext,
    log: TryLog,
    leftMs: number,
  ): Promise<CheckOutcome | { status: 'error'; failure: TaskOutcome }> {
    const sensor = task.sensor!;
    let outcome: CheckOutcome = { status: 'waiting', message: 'the predicate returned false' };
    const ran = await runFunctionTask(
      async (ctx) => {
        if (sensor.check === 'predicate') {
          if (await code.predicate!(ctx)) outcome = { status: 'met', details: {} };
          return;
        }
        const check = resolveSensorCheck(
          sensor.check,
          sensor.spec,
          {
            logicalDate: t.logicalDate,
            timezone: registered.definition.timezone,
            dagId: t.dagId,
            runId: t.runId,
            taskId: t.taskId,
            dataIntervalStart: t.dataIntervalStart,
            dataIntervalEnd: t.dataIntervalEnd,
          },
          code.mapping ? { mappedLogicalDate: code.mapping(t.logicalDate) } : {},
        );
        outcome = await this.checker.check(check, { signal: ctx.signal, code });
      },
      context,
      log,
      leftMs,
    );
    if (ran.kind !== 'succeeded') {
      // The check itself ran out of time: that is the sensor's timeout, not a task failure.
      if (ran.kind === 'failed' && ran.exitReason === 'timeout') {
        return { status: 'error', failure: { ...ran, exitReason: 'sensor_timeout', retryable: false } };
      }
      return { status: 'error', failure: ran };
    }
    return outcome;
  }

  /** The condition holds: run the sensor's onMet work if it has some, else succeed. */
  private sensorMet(
    code: SensorCode,
    context: SensorRunContext,
    log: TryLog,
    details: Record<string, unknown>,
    timeoutMs: number | undefined,
  ): Promise<TaskOutcome> | TaskOutcome {
    if (Object.keys(details).length > 0) log.write('log', `found ${JSON.stringify(details)}`, 'info');
    if (!code.onMet) return { kind: 'succeeded' };
    const onMet = code.onMet;
    return runFunctionTask((ctx) => onMet(ctx, { details }), context, log, timeoutMs);
  }
}

type SensorRunContext = Parameters<typeof runFunctionTask>[1];

/** Tasks always get rows back, whatever the statement. */
function sqlOn(manager: EntityManager): SqlQuery {
  return <T>(text: string, params: unknown[] = []) => queryRows<T>(manager, text, params);
}
