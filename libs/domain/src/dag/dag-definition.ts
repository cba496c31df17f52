import { AssetCondition } from '../assets/asset-condition';
import { DurationInput } from '../time/duration';
import { SensorFamily } from '../sensors/sensor-spec';
import { TriggerRule } from '../trigger-rules/trigger-rule';

/**
 * The declared shape of a DAG as plain data: what the SDK produces and what validation,
 * the scheduler and the coordinator read. Durations may still be text ('15m'): validation
 * reports bad ones together with every other problem instead of failing on the first.
 */
export type DateInput = Date | string;

export type ScheduleDefinition =
  | { kind: 'cron'; expression: string; timezone?: string }
  | { kind: 'interval'; every: DurationInput; anchor?: DateInput }
  | AssetScheduleDefinition
  | TopicScheduleDefinition
  | { kind: 'none' };

/**
 * The event-driven schedule: each message on a Kafka topic (optionally matching `filter`)
 * triggers a run, or a batch of messages does. Offsets are committed only after the runs
 * are recorded, so no message is lost and none triggers twice.
 */
export interface TopicScheduleDefinition {
  kind: 'topic';
  topic: string;
  /** Default: the cluster the services talk to (KAFKA_BROKERS). */
  brokers?: string[];
  /** Only messages whose JSON has these values at these dotted paths, e.g. { 'type': 'shipment.created' }. */
  filter?: Record<string, string | number | boolean | null>;
  /** A dotted path to an ISO instant (or epoch ms) that becomes the run's logical date. */
  logicalDateField?: string;
  /** A dotted path to a calendar day ('2026-04-25'): the run's logical date is its midnight in the DAG's zone. */
  partitionField?: string;
  /** Without it, one run per message; with it, one run per logical date per batch. */
  batch?: { maxMessages: number; maxWait: DurationInput };
}

/** Signed webhooks may trigger this DAG: the secret is read from this environment variable on the API. */
export interface WebhookDefinition {
  secretEnv: string;
}

/**
 * How a non-partitioned asset schedule turns events into runs: `batched` (one run takes every
 * event queued since the last run) or `per_event` (one run per event; with and(), the oldest
 * queued event of each input makes one run). Partitioned schedules run once per partition.
 */
export const ASSET_EVENT_MODES = ['batched', 'per_event'] as const;
export type AssetEventMode = (typeof ASSET_EVENT_MODES)[number];

export interface AssetScheduleDefinition {
  kind: 'assets';
  condition: AssetCondition;
  /** A run for logical date D starts when every input is complete for partition D. */
  partitioned: boolean;
  /** Non-partitioned only; the SDK always states it (default 'batched'). */
  events?: AssetEventMode;
  fallback?: AssetScheduleFallback;
}

/** On an asset-scheduled DAG: at this wall-clock deadline, if inputs are not all fresh, alert or run anyway. */
export interface AssetScheduleFallback {
  at: string;
  timezone?: string;
  action: 'alert' | 'run';
}

export const TASK_KINDS = ['function', 'shell', 'http', 'sql', 'sensor'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const SENSOR_MODES = ['poke', 'reschedule', 'deferrable'] as const;
export type SensorMode = (typeof SENSOR_MODES)[number];

export interface RetryPolicyDefinition {
  retries: number;
  retryDelay: DurationInput;
  exponentialBackoff: boolean;
  maxRetryDelay?: DurationInput;
  /** 0..1: the fraction of each delay that may be randomised (deterministically per TI). */
  jitter?: number;
}

export interface SensorDefinition {
  mode: SensorMode;
  pokeInterval: DurationInput;
  /** Mandatory: a sensor that can wait forever holds resources forever. */
  timeout?: DurationInput;
  softFail: boolean;
  exponentialBackoff: boolean;
  maxPokeInterval?: DurationInput;
  /** Which family of check (file, http, external_task, asset, kafka_offset, predicate). */
  check: SensorFamily;
  /** The family's parameters (see SensorSpecByFamily). */
  spec?: Record<string, unknown>;
  /** Options given as functions (e.g. 'predicate', 'mapping'): they run on executors only. */
  code?: string[];
  /** Work to do after the condition is met: a deferrable sensor then resumes on an executor. */
  onMet?: boolean;
}

export interface TaskDefinition {
  taskId: string;
  kind: TaskKind;
  upstreams: string[];
  retry: RetryPolicyDefinition;
  timeout?: DurationInput;
  triggerRule: TriggerRule;
  inlets: string[];
  outlets: string[];
  sensor?: SensorDefinition;
  /** Shell tasks: the command line, and extra environment variables. */
  command?: string;
  env?: Record<string, string>;
  /** HTTP tasks: the request. */
  http?: { url: string; method: string; expectStatus: number[] };
  /** SQL tasks: the statement. */
  sql?: { query: string };
}

export interface AssetFreshnessDefinition {
  /** Fresh for partition D by this wall-clock time ("04:00") on D+offsetDays, in timezone. */
  by?: string;
  timezone?: string;
  offsetDays?: number;
  /** Or: at most this long since the last event. */
  maxLag?: DurationInput;
}

export interface AssetDefinition {
  name: string;
  description?: string;
  freshness?: AssetFreshnessDefinition;
}

/**
 * A run's deadline, the consumer-side twin of a freshness contract: the run for logical date D
 * must be done by `by` (wall clock, in timezone) on D+offsetDays (default 1), or within
 * `maxDuration` of being queued. Missing it raises one alert; finishing later, one recovery.
 */
export interface RunDeadlineDefinition {
  by?: string;
  timezone?: string;
  offsetDays?: number;
  maxDuration?: DurationInput;
}

export interface DagDefinition {
  dagId: string;
  description?: string;
  owner?: string;
  tags: string[];
  schedule: ScheduleDefinition;
  /** IANA zone the schedule and date-only inputs are read in. Default UTC. */
  timezone: string;
  startDate?: DateInput;
  endDate?: DateInput;
  catchup: boolean;
  maxActiveRuns: number;
  maxActiveTasks: number;
  /** How far back from now a backfill may reach. */
  backfillWindow?: DurationInput;
  tasks: TaskDefinition[];
  /** Assets this DAG declares (e.g. with freshness contracts), beyond those named by tasks. */
  assets: AssetDefinition[];
  webhook?: WebhookDefinition;
  deadline?: RunDeadlineDefinition;
}

export const DAG_DEFAULTS = {
  timezone: 'UTC',
  catchup: false,
  maxActiveRuns: 16,
  maxActiveTasks: 16,
  retries: 0,
  retryDelay: '5m',
  pokeInterval: '60s',
} as const;
