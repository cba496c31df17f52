import { DataInterval, InputFreshness } from '@tributary/domain';

export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Runs one SQL statement against the orchestrator's database (the `warehouse` schema lives there too). */
export type SqlQuery = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

/** What a function task receives. Partition your data on `logicalDate`, never on "now". */
export interface TaskContext {
  dagId: string;
  runId: string;
  taskId: string;
  /** 1 for the first try, 2 for the first retry, ... */
  tryNumber: number;
  logicalDate: Date;
  dataInterval: DataInterval;
  /** The run's configuration (from a manual trigger, webhook body or Kafka message). */
  conf: Record<string, unknown>;
  /**
   * How each input asset (the schedule's assets and the task inlets) stood against its
   * freshness contract when the run started: status fresh / late / missing / pending, or
   * complete / incomplete for assets without a contract.
   */
  inputs: InputFreshness[];
  /** The orchestrator's clock (simulated in tests): use it instead of `new Date()` for decisions about time. */
  now(): Date;
  /** Captured per try and shown with the task instance's logs. */
  log: TaskLogger;
  /** Aborted when the task times out or the executor shuts down. */
  signal: AbortSignal;
  /** One statement, committed on its own. */
  sql: SqlQuery;
  /**
   * Several statements that commit together or not at all (e.g. land a batch and move its
   * high-water mark). Inside `work`, use the `sql` it is given, not `ctx.sql`: on the embedded
   * database a second statement outside the transaction would wait for it to end.
   */
  transaction<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T>;
}

export type TaskFunction = (context: TaskContext) => unknown | Promise<unknown>;

/** A sensor's check: true when the condition is met. */
export type SensorPredicate = (context: TaskContext) => boolean | Promise<boolean>;

/** What a sensor found when its condition was met (the triggerer's event, or the executor's check). */
export interface SensorResult {
  /** Family-specific facts, e.g. { files: [...] } or { status: 200 } or { offsets: [...] }. */
  details: Record<string, unknown>;
}

/** Work after the wait, with what the sensor found. Deferrable sensors run it on an executor. */
export type SensorOnMet = (context: TaskContext, result: SensorResult) => unknown | Promise<unknown>;

/** The functions a sensor may carry; they run on executors (poke or reschedule mode), never in the triggerer. */
export interface SensorCode {
  predicate?: SensorPredicate;
  /** File sensors: a check over a matching file's content. */
  content?: (content: Buffer, path: string) => boolean | Promise<boolean>;
  /** HTTP sensors: a check over the response. */
  body?: (body: string, status: number) => boolean | Promise<boolean>;
  /** External-task sensors: the other DAG's logical date for ours. */
  mapping?: (logicalDate: Date) => Date;
  onMet?: SensorOnMet;
}
