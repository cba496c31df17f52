import { RUN_STATES, RUN_TYPES, RunEvent, RunState, isTerminalRunState, transitionRun } from './run-state';
import { IllegalTransitionError } from './task-instance-state';

const EVENTS: RunEvent[] = ['start', 'succeed', 'fail', 'resume', 'rerun'];

const LEGAL: [RunState, RunEvent, RunState][] = [
  ['queued', 'start', 'running'],
  ['queued', 'fail', 'failed'],
  ['running', 'succeed', 'success'],
  ['running', 'fail', 'failed'],
  ['running', 'resume', 'running'],
  ['success', 'resume', 'running'],
  ['success', 'rerun', 'queued'],
  ['failed', 'resume', 'running'],
  ['failed', 'rerun', 'queued'],
];

const ALL_PAIRS = RUN_STATES.flatMap((state) =>
  EVENTS.map((event) => [state, event] as [RunState, RunEvent]),
);
const ILLEGAL = ALL_PAIRS.filter(([s, e]) => !LEGAL.some(([f, ev]) => f === s && ev === e));
const allowedFrom = (state: RunState) => LEGAL.filter(([f]) => f === state).map(([, e]) => e);

describe('run state machine', () => {
  it('has the run states and run types of DESIGN §1 and §5', () => {
    expect([...RUN_STATES].sort()).toEqual(['failed', 'queued', 'running', 'success']);
    expect([...RUN_TYPES].sort()).toEqual(['asset_triggered', 'backfill', 'external', 'manual', 'scheduled']);
  });

  it('covers every (state, event) pair', () => {
    expect(ALL_PAIRS).toHaveLength(20);
    expect(ILLEGAL).toHaveLength(11);
  });

  it.each(LEGAL)('%s --%s--> %s', (from, event, to) => {
    expect(transitionRun(from, event)).toBe(to);
  });

  it.each(ILLEGAL)('%s --%s--> rejected with IllegalTransitionError', (from, event) => {
    let error: unknown;
    try {
      transitionRun(from, event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IllegalTransitionError);
    const illegal = error as IllegalTransitionError;
    expect(illegal.entity).toBe('run');
    expect(illegal.from).toBe(from);
    expect(illegal.event).toBe(event);
    expect([...illegal.allowed].sort()).toEqual(allowedFrom(from).sort());
    expect(illegal.message).toContain(
      `illegal run transition: '${event}' is not allowed from state '${from}'`,
    );
  });

  it('lists the allowed events in the message', () => {
    expect(() => transitionRun('queued', 'succeed')).toThrow(
      "illegal run transition: 'succeed' is not allowed from state 'queued' (allowed from 'queued': start, fail)",
    );
  });

  it.each<[RunState, boolean]>([
    ['queued', false],
    ['running', false],
    ['success', true],
    ['failed', true],
  ])('%s terminal: %s', (state, terminal) => {
    expect(isTerminalRunState(state)).toBe(terminal);
  });

  it('lifecycle: queued → running → failed, operator clears a TI → running → success', () => {
    let state: RunState = 'queued';
    const seen: RunState[] = [];
    for (const event of ['start', 'fail', 'resume', 'succeed'] as RunEvent[]) {
      state = transitionRun(state, event);
      seen.push(state);
    }
    expect(seen).toEqual(['running', 'failed', 'running', 'success']);
  });

  it('a deliberate rerun sends a finished run back to the queue', () => {
    expect(transitionRun(transitionRun('success', 'rerun'), 'start')).toBe('running');
  });

  it('a run cannot be rerun while it is still queued or running', () => {
    expect(() => transitionRun('running', 'rerun')).toThrow(IllegalTransitionError);
    expect(() => transitionRun('queued', 'rerun')).toThrow(IllegalTransitionError);
  });
});
