import {
  AssetEventMode,
  AssetScheduleFallback,
  DateInput,
  DurationInput,
  ScheduleDefinition,
  TopicScheduleDefinition,
} from '@tributary/domain';
import { AssetLike, toAssetCondition } from './asset';

/**
 * `cron('0 5 * * *', { timezone: 'America/Los_Angeles' })`: standard 5-field cron (or 6 with
 * seconds first, or @daily-style aliases), evaluated in the timezone with correct DST.
 * Without a timezone the DAG's timezone applies.
 */
export function cron(expression: string, options: { timezone?: string } = {}): ScheduleDefinition {
  return { kind: 'cron', expression, ...(options.timezone ? { timezone: options.timezone } : {}) };
}

/**
 * `every('15m')`: an interval anchored at the DAG's start date (or `anchor`, or the first
 * deploy). Day/week intervals keep their wall-clock time across DST.
 */
export function every(duration: DurationInput, options: { anchor?: DateInput } = {}): ScheduleDefinition {
  return { kind: 'interval', every: duration, ...(options.anchor ? { anchor: options.anchor } : {}) };
}

export interface AssetScheduleOptions {
  /** Start a run for logical date D only when every input has an event for partition D. */
  partitioned?: boolean;
  /**
   * Non-partitioned schedules: 'batched' (default: one run takes every event queued since the
   * last run) or 'per_event' (one run per event; with and(), per set of one event per input).
   */
  events?: AssetEventMode;
  /** At a wall-clock deadline, if inputs are not all fresh: 'alert', or 'run' anyway. */
  fallback?: AssetScheduleFallback;
}

/** `assets(and(rawEvents, or(rawPayments, rawRefunds)), { partitioned: true })`. */
export function assets(condition: AssetLike, options: AssetScheduleOptions = {}): ScheduleDefinition {
  return {
    kind: 'assets',
    condition: toAssetCondition(condition),
    partitioned: options.partitioned ?? false,
    // Stated on every non-partitioned schedule, so listings say how events become runs.
    ...(options.partitioned
      ? options.events
        ? { events: options.events }
        : {}
      : { events: options.events ?? 'batched' }),
    ...(options.fallback ? { fallback: options.fallback } : {}),
  };
}

/**
 * `topic('orders', { filter: { type: 'order.placed' }, partitionField: 'date' })`: each
 * matching message on a Kafka topic triggers a run with the message as `conf.message`; with
 * `batch: { maxMessages, maxWait }`, one run per logical date per batch (`conf.messages`).
 */
export function topic(
  name: string,
  options: Omit<TopicScheduleDefinition, 'kind' | 'topic'> = {},
): ScheduleDefinition {
  return { kind: 'topic', topic: name, ...options };
}

/** No schedule: runs only when triggered (REST, webhook, Kafka, CLI). */
export function manual(): ScheduleDefinition {
  return { kind: 'none' };
}
