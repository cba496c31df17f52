import { TaskInstanceState, isTerminalTaskInstanceState } from '../state/task-instance-state';

export const TRIGGER_RULES = [
  'all_success',
  'all_done',
  'all_failed',
  'one_success',
  'one_failed',
  'none_failed',
] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/**
 * What a trigger rule decides for a scheduled TI given its upstreams' states:
 * - `run`: dependencies are met, dispatch it;
 * - `wait`: not decidable yet;
 * - `skip` / `upstream_failed`: it will never run, and this is the state it takes.
 */
export type TriggerDecision = 'run' | 'wait' | 'skip' | 'upstream_failed';

const isFailure = (s: TaskInstanceState) => s === 'failed' || s === 'upstream_failed';

/** Decisions are made as early as the rule allows (e.g. all_success fails on the first failed upstream). */
export function evaluateTriggerRule(
  rule: TriggerRule,
  upstreamStates: readonly TaskInstanceState[],
): TriggerDecision {
  if (upstreamStates.length === 0) return 'run';
  const allDone = upstreamStates.every(isTerminalTaskInstanceState);
  const anySuccess = upstreamStates.includes('success');
  const anyFailure = upstreamStates.some(isFailure);
  const anySkipped = upstreamStates.includes('skipped');

  switch (rule) {
    case 'all_success':
      if (anyFailure) return 'upstream_failed';
      if (anySkipped) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'all_failed':
      if (anySuccess || anySkipped) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'all_done':
      return allDone ? 'run' : 'wait';
    case 'one_success':
      if (anySuccess) return 'run';
      if (!allDone) return 'wait';
      return anyFailure ? 'upstream_failed' : 'skip';
    case 'one_failed':
      if (anyFailure) return 'run';
      return allDone ? 'skip' : 'wait';
    case 'none_failed':
      if (anyFailure) return 'upstream_failed';
      return allDone ? 'run' : 'wait';
  }
}
