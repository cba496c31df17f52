import {
  DAG_DEFAULTS,
  DagDefinition,
  DagProblem,
  DateInput,
  DurationInput,
  ExternalTaskSensorSpec,
  FileSensorSpec,
  HttpSensorSpec,
  KafkaOffsetSensorSpec,
  RunDeadlineDefinition,
  ScheduleDefinition,
  SensorFamily,
  validateDag,
} from '@tributary/domain';
import { Asset, assetName } from './asset';
import { SensorCode, SensorPredicate, TaskFunction } from './context';
import { SensorOptions, Task, TaskOptions, sensorBlock, splitSensorOptions } from './task';

export interface DagOptions {
  /** cron(...), every(...), assets(...), topic(...) or manual(). */
  schedule: ScheduleDefinition;
  /** IANA zone for the schedule and for dates written without an offset. Default: the cron's zone, else UTC. */
  timezone?: string;
  /** First logical date. Without it, the DAG starts at its first deploy. */
  startDate?: DateInput;
  /** Last logical date (inclusive). */
  endDate?: DateInput;
  /** true: create every missed interval; false (default): only the latest. */
  catchup?: boolean;
  /** Runs of this DAG at once; more wait queued. Default 16. */
  maxActiveRuns?: number;
  /** Task instances of this DAG running at once across its runs. Default 16. */
  maxActiveTasks?: number;
  /** How far back from now a backfill may reach, e.g. '90d'. */
  backfillWindow?: DurationInput;
  tags?: string[];
  owner?: string;
  description?: string;
  /** Options every task of this DAG starts from (like Airflow's default_args). */
  defaults?: TaskOptions;
  /** Assets this DAG declares beyond its tasks' outlets (e.g. to attach a freshness contract). */
  assets?: Asset[];
  /**
   * Accept signed webhooks at POST /api/v1/webhooks/<dagId>. The HMAC secret is read from
   * this environment variable on the API process; it never goes in code.
   */
  webhook?: { secretEnv: string };
  /**
   * When each run must be done: `{ by: '05:45', timezone }` on the day after its logical date
   * (`offsetDays` changes that), or `{ maxDuration: '2h' }` after it was queued. A run not done
   * by then raises one alert on `tributary.alerts`; finishing later raises one recovery.
   */
  deadline?: RunDeadlineDefinition;
}

export interface FileSensorOptions extends FileSensorSpec {
  /** A check over a matching file's content (poke/reschedule only). */
  content?: SensorCode['content'];
}

export interface HttpSensorOptions extends Omit<HttpSensorSpec, 'method' | 'expectStatus'> {
  method?: string;
  /** Default 200-299. */
  expectStatus?: number[];
  /** A check over the response body (poke/reschedule only). */
  body?: SensorCode['body'];
}

export interface ExternalTaskSensorOptions extends Omit<
  ExternalTaskSensorSpec,
  'allowedStates' | 'failedStates'
> {
  /** Default ['success']. */
  allowedStates?: string[];
  /** Default ['failed', 'upstream_failed']: the sensor fails at once. */
  failedStates?: string[];
  /** Our logical date → theirs (poke/reschedule only; use executionDelta for deferrable). */
  mapping?: (logicalDate: Date) => Date;
}

export interface AssetSensorOptions {
  asset: Asset | string;
  /** Default '{{ ds }}': this run's logical date in the DAG's zone. */
  partition?: string;
}

export interface ShellOptions extends TaskOptions {
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
}

export interface HttpTaskRequest {
  url: string;
  method?: string;
  /** Statuses that count as success. Default [200..299]. */
  expectStatus?: number[];
}

/**
 * A DAG: declare it with `dag(id, options, (d) => { ... })` (or call the builder methods on
 * the returned object), then `export` it from a file in the DAG bundle folder.
 */
export class Dag {
  private readonly taskList: Task[] = [];

  constructor(
    readonly dagId: string,
    readonly options: DagOptions,
  ) {}

