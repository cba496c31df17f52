// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { ID_PATTERN, RUN_TYPES, RunType } from '@tributary/domain';
import { Envelope } from './envelope';

const ID_MESSAGE = { message: "$property must be an id of letters, digits, '_', '-' or '.'" };

/** `tributary.run.requested` v1: "please create (or confirm) this run". Keyed by dagId. */
export class RunRequestedPayload {
  @Matches(ID_PATTERN, ID_MESSAGE) dagId!: string;
  @IsIn(RUN_TYPES) runType!: RunType;
  /** Default: `<runType>__<logicalDate>`. */
  @IsOptional() @Matches(/^[A-Za-z0-9_.:+-]{1,250}$/, ID_MESSAGE) runId?: string;
  /** Default for manual/external runs: now. */
  @IsOptional() @IsISO8601({ strict: true }) logicalDate?: string;
  @IsOptional() @IsISO8601({ strict: true }) dataIntervalStart?: string;
  @IsOptional() @IsISO8601({ strict: true }) dataIntervalEnd?: string;
  @IsOptional() @IsObject() conf?: Record<string, unknown>;
  /** The same key twice creates one run. */
  @IsOptional() @IsString() @IsNotEmpty() idempotencyKey?: string;
  /** Asset event ids (on the wire) that triggered an asset_triggered run. */
  @IsOptional() @IsArray() @IsString({ each: true }) triggeringAssetEventIds?: string[];
  @IsOptional() @IsString() note?: string;
  /** The backfill (its id, a numeric string) this run belongs to; the run then runs in its lane. */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: '$property must be a backfill id (digits)' })
  backfillId?: string;
  /** When the run (or another scheduled/backfill run of the logical date) exists and has finished, rerun it. */
  @IsOptional() @IsBoolean() rerunIfFinished?: boolean;
}

export class RunRequestedEvent extends Envelope<RunRequestedPayload> {
  @ValidateNested() @Type(() => RunRequestedPayload) declare payload: RunRequestedPayload;
}

/** `tributary.task.commands` v1: run try `tryNumber` of a task instance. Keyed by runId. */
export class TaskCommandPayload {
  @IsIn(['run']) command!: 'run';
  @IsString() @IsNotEmpty() tiId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) dagId!: string;
  @IsString() @IsNotEmpty() runId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) taskId!: string;
  @IsInt() @Min(1) tryNumber!: number;
  @IsString() bundleVersion!: string;
}

export class TaskCommandEvent extends Envelope<TaskCommandPayload> {
  @ValidateNested() @Type(() => TaskCommandPayload) declare payload: TaskCommandPayload;
}

export const TASK_EVENT_KINDS = ['succeeded', 'failed', 'rescheduled'] as const;
export type TaskEventKind = (typeof TASK_EVENT_KINDS)[number];

/** `tributary.task.events` v1: what a try ended as, reported by its executor. Keyed by runId. */
export class TaskEventPayload {
  @IsIn(TASK_EVENT_KINDS) kind!: TaskEventKind;
  @IsString() @IsNotEmpty() tiId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) dagId!: string;
  @IsString() @IsNotEmpty() runId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) taskId!: string;
  @IsInt() @Min(1) tryNumber!: number;
  @IsString() worker!: string;
  @IsOptional() @IsString() error?: string;
  /** timeout | exit_code | exception | worker_lost | ... */
  @IsOptional() @IsString() exitReason?: string;
  /** False for failures no retry can fix (e.g. the task no longer exists in the bundle). */
  @IsOptional() @IsBoolean() retryable?: boolean;
  /** For `rescheduled`: when to check again. */
  @IsOptional() @IsISO8601({ strict: true }) rescheduleAt?: string;
}

export class TaskEventEvent extends Envelope<TaskEventPayload> {
  @ValidateNested() @Type(() => TaskEventPayload) declare payload: TaskEventPayload;
}

/**
 * `tributary.triggers` v1: a deferred sensor's wait, for a triggerer. Keyed by tiId. The
 * row in `triggers` is the truth; this message only lets a triggerer pick it up at once.
 */
export class TriggerPayload {
  @IsString() @IsNotEmpty() triggerId!: string;
  @IsString() @IsNotEmpty() tiId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) dagId!: string;
  @IsString() @IsNotEmpty() runId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) taskId!: string;
  @IsInt() @Min(1) tryNumber!: number;
}

export class TriggerEvent extends Envelope<TriggerPayload> {
  @ValidateNested() @Type(() => TriggerPayload) declare payload: TriggerPayload;
}

export const TRIGGER_OUTCOMES = ['met', 'failed'] as const;
export type TriggerOutcome = (typeof TRIGGER_OUTCOMES)[number];

