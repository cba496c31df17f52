import { createHmac, timingSafeEqual } from 'crypto';

/**
 * The webhook signing scheme, pure (no I/O): the sender sends the unix time in seconds in
 * `X-Tributary-Timestamp` and `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`
 * in `X-Tributary-Signature`. Signing the timestamp with the body bounds how long a captured
 * request stays valid; the API refuses a signature it has already seen within that window.
 */
export const TIMESTAMP_HEADER = 'X-Tributary-Timestamp';
export const SIGNATURE_HEADER = 'X-Tributary-Signature';
/** Optional: the delivery id, used as the run's idempotency key (a retried delivery is one run). */
export const DELIVERY_HEADER = 'X-Tributary-Delivery';

/** How far a timestamp may be from the API's clock, either way (sender clocks drift a little). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
const MILLISECONDS_PATTERN = /^[0-9]{13,16}$/;

/** The `X-Tributary-Signature` value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

export type WebhookRejection =
  'malformed_timestamp' | 'malformed_signature' | 'bad_signature' | 'stale_timestamp' | 'future_timestamp';

export type WebhookVerification =
  | { ok: true; timestamp: number; signature: string }
  | { ok: false; reason: WebhookRejection; message: string };

export interface WebhookVerificationInput {
  secret: string;
  timestampHeader: string;
  signatureHeader: string;
  rawBody: string | Buffer;
  now: Date;
  toleranceSeconds?: number;
}

/**
 * Checks a delivery: the signature first (constant-time), then the time window, so only a
 * sender who holds the secret learns that its clock is off. On success `signature` is the
 * normalised header value (lower-case hex), the key a replay is detected on.
 */
export function verifyWebhook(input: WebhookVerificationInput): WebhookVerification {
  const tolerance = input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const timestampText = input.timestampHeader.trim();
  if (MILLISECONDS_PATTERN.test(timestampText)) {
    return {
      ok: false,
      reason: 'malformed_timestamp',
      message: `${TIMESTAMP_HEADER} looks like milliseconds; send the unix time in seconds (Math.floor(Date.now() / 1000))`,
    };
  }
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    return {
      ok: false,
      reason: 'malformed_timestamp',
      message: `${TIMESTAMP_HEADER} must be the unix time in whole seconds, e.g. ${Math.floor(input.now.getTime() / 1000)}`,
    };
  }
  const timestamp = Number(timestampText);
  const match = SIGNATURE_PATTERN.exec(input.signatureHeader.trim());
  if (!match) {
    return {
      ok: false,
      reason: 'malformed_signature',
      message: `${SIGNATURE_HEADER} must be 'sha256=' followed by 64 hex digits of HMAC-SHA256(secret, "<timestamp>.<body>")`,
    };
  }
  const given = Buffer.from(match[1].toLowerCase(), 'hex');
  const expected = Buffer.from(
    signWebhook(input.secret, timestamp, input.rawBody).slice('sha256='.length),
    'hex',
  );
  if (!timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: 'bad_signature',
      message: `${SIGNATURE_HEADER} does not match: sign "<timestamp>.<raw body>" with HMAC-SHA256 and the DAG's secret, over the exact bytes sent`,
    };
  }
  const nowSeconds = Math.floor(input.now.getTime() / 1000);
  const window = `${tolerance / 60} minutes`;
  if (timestamp < nowSeconds - tolerance) {
    return {
      ok: false,
      reason: 'stale_timestamp',
      message: `${TIMESTAMP_HEADER} ${timestamp} is more than ${window} old (the API's time is ${nowSeconds}); sign each delivery with the current time`,
    };
  }
  if (timestamp > nowSeconds + tolerance) {
    return {
      ok: false,
      reason: 'future_timestamp',
      message: `${TIMESTAMP_HEADER} ${timestamp} is more than ${window} in the future (the API's time is ${nowSeconds}); sign each delivery with the current time and check the sender's clock`,
    };
  }
  return { ok: true, timestamp, signature: `sha256=${match[1].toLowerCase()}` };
}
