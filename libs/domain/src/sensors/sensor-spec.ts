import { DurationInput } from '../time/duration';

/**
 * What a sensor waits for, as plain data (DESIGN §1). The same spec is checked by an
 * executor (poke, reschedule) or handed to the triggerer (deferrable), so everything a
 * deferrable check needs must be data: functions (predicates, mappings) stay in the bundle
 * and are listed in `SensorDefinition.code` so validation can refuse them in deferrable mode.
 */
export const SENSOR_FAMILIES = [
  'file',
  'http',
  'external_task',
  'asset',
  'kafka_offset',
  'predicate',
] as const;
export type SensorFamily = (typeof SENSOR_FAMILIES)[number];

/** A path or glob exists, optionally with content: existence alone is a known trap (half-written files). */
export interface FileSensorSpec {
  /** A path or glob; may use templates such as `{{ ds }}`. */
  path: string;
  /** At least one matching file must have this many bytes (and match `contains`). */
  minSize?: number;
  /** A regular expression some matching file's content must match. */
  contains?: string;
}

/** An endpoint answers with an expected status, optionally with a body that matches. */
export interface HttpSensorSpec {
  url: string;
  method: string;
  headers?: Record<string, string>;
  expectStatus: number[];
  /** A regular expression the response body must match. */
  bodyContains?: string;
}

/** Another DAG's task (or whole run) reached an allowed state for the same (or a shifted) logical date. */
export interface ExternalTaskSensorSpec {
  dagId: string;
  /** Without a task id the other DAG's run state counts. */
  taskId?: string;
  /** Wait for the run whose logical date is this much earlier than ours. */
  executionDelta?: DurationInput;
  allowedStates: string[];
  /** States that fail the sensor at once: waiting for them to change is pointless. */
  failedStates: string[];
}

/** An asset has an event for a partition (default: the run's logical date in the DAG's zone). */
export interface AssetSensorSpec {
  asset: string;
  /** A template; default `{{ ds }}`. */
  partition?: string;
}

/**
 * A Kafka topic reached a point: the minimum end offset across its partitions is at least
 * `minOffset`, or a consumer group has no lag left on it.
 */
export interface KafkaOffsetSensorSpec {
  topic: string;
  /** Default: the cluster the service itself talks to (KAFKA_BROKERS). */
  brokers?: string[];
  minOffset?: number;
  consumerGroup?: string;
}

export type SensorSpec =
  | FileSensorSpec
  | HttpSensorSpec
  | ExternalTaskSensorSpec
  | AssetSensorSpec
  | KafkaOffsetSensorSpec
  | Record<string, never>;

export interface SensorSpecByFamily {
  file: FileSensorSpec;
  http: HttpSensorSpec;
  external_task: ExternalTaskSensorSpec;
  asset: AssetSensorSpec;
  kafka_offset: KafkaOffsetSensorSpec;
  predicate: Record<string, never>;
}
