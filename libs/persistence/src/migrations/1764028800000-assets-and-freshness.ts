import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Assets, freshness contracts and deadlines:
 * - timers carry their owner, so the assets service fires freshness and fallback timers and
 *   the coordinator its own;
 * - asset events carry their data interval (hourly pieces complete a day together), and the
 *   registry records each asset's partition timezone and where it was registered from;
 * - `asset_partitions`: when each partition of an asset became complete;
 * - `asset_dag_queue` holds one row per partition an event touches;
 * - `asset_partition_runs`: the partitions an asset-scheduled DAG has requested runs for;
 * - `alerts`: one open alert per kind and subject (raised once, recovered once);
 * - runs record how their inputs stood against their contracts when they started.
 */
export class AssetsAndFreshness1764028800000 implements MigrationInterface {
  name = 'AssetsAndFreshness1764028800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE timers ADD COLUMN owner text NOT NULL DEFAULT 'coordinator'`);
    await q.query(`DROP INDEX timers_due_idx`);
    await q.query(`CREATE INDEX timers_owner_due_idx ON timers (owner, due_at)`);

    await q.query(
      `ALTER TABLE asset_events ADD COLUMN interval_start timestamptz NULL, ADD COLUMN interval_end timestamptz NULL`,
    );
    await q.query(
      `ALTER TABLE assets ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
         ADD COLUMN registered_by text NOT NULL DEFAULT 'dag',
         ADD COLUMN last_event_at timestamptz NULL`,
    );
    await q.query(
      `CREATE TABLE asset_partitions (
        asset_name text NOT NULL,
        partition text NOT NULL,
        completed_at timestamptz NULL,
        completed_by_event_id bigint NULL REFERENCES asset_events (id),
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (asset_name, partition)
      )`,
    );

    // Partitions delivered before this migration: an event naming a partition completed it.
    await q.query(
      `INSERT INTO asset_partitions (asset_name, partition, completed_at, completed_by_event_id, updated_at)
       SELECT DISTINCT ON (asset_name, partition) asset_name, partition, created_at, id, created_at
       FROM asset_events WHERE partition IS NOT NULL ORDER BY asset_name, partition, created_at, id`,
    );
    await q.query(`UPDATE asset_dag_queue SET partition = '' WHERE partition IS NULL`);
    await q.query(
      `ALTER TABLE asset_dag_queue ALTER COLUMN partition SET NOT NULL, ALTER COLUMN partition SET DEFAULT ''`,
    );
    await q.query(`ALTER TABLE asset_dag_queue DROP CONSTRAINT asset_dag_queue_pkey`);
    await q.query(`ALTER TABLE asset_dag_queue ADD PRIMARY KEY (dag_id, asset_event_id, partition)`);

    await q.query(
      `CREATE TABLE asset_partition_runs (
        dag_id text NOT NULL,
        partition text NOT NULL,
        run_id text NOT NULL,
        fallback boolean NOT NULL DEFAULT false,
        requested_at timestamptz NOT NULL,
        PRIMARY KEY (dag_id, partition, run_id)
      )`,
    );

    await q.query(
      `CREATE TABLE alerts (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        subject text NOT NULL,
        severity text NOT NULL,
        message text NOT NULL,
        dag_id text NULL,
        run_id text NULL,
        asset text NULL,
        partition text NULL,
        deadline timestamptz NULL,
        details jsonb NOT NULL DEFAULT '{}',
        raised_at timestamptz NOT NULL,
        recovered_at timestamptz NULL,
        recovery_message text NULL,
        UNIQUE (kind, subject)
      )`,
    );
    await q.query(`CREATE INDEX alerts_open_idx ON alerts (raised_at) WHERE recovered_at IS NULL`);

    await q.query(`ALTER TABLE dag_runs ADD COLUMN input_freshness jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dag_runs DROP COLUMN input_freshness`);
    await q.query(`DROP TABLE alerts`);
    await q.query(`DROP TABLE asset_partition_runs`);
    await q.query(`ALTER TABLE asset_dag_queue DROP CONSTRAINT asset_dag_queue_pkey`);
    await q.query(
      `ALTER TABLE asset_dag_queue ALTER COLUMN partition DROP NOT NULL, ALTER COLUMN partition DROP DEFAULT`,
    );
    await q.query(`UPDATE asset_dag_queue SET partition = NULL WHERE partition = ''`);
    await q.query(
      `DELETE FROM asset_dag_queue a USING asset_dag_queue b
       WHERE a.dag_id = b.dag_id AND a.asset_event_id = b.asset_event_id AND a.ctid > b.ctid`,
    );
    await q.query(`ALTER TABLE asset_dag_queue ADD PRIMARY KEY (dag_id, asset_event_id)`);
    await q.query(`DROP TABLE asset_partitions`);
    await q.query(
      `ALTER TABLE assets DROP COLUMN last_event_at, DROP COLUMN registered_by, DROP COLUMN timezone`,
    );
    await q.query(`ALTER TABLE asset_events DROP COLUMN interval_end, DROP COLUMN interval_start`);
    await q.query(`DROP INDEX timers_owner_due_idx`);
    await q.query(`CREATE INDEX timers_due_idx ON timers (due_at)`);
    await q.query(`ALTER TABLE timers DROP COLUMN owner`);
  }
}
