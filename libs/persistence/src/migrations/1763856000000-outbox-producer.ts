import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Records which process wrote an outbox row. In distributed mode every service runs a
 * relay over the same table; each publishes its own rows right after commit, and takes over
 * another process's rows only when they are old enough to have been left by a crash.
 */
export class OutboxProducer1763856000000 implements MigrationInterface {
  name = 'OutboxProducer1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN producer text NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN producer`);
  }
}
