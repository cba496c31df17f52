import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Marks a DAG whose ready task instances are waiting for a maxActiveTasks slot, so a task
 * finishing in one run re-evaluates the other runs only when one of them can use the slot.
 */
export class DagSlotStarved1763769600000 implements MigrationInterface {
  name = 'DagSlotStarved1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dags ADD COLUMN slot_starved boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dags DROP COLUMN slot_starved`);
  }
}
