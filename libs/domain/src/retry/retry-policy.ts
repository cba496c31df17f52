import { RetryPolicyDefinition } from '../dag/dag-definition';
import { fnv1a32 } from '../text/hash';
import { durationMs } from '../time/duration';

export interface RetryPolicy {
  retries: number;
  retryDelayMs: number;
  exponentialBackoff: boolean;
  maxRetryDelayMs?: number;
  jitter: number;
}

export function retryPolicyFrom(definition: RetryPolicyDefinition): RetryPolicy {
  return {
    retries: definition.retries,
    retryDelayMs: durationMs(definition.retryDelay),
    exponentialBackoff: definition.exponentialBackoff,
    maxRetryDelayMs:
      definition.maxRetryDelay === undefined ? undefined : durationMs(definition.maxRetryDelay),
    jitter: definition.jitter ?? 0,
  };
}

/**
 * Delay before the try after failed try `failedTry` (1-based). Exponential:
 * retryDelay · 2^(failedTry-1), capped by maxRetryDelay. Jitter shortens the delay by up
 * to `jitter` of itself, drawn from a hash of `seed` and the try, so it is reproducible
 * (same TI, same try → same delay) yet spreads retries of different TIs apart.
 */
export function retryDelayMs(policy: RetryPolicy, failedTry: number, seed = ''): number {
  let delay = policy.exponentialBackoff
    ? policy.retryDelayMs * Math.pow(2, Math.max(0, failedTry - 1))
    : policy.retryDelayMs;
  if (policy.maxRetryDelayMs !== undefined) delay = Math.min(delay, policy.maxRetryDelayMs);
  if (policy.jitter > 0) delay -= (delay * policy.jitter * fnv1a32(`${seed}#${failedTry}`)) / 0x1_0000_0000;
  return Math.round(delay);
}

export type FailureDecision = { action: 'retry'; delayMs: number; nextTry: number } | { action: 'fail' };

/**
 * What to do when try `failedTry` failed. `triesBeforeClear` counts tries made before the
 * TI was last cleared by an operator: a cleared TI gets its full retry budget again.
 */
export function decideAfterFailure(
  policy: RetryPolicy,
  failedTry: number,
  options: { seed?: string; triesBeforeClear?: number } = {},
): FailureDecision {
  const triesThisRound = failedTry - (options.triesBeforeClear ?? 0);
  if (triesThisRound > policy.retries) return { action: 'fail' };
  return {
    action: 'retry',
    delayMs: retryDelayMs(policy, triesThisRound, options.seed),
    nextTry: failedTry + 1,
  };
}
