import type { ResolvedSensorCheck } from '@tributary/domain';
import { Database, queryRows } from '@tributary/persistence';
import type { CheckOutcome } from './sensor-checker';
import { TickBatcher, TickBatcherStats } from './tick-batcher';

export type ExternalTaskCheck = Extract<ResolvedSensorCheck, { family: 'external_task' }>;
export type AssetCheck = Extract<ResolvedSensorCheck, { family: 'asset' }>;

interface ExternalTaskKey {
  dagId: string;
  /** Normalised ISO instant. */
  logicalDate: string;
  taskId: string | null;
}

/** One run of the other DAG at the logical date, with the TI asked for (when a task id was given). */
interface RunAtDate {
  runId: string;
  runState: string;
  /** Null when no task id was asked for, or the run has no such TI yet. */
  taskState: string | null;
}

interface AssetKey {
  asset: string;
  partition: string;
}

interface LatestAssetEvent {
  eventId: string;
  createdAt: string;
}

export interface DatabaseCheckStats {
  externalTask: TickBatcherStats;
  asset: TickBatcherStats;
}

/**
 * The external-task and asset checks. Checks issued in the same tick are looked up together:
 * one query per family over `unnest(...)` of their keys, whatever the number of sensors.
 */
export class DatabaseChecks {
  private readonly externalTasks: TickBatcher<ExternalTaskKey, RunAtDate[]>;
  private readonly assetEvents: TickBatcher<AssetKey, LatestAssetEvent | null>;

  constructor(
    private readonly db: Database,
    maxBatchSize?: number,
  ) {
    this.externalTasks = new TickBatcher((keys) => this.lookUpRuns(keys), maxBatchSize);
    this.assetEvents = new TickBatcher((keys) => this.lookUpAssetEvents(keys), maxBatchSize);
  }

  async checkExternalTask(check: ExternalTaskCheck): Promise<CheckOutcome> {
    const instant = new Date(check.logicalDate);
    if (Number.isNaN(instant.getTime())) {
      return { status: 'failed', message: `invalid logical date '${check.logicalDate}'` };
    }
    const key: ExternalTaskKey = {
      dagId: check.dagId,
      logicalDate: instant.toISOString(),
      taskId: check.taskId ?? null,
    };
    let runs: RunAtDate[];
    try {
      runs = await this.externalTasks.load(JSON.stringify(key), key);
    } catch (error) {
      return { status: 'waiting', message: `cannot look up DAG ${check.dagId}: ${(error as Error).message}` };
    }
    return externalTaskOutcome(check, key.logicalDate, runs);
  }

  async checkAsset(check: AssetCheck): Promise<CheckOutcome> {
    const key: AssetKey = { asset: check.asset, partition: check.partition };
    let event: LatestAssetEvent | null;
    try {
      event = await this.assetEvents.load(JSON.stringify(key), key);
    } catch (error) {
      return {
        status: 'waiting',
        message: `cannot look up asset ${check.asset}: ${(error as Error).message}`,
      };
    }
    if (event === null) {
      return {
        status: 'waiting',
        message: `no event of asset ${check.asset} for partition ${check.partition} yet`,
      };
    }
    return { status: 'met', details: { eventId: event.eventId, createdAt: event.createdAt } };
  }

  stats(): DatabaseCheckStats {
    return { externalTask: this.externalTasks.stats(), asset: this.assetEvents.stats() };
  }

  /** Every run at each key's logical date, newest first (manual runs may share a date with a scheduled one). */
  private async lookUpRuns(keys: ExternalTaskKey[]): Promise<RunAtDate[][]> {
    const rows = await queryRows<{
      idx: number;
      run_id: string;
      run_state: string;
      task_state: string | null;
    }>(
      this.db.manager,
      `SELECT k.idx::int AS idx, r.run_id, r.state AS run_state, ti.state AS task_state
         FROM unnest($1::text[], $2::timestamptz[], $3::text[]) WITH ORDINALITY AS k (dag_id, logical_date, task_id, idx)
         JOIN dag_runs r ON r.dag_id = k.dag_id AND r.logical_date = k.logical_date
         LEFT JOIN task_instances ti ON ti.run_pk = r.id AND ti.task_id = k.task_id
        ORDER BY k.idx, r.id DESC`,
      [keys.map((k) => k.dagId), keys.map((k) => k.logicalDate), keys.map((k) => k.taskId)],
    );
    const runs: RunAtDate[][] = keys.map(() => []);
    for (const row of rows) {
      runs[Number(row.idx) - 1].push({
        runId: row.run_id,
        runState: row.run_state,
        taskState: row.task_state,
      });
    }
    return runs;
  }

  private async lookUpAssetEvents(keys: AssetKey[]): Promise<(LatestAssetEvent | null)[]> {
    const rows = await queryRows<{ idx: number; event_id: string; created_at: Date | string }>(
      this.db.manager,
      // The partition must be complete, as for asset schedules: an hourly producer's first hour is not its day.
      `SELECT k.idx::int AS idx, e.event_id, p.completed_at AS created_at
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (asset_name, partition, idx)
         JOIN asset_partitions p ON p.asset_name = k.asset_name AND p.partition = k.partition
                                AND p.completed_at IS NOT NULL
         JOIN asset_events e ON e.id = p.completed_by_event_id`,
      [keys.map((k) => k.asset), keys.map((k) => k.partition)],
    );
    const events: (LatestAssetEvent | null)[] = keys.map(() => null);
    for (const row of rows) {
      events[Number(row.idx) - 1] = {
        eventId: row.event_id,
        createdAt: new Date(row.created_at).toISOString(),
      };
    }
    return events;
  }
}

/**
 * Met when any run at the date (the newest first) is in an allowed state: a failed scheduled
 * run re-run by hand counts once the re-run succeeds. Failed only when the newest run is in a
 * failed state: an older failure with a newer run still going is not the last word.
 */
function externalTaskOutcome(check: ExternalTaskCheck, logicalDate: string, runs: RunAtDate[]): CheckOutcome {
  const { dagId, taskId } = check;
  if (runs.length === 0)
    return { status: 'waiting', message: `no run of DAG ${dagId} for ${logicalDate} yet` };

  const stateOf = (run: RunAtDate) => (taskId ? run.taskState : run.runState);
  const done = runs.find((run) => {
    const state = stateOf(run);
    return state !== null && check.allowedStates.includes(state);
  });
  if (done) {
    return {
      status: 'met',
      details: { dagId, runId: done.runId, ...(taskId ? { taskId } : {}), state: stateOf(done) },
    };
  }

  const newest = runs[0];
  const state = stateOf(newest);
  const subject = taskId ? `task ${taskId} of DAG ${dagId}` : `DAG ${dagId}`;
  if (state === null) {
    return {
      status: 'waiting',
      message: `run ${newest.runId} of DAG ${dagId} for ${logicalDate} has no task ${taskId} yet`,
    };
  }
  if (check.failedStates.includes(state)) {
    return {
      status: 'failed',
      message: `${subject} for ${logicalDate} is ${state} (run ${newest.runId})`,
    };
  }
  return {
    status: 'waiting',
    message: `${subject} for ${logicalDate} is ${state} (run ${newest.runId}); waiting for ${check.allowedStates.join(' or ')}`,
  };
}
