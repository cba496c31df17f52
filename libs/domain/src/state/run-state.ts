import { IllegalTransitionError } from './task-instance-state';

export const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const RUN_TYPES = ['scheduled', 'manual', 'backfill', 'asset_triggered', 'external'] as const;
export type RunType = (typeof RUN_TYPES)[number];

export type RunEvent =
  | 'start' // queued → running: a slot under maxActiveRuns was free
  | 'succeed' // every TI finished and the leaves succeeded
  | 'fail'
  | 'resume' // an operator cleared a TI of a finished run: it runs again from there
  | 'rerun'; // the deliberate whole-run rerun: back to queued, every TI cleared

export const RUN_TRANSITIONS: Readonly<Record<RunState, Partial<Record<RunEvent, RunState>>>> = {
  queued: { start: 'running', fail: 'failed' },
  running: { succeed: 'success', fail: 'failed', resume: 'running' },
  success: { resume: 'running', rerun: 'queued' },
  failed: { resume: 'running', rerun: 'queued' },
};

export function isTerminalRunState(state: RunState): boolean {
  return state === 'success' || state === 'failed';
}

export function transitionRun(from: RunState, event: RunEvent): RunState {
  const next = RUN_TRANSITIONS[from][event];
  if (!next) throw new IllegalTransitionError('run', from, event, Object.keys(RUN_TRANSITIONS[from]));
  return next;
}
