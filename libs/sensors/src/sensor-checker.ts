import type { ResolvedSensorCheck } from '@tributary/domain';
import type { SensorCode } from '@tributary/sdk';

/**
 * One look at the world for a sensor. `waiting`: not yet, look again later; `met`: the
 * condition holds (details say what was found, e.g. the files or offsets); `failed`: it
 * never will (the upstream task failed terminally), so the sensor fails at once.
 */
export type CheckOutcome =
  | { status: 'met'; details: Record<string, unknown> }
  | { status: 'waiting'; message: string }
  | { status: 'failed'; message: string };

export interface CheckOptions {
  /** Aborted when the try times out or the process stops. */
  signal?: AbortSignal;
  /** The sensor's functions (content/body checks): only executors pass them, never the triggerer. */
  code?: SensorCode;
}

/**
 * Runs the data-only sensor families (file, http, external_task, asset, kafka_offset) for
 * executors and the triggerer alike. The predicate family is user code: the executor runs
 * it itself. Implementations share expensive resources across checks: one Kafka admin
 * connection per cluster, and database lookups of concurrent checks batched together.
 */
export interface SensorChecker {
  check(check: ResolvedSensorCheck, options?: CheckOptions): Promise<CheckOutcome>;
  /** Releases connections (Kafka admin clients). */
  close(): Promise<void>;
}
