import { createHmac } from 'crypto';
import { WEBHOOK_TOLERANCE_SECONDS, signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'orders-secret';
  const now = new Date('2026-04-25T12:00:00Z');
  const nowSeconds = now.getTime() / 1000;
  const body = '{"orderId":42,"items":["a","b"]}';
  const verify = (overrides: Partial<Parameters<typeof verifyWebhook>[0]> = {}) =>
    verifyWebhook({
      secret,
      timestampHeader: String(nowSeconds),
      signatureHeader: signWebhook(secret, nowSeconds, body),
      rawBody: Buffer.from(body),
      now,
      ...overrides,
    });

  it('signs "<timestamp>.<body>" with HMAC-SHA256 as sha256=<hex>', () => {
    // An independent computation of the documented scheme, so the docs' snippets agree with the code.
    const expected = createHmac('sha256', secret).update(`${nowSeconds}.${body}`).digest('hex');
    expect(signWebhook(secret, nowSeconds, body)).toBe(`sha256=${expected}`);
    expect(signWebhook(secret, nowSeconds, Buffer.from(body))).toBe(`sha256=${expected}`);
  });

  it('accepts a valid delivery and returns the normalised signature', () => {
    const hex = signWebhook(secret, nowSeconds, body).slice('sha256='.length);
    const result = verify({ signatureHeader: ` sha256=${hex.toUpperCase()} ` });
    expect(result).toEqual({
      ok: true,
      timestamp: nowSeconds,
      signature: signWebhook(secret, nowSeconds, body),
    });
  });

  it.each([
    ['a tampered body', { rawBody: Buffer.from(body.replace('42', '43')) }],
    [
      'a body re-serialised with other whitespace',
      { rawBody: Buffer.from(JSON.stringify(JSON.parse(body), null, 2)) },
    ],
    ['the wrong secret', { secret: 'another-secret' }],
    ['a timestamp other than the one signed', { timestampHeader: String(nowSeconds - 1) }],
  ])('refuses %s as bad_signature', (_case, overrides) => {
    const result = verify(overrides);
    expect(result).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(!result.ok && result.message).toContain('X-Tributary-Signature does not match');
  });

  it.each([
    ['no prefix', signWebhook(secret, nowSeconds, body).slice('sha256='.length)],
    ['another algorithm', signWebhook(secret, nowSeconds, body).replace('sha256=', 'sha1=')],
    ['too short', signWebhook(secret, nowSeconds, body).slice(0, -2)],
    ['not hex', `sha256=${'z'.repeat(64)}`],
    ['empty', ''],
  ])('refuses a signature header with %s as malformed_signature', (_case, signatureHeader) => {
    const result = verify({ signatureHeader });
    expect(result).toMatchObject({ ok: false, reason: 'malformed_signature' });
    expect(!result.ok && result.message).toContain("must be 'sha256=' followed by 64 hex digits");
  });

  it.each([
    ['an ISO date', '2026-04-25T12:00:00Z', 'unix time in whole seconds'],
    ['a fraction', `${nowSeconds}.5`, 'unix time in whole seconds'],
    ['a negative number', `-${nowSeconds}`, 'unix time in whole seconds'],
    ['milliseconds', String(now.getTime()), 'looks like milliseconds'],
  ])('refuses a timestamp header with %s as malformed_timestamp', (_case, timestampHeader, message) => {
    const result = verify({ timestampHeader });
    expect(result).toMatchObject({ ok: false, reason: 'malformed_timestamp' });
    expect(!result.ok && result.message).toContain(message);
  });

  // Signed correctly at `offset` seconds from the API's clock.
  const at = (offset: number) => {
    const timestamp = nowSeconds + offset;
    return verify({
      timestampHeader: String(timestamp),
      signatureHeader: signWebhook(secret, timestamp, body),
    });
  };

  it('accepts timestamps up to exactly 5 minutes away, either way', () => {
    expect(WEBHOOK_TOLERANCE_SECONDS).toBe(300);
    expect(at(-300)).toMatchObject({ ok: true });
    expect(at(300)).toMatchObject({ ok: true });
    expect(at(0)).toMatchObject({ ok: true });
  });

  it('refuses a timestamp one second too old, saying the window and to sign with the current time', () => {
    const result = at(-301);
    expect(result).toMatchObject({ ok: false, reason: 'stale_timestamp' });
    expect(!result.ok && result.message).toBe(
      `X-Tributary-Timestamp ${nowSeconds - 301} is more than 5 minutes old (the API's time is ${nowSeconds}); sign each delivery with the current time`,
    );
  });

  it('refuses a timestamp one second too far in the future', () => {
    const result = at(301);
    expect(result).toMatchObject({ ok: false, reason: 'future_timestamp' });
    expect(!result.ok && result.message).toContain('more than 5 minutes in the future');
  });

  it('checks the signature before the window: a forged old request is bad_signature, not stale', () => {
    const result = verify({
      timestampHeader: String(nowSeconds - 3600),
      signatureHeader: `sha256=${'0'.repeat(64)}`,
    });
    expect(result).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('uses the clock it is given, to the second (sub-second parts of now do not widen the window)', () => {
    const later = new Date(now.getTime() + 300_999);
    const result = verifyWebhook({
      secret,
      timestampHeader: String(nowSeconds),
      signatureHeader: signWebhook(secret, nowSeconds, body),
      rawBody: body,
      now: later,
    });
    expect(result).toMatchObject({ ok: true });
    const tooLate = verifyWebhook({
      secret,
      timestampHeader: String(nowSeconds),
      signatureHeader: signWebhook(secret, nowSeconds, body),
      rawBody: body,
      now: new Date(now.getTime() + 301_000),
    });
    expect(tooLate).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });
});
