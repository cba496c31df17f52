import { DateTime } from 'luxon';
import { TopicScheduleDefinition } from '../dag/dag-definition';
import { parseDateInput } from '../time/date-input';
import { fnv1a32 } from '../text/hash';

/**
 * Topic bindings (the `topic` schedule): what a Kafka message means for a DAG. Pure: the
 * scheduler's TopicBindingService does the consuming, recording and committing around it.
 */

/** A Kafka message as a binding sees it (the value still raw). */
export interface TopicMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The Kafka message timestamp (CreateTime or LogAppendTime, as the topic is configured). */
  timestamp: Date;
  value: string;
}

/** A message that triggers work: parsed, filtered, with its logical date decided. */
export interface TriggeringMessage {
  message: TopicMessage;
  value: unknown;
  logicalDate: Date;
  /** With a partitionField: the calendar day [midnight, next midnight) in the DAG's zone. */
  dataInterval?: { start: Date; end: Date };
}

/** What to do with one message: trigger, skip it (filter mismatch), or dead-letter it (with the reason). */
export type TopicMessageDecision =
  | ({ kind: 'trigger' } & TriggeringMessage)
  | { kind: 'skip'; reason: string }
  | { kind: 'dead_letter'; reason: string };

/** One run to request for a message or a batch. */
export interface TopicRunRequest {
  runId: string;
  logicalDate: Date;
  dataInterval?: { start: Date; end: Date };
  conf: Record<string, unknown>;
  /** The messages the run stands for, in the order they were consumed. */
  messages: TopicMessage[];
}

/** The conf a task sees for one message: where it came from and its parsed value. */
export interface MessageConf {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  value: unknown;
}

const RUN_ID_MAX = 250;
const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The value at a dotted path ('event.date', 'items.0.sku'), or undefined when any step is
 * missing. Steps index objects by key and arrays by position.
 */
export function readField(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(step)) return undefined;
      current = current[Number(step)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

/**
 * True when every path of the filter holds exactly its value (no type coercion: 42 is not
 * '42'; null matches an explicit null, not a missing field). No filter matches everything.
 */
export function matchesFilter(value: unknown, filter: TopicScheduleDefinition['filter']): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([path, expected]) => readField(value, path) === expected);
}

/** The first filter path whose value differs, for the log: "type is 'order.cancelled', not 'order.placed'". */
export function filterMismatch(value: unknown, filter: TopicScheduleDefinition['filter']): string | null {
  for (const [path, expected] of Object.entries(filter ?? {})) {
    const actual = readField(value, path);
    if (actual !== expected) {
      return `${path} is ${actual === undefined ? 'absent' : JSON.stringify(actual)}, not ${JSON.stringify(expected)}`;
    }
  }
  return null;
}

/** Parses a message value as JSON, or says why it is not JSON (the dead-letter reason). */
export function parseMessageValue(raw: string): { value: unknown } | { problem: string } {
  if (raw.trim() === '') return { problem: 'malformed message: value is empty (expected JSON)' };
  try {
    return { value: JSON.parse(raw) };
  } catch (error) {
    return { problem: `malformed message: value is not JSON (${(error as Error).message})` };
  }
}

/**
 * The logical date a message stands for: its `logicalDateField` (an ISO instant, or epoch
 * milliseconds), its `partitionField` (a calendar day: midnight in the DAG's zone, or the
 * first instant of that day when a DST gap swallows midnight), or else the Kafka timestamp.
 * A configured field that is absent or unreadable is a problem naming the field and the fix.
 */
export function logicalDateOfMessage(
  schedule: TopicScheduleDefinition,
  timezone: string,
  value: unknown,
  message: Pick<TopicMessage, 'timestamp'>,
): { logicalDate: Date; dataInterval?: { start: Date; end: Date } } | { problem: string } {
  if (schedule.logicalDateField !== undefined) {
    const field = schedule.logicalDateField;
    const raw = readField(value, field);
    const fix = `produce '${field}' as an ISO 8601 instant such as '2026-04-25T14:03:00Z' or as epoch milliseconds, or change logicalDateField`;
    if (raw === undefined || raw === null)
      return { problem: `the message has no '${field}' (logicalDateField): ${fix}` };
    const date =
      typeof raw === 'number'
        ? Number.isFinite(raw)
          ? new Date(raw)
          : null
        : typeof raw === 'string' && raw.trim() !== ''
          ? parseDateInput(raw, timezone)
          : null;
    if (!date || Number.isNaN(date.getTime())) {
      return { problem: `'${field}' (logicalDateField) is ${JSON.stringify(raw)}, not a date: ${fix}` };
    }
    return { logicalDate: date };
  }
  if (schedule.partitionField !== undefined) {
    const field = schedule.partitionField;
    const raw = readField(value, field);
    const fix = `produce '${field}' as a calendar day such as '2026-04-25', or change partitionField`;
    if (raw === undefined || raw === null)
      return { problem: `the message has no '${field}' (partitionField): ${fix}` };
    const day =
      typeof raw === 'string' && CALENDAR_DAY.test(raw) ? DateTime.fromISO(raw, { zone: timezone }) : null;
    if (!day || !day.isValid) {
      return { problem: `'${field}' (partitionField) is ${JSON.stringify(raw)}, not a calendar day: ${fix}` };
    }
    const start = day.startOf('day');
    const end = start.plus({ days: 1 }).startOf('day');
    return { logicalDate: start.toJSDate(), dataInterval: { start: start.toJSDate(), end: end.toJSDate() } };
  }
  return { logicalDate: message.timestamp };
}

