import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A durable timer: retry delays, reschedule pokes, timeouts, deadlines (DESIGN §3.8). */
@Entity('timers')
export class TimerEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) kind!: string;
  /** Setting a timer twice with the same key keeps one timer. */
  @Column({ name: 'timer_key', type: 'text', unique: true }) timerKey!: string;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt!: Date;
  @Column({ type: 'jsonb', default: {} }) payload!: Record<string, unknown>;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** A message committed with the state change that caused it, published by the relay (DESIGN §3.2). */
@Entity('outbox')
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) topic!: string;
  @Column({ name: 'message_key', type: 'text', nullable: true }) messageKey!: string | null;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: {} }) headers!: Record<string, string>;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  /** The process whose relay publishes the row (see OutboxProducer1763856000000). */
  @Column({ type: 'text', nullable: true }) producer!: string | null;
}

/** Inbox: (consumer group, event id) recorded with the effect, so a redelivery is skipped (DESIGN §3.3). */
@Entity('processed_events')
export class ProcessedEventEntity {
  @PrimaryColumn({ name: 'consumer_group', type: 'text' }) consumerGroup!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'processed_at', type: 'timestamptz' }) processedAt!: Date;
}

/** A deferred sensor's wait, leased to one triggerer at a time: the lease lives as long as its owner's heartbeat. */
@Entity('triggers')
export class TriggerEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'ti_id', type: 'bigint' }) tiId!: string;
  @Column({ name: 'try_number', type: 'integer' }) tryNumber!: number;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'jsonb' }) spec!: Record<string, unknown>;
  @Column({ name: 'lease_owner', type: 'text', nullable: true }) leaseOwner!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'fired_at', type: 'timestamptz', nullable: true }) firedAt!: Date | null;
}

/** A running executor/triggerer process and its heartbeat: the reaper's evidence of life. */
@Entity('workers')
export class WorkerEntity {
  @PrimaryColumn({ name: 'worker_id', type: 'text' }) workerId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text', nullable: true }) hostname!: string | null;
  @Column({ type: 'integer', default: 0 }) slots!: number;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'heartbeat_at', type: 'timestamptz' }) heartbeatAt!: Date;
  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true }) stoppedAt!: Date | null;
}

/** An idempotency key of a requested run: a repeated request is answered with the same run id. */
@Entity('run_requests')
export class RunRequestEntity {
  @PrimaryColumn({ name: 'dag_id', type: 'text' }) dagId!: string;
  @PrimaryColumn({ name: 'idempotency_key', type: 'text' }) idempotencyKey!: string;
  @Column({ name: 'run_id', type: 'text' }) runId!: string;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
}

/** A webhook signature seen recently: the same signature twice is a replay. */
@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryColumn({ name: 'dag_id', type: 'text' }) dagId!: string;
  @PrimaryColumn({ type: 'text' }) signature!: string;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
}
