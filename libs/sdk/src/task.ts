import {
  DAG_DEFAULTS,
  DurationInput,
  SensorFamily,
  SensorMode,
  TaskDefinition,
  TaskKind,
  TriggerRule,
} from '@tributary/domain';
import { Asset, assetName } from './asset';
import { SensorCode, SensorOnMet, TaskFunction } from './context';

export interface TaskOptions {
  /** How many times a failed try is retried (the task instance alone; successful TIs keep their state). */
  retries?: number;
  /** Delay before a retry: '30s', '5m', or milliseconds. */
  retryDelay?: DurationInput;
  /** Double the delay after each failed try... */
  exponentialBackoff?: boolean;
  /** ...up to this. */
  maxRetryDelay?: DurationInput;
  /** 0..1: shorten each delay by up to this fraction, reproducibly per task instance. */
  retryJitter?: number;
  /** A try running longer than this is killed and counts as failed. */
  timeout?: DurationInput;
  /** When this task runs given its upstreams' states. Default all_success. */
  triggerRule?: TriggerRule;
  /** Assets this task reads. */
  inlets?: (Asset | string)[];
  /** Assets this task produces: its success publishes an asset event for each. */
  outlets?: (Asset | string)[];
}

export interface SensorOptions extends Omit<TaskOptions, 'timeout'> {
  /** poke: hold a slot and check every pokeInterval; reschedule: free the slot between checks; deferrable: hand the wait to the triggerer. */
  mode?: SensorMode;
  pokeInterval?: DurationInput;
  /** Mandatory: the sensor fails (or is skipped with softFail) after this long. */
  timeout: DurationInput;
  /** Skip instead of failing at timeout. */
  softFail?: boolean;
  /** Grow the poke interval exponentially up to maxPokeInterval. */
  exponentialBackoff?: boolean;
  maxPokeInterval?: DurationInput;
  /**
   * Work after the condition is met, given what the sensor found. In deferrable mode the
   * wait costs no executor slot and this runs on an executor once the trigger fires.
   */
  onMet?: SensorOnMet;
}

/**
 * A task declared in a DAG. Dependencies read both ways:
 * `extract.then(transform)` and `transform.after(extract)` say the same thing.
 */
export class Task {
  readonly upstreams = new Set<string>();

  constructor(
    readonly taskId: string,
    readonly kind: TaskKind,
    readonly options: TaskOptions,
    readonly run?: TaskFunction,
    readonly extra: Partial<TaskDefinition> = {},
    readonly sensorCode: SensorCode = {},
  ) {}

  /** `a.then(b)`: b runs after a. Returns b (or the list) so chains read left to right. */
  then<T extends Task | Task[]>(downstream: T): T {
    for (const task of ([] as Task[]).concat(downstream)) task.upstreams.add(this.taskId);
    return downstream;
  }

  /** `b.after(a, c)`: b runs after a and c. Returns this task. */
  after(...upstreams: (Task | Task[])[]): this {
    for (const task of upstreams.flat()) this.upstreams.add(task.taskId);
    return this;
  }

  toDefinition(defaults: TaskOptions = {}): TaskDefinition {
    const o = { ...defaults, ...this.options };
    return {
      taskId: this.taskId,
      kind: this.kind,
      upstreams: [...this.upstreams],
      retry: {
        retries: o.retries ?? DAG_DEFAULTS.retries,
        retryDelay: o.retryDelay ?? DAG_DEFAULTS.retryDelay,
        exponentialBackoff: o.exponentialBackoff ?? false,
        ...(o.maxRetryDelay !== undefined ? { maxRetryDelay: o.maxRetryDelay } : {}),
        ...(o.retryJitter !== undefined ? { jitter: o.retryJitter } : {}),
      },
      ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
      triggerRule: o.triggerRule ?? 'all_success',
      inlets: (o.inlets ?? []).map(assetName),
      outlets: (o.outlets ?? []).map(assetName),
      ...this.extra,
    };
  }
}

/** The options every sensor family shares (how it waits), apart from ordinary task options. */
export type SensorModeOptions = Pick<
  SensorOptions,
  'mode' | 'pokeInterval' | 'timeout' | 'softFail' | 'exponentialBackoff' | 'maxPokeInterval' | 'onMet'
>;

/** The sensor options every family shares, split from the task options. */
export function splitSensorOptions(options: SensorOptions): {
  sensor: SensorModeOptions;
  task: TaskOptions;
} {
  const { mode, pokeInterval, timeout, softFail, exponentialBackoff, maxPokeInterval, onMet, ...task } =
    options;
  return {
    sensor: { mode, pokeInterval, timeout, softFail, exponentialBackoff, maxPokeInterval, onMet },
    task,
  };
}

/** Sensor options as declared, turned into the definition's sensor block. */
export function sensorBlock(
  options: SensorModeOptions,
  check: SensorFamily,
  spec: Record<string, unknown> = {},
  code: SensorCode = {},
): TaskDefinition['sensor'] {
  const functions = Object.entries(code)
    .filter(([name, fn]) => name !== 'onMet' && typeof fn === 'function')
    .map(([name]) => name);
  return {
    mode: options.mode ?? 'poke',
    pokeInterval: options.pokeInterval ?? DAG_DEFAULTS.pokeInterval,
    timeout: options.timeout,
    softFail: options.softFail ?? false,
    exponentialBackoff: options.exponentialBackoff ?? false,
    ...(options.maxPokeInterval !== undefined ? { maxPokeInterval: options.maxPokeInterval } : {}),
    check,
    spec: Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)),
    ...(functions.length > 0 && check !== 'predicate' ? { code: functions } : {}),
    ...(options.onMet ? { onMet: true } : {}),
  };
}
