import {
  IllegalTransitionError,
  TASK_INSTANCE_TRANSITIONS,
  TaskDefinition,
  TaskInstanceState,
  canTransitionTaskInstance,
  downstreamTaskIds,
  topologicalOrder,
} from '@tributary/domain';

export interface ClearOptions {
  /** Also clear every task after the cleared ones (they must run again on the new output). */
  downstream?: boolean;
  /** Default true: of the named tasks, clear only failed and upstream_failed TIs. */
  onlyFailed?: boolean;
  /** Say what would be cleared, change nothing. */
  dryRun?: boolean;
}

/** A named task that was not cleared, and why. */
export interface ClearSkip {
  taskId: string;
  state: TaskInstanceState | null;
  reason: string;
}

/** What a clear does (or, dry, would do): task ids in topological order, and the named tasks left alone. */
export interface ClearPlan {
  cleared: string[];
  skipped: ClearSkip[];
}

const FAILED: ReadonlySet<TaskInstanceState> = new Set(['failed', 'upstream_failed']);

/**
 * A clear was asked for a TI that an executor holds (queued or running): clearing it would
 * start a second copy next to the first. Wait for it to finish.
 */
export class ClearRefusedError extends IllegalTransitionError {
  constructor(
    readonly taskId: string,
    state: TaskInstanceState,
  ) {
    super('task instance', state, 'clear', Object.keys(TASK_INSTANCE_TRANSITIONS[state]));
    this.message =
      `cannot clear task '${taskId}': its task instance is ${state} on an executor; ` +
      `wait for it to finish and clear it then`;
  }
}

/**
 * Which TIs of a run a clear selects. The one function behind a clear and its dry run.
 *
 * - Named tasks: with `onlyFailed` (the default) only failed / upstream_failed ones; the others
 *   are `skipped` with their state. Without it, any TI the state machine lets clear (finished,
 *   waiting for a retry, a waiting sensor); a TI that has not run yet is skipped, one that is
 *   queued or running is refused (ClearRefusedError).
 * - `downstream`: every TI after a cleared one that has run or started (by the same rule):
 *   they must run again on the new output. Those still scheduled run after it anyway.
 */
export function planClear(
  tasks: Pick<TaskDefinition, 'taskId' | 'upstreams'>[],
  states: ReadonlyMap<string, TaskInstanceState>,
  taskIds: readonly string[],
  options: Pick<ClearOptions, 'downstream' | 'onlyFailed'> = {},
): ClearPlan {
  const onlyFailed = options.onlyFailed ?? true;
  const selected = new Set<string>();
  const skipped: ClearSkip[] = [];
  const named = [...new Set(taskIds)];
  for (const taskId of named) {
    const state = states.get(taskId) ?? null;
    if (state === null) {
      skipped.push({ taskId, state, reason: 'this run has no task instance of it (it was added later)' });
    } else if (FAILED.has(state)) {
      selected.add(taskId);
    } else if (onlyFailed) {
      skipped.push({ taskId, state, reason: `it is ${state}, not failed (onlyFailed)` });
    } else if (clearable(taskId, state)) {
      selected.add(taskId);
    } else {
      skipped.push({ taskId, state, reason: 'it has not run yet' });
    }
  }
  if (options.downstream) {
    for (const taskId of [...selected]) {
      for (const after of downstreamTaskIds(tasks, taskId)) {
        const state = states.get(after);
        if (state && !selected.has(after) && clearable(after, state)) selected.add(after);
      }
    }
  }
  return { cleared: topologicalOrder(tasks).filter((t) => selected.has(t)), skipped };
}

/** True when the state machine lets the TI clear; false when it has not run; throws when an executor holds it. */
function clearable(taskId: string, state: TaskInstanceState): boolean {
  if (canTransitionTaskInstance(state, 'clear')) return true;
  if (state === 'scheduled') return false;
  throw new ClearRefusedError(taskId, state);
}
