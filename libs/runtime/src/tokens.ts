/** Dependency-injection tokens shared by every service module. */
export const CLOCK = Symbol('Clock');
export const DATABASE = Symbol('Database');
export const TRANSPORT = Symbol('MessageTransport');
export const TOPIC_CATALOG = Symbol('TopicCatalog');
export const OUTBOX_RELAY = Symbol('OutboxRelay');
export const DAG_REGISTRY = Symbol('DagRegistry');
export const RUNTIME_OPTIONS = Symbol('RuntimeOptions');
export const SERVICE_METRICS = Symbol('ServiceMetrics');
export const SENSOR_CHECKER = Symbol('SensorChecker');

export interface RuntimeOptions {
  /** Identifies this process in TI rows and heartbeats. */
  workerId: string;
  /** Executor slots: task instances run at once by this executor. */
  executorSlots: number;
  /** A worker silent for longer is presumed dead and its running TIs are retried. */
  workerTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** The Kafka cluster this process talks to, if any: Kafka sensors and topic bindings default to it. */
  kafkaBrokers?: string[];
  /** Triggers one triggerer watches at once. */
  triggererCapacity?: number;
}
