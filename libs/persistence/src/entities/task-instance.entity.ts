import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { TaskInstanceState } from '@tributary/domain';

@Entity('task_instances')
export class TaskInstanceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_pk', type: 'bigint' }) runPk!: string;
  @Column({ name: 'dag_id', type: 'text' }) dagId!: string;
  @Column({ name: 'run_id', type: 'text' }) runId!: string;
  @Column({ name: 'task_id', type: 'text' }) taskId!: string;
  @Column({ type: 'text' }) state!: TaskInstanceState;
  @Column({ name: 'try_number', type: 'integer', default: 0 }) tryNumber!: number;
  @Column({ name: 'continues_try', type: 'boolean', default: false }) continuesTry!: boolean;
  /** Tries made before an operator last cleared this TI: the retry budget counts from here. */
  @Column({ name: 'tries_before_clear', type: 'integer', default: 0 }) triesBeforeClear!: number;
  @Column({ type: 'text', nullable: true }) worker!: string | null;
  @Column({ name: 'queued_at', type: 'timestamptz', nullable: true }) queuedAt!: Date | null;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** A sensor try's timeout instant (also a timer). */
  @Column({ name: 'sensor_deadline', type: 'timestamptz', nullable: true }) sensorDeadline!: Date | null;
  /** Checks a reschedule-mode sensor has made in this try: its backoff grows with them. */
  @Column({ name: 'sensor_checks', type: 'integer', default: 0 }) sensorChecks!: number;
  /** What a deferred sensor's trigger found, for the sensor's onMet work on an executor. */
  @Column({ name: 'trigger_result', type: 'jsonb', nullable: true }) triggerResult!: Record<
    string,
    unknown
  > | null;
}

/** One try of a task instance: kept forever, so retries and clears never erase history. */
@Entity('task_instance_tries')
export class TaskInstanceTryEntity {
  @PrimaryColumn({ name: 'ti_id', type: 'bigint' }) tiId!: string;
  @PrimaryColumn({ name: 'try_number', type: 'integer' }) tryNumber!: number;
  @Column({ type: 'text' }) state!: string;
  @Column({ type: 'text', nullable: true }) worker!: string | null;
  @Column({ name: 'queued_at', type: 'timestamptz' }) queuedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ name: 'exit_reason', type: 'text', nullable: true }) exitReason!: string | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
}

@Entity('task_instance_logs')
export class TaskInstanceLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'ti_id', type: 'bigint' }) tiId!: string;
  @Column({ name: 'try_number', type: 'integer' }) tryNumber!: number;
  @Column({ name: 'logged_at', type: 'timestamptz' }) loggedAt!: Date;
  /** stdout | stderr | log (the task logger). */
  @Column({ type: 'text' }) stream!: string;
  @Column({ type: 'text', nullable: true }) level!: string | null;
  @Column({ type: 'text' }) message!: string;
}
