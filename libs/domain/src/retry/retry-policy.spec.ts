import { RetryPolicy, decideAfterFailure, retryDelayMs, retryPolicyFrom } from './retry-policy';

const MINUTE = 60_000;

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  retries: 3,
  retryDelayMs: MINUTE,
  exponentialBackoff: false,
  jitter: 0,
  ...overrides,
});

describe('retryPolicyFrom', () => {
  it('converts durations to milliseconds and defaults jitter to 0', () => {
    expect(
      retryPolicyFrom({ retries: 2, retryDelay: '5m', exponentialBackoff: true, maxRetryDelay: '1h' }),
    ).toEqual({
      retries: 2,
      retryDelayMs: 5 * MINUTE,
      exponentialBackoff: true,
      maxRetryDelayMs: 60 * MINUTE,
      jitter: 0,
    });
  });

  it('keeps jitter and numeric delays, and leaves maxRetryDelayMs undefined without a cap', () => {
    const p = retryPolicyFrom({ retries: 0, retryDelay: 1500, exponentialBackoff: false, jitter: 0.25 });
    expect(p.retryDelayMs).toBe(1500);
    expect(p.jitter).toBe(0.25);
    expect(p.maxRetryDelayMs).toBeUndefined();
  });

  it('throws on an invalid duration (validation should have caught it)', () => {
    expect(() => retryPolicyFrom({ retries: 1, retryDelay: 'soon', exponentialBackoff: false })).toThrow(
      "'soon' is not a duration",
    );
  });
});

describe('retryDelayMs', () => {
  it('fixed delay: every try waits retryDelay', () => {
    const p = policy({ retryDelayMs: 5 * MINUTE });
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(p, n))).toEqual([
      5 * MINUTE,
      5 * MINUTE,
      5 * MINUTE,
      5 * MINUTE,
      5 * MINUTE,
    ]);
  });

  it('exponential backoff doubles: retryDelay · 2^(failedTry-1)', () => {
    const p = policy({ exponentialBackoff: true });
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(p, n))).toEqual([
      MINUTE,
      2 * MINUTE,
      4 * MINUTE,
      8 * MINUTE,
      16 * MINUTE,
    ]);
  });

  it('exponential backoff is capped at maxRetryDelay', () => {
    const p = policy({ exponentialBackoff: true, maxRetryDelayMs: 5 * MINUTE });
    expect([1, 2, 3, 4, 5, 20].map((n) => retryDelayMs(p, n))).toEqual([
      MINUTE,
      2 * MINUTE,
      4 * MINUTE,
      5 * MINUTE,
      5 * MINUTE,
      5 * MINUTE,
    ]);
  });

  it('the cap applies to a fixed delay too', () => {
    expect(retryDelayMs(policy({ retryDelayMs: 10 * MINUTE, maxRetryDelayMs: 3 * MINUTE }), 1)).toBe(
      3 * MINUTE,
    );
  });

  it('treats try 0 or less like try 1 (no shrinking below retryDelay)', () => {
    const p = policy({ exponentialBackoff: true });
    expect(retryDelayMs(p, 0)).toBe(MINUTE);
    expect(retryDelayMs(p, -3)).toBe(MINUTE);
  });

  it('a zero delay stays zero', () => {
    expect(retryDelayMs(policy({ retryDelayMs: 0, exponentialBackoff: true }), 4)).toBe(0);
  });

  describe('jitter', () => {
    const jittered = policy({ exponentialBackoff: true, jitter: 0.5, maxRetryDelayMs: 30 * MINUTE });

    it('is deterministic for the same seed and try', () => {
      for (const failedTry of [1, 2, 3]) {
        const first = retryDelayMs(jittered, failedTry, 'etl/run-1/extract');
        expect(retryDelayMs(jittered, failedTry, 'etl/run-1/extract')).toBe(first);
      }
    });

    it('stays within [delay·(1-jitter), delay]', () => {
      for (let i = 0; i < 200; i++) {
        for (const [failedTry, base] of [
          [1, MINUTE],
          [3, 4 * MINUTE],
          [10, 30 * MINUTE], // capped
        ]) {
          const delay = retryDelayMs(jittered, failedTry, `ti-${i}`);
          expect(delay).toBeGreaterThanOrEqual(base * 0.5);
          expect(delay).toBeLessThanOrEqual(base);
        }
      }
    });

    it('whole milliseconds only', () => {
      const delay = retryDelayMs(policy({ retryDelayMs: 1001, jitter: 0.37 }), 1, 'x');
      expect(Number.isInteger(delay)).toBe(true);
    });

    it('spreads different TIs apart', () => {
      const delays = new Set(
        Array.from({ length: 50 }, (_, i) => retryDelayMs(jittered, 2, `dag/run/task-${i}`)),
      );
      expect(delays.size).toBeGreaterThan(40);
      expect(retryDelayMs(jittered, 2, 'etl/run-1/extract')).not.toBe(
        retryDelayMs(jittered, 2, 'etl/run-1/load'),
      );
    });

    it('differs between tries of the same TI (beyond the backoff)', () => {
      const fractions = [1, 2, 3, 4].map((n) => {
        const p = policy({ jitter: 1 });
        return retryDelayMs(p, n, 'same-seed');
      });
      expect(new Set(fractions).size).toBeGreaterThan(1);
    });

    it('jitter 0 leaves the delay untouched whatever the seed', () => {
      expect(retryDelayMs(policy({ exponentialBackoff: true }), 3, 'any-seed')).toBe(4 * MINUTE);
    });

    it('jitter 1 can shorten a delay by up to all of it', () => {
      const full = policy({ jitter: 1 });
      for (let i = 0; i < 100; i++) {
        const delay = retryDelayMs(full, 1, `s${i}`);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(MINUTE);
      }
    });
  });
});

