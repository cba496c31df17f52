import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RunState, RunType } from '@tributary/domain';

@Entity('dag_runs')
export class DagRunEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'dag_id', type: 'text' }) dagId!: string;
  @Column({ name: 'run_id', type: 'text' }) runId!: string;
  @Column({ name: 'run_type', type: 'text' }) runType!: RunType;
  @Column({ type: 'text' }) state!: RunState;
  @Column({ name: 'logical_date', type: 'timestamptz' }) logicalDate!: Date;
  @Column({ name: 'data_interval_start', type: 'timestamptz', nullable: true })
  dataIntervalStart!: Date | null;
  @Column({ name: 'data_interval_end', type: 'timestamptz', nullable: true }) dataIntervalEnd!: Date | null;
  @Column({ type: 'jsonb', default: {} }) conf!: Record<string, unknown>;
  @Column({ name: 'bundle_version', type: 'text' }) bundleVersion!: string;
  @Column({ name: 'backfill_id', type: 'bigint', nullable: true }) backfillId!: string | null;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ name: 'queued_at', type: 'timestamptz' }) queuedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
}
