/**
 * The task-instance state machine: one table of legal transitions (DESIGN §5). Every
 * service asks this module before it writes a TI state; nothing else decides legality.
 */
export const TASK_INSTANCE_STATES = [
  'scheduled',
  'queued',
  'running',
  'success',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'deferred',
  'upstream_failed',
  'skipped',
] as const;
export type TaskInstanceState = (typeof TASK_INSTANCE_STATES)[number];

export const TERMINAL_TASK_INSTANCE_STATES: ReadonlySet<TaskInstanceState> = new Set([
  'success',
  'failed',
  'upstream_failed',
  'skipped',
]);

export function isTerminalTaskInstanceState(state: TaskInstanceState): boolean {
  return TERMINAL_TASK_INSTANCE_STATES.has(state);
}

/** What happens to a TI. `clear`, `mark_success` and `mark_failed` are operator actions. */
export type TaskInstanceEvent =
  | 'dispatch' // scheduled → queued: a command goes to an executor (starts a new try)
  | 'claim' // queued → running: an executor's fenced claim committed
  | 'succeed'
  | 'fail' // terminal failure: no retries left
  | 'retry' // a failed try with retries left: wait for the retry timer
  | 'reschedule' // a reschedule-mode sensor's check was false: free the slot, wait for the timer
  | 'defer' // a deferrable sensor hands its wait to the triggerer (from scheduled it starts a try)
  | 'resume' // a retry/reschedule timer fired, or a trigger fired and work remains
  | 'skip'
  | 'upstream_failed'
  | 'clear'
  | 'mark_success'
  | 'mark_failed';

/** from-state → event → to-state. Absent entries are illegal transitions. */
export const TASK_INSTANCE_TRANSITIONS: Readonly<
  Record<TaskInstanceState, Partial<Record<TaskInstanceEvent, TaskInstanceState>>>
> = {
  scheduled: {
    dispatch: 'queued',
    // A deferrable sensor starts in the triggerer: no executor slot, not even for a first check.
    defer: 'deferred',
    skip: 'skipped',
    upstream_failed: 'upstream_failed',
    mark_success: 'success',
    mark_failed: 'failed',
  },
  queued: {
    claim: 'running',
    retry: 'up_for_retry',
    fail: 'failed',
    skip: 'skipped', // a soft-failing sensor that timed out before an executor took it
    mark_success: 'success',
    mark_failed: 'failed',
  },
  running: {
    succeed: 'success',
    fail: 'failed',
    retry: 'up_for_retry',
    reschedule: 'up_for_reschedule',
    defer: 'deferred',
    skip: 'skipped',
    // An operator override: the executor's later result for this try is then illegal and ignored.
    mark_success: 'success',
    mark_failed: 'failed',
  },
  up_for_retry: { resume: 'scheduled', clear: 'scheduled', mark_success: 'success', mark_failed: 'failed' },
  up_for_reschedule: {
    resume: 'scheduled',
    fail: 'failed',
    skip: 'skipped',
    clear: 'scheduled',
    mark_success: 'success',
    mark_failed: 'failed',
  },
  deferred: {
    resume: 'scheduled',
    succeed: 'success',
    fail: 'failed',
    retry: 'up_for_retry',
    skip: 'skipped',
    clear: 'scheduled',
    mark_success: 'success',
    mark_failed: 'failed',
  },
  success: { clear: 'scheduled', mark_failed: 'failed' },
  failed: { clear: 'scheduled', mark_success: 'success' },
  upstream_failed: { clear: 'scheduled', mark_success: 'success', mark_failed: 'failed' },
  skipped: { clear: 'scheduled', mark_success: 'success', mark_failed: 'failed' },
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly entity: 'task instance' | 'run',
    readonly from: string,
    readonly event: string,
    readonly allowed: string[],
  ) {
    super(
      `illegal ${entity} transition: '${event}' is not allowed from state '${from}'` +
        (allowed.length ? ` (allowed from '${from}': ${allowed.join(', ')})` : ` ('${from}' is final)`),
    );
    this.name = 'IllegalTransitionError';
  }
}

/**
 * An event for another try than the TI's current one: an older try's late result, or a
 * try that was never dispatched. Either way it must not move the TI (DESIGN §3.5).
 */
export class StaleTryError extends Error {
  constructor(
    readonly currentTry: number,
    readonly eventTry: number,
  ) {
    super(
      eventTry < currentTry
        ? `stale event for try ${eventTry}; the task instance is on try ${currentTry}`
        : `event for try ${eventTry}, which was never dispatched; the task instance is on try ${currentTry}`,
    );
    this.name = 'StaleTryError';
  }
}

export interface TaskInstanceStatus {
  state: TaskInstanceState;
  /** 0 before the first dispatch; each dispatch starts a new try, except a sensor's re-dispatch. */
  tryNumber: number;
  /**
   * Set when a reschedule or deferral resumes: the next dispatch continues the same try, so a
   * sensor's pokes do not spend its retry budget (retries are for failures).
   */
  continuesTry?: boolean;
}

const CONTINUES_TRY_FROM: ReadonlySet<TaskInstanceState> = new Set(['up_for_reschedule', 'deferred']);

export function canTransitionTaskInstance(from: TaskInstanceState, event: TaskInstanceEvent): boolean {
  return TASK_INSTANCE_TRANSITIONS[from][event] !== undefined;
}

/**
 * Applies an event. `eventTry` is the try the event speaks for (executor results carry
 * it); an event for any other try is stale. Throws IllegalTransitionError or StaleTryError.
 */
export function transitionTaskInstance(
  current: TaskInstanceStatus,
  event: TaskInstanceEvent,
  eventTry?: number,
): TaskInstanceStatus {
  if (eventTry !== undefined && eventTry !== current.tryNumber)
    throw new StaleTryError(current.tryNumber, eventTry);
  const next = TASK_INSTANCE_TRANSITIONS[current.state][event];
  if (!next) {
    throw new IllegalTransitionError(
      'task instance',
      current.state,
      event,
      Object.keys(TASK_INSTANCE_TRANSITIONS[current.state]),
    );
  }
  if (event === 'dispatch' || (event === 'defer' && current.state === 'scheduled')) {
    return { state: next, tryNumber: current.continuesTry ? current.tryNumber : current.tryNumber + 1 };
  }
  if (event === 'resume' && CONTINUES_TRY_FROM.has(current.state)) {
    return { state: next, tryNumber: current.tryNumber, continuesTry: true };
  }
  return { state: next, tryNumber: current.tryNumber };
}
