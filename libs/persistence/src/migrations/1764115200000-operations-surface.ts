import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operator surface:
 * - `api_tokens`: bearer tokens for the REST API, stored only as their SHA-256 (a token is
 *   shown once, at creation), each with a role (viewer / operator / admin);
 * - `backfills`: a past range of a DAG re-run on request, with its own max active runs;
 * - `backfill_dates`: the logical dates a backfill planned, in the order it runs them, and
 *   what it does with each (create a run, rerun an existing one, or skip it); `requested_at`
 *   when the scheduler asked for its run, `handled_at` (and `run_id`) when the coordinator
 *   created or reran it, in the same transaction as the run.
 */
export class OperationsSurface1764115200000 implements MigrationInterface {
  name = 'OperationsSurface1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE api_tokens (
        id bigserial PRIMARY KEY,
        token_id text NOT NULL UNIQUE,
        token_hash text NOT NULL UNIQUE,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        created_at timestamptz NOT NULL,
        created_by text NULL,
        last_used_at timestamptz NULL,
        revoked_at timestamptz NULL
      )`,
    );
    await q.query(
      `CREATE TABLE backfills (
        id bigserial PRIMARY KEY,
        dag_id text NOT NULL REFERENCES dags (dag_id),
        from_date timestamptz NOT NULL,
        to_date timestamptz NOT NULL,
        reprocess text NOT NULL CHECK (reprocess IN ('none', 'failed', 'all')),
        max_active_runs int NOT NULL CHECK (max_active_runs > 0),
        reverse boolean NOT NULL DEFAULT false,
        state text NOT NULL CHECK (state IN ('running', 'completed', 'cancelled')),
        created_at timestamptz NOT NULL,
        created_by text NULL,
        completed_at timestamptz NULL,
        cancelled_at timestamptz NULL
      )`,
    );
    await q.query(`CREATE INDEX backfills_running_idx ON backfills (id) WHERE state = 'running'`);
    await q.query(`CREATE INDEX backfills_dag_idx ON backfills (dag_id, id)`);
    await q.query(
      `CREATE TABLE backfill_dates (
        backfill_id bigint NOT NULL REFERENCES backfills (id),
        position int NOT NULL,
        logical_date timestamptz NOT NULL,
        data_interval_start timestamptz NOT NULL,
        data_interval_end timestamptz NOT NULL,
        action text NOT NULL CHECK (action IN ('create', 'rerun', 'skip')),
        reason text NULL,
        run_id text NULL,
        requested_at timestamptz NULL,
        handled_at timestamptz NULL,
        PRIMARY KEY (backfill_id, position),
        UNIQUE (backfill_id, logical_date)
      )`,
    );
    await q.query(
      `CREATE INDEX dag_runs_backfill_idx ON dag_runs (backfill_id) WHERE backfill_id IS NOT NULL`,
    );
    // Run lists, the grid and each DAG's latest run read runs newest first (the UI polls them).
    await q.query(`CREATE INDEX dag_runs_dag_newest_idx ON dag_runs (dag_id, logical_date DESC, id DESC)`);
    await q.query(`CREATE INDEX dag_runs_newest_idx ON dag_runs (logical_date DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dag_runs_newest_idx`);
    await q.query(`DROP INDEX dag_runs_dag_newest_idx`);
    await q.query(`DROP INDEX dag_runs_backfill_idx`);
    await q.query(`DROP TABLE backfill_dates`);
    await q.query(`DROP TABLE backfills`);
    await q.query(`DROP TABLE api_tokens`);
  }
}
