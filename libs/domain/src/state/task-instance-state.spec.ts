import {
  IllegalTransitionError,
  StaleTryError,
  TASK_INSTANCE_STATES,
  TERMINAL_TASK_INSTANCE_STATES,
  TaskInstanceEvent,
  TaskInstanceState,
  TaskInstanceStatus,
  canTransitionTaskInstance,
  isTerminalTaskInstanceState,
  transitionTaskInstance,
} from './task-instance-state';

const EVENTS: TaskInstanceEvent[] = [
  'dispatch',
  'claim',
  'succeed',
  'fail',
  'retry',
  'reschedule',
  'defer',
  'resume',
  'skip',
  'upstream_failed',
  'clear',
  'mark_success',
  'mark_failed',
];

/** The legal transitions, written out from DESIGN §5 and the event comments; everything else is illegal. */
const LEGAL: [TaskInstanceState, TaskInstanceEvent, TaskInstanceState][] = [
  ['scheduled', 'dispatch', 'queued'],
  ['scheduled', 'defer', 'deferred'],
  ['scheduled', 'skip', 'skipped'],
  ['scheduled', 'upstream_failed', 'upstream_failed'],
  ['scheduled', 'mark_success', 'success'],
  ['scheduled', 'mark_failed', 'failed'],

  ['queued', 'claim', 'running'],
  ['queued', 'retry', 'up_for_retry'],
  ['queued', 'fail', 'failed'],
  ['queued', 'skip', 'skipped'],
  ['queued', 'mark_success', 'success'],
  ['queued', 'mark_failed', 'failed'],

  ['running', 'succeed', 'success'],
  ['running', 'fail', 'failed'],
  ['running', 'retry', 'up_for_retry'],
  ['running', 'reschedule', 'up_for_reschedule'],
  ['running', 'defer', 'deferred'],
  ['running', 'skip', 'skipped'],
  ['running', 'mark_success', 'success'],
  ['running', 'mark_failed', 'failed'],

  ['up_for_retry', 'resume', 'scheduled'],
  ['up_for_retry', 'clear', 'scheduled'],
  ['up_for_retry', 'mark_success', 'success'],
  ['up_for_retry', 'mark_failed', 'failed'],

  ['up_for_reschedule', 'resume', 'scheduled'],
  ['up_for_reschedule', 'fail', 'failed'],
  ['up_for_reschedule', 'skip', 'skipped'],
  ['up_for_reschedule', 'clear', 'scheduled'],
  ['up_for_reschedule', 'mark_success', 'success'],
  ['up_for_reschedule', 'mark_failed', 'failed'],

  ['deferred', 'resume', 'scheduled'],
  ['deferred', 'succeed', 'success'],
  ['deferred', 'fail', 'failed'],
  ['deferred', 'retry', 'up_for_retry'],
  ['deferred', 'skip', 'skipped'],
  ['deferred', 'clear', 'scheduled'],
  ['deferred', 'mark_success', 'success'],
  ['deferred', 'mark_failed', 'failed'],

  ['success', 'clear', 'scheduled'],
  ['success', 'mark_failed', 'failed'],

  ['failed', 'clear', 'scheduled'],
  ['failed', 'mark_success', 'success'],

  ['upstream_failed', 'clear', 'scheduled'],
  ['upstream_failed', 'mark_success', 'success'],
  ['upstream_failed', 'mark_failed', 'failed'],

  ['skipped', 'clear', 'scheduled'],
  ['skipped', 'mark_success', 'success'],
  ['skipped', 'mark_failed', 'failed'],
];

const legalTarget = (from: TaskInstanceState, event: TaskInstanceEvent) =>
  LEGAL.find(([f, e]) => f === from && e === event)?.[2];
const legalEventsFrom = (from: TaskInstanceState) => LEGAL.filter(([f]) => f === from).map(([, e]) => e);

const ALL_PAIRS = TASK_INSTANCE_STATES.flatMap((state) =>
  EVENTS.map((event) => [state, event] as [TaskInstanceState, TaskInstanceEvent]),
);
const ILLEGAL = ALL_PAIRS.filter(([state, event]) => legalTarget(state, event) === undefined);

function illegalErrorOf(status: TaskInstanceStatus, event: TaskInstanceEvent): IllegalTransitionError {
  try {
    transitionTaskInstance(status, event);
  } catch (error) {
    expect(error).toBeInstanceOf(IllegalTransitionError);
    return error as IllegalTransitionError;
  }
  throw new Error(`expected '${event}' from '${status.state}' to be illegal`);
}

