import type { ResolvedSensorCheck } from '@tributary/domain';
import type { Database } from '@tributary/persistence';
import { DatabaseCheckStats, DatabaseChecks } from './database-checks';
import { checkFile } from './file-check';
import { DEFAULT_HTTP_TIMEOUT_MS, checkHttp } from './http-check';
import { KafkaAdminPool, KafkaAdminPoolStats } from './kafka-admin-pool';
import { checkKafkaOffset } from './kafka-offset-check';
import type { CheckOptions, CheckOutcome, SensorChecker } from './sensor-checker';

export const PREDICATE_RUNS_ON_EXECUTOR = 'predicate sensors run on an executor';

export interface DefaultSensorCheckerOptions {
  db: Database;
  /** The cluster a Kafka sensor without `brokers` looks at (the process's KAFKA_BROKERS). */
  defaultKafkaBrokers?: string[];
  kafkaClientId?: string;
  /** Per-check limit of an HTTP sensor's request. */
  httpTimeoutMs?: number;
  /** Distinct keys per batched database lookup. */
  maxBatchSize?: number;
  /** A pool to share with others; by default the checker makes (and closes) its own. */
  kafkaPool?: KafkaAdminPool;
}

export interface SensorCheckerStats {
  kafka: KafkaAdminPoolStats;
  database: DatabaseCheckStats;
}

/** The data-only sensor families, with one Kafka admin pool and batched database lookups shared by every check. */
export class DefaultSensorChecker implements SensorChecker {
  private readonly database: DatabaseChecks;
  private readonly kafka: KafkaAdminPool;
  private readonly ownsKafkaPool: boolean;
  private readonly httpTimeoutMs: number;
  private closed = false;

  constructor(private readonly options: DefaultSensorCheckerOptions) {
    this.database = new DatabaseChecks(options.db, options.maxBatchSize);
    this.ownsKafkaPool = options.kafkaPool === undefined;
    this.kafka =
      options.kafkaPool ?? new KafkaAdminPool({ clientId: options.kafkaClientId ?? 'tributary-sensors' });
    this.httpTimeoutMs = options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  }

  async check(check: ResolvedSensorCheck, options: CheckOptions = {}): Promise<CheckOutcome> {
    // A check racing shutdown is "not yet": the trigger goes back to another triggerer.
    if (this.closed) return { status: 'waiting', message: 'the sensor checker is closed (process stopping)' };
    switch (check.family) {
      case 'file':
        return checkFile(check, options);
      case 'http':
        return checkHttp(check, options, this.httpTimeoutMs);
      case 'external_task':
        return this.database.checkExternalTask(check);
      case 'asset':
        return this.database.checkAsset(check);
      case 'kafka_offset':
        return checkKafkaOffset(check, this.kafka, this.options.defaultKafkaBrokers, options.signal);
      case 'predicate':
        return { status: 'failed', message: PREDICATE_RUNS_ON_EXECUTOR };
      default:
        throw new Error(`unknown sensor family '${(check as { family: unknown }).family}'`);
    }
  }

  stats(): SensorCheckerStats {
    return { kafka: this.kafka.stats(), database: this.database.stats() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsKafkaPool) await this.kafka.close();
  }
}
