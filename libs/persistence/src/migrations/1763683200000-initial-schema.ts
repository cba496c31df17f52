import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole orchestrator schema (DESIGN §3). Plain PostgreSQL: the same SQL runs on a
 * PostgreSQL server and on embedded PGlite.
 */
export class InitialSchema1763683200000 implements MigrationInterface {
  name = 'InitialSchema1763683200000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE dags (
        dag_id text PRIMARY KEY,
        bundle_version text NOT NULL,
        file text NOT NULL,
        definition jsonb NOT NULL,
        timezone text NOT NULL,
        schedule_kind text NOT NULL,
        schedule_description text NOT NULL,
        is_paused boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        deployed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_interval_start timestamptz NULL,
        last_interval_end timestamptz NULL,
        next_logical_date timestamptz NULL,
        next_run_after timestamptz NULL
      )`,
      `CREATE INDEX dags_due_idx ON dags (next_run_after) WHERE is_active AND NOT is_paused`,

      `CREATE TABLE dag_runs (
        id bigserial PRIMARY KEY,
        dag_id text NOT NULL REFERENCES dags (dag_id),
        run_id text NOT NULL,
        run_type text NOT NULL,
        state text NOT NULL,
        logical_date timestamptz NOT NULL,
        data_interval_start timestamptz NULL,
        data_interval_end timestamptz NULL,
        conf jsonb NOT NULL DEFAULT '{}',
        bundle_version text NOT NULL,
        backfill_id bigint NULL,
        idempotency_key text NULL,
        note text NULL,
        queued_at timestamptz NOT NULL,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        CONSTRAINT dag_runs_run_id_uq UNIQUE (dag_id, run_id)
      )`,
      // Two scheduler replicas (or a retry) can never create the same interval twice (DESIGN §3.4).
      `CREATE UNIQUE INDEX dag_runs_logical_date_uq ON dag_runs (dag_id, logical_date)
        WHERE run_type IN ('scheduled', 'backfill')`,
      `CREATE UNIQUE INDEX dag_runs_idempotency_uq ON dag_runs (dag_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX dag_runs_state_idx ON dag_runs (dag_id, state, logical_date)`,

      `CREATE TABLE task_instances (
        id bigserial PRIMARY KEY,
        run_pk bigint NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
        dag_id text NOT NULL,
        run_id text NOT NULL,
        task_id text NOT NULL,
        state text NOT NULL,
        try_number integer NOT NULL DEFAULT 0,
        continues_try boolean NOT NULL DEFAULT false,
        tries_before_clear integer NOT NULL DEFAULT 0,
        worker text NULL,
        queued_at timestamptz NULL,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT task_instances_uq UNIQUE (dag_id, run_id, task_id)
      )`,
      `CREATE INDEX task_instances_run_idx ON task_instances (run_pk)`,
      `CREATE INDEX task_instances_active_idx ON task_instances (dag_id, state)
        WHERE state IN ('queued', 'running')`,
      `CREATE INDEX task_instances_worker_idx ON task_instances (worker) WHERE state = 'running'`,

      `CREATE TABLE task_instance_tries (
        ti_id bigint NOT NULL REFERENCES task_instances (id) ON DELETE CASCADE,
        try_number integer NOT NULL,
        state text NOT NULL,
        worker text NULL,
        queued_at timestamptz NOT NULL,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        exit_reason text NULL,
        error text NULL,
        PRIMARY KEY (ti_id, try_number)
      )`,

      `CREATE TABLE task_instance_logs (
        id bigserial PRIMARY KEY,
        ti_id bigint NOT NULL REFERENCES task_instances (id) ON DELETE CASCADE,
        try_number integer NOT NULL,
        logged_at timestamptz NOT NULL,
        stream text NOT NULL,
        level text NULL,
        message text NOT NULL
      )`,
      `CREATE INDEX task_instance_logs_ti_idx ON task_instance_logs (ti_id, try_number, id)`,

      `CREATE TABLE assets (
        name text PRIMARY KEY,
        description text NULL,
        freshness jsonb NULL,
        producer_dag_ids jsonb NOT NULL DEFAULT '[]',
        registered_at timestamptz NOT NULL
      )`,
      `CREATE TABLE asset_events (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        asset_name text NOT NULL,
        partition text NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        source_dag_id text NULL,
        source_run_id text NULL,
        source_task_id text NULL,
        source_try_number integer NULL,
        created_at timestamptz NOT NULL
      )`,
      `CREATE INDEX asset_events_asset_idx ON asset_events (asset_name, partition, id)`,
      // Events waiting to be consumed by an asset-scheduled DAG: never lost while it is at maxActiveRuns.
      `CREATE TABLE asset_dag_queue (
        dag_id text NOT NULL,
        asset_event_id bigint NOT NULL REFERENCES asset_events (id),
        asset_name text NOT NULL,
        partition text NULL,
        queued_at timestamptz NOT NULL,
        PRIMARY KEY (dag_id, asset_event_id)
      )`,
      `CREATE TABLE run_asset_events (
        run_pk bigint NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
        asset_event_id bigint NOT NULL REFERENCES asset_events (id),
        PRIMARY KEY (run_pk, asset_event_id)
      )`,

      // Retry delays, reschedule pokes, timeouts, deadlines: durable, idempotent by key (DESIGN §3.8).
      `CREATE TABLE timers (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        timer_key text NOT NULL UNIQUE,
        due_at timestamptz NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL
      )`,
      `CREATE INDEX timers_due_idx ON timers (due_at)`,

      `CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        message_key text NULL,
        payload jsonb NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        published_at timestamptz NULL
      )`,
      `CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL`,

      `CREATE TABLE processed_events (
        consumer_group text NOT NULL,
        event_id text NOT NULL,
        processed_at timestamptz NOT NULL,
        PRIMARY KEY (consumer_group, event_id)
      )`,

      `CREATE TABLE triggers (
        id bigserial PRIMARY KEY,
        ti_id bigint NOT NULL REFERENCES task_instances (id) ON DELETE CASCADE,
        try_number integer NOT NULL,
        kind text NOT NULL,
        spec jsonb NOT NULL,
        lease_owner text NULL,
        lease_expires_at timestamptz NULL,
        created_at timestamptz NOT NULL,
        fired_at timestamptz NULL,
        CONSTRAINT triggers_ti_try_uq UNIQUE (ti_id, try_number)
      )`,

      `CREATE TABLE workers (
        worker_id text PRIMARY KEY,
        kind text NOT NULL,
        hostname text NULL,
        slots integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL,
        heartbeat_at timestamptz NOT NULL,
        stopped_at timestamptz NULL
      )`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'workers',
      'triggers',
      'processed_events',
      'outbox',
      'timers',
      'run_asset_events',
      'asset_dag_queue',
      'asset_events',
      'assets',
      'task_instance_logs',
      'task_instance_tries',
      'task_instances',
      'dag_runs',
      'dags',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
