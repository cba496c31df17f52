import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DagDefinition } from '@tributary/domain';

/** A deployed DAG: its definition from the bundle version it came from, and the scheduler's bookkeeping. */
@Entity('dags')
export class DagEntity {
  @PrimaryColumn({ name: 'dag_id', type: 'text' }) dagId!: string;
  @Column({ name: 'bundle_version', type: 'text' }) bundleVersion!: string;
  @Column({ type: 'text' }) file!: string;
  @Column({ type: 'jsonb' }) definition!: DagDefinition;
  @Column({ type: 'text' }) timezone!: string;
  @Column({ name: 'schedule_kind', type: 'text' }) scheduleKind!: string;
  @Column({ name: 'schedule_description', type: 'text' }) scheduleDescription!: string;
  @Column({ name: 'is_paused', type: 'boolean', default: false }) isPaused!: boolean;
  /** False once the DAG disappeared from the bundle: kept for history, never scheduled. */
  @Column({ name: 'is_active', type: 'boolean', default: true }) isActive!: boolean;
  @Column({ name: 'deployed_at', type: 'timestamptz' }) deployedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** Data interval of the latest scheduled run created. */
  @Column({ name: 'last_interval_start', type: 'timestamptz', nullable: true })
  lastIntervalStart!: Date | null;
  @Column({ name: 'last_interval_end', type: 'timestamptz', nullable: true }) lastIntervalEnd!: Date | null;
  @Column({ name: 'next_logical_date', type: 'timestamptz', nullable: true }) nextLogicalDate!: Date | null;
  /** Ready task instances are waiting for a maxActiveTasks slot somewhere in this DAG's runs. */
  @Column({ name: 'slot_starved', type: 'boolean', default: false }) slotStarved!: boolean;
  /** When the scheduler must look at this DAG again (null: not clock-scheduled, or past its end date). */
  @Column({ name: 'next_run_after', type: 'timestamptz', nullable: true }) nextRunAfter!: Date | null;
}
