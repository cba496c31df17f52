import type { HttpSensorSpec } from '@tributary/domain';
import type { CheckOptions, CheckOutcome } from './sensor-checker';

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

/**
 * An HTTP sensor's check: the endpoint answers with an expected status and, when asked, a
 * body that matches. An unreachable endpoint or another status is "not yet", never a failure:
 * the sensor's timeout decides when to give up.
 */
export async function checkHttp(
  check: HttpSensorSpec,
  options: CheckOptions = {},
  timeoutMs = DEFAULT_HTTP_TIMEOUT_MS,
): Promise<CheckOutcome> {
  try {
    new URL(check.url);
  } catch {
    return { status: 'failed', message: `invalid URL '${check.url}'` };
  }
  let pattern: RegExp | undefined;
  if (check.bodyContains !== undefined) {
    try {
      pattern = new RegExp(check.bodyContains);
    } catch (error) {
      return { status: 'failed', message: `invalid 'bodyContains' pattern: ${(error as Error).message}` };
    }
  }

  const method = (check.method || 'GET').toUpperCase();
  const request = `${method} ${check.url}`;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const bodyCheck = options.code?.body;

  let response: Response;
  let body: string | undefined;
  try {
    response = await fetch(check.url, { method, headers: check.headers, signal, redirect: 'follow' });
    if (!check.expectStatus.includes(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      return {
        status: 'waiting',
        message: `${request} answered ${response.status}; expects ${check.expectStatus.join(' or ')}`,
      };
    }
    if (pattern !== undefined || bodyCheck !== undefined) body = await response.text();
    else await response.body?.cancel().catch(() => undefined);
  } catch (error) {
    if (timeout.aborted)
      return { status: 'waiting', message: `${request}: no answer within ${timeoutMs} ms` };
    if (options.signal?.aborted) return { status: 'waiting', message: `${request}: check aborted` };
    return { status: 'waiting', message: `${request} failed: ${describeFetchError(error)}` };
  }

  if (pattern !== undefined && !pattern.test(body ?? '')) {
    return {
      status: 'waiting',
      message: `${request} answered ${response.status} but the body does not match /${pattern.source}/`,
    };
  }
  if (bodyCheck !== undefined) {
    try {
      if (!(await bodyCheck(body ?? '', response.status))) {
        return {
          status: 'waiting',
          message: `${request} answered ${response.status} but the body does not pass the sensor's body check`,
        };
      }
    } catch (error) {
      return {
        status: 'waiting',
        message: `the sensor's body check threw on ${request}: ${(error as Error).message}`,
      };
    }
  }
  return { status: 'met', details: { url: check.url, status: response.status } };
}

/** fetch reports "fetch failed" and hides the reason (ECONNREFUSED, DNS, TLS) in `cause`. */
function describeFetchError(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  // Duck-typed: undici's errors may come from another realm than this module's Error.
  const cause = (error as { cause?: { message?: unknown; code?: unknown } })?.cause;
  if (typeof cause === 'object' && cause !== null) {
    const causeMessage = typeof cause.message === 'string' ? cause.message : '';
    const code = typeof cause.code === 'string' ? cause.code : undefined;
    // Several addresses tried (IPv4 and IPv6) give an AggregateError with a code and no message.
    if (!causeMessage) return code ?? message;
    return code && !causeMessage.includes(code) ? `${code}: ${causeMessage}` : causeMessage;
  }
  return message;
}