/** Decides what one message means for a binding: parse, filter, then logical date. */
export function decideTopicMessage(
  schedule: TopicScheduleDefinition,
  timezone: string,
  message: TopicMessage,
): TopicMessageDecision {
  const parsed = parseMessageValue(message.value);
  if ('problem' in parsed) return { kind: 'dead_letter', reason: parsed.problem };
  const mismatch = filterMismatch(parsed.value, schedule.filter);
  // A message the filter does not select is not this DAG's business, even if it lacks the date field.
  if (mismatch !== null) return { kind: 'skip', reason: `filter: ${mismatch}` };
  const date = logicalDateOfMessage(schedule, timezone, parsed.value, message);
  if ('problem' in date) return { kind: 'dead_letter', reason: `malformed message: ${date.problem}` };
  return { kind: 'trigger', message, value: parsed.value, ...date };
}

/** The inbox id of a message: its position, unique on a cluster (`orders:3:1042`). */
export function topicMessageEventId(message: Pick<TopicMessage, 'topic' | 'partition' | 'offset'>): string {
  return `${message.topic}:${message.partition}:${message.offset}`;
}

/** The run of one message: `event__<topic>-<partition>-<offset>`, the same on every redelivery. */
export function messageRunId(message: Pick<TopicMessage, 'topic' | 'partition' | 'offset'>): string {
  return boundedRunId(`event__`, message, '');
}

/**
 * The run of one logical date in a batch: `event__<topic>-<partition>-<offset>__<date>`, the
 * position being the batch's first message (so two batches never share a run id).
 */
export function batchRunId(
  first: Pick<TopicMessage, 'topic' | 'partition' | 'offset'>,
  logicalDate: Date,
): string {
  return boundedRunId(`event__`, first, `__${logicalDate.toISOString()}`);
}

/** Run ids are at most 250 characters: a long topic name gives way to its hash. */
function boundedRunId(
  prefix: string,
  position: Pick<TopicMessage, 'topic' | 'partition' | 'offset'>,
  suffix: string,
): string {
  const id = `${prefix}${position.topic}-${position.partition}-${position.offset}${suffix}`;
  if (id.length <= RUN_ID_MAX) return id;
  const topic = `t${fnv1a32(position.topic).toString(16).padStart(8, '0')}`;
  return `${prefix}${topic}-${position.partition}-${position.offset}${suffix}`;
}

export function messageConf(triggering: Pick<TriggeringMessage, 'message' | 'value'>): MessageConf {
  const { message, value } = triggering;
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    timestamp: message.timestamp.toISOString(),
    value,
  };
}

/**
 * The runs for messages that trigger: one per message (`conf.message`) without `batch`; with
 * it, the messages form one batch and get one run per distinct logical date
 * (`conf.messages`, in consumed order), ordered by logical date.
 */
export function topicRunRequests(
  schedule: TopicScheduleDefinition,
  messages: TriggeringMessage[],
): TopicRunRequest[] {
  if (!schedule.batch) {
    return messages.map((m) => ({
      runId: messageRunId(m.message),
      logicalDate: m.logicalDate,
      ...(m.dataInterval ? { dataInterval: m.dataInterval } : {}),
      conf: { message: messageConf(m) },
      messages: [m.message],
    }));
  }
  if (messages.length === 0) return [];
  const first = messages[0].message;
  const byDate = new Map<number, TriggeringMessage[]>();
  for (const m of messages) {
    const key = m.logicalDate.getTime();
    byDate.set(key, [...(byDate.get(key) ?? []), m]);
  }
  return [...byDate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, group]) => ({
      runId: batchRunId(first, group[0].logicalDate),
      logicalDate: group[0].logicalDate,
      ...(group[0].dataInterval ? { dataInterval: group[0].dataInterval } : {}),
      conf: { messages: group.map(messageConf) },
      messages: group.map((m) => m.message),
    }));
}

/**
 * The offsets to commit after recording messages: per partition, the next offset after the
 * highest one recorded. Callers pass every message up to that point (recorded, skipped or
 * dead-lettered), so no offset is committed past a message not yet recorded.
 */
export function offsetsToCommit(
  messages: Pick<TopicMessage, 'topic' | 'partition' | 'offset'>[],
): { topic: string; partition: number; offset: string }[] {
  const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const m of messages) {
    const key = `${m.topic}\u0000${m.partition}`;
    const offset = BigInt(m.offset) + 1n;
    const current = next.get(key);
    if (!current || offset > current.offset)
      next.set(key, { topic: m.topic, partition: m.partition, offset });
  }
  return [...next.values()]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset.toString() }));
}