describe('decideAfterFailure', () => {
  it('retries while tries remain, then fails: retries=2 means 3 tries', () => {
    const p = policy({ retries: 2, exponentialBackoff: true });
    expect(decideAfterFailure(p, 1)).toEqual({ action: 'retry', delayMs: MINUTE, nextTry: 2 });
    expect(decideAfterFailure(p, 2)).toEqual({ action: 'retry', delayMs: 2 * MINUTE, nextTry: 3 });
    expect(decideAfterFailure(p, 3)).toEqual({ action: 'fail' });
    expect(decideAfterFailure(p, 4)).toEqual({ action: 'fail' });
  });

  it('retries=0 fails on the first failure', () => {
    expect(decideAfterFailure(policy({ retries: 0 }), 1)).toEqual({ action: 'fail' });
  });

  it('uses the seed for jitter, reproducibly', () => {
    const p = policy({ retries: 5, jitter: 0.5 });
    const a = decideAfterFailure(p, 1, { seed: 'dag/run/task' });
    const b = decideAfterFailure(p, 1, { seed: 'dag/run/task' });
    expect(a).toEqual(b);
    expect(a.action).toBe('retry');
    if (a.action === 'retry') {
      expect(a.delayMs).toBe(retryDelayMs(p, 1, 'dag/run/task'));
      expect(a.delayMs).toBeGreaterThanOrEqual(MINUTE / 2);
      expect(a.delayMs).toBeLessThanOrEqual(MINUTE);
    }
  });

  describe('triesBeforeClear resets the retry budget after an operator clear', () => {
    const p = policy({ retries: 1, exponentialBackoff: true });

    it('without it, try 3 of a retries=1 TI fails', () => {
      expect(decideAfterFailure(p, 3)).toEqual({ action: 'fail' });
    });

    it('after a clear at try 2, try 3 is the first try of the new round and retries', () => {
      expect(decideAfterFailure(p, 3, { triesBeforeClear: 2 })).toEqual({
        action: 'retry',
        delayMs: MINUTE,
        nextTry: 4,
      });
      expect(decideAfterFailure(p, 4, { triesBeforeClear: 2 })).toEqual({ action: 'fail' });
    });

    it('the backoff restarts from retryDelay too', () => {
      const big = policy({ retries: 5, exponentialBackoff: true });
      expect(decideAfterFailure(big, 5)).toEqual({ action: 'retry', delayMs: 16 * MINUTE, nextTry: 6 });
      expect(decideAfterFailure(big, 5, { triesBeforeClear: 4 })).toEqual({
        action: 'retry',
        delayMs: MINUTE,
        nextTry: 6,
      });
    });
  });
});