  get tasks(): readonly Task[] {
    return this.taskList;
  }

  /** A function task: receives a TaskContext; throwing (or rejecting) fails the try. */
  task(taskId: string, run: TaskFunction, options: TaskOptions = {}): Task {
    return this.add(new Task(taskId, 'function', options, run));
  }

  /** A shell task: `bash -c command`; a non-zero exit fails the try. stdout/stderr are captured. */
  shell(taskId: string, command: string, options: ShellOptions = {}): Task {
    const { env, ...rest } = options;
    return this.add(new Task(taskId, 'shell', rest, undefined, { command, ...(env ? { env } : {}) }));
  }

  /** An HTTP call task: succeeds when the response status is expected. */
  http(taskId: string, request: HttpTaskRequest, options: TaskOptions = {}): Task {
    const http = {
      url: request.url,
      method: (request.method ?? 'GET').toUpperCase(),
      expectStatus: request.expectStatus ?? range(200, 299),
    };
    return this.add(new Task(taskId, 'http', options, undefined, { http }));
  }

  /** A SQL task: runs the statement against the warehouse connection. */
  sql(taskId: string, query: string, options: TaskOptions = {}): Task {
    return this.add(new Task(taskId, 'sql', options, undefined, { sql: { query } }));
  }

  /**
   * A predicate sensor: `poke` is called until it returns true, every pokeInterval, until
   * the mandatory timeout. Runs user code, so its mode is poke or reschedule.
   */
  sensor(taskId: string, poke: SensorPredicate, options: SensorOptions): Task {
    return this.addSensor(taskId, 'predicate', {}, { predicate: poke }, options);
  }

  /**
   * Waits for a file (or glob) to exist, with content: `minSize` bytes, a `contains` regular
   * expression, or a `content` function (poke/reschedule only). Paths may use `{{ ds }}`.
   */
  fileSensor(taskId: string, check: FileSensorOptions, options: SensorOptions): Task {
    const { content, ...spec } = check;
    return this.addSensor(taskId, 'file', spec, { content }, options);
  }

  /** Waits for an endpoint to answer with an expected status (default 200-299), optionally a body that matches. */
  httpSensor(taskId: string, check: HttpSensorOptions, options: SensorOptions): Task {
    const { body, method, expectStatus, ...rest } = check;
    const spec = {
      ...rest,
      method: (method ?? 'GET').toUpperCase(),
      expectStatus: expectStatus ?? range(200, 299),
    };
    return this.addSensor(taskId, 'http', spec, { body }, options);
  }

  /**
   * Waits for another DAG's task (or whole run) to succeed for the same logical date, or one
   * shifted by `executionDelta` or a `mapping` function; fails at once if it failed terminally.
   */
  externalTaskSensor(taskId: string, check: ExternalTaskSensorOptions, options: SensorOptions): Task {
    const { mapping, allowedStates, failedStates, ...rest } = check;
    const spec = {
      ...rest,
      allowedStates: allowedStates ?? ['success'],
      failedStates: failedStates ?? ['failed', 'upstream_failed'],
    };
    return this.addSensor(taskId, 'external_task', spec, { mapping }, options);
  }

  /** Waits for an asset event for a partition (default: this run's logical date, `{{ ds }}`). */
  assetSensor(taskId: string, check: AssetSensorOptions, options: SensorOptions): Task {
    const spec = { asset: assetName(check.asset), partition: check.partition };
    return this.addSensor(taskId, 'asset', spec, {}, options);
  }

  /**
   * Waits for a Kafka topic to reach `minOffset` on every partition, or for `consumerGroup`
   * to have no lag left on it. Deferrable sensors share one admin connection per cluster.
   */
  kafkaOffsetSensor(taskId: string, check: KafkaOffsetSensorSpec, options: SensorOptions): Task {
    return this.addSensor(taskId, 'kafka_offset', { ...check }, {}, options);
  }

