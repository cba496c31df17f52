import { TaskInstanceState } from '../state/task-instance-state';
import { TRIGGER_RULES, TriggerDecision, TriggerRule, evaluateTriggerRule } from './trigger-rule';

const RUN = 'run';
const WAIT = 'wait';
const SKIP = 'skip';
const UPF = 'upstream_failed';

type Row = [
  upstreams: TaskInstanceState[],
  allSuccess: TriggerDecision,
  allDone: TriggerDecision,
  allFailed: TriggerDecision,
  oneSuccess: TriggerDecision,
  oneFailed: TriggerDecision,
  noneFailed: TriggerDecision,
];

// Written from the rule names: "all_success" waits for every upstream to succeed, decides
// upstream_failed on the first failure and propagates skips; "one_*" decide on the first
// match; "all_done" only waits; "none_failed" treats skipped as fine.
// prettier-ignore
const TABLE: Row[] = [
  //  upstreams                                    all_success all_done all_failed one_success one_failed none_failed
  [['success'],                                    RUN,        RUN,     SKIP,      RUN,        SKIP,      RUN],
  [['success', 'success'],                         RUN,        RUN,     SKIP,      RUN,        SKIP,      RUN],
  [['failed'],                                     UPF,        RUN,     RUN,       UPF,        RUN,       UPF],
  [['upstream_failed'],                            UPF,        RUN,     RUN,       UPF,        RUN,       UPF],
  [['failed', 'failed'],                           UPF,        RUN,     RUN,       UPF,        RUN,       UPF],
  [['failed', 'upstream_failed'],                  UPF,        RUN,     RUN,       UPF,        RUN,       UPF],
  [['skipped'],                                    SKIP,       RUN,     SKIP,      SKIP,       SKIP,      RUN],
  [['skipped', 'skipped'],                         SKIP,       RUN,     SKIP,      SKIP,       SKIP,      RUN],
  [['success', 'failed'],                          UPF,        RUN,     SKIP,      RUN,        RUN,       UPF],
  [['success', 'skipped'],                         SKIP,       RUN,     SKIP,      RUN,        SKIP,      RUN],
  [['failed', 'skipped'],                          UPF,        RUN,     SKIP,      UPF,        RUN,       UPF],
  [['upstream_failed', 'skipped'],                 UPF,        RUN,     SKIP,      UPF,        RUN,       UPF],
  [['success', 'skipped', 'failed'],               UPF,        RUN,     SKIP,      RUN,        RUN,       UPF],
  // Undecided upstreams: wait, unless the rule can already decide.
  [['running'],                                    WAIT,       WAIT,    WAIT,      WAIT,       WAIT,      WAIT],
  [['success', 'running'],                         WAIT,       WAIT,    SKIP,      RUN,        WAIT,      WAIT],
  [['failed', 'running'],                          UPF,        WAIT,    WAIT,      WAIT,       RUN,       UPF],
  [['skipped', 'running'],                         SKIP,       WAIT,    SKIP,      WAIT,       WAIT,      WAIT],
  [['upstream_failed', 'success', 'queued'],       UPF,        WAIT,    SKIP,      RUN,        RUN,       UPF],
  // A TI waiting to retry has not failed yet.
  [['up_for_retry', 'success'],                    WAIT,       WAIT,    SKIP,      RUN,        WAIT,      WAIT],
  [['up_for_retry', 'failed'],                     UPF,        WAIT,    WAIT,      WAIT,       RUN,       UPF],
  [['deferred', 'skipped'],                        SKIP,       WAIT,    SKIP,      WAIT,       WAIT,      WAIT],
];

const COLUMNS: TriggerRule[] = [
  'all_success',
  'all_done',
  'all_failed',
  'one_success',
  'one_failed',
  'none_failed',
];

const cases = TABLE.flatMap(([upstreams, ...decisions]) =>
  COLUMNS.map((rule, i) => [rule, upstreams.join(', '), upstreams, decisions[i]] as const),
);

describe('evaluateTriggerRule', () => {
  it('knows exactly the six rules', () => {
    expect([...TRIGGER_RULES].sort()).toEqual(
      ['all_done', 'all_failed', 'all_success', 'none_failed', 'one_failed', 'one_success'].sort(),
    );
  });

  it.each(TRIGGER_RULES)('%s: a task without upstreams runs', (rule) => {
    expect(evaluateTriggerRule(rule, [])).toBe('run');
  });

  it.each(cases)('%s with upstreams [%s] → %s', (rule, _label, upstreams, decision) => {
    expect(evaluateTriggerRule(rule, upstreams)).toBe(decision);
  });

  const undecided: TaskInstanceState[] = [
    'scheduled',
    'queued',
    'running',
    'up_for_retry',
    'up_for_reschedule',
    'deferred',
  ];

  it.each(
    TRIGGER_RULES.flatMap((rule) =>
      undecided.map((state) => [rule, state] as [TriggerRule, TaskInstanceState]),
    ),
  )('%s waits while its only upstream is %s', (rule, state) => {
    expect(evaluateTriggerRule(rule, [state])).toBe('wait');
  });

  it('does not depend on the order of upstreams', () => {
    const states: TaskInstanceState[] = ['success', 'skipped', 'failed', 'running'];
    for (const rule of TRIGGER_RULES) {
      const forward = evaluateTriggerRule(rule, states);
      expect(evaluateTriggerRule(rule, [...states].reverse())).toBe(forward);
    }
  });

  describe('skipped propagation', () => {
    it('a chain of all_success tasks below a skipped task is skipped, not failed', () => {
      // a (skipped) -> b -> c, both all_success: b takes 'skip', and so c sees a skipped upstream.
      const b = evaluateTriggerRule('all_success', ['skipped']);
      expect(b).toBe('skip');
      const bState: TaskInstanceState = 'skipped'; // the state a 'skip' decision puts b in
      expect(evaluateTriggerRule('all_success', ['success', bState])).toBe('skip');
    });

    it('none_failed runs past a skipped branch (the join after a branch)', () => {
      expect(evaluateTriggerRule('none_failed', ['success', 'skipped'])).toBe('run');
    });

    it('upstream_failed propagates like a failure', () => {
      expect(evaluateTriggerRule('all_success', ['success', 'upstream_failed'])).toBe('upstream_failed');
    });
  });
});
