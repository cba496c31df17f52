import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sensors, the triggerer and external triggers:
 * - a sensor try's deadline (its timeout is a database timer too), the checks it has made
 *   (exponential backoff between reschedules) and what its trigger found (for `onMet`);
 * - a trigger's lease is its owner's heartbeat in `workers`, so the per-trigger expiry goes;
 * - idempotency keys of requested runs, answered before the run exists;
 * - webhook signatures seen in the last minutes, so a replay is refused.
 */
export class SensorsAndTriggers1763942400000 implements MigrationInterface {
  name = 'SensorsAndTriggers1763942400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE task_instances ADD COLUMN sensor_deadline timestamptz NULL,
         ADD COLUMN sensor_checks integer NOT NULL DEFAULT 0, ADD COLUMN trigger_result jsonb NULL`,
    );
    await q.query(`ALTER TABLE triggers DROP COLUMN lease_expires_at`);
    await q.query(`CREATE INDEX triggers_open_idx ON triggers (lease_owner) WHERE fired_at IS NULL`);
    await q.query(
      `CREATE TABLE run_requests (
        dag_id text NOT NULL,
        idempotency_key text NOT NULL,
        run_id text NOT NULL,
        requested_at timestamptz NOT NULL,
        PRIMARY KEY (dag_id, idempotency_key)
      )`,
    );
    await q.query(
      `CREATE TABLE webhook_deliveries (
        dag_id text NOT NULL,
        signature text NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (dag_id, signature)
      )`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE run_requests`);
    await q.query(`DROP INDEX triggers_open_idx`);
    await q.query(`ALTER TABLE triggers ADD COLUMN lease_expires_at timestamptz NULL`);
    await q.query(
      `ALTER TABLE task_instances DROP COLUMN sensor_deadline, DROP COLUMN sensor_checks, DROP COLUMN trigger_result`,
    );
  }
}