  /** `d.chain(a, [b, c], d)`: a → b, a → c, b → d, c → d. */
  chain(...steps: (Task | Task[])[]): void {
    for (let i = 1; i < steps.length; i++) {
      for (const upstream of ([] as Task[]).concat(steps[i - 1])) upstream.then(steps[i]);
    }
  }

  /** The callable of a function task, or the predicate of a sensor, by task id. */
  callableOf(taskId: string): TaskFunction | SensorPredicate | undefined {
    const task = this.taskList.find((t) => t.taskId === taskId);
    return task?.run ?? task?.sensorCode.predicate;
  }

  /** A sensor's functions (predicate, content or body checks, mapping, onMet), by task id. */
  sensorCodeOf(taskId: string): SensorCode {
    return this.taskList.find((t) => t.taskId === taskId)?.sensorCode ?? {};
  }

  /** Plain data for validation, storage and the services. */
  toDefinition(): DagDefinition {
    const o = this.options;
    const declared = (o.assets ?? []).map((a) => a.toDefinition());
    const fromOutlets = this.taskList.flatMap((t) =>
      [...(t.options.outlets ?? []), ...(o.defaults?.outlets ?? [])].filter(
        (a): a is Asset => a instanceof Asset,
      ),
    );
    const assets = new Map(declared.map((a) => [a.name, a]));
    for (const a of fromOutlets) if (!assets.has(a.name)) assets.set(a.name, a.toDefinition());
    return {
      dagId: this.dagId,
      ...(o.description ? { description: o.description } : {}),
      ...(o.owner ? { owner: o.owner } : {}),
      tags: o.tags ?? [],
      schedule: o.schedule,
      timezone: o.timezone ?? scheduleTimezone(o.schedule) ?? DAG_DEFAULTS.timezone,
      ...(o.startDate !== undefined ? { startDate: o.startDate } : {}),
      ...(o.endDate !== undefined ? { endDate: o.endDate } : {}),
      catchup: o.catchup ?? DAG_DEFAULTS.catchup,
      maxActiveRuns: o.maxActiveRuns ?? DAG_DEFAULTS.maxActiveRuns,
      maxActiveTasks: o.maxActiveTasks ?? DAG_DEFAULTS.maxActiveTasks,
      ...(o.backfillWindow !== undefined ? { backfillWindow: o.backfillWindow } : {}),
      tasks: this.taskList.map((t) => t.toDefinition(o.defaults)),
      assets: [...assets.values()],
      ...(o.webhook ? { webhook: { secretEnv: o.webhook.secretEnv } } : {}),
      ...(o.deadline ? { deadline: o.deadline } : {}),
    };
  }

  /** Every problem in this DAG (empty when valid). */
  validate(): DagProblem[] {
    return validateDag(this.toDefinition());
  }

  private addSensor(
    taskId: string,
    family: SensorFamily,
    spec: Record<string, unknown>,
    code: SensorCode,
    options: SensorOptions,
  ): Task {
    const split = splitSensorOptions(options);
    const withOnMet: SensorCode = { ...code, ...(split.sensor.onMet ? { onMet: split.sensor.onMet } : {}) };
    const sensor = sensorBlock(split.sensor, family, spec, withOnMet);
    return this.add(new Task(taskId, 'sensor', split.task, undefined, { sensor }, withOnMet));
  }

  private add(task: Task): Task {
    this.taskList.push(task);
    return task;
  }
}

/** Declares a DAG. The optional builder callback receives the DAG to add tasks to. */
export function dag(dagId: string, options: DagOptions, build?: (d: Dag) => void): Dag {
  const created = new Dag(dagId, options);
  build?.(created);
  return created;
}

export function isDag(value: unknown): value is Dag {
  return value instanceof Dag;
}

/** A DAG without its own timezone takes its schedule's, so date-only start dates read where the author means. */
function scheduleTimezone(schedule: ScheduleDefinition): string | undefined {
  if (schedule?.kind === 'cron') return schedule.timezone;
  if (schedule?.kind === 'assets') return schedule.fallback?.timezone;
  return undefined;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
