import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { AssetFreshnessDefinition } from '@tributary/domain';

@Entity('assets')
export class AssetEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'jsonb', nullable: true }) freshness!: AssetFreshnessDefinition | null;
  @Column({ name: 'producer_dag_ids', type: 'jsonb', default: [] }) producerDagIds!: string[];
  @Column({ name: 'registered_at', type: 'timestamptz' }) registeredAt!: Date;
}

@Entity('asset_events')
export class AssetEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  /** The event's id on the wire: a redelivered event is recorded once. */
  @Column({ name: 'event_id', type: 'text', unique: true }) eventId!: string;
  @Column({ name: 'asset_name', type: 'text' }) assetName!: string;
  @Column({ type: 'text', nullable: true }) partition!: string | null;
  @Column({ type: 'jsonb', default: {} }) metadata!: Record<string, unknown>;
  @Column({ name: 'source_dag_id', type: 'text', nullable: true }) sourceDagId!: string | null;
  @Column({ name: 'source_run_id', type: 'text', nullable: true }) sourceRunId!: string | null;
  @Column({ name: 'source_task_id', type: 'text', nullable: true }) sourceTaskId!: string | null;
  @Column({ name: 'source_try_number', type: 'integer', nullable: true }) sourceTryNumber!: number | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** An asset event waiting for an asset-scheduled DAG to consume it. */
@Entity('asset_dag_queue')
export class AssetDagQueueEntity {
  @PrimaryColumn({ name: 'dag_id', type: 'text' }) dagId!: string;
  @PrimaryColumn({ name: 'asset_event_id', type: 'bigint' }) assetEventId!: string;
  @Column({ name: 'asset_name', type: 'text' }) assetName!: string;
  @Column({ type: 'text', nullable: true }) partition!: string | null;
  @Column({ name: 'queued_at', type: 'timestamptz' }) queuedAt!: Date;
}

/** Which asset events triggered which run. */
@Entity('run_asset_events')
export class RunAssetEventEntity {
  @PrimaryColumn({ name: 'run_pk', type: 'bigint' }) runPk!: string;
  @PrimaryColumn({ name: 'asset_event_id', type: 'bigint' }) assetEventId!: string;
}