describe('task-instance state machine', () => {
  it('has exactly the ten states of DESIGN §5', () => {
    expect([...TASK_INSTANCE_STATES].sort()).toEqual(
      [
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
      ].sort(),
    );
  });

  it('covers every (state, event) pair: 10 states × 13 events', () => {
    expect(ALL_PAIRS).toHaveLength(130);
    expect(LEGAL).toHaveLength(48);
    expect(ILLEGAL).toHaveLength(82);
  });

  describe('legal transitions', () => {
    it.each(LEGAL)('%s --%s--> %s', (from, event, to) => {
      expect(canTransitionTaskInstance(from, event)).toBe(true);
      const next = transitionTaskInstance({ state: from, tryNumber: 3 }, event);
      const continuesTry = event === 'resume' && (from === 'up_for_reschedule' || from === 'deferred');
      expect(next).toEqual({
        state: to,
        // Starting work starts a try: a dispatch, or a deferrable sensor going straight to the triggerer.
        tryNumber: event === 'dispatch' || (event === 'defer' && from === 'scheduled') ? 4 : 3,
        ...(continuesTry ? { continuesTry: true } : {}),
      });
    });
  });

  describe('illegal transitions throw IllegalTransitionError naming the state and the event', () => {
    it.each(ILLEGAL)('%s --%s--> rejected', (from, event) => {
      expect(canTransitionTaskInstance(from, event)).toBe(false);
      const error = illegalErrorOf({ state: from, tryNumber: 1 }, event);
      expect(error.entity).toBe('task instance');
      expect(error.from).toBe(from);
      expect(error.event).toBe(event);
      expect([...error.allowed].sort()).toEqual(legalEventsFrom(from).sort());
      expect(error.message).toContain(`'${event}' is not allowed from state '${from}'`);
      expect(error.message.startsWith('illegal task instance transition: ')).toBe(true);
      expect(error.name).toBe('IllegalTransitionError');
    });
  });

  it('spells out the allowed events in the message', () => {
    const error = illegalErrorOf({ state: 'success', tryNumber: 1 }, 'dispatch');
    expect(error.message).toBe(
      "illegal task instance transition: 'dispatch' is not allowed from state 'success' (allowed from 'success': clear, mark_failed)",
    );
  });

  it("says a state is final when it allows nothing (the error's own wording)", () => {
    const error = new IllegalTransitionError('task instance', 'gone', 'claim', []);
    expect(error.message).toBe(
      "illegal task instance transition: 'claim' is not allowed from state 'gone' ('gone' is final)",
    );
  });

  describe('terminal states', () => {
    it.each<[TaskInstanceState, boolean]>([
      ['scheduled', false],
      ['queued', false],
      ['running', false],
      ['up_for_retry', false],
      ['up_for_reschedule', false],
      ['deferred', false],
      ['success', true],
      ['failed', true],
      ['upstream_failed', true],
      ['skipped', true],
    ])('%s terminal: %s', (state, terminal) => {
      expect(isTerminalTaskInstanceState(state)).toBe(terminal);
      expect(TERMINAL_TASK_INSTANCE_STATES.has(state)).toBe(terminal);
    });

    it.each(['success', 'failed', 'upstream_failed', 'skipped'] as TaskInstanceState[])(
      'an operator can clear %s back to scheduled, keeping the try number',
      (state) => {
        expect(transitionTaskInstance({ state, tryNumber: 2 }, 'clear')).toEqual({
          state: 'scheduled',
          tryNumber: 2,
        });
      },
    );

    it('a deferrable sensor deferred from scheduled starts a try; resumed after its trigger it keeps that try', () => {
      const deferred = transitionTaskInstance({ state: 'scheduled', tryNumber: 0 }, 'defer');
      expect(deferred).toEqual({ state: 'deferred', tryNumber: 1 });
      const resumed = transitionTaskInstance(deferred, 'resume');
      expect(resumed).toEqual({ state: 'scheduled', tryNumber: 1, continuesTry: true });
      expect(transitionTaskInstance(resumed, 'dispatch')).toEqual({ state: 'queued', tryNumber: 1 });
    });

    it('a cleared TI starts a new try on its next dispatch', () => {
      const cleared = transitionTaskInstance({ state: 'failed', tryNumber: 3 }, 'clear');
      expect(transitionTaskInstance(cleared, 'dispatch')).toEqual({ state: 'queued', tryNumber: 4 });
    });
  });

  describe('tryNumber', () => {
    it('starts new tries only on dispatch and on deferring straight from scheduled', () => {
      for (const [from, event] of LEGAL) {
        const next = transitionTaskInstance({ state: from, tryNumber: 5 }, event);
        expect({ from, event, tryNumber: next.tryNumber }).toEqual({
          from,
          event,
          tryNumber: event === 'dispatch' || (event === 'defer' && from === 'scheduled') ? 6 : 5,
        });
      }
    });

    it('the first dispatch makes try 1', () => {
      expect(transitionTaskInstance({ state: 'scheduled', tryNumber: 0 }, 'dispatch')).toEqual({
        state: 'queued',
        tryNumber: 1,
      });
    });

    it('does not change the input status', () => {
      const status: TaskInstanceStatus = { state: 'scheduled', tryNumber: 0 };
      transitionTaskInstance(status, 'dispatch');
      expect(status).toEqual({ state: 'scheduled', tryNumber: 0 });
    });
  });

  describe('stale tries', () => {
    it('rejects an event for an older try with StaleTryError', () => {
      let error: unknown;
      try {
        transitionTaskInstance({ state: 'running', tryNumber: 2 }, 'fail', 1);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StaleTryError);
      const stale = error as StaleTryError;
      expect(stale.currentTry).toBe(2);
      expect(stale.eventTry).toBe(1);
      expect(stale.message).toBe('stale event for try 1; the task instance is on try 2');
      expect(stale.name).toBe('StaleTryError');
    });

    it('rejects an event for a try that was never dispatched', () => {
      expect(() => transitionTaskInstance({ state: 'running', tryNumber: 2 }, 'succeed', 3)).toThrow(
        new StaleTryError(2, 3),
      );
      expect(new StaleTryError(2, 3).message).toBe(
        'event for try 3, which was never dispatched; the task instance is on try 2',
      );
    });

    it('checks staleness before legality (a late result of an old try is stale, not illegal)', () => {
      expect(() => transitionTaskInstance({ state: 'success', tryNumber: 3 }, 'succeed', 2)).toThrow(
        StaleTryError,
      );
    });

    it('accepts an event for the current try, or without a try', () => {
      expect(transitionTaskInstance({ state: 'running', tryNumber: 2 }, 'succeed', 2)).toEqual({
        state: 'success',
        tryNumber: 2,
      });
      expect(transitionTaskInstance({ state: 'running', tryNumber: 2 }, 'succeed')).toEqual({
        state: 'success',
        tryNumber: 2,
      });
    });

    it('a result of try 1 arriving after try 2 was dispatched is stale', () => {
      let ti: TaskInstanceStatus = { state: 'scheduled', tryNumber: 0 };
      ti = transitionTaskInstance(ti, 'dispatch');
      ti = transitionTaskInstance(ti, 'claim', 1);
      ti = transitionTaskInstance(ti, 'retry', 1);
      ti = transitionTaskInstance(ti, 'resume');
      ti = transitionTaskInstance(ti, 'dispatch');
      expect(ti).toEqual({ state: 'queued', tryNumber: 2 });
      expect(() => transitionTaskInstance(ti, 'succeed', 1)).toThrow(StaleTryError);
    });
  });

  /** Applies events in order and records every state reached. */
  function walk(start: TaskInstanceStatus, events: TaskInstanceEvent[]): TaskInstanceStatus[] {
    const seen: TaskInstanceStatus[] = [];
    let status = start;
    for (const event of events) {
      status = transitionTaskInstance(status, event, status.tryNumber);
      seen.push(status);
    }
    return seen;
  }

  describe('lifecycles', () => {
    it('happy path: scheduled → queued → running → success on try 1', () => {
      expect(walk({ state: 'scheduled', tryNumber: 0 }, ['dispatch', 'claim', 'succeed'])).toEqual([
        { state: 'queued', tryNumber: 1 },
        { state: 'running', tryNumber: 1 },
        { state: 'success', tryNumber: 1 },
      ]);
    });

    it('retry: fails once, waits, succeeds on try 2', () => {
      expect(
        walk({ state: 'scheduled', tryNumber: 0 }, [
          'dispatch',
          'claim',
          'retry',
          'resume',
          'dispatch',
          'claim',
          'succeed',
        ]),
      ).toEqual([
        { state: 'queued', tryNumber: 1 },
        { state: 'running', tryNumber: 1 },
        { state: 'up_for_retry', tryNumber: 1 },
        { state: 'scheduled', tryNumber: 1 },
        { state: 'queued', tryNumber: 2 },
        { state: 'running', tryNumber: 2 },
        { state: 'success', tryNumber: 2 },
      ]);
    });

    it('retries exhausted: the last try fails terminally, and cannot be dispatched again until cleared', () => {
      const states = walk({ state: 'scheduled', tryNumber: 0 }, [
        'dispatch',
        'claim',
        'retry',
        'resume',
        'dispatch',
        'claim',
        'fail',
      ]);
      const last = states[states.length - 1];
      expect(last).toEqual({ state: 'failed', tryNumber: 2 });
      expect(() => transitionTaskInstance(last, 'dispatch')).toThrow(IllegalTransitionError);
      expect(walk(last, ['clear', 'dispatch', 'claim', 'succeed'])).toEqual([
        { state: 'scheduled', tryNumber: 2 },
        { state: 'queued', tryNumber: 3 },
        { state: 'running', tryNumber: 3 },
        { state: 'success', tryNumber: 3 },
      ]);
    });

    it('reschedule-mode sensor: frees the slot between pokes, then succeeds', () => {
      expect(
        walk({ state: 'scheduled', tryNumber: 0 }, [
          'dispatch',
          'claim',
          'reschedule',
          'resume',
          'dispatch',
          'claim',
          'succeed',
        ]).map((s) => s.state),
      ).toEqual(['queued', 'running', 'up_for_reschedule', 'scheduled', 'queued', 'running', 'success']);
    });

    it('sensor pokes do not spend tries: re-dispatch after reschedule or deferral continues the same try', () => {
      const pokes = walk({ state: 'scheduled', tryNumber: 0 }, [
        'dispatch',
        'claim',
        'reschedule',
        'resume',
        'dispatch',
        'claim',
        'defer',
        'resume',
        'dispatch',
        'claim',
        'retry',
        'resume',
        'dispatch',
      ]);
      expect(pokes.map((s) => s.tryNumber)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
      expect(pokes[3]).toEqual({ state: 'scheduled', tryNumber: 1, continuesTry: true });
      expect(pokes[4]).toEqual({ state: 'queued', tryNumber: 1 });
    });

    it('reschedule-mode sensor: times out while waiting (fail) or soft-fails (skip)', () => {
      const waiting: TaskInstanceStatus = { state: 'up_for_reschedule', tryNumber: 1 };
      expect(transitionTaskInstance(waiting, 'fail').state).toBe('failed');
      expect(transitionTaskInstance(waiting, 'skip').state).toBe('skipped');
    });

    it('deferrable sensor: hands the wait to the triggerer and completes from the trigger', () => {
      expect(walk({ state: 'scheduled', tryNumber: 0 }, ['dispatch', 'claim', 'defer', 'succeed'])).toEqual([
        { state: 'queued', tryNumber: 1 },
        { state: 'running', tryNumber: 1 },
        { state: 'deferred', tryNumber: 1 },
        { state: 'success', tryNumber: 1 },
      ]);
    });

    it('deferrable sensor: the trigger fires and work remains, so it is scheduled again', () => {
      expect(
        walk({ state: 'scheduled', tryNumber: 0 }, ['dispatch', 'claim', 'defer', 'resume', 'dispatch']).map(
          (s) => s.state,
        ),
      ).toEqual(['queued', 'running', 'deferred', 'scheduled', 'queued']);
    });

    it('deferred sensor: a failed trigger can retry, fail or soft-fail', () => {
      const deferred: TaskInstanceStatus = { state: 'deferred', tryNumber: 1 };
      expect(transitionTaskInstance(deferred, 'retry').state).toBe('up_for_retry');
      expect(transitionTaskInstance(deferred, 'fail').state).toBe('failed');
      expect(transitionTaskInstance(deferred, 'skip').state).toBe('skipped');
    });

    it('a TI whose upstream failed never runs', () => {
      const ti = transitionTaskInstance({ state: 'scheduled', tryNumber: 0 }, 'upstream_failed');
      expect(ti).toEqual({ state: 'upstream_failed', tryNumber: 0 });
      expect(() => transitionTaskInstance(ti, 'dispatch')).toThrow(IllegalTransitionError);
    });

    it('an executor that loses a queued command before claiming can retry it', () => {
      expect(walk({ state: 'scheduled', tryNumber: 0 }, ['dispatch', 'retry', 'resume', 'dispatch'])).toEqual(
        [
          { state: 'queued', tryNumber: 1 },
          { state: 'up_for_retry', tryNumber: 1 },
          { state: 'scheduled', tryNumber: 1 },
          { state: 'queued', tryNumber: 2 },
        ],
      );
    });

    it('a duplicate claim of a running TI is illegal (the fenced claim already happened)', () => {
      expect(() => transitionTaskInstance({ state: 'running', tryNumber: 1 }, 'claim')).toThrow(
        IllegalTransitionError,
      );
    });
  });
});