/**
 * `tributary.trigger.events` v1: a trigger fired. `met`: the condition holds (details say
 * what was found); `failed`: it never will (e.g. the upstream task failed). Keyed by tiId.
 * A trigger may fire twice (a lease taken over); the coordinator applies the first.
 */
export class TriggerFiredPayload extends TriggerPayload {
  @IsIn(TRIGGER_OUTCOMES) outcome!: TriggerOutcome;
  @IsOptional() @IsString() message?: string;
  @IsOptional() @IsObject() details?: Record<string, unknown>;
  @IsString() triggerer!: string;
}

export class TriggerFiredEvent extends Envelope<TriggerFiredPayload> {
  @ValidateNested() @Type(() => TriggerFiredPayload) declare payload: TriggerFiredPayload;
}

export class AssetEventSource {
  @Matches(ID_PATTERN, ID_MESSAGE) dagId!: string;
  @IsString() runId!: string;
  @Matches(ID_PATTERN, ID_MESSAGE) taskId!: string;
  @IsInt() @Min(1) tryNumber!: number;
}

export class DataIntervalField {
  @IsISO8601({ strict: true }, { message: 'start must be an ISO-8601 instant' }) start!: string;
  @IsISO8601({ strict: true }, { message: 'end must be an ISO-8601 instant' }) end!: string;
}

/** `tributary.asset.events` v1: "asset X was updated", optionally for a partition. Keyed by asset. */
export class AssetEventPayload {
  @IsString() @Matches(/^\S{1,1000}$/, { message: 'asset must be a name without spaces' }) asset!: string;
  /** Usually a logical date, e.g. '2026-04-25'. */
  @IsOptional() @IsString() @IsNotEmpty() partition?: string;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  @IsOptional() @ValidateNested() @Type(() => AssetEventSource) source?: AssetEventSource;
  /**
   * The span of data the event covers. Pieces shorter than 20 hours (an hourly run's hour)
   * complete a day partition together once they cover it; without it, the event completes
   * the partition it names.
   */
  @IsOptional() @ValidateNested() @Type(() => DataIntervalField) dataInterval?: DataIntervalField;
}

export class AssetEventEvent extends Envelope<AssetEventPayload> {
  @ValidateNested() @Type(() => AssetEventPayload) declare payload: AssetEventPayload;
}

export const ALERT_KINDS = ['freshness_missed', 'asset_fallback', 'run_deadline_missed'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/**
 * `tributary.alerts` v1. Keyed by the alert's subject. Each (kind, subject) is raised at most
 * once and recovered at most once; the recovery repeats the alert's fields with `recovery: true`.
 */
export class AlertPayload {
  /** Stable across the raise and its recovery. */
  @IsString() @IsNotEmpty() alertId!: string;
  @IsIn(ALERT_KINDS) kind!: AlertKind;
  /** What the alert is about, e.g. 'asset:raw.shipments:2026-04-25' or 'run:analytics:<runId>'. */
  @IsString() @IsNotEmpty() subject!: string;
  @IsIn(ALERT_SEVERITIES) severity!: AlertSeverity;
  @IsString() @IsNotEmpty() message!: string;
  @IsOptional() @IsString() dagId?: string;
  @IsOptional() @IsString() runId?: string;
  @IsOptional() @IsString() asset?: string;
  @IsOptional() @IsString() partition?: string;
  /** The promise that was missed (ISO-8601). */
  @IsOptional() @IsISO8601() deadline?: string;
  @IsISO8601() raisedAt!: string;
  /** A recovery closes the alert with the same alertId. */
  @IsBoolean() recovery!: boolean;
  @IsOptional() @IsISO8601() recoveredAt?: string;
  @IsOptional() @IsObject() details?: Record<string, unknown>;
}

export class AlertEvent extends Envelope<AlertPayload> {
  @ValidateNested() @Type(() => AlertPayload) declare payload: AlertPayload;
}

/** `tributary.dlq` v1: a message a consumer could not process, with the reason and the original bytes. */
export class DeadLetterPayload {
  @IsString() topic!: string;
  @IsString() consumerGroup!: string;
  @IsString() reason!: string;
  @IsOptional() @IsString() key?: string | null;
  @IsOptional() @IsInt() partition?: number;
  @IsOptional() @IsString() offset?: string;
  @IsString() originalValue!: string;
  @IsInt() attempts!: number;
}

export class DeadLetterEvent extends Envelope<DeadLetterPayload> {
  @ValidateNested() @Type(() => DeadLetterPayload) declare payload: DeadLetterPayload;
}
