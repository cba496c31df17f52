import { createHmac } from 'crypto';
import { CliError } from './cli-error';
import { signWebhookRequest } from './webhook.command';

describe('signWebhookRequest', () => {
  const now = new Date('2026-04-25T12:00:00.900Z');
  const timestamp = 1777118400;
  const hmac = (body: string) => createHmac('sha256', 'shh').update(`${timestamp}.${body}`).digest('hex');

  it('prints a curl command with the headers, signing the body exactly as given', () => {
    const body = '{"orderId": 42}';
    const signed = signWebhookRequest({ dagId: 'orders', body, secret: 'shh', now });
    expect(signed.curl).toBe(
      [
        `curl -sS -X POST 'http://127.0.0.1:8080/api/v1/webhooks/orders' \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -H 'X-Tributary-Timestamp: ${timestamp}' \\`,
        `  -H 'X-Tributary-Signature: sha256=${hmac(body)}' \\`,
        `  --data-binary '{"orderId": 42}'`,
      ].join('\n'),
    );
  });

  it('reads the secret from --secret-env, adds the delivery id, and quotes single quotes for the shell', () => {
    const body = `{"note": "it's"}`;
    const signed = signWebhookRequest({
      dagId: 'orders',
      body,
      secretEnv: 'ORDERS_SECRET',
      env: { ORDERS_SECRET: 'shh' },
      url: 'http://api.internal:9000/',
      delivery: 'dlv-1',
      now,
    });
    expect(signed.url).toBe('http://api.internal:9000/api/v1/webhooks/orders');
    expect(signed.headers['X-Tributary-Signature']).toBe(`sha256=${hmac(body)}`);
    expect(signed.headers['X-Tributary-Delivery']).toBe('dlv-1');
    expect(signed.curl).toContain(`--data-binary '{"note": "it'\\''s"}'`);
  });

  it.each([
    [{ body: '[1]', secret: 's' }, '--body: must be a JSON object'],
    [{ body: '{', secret: 's' }, '--body: not valid JSON'],
    [{ body: '{}' }, 'no secret: pass --secret-env NAME'],
    [{ body: '{}', secret: 's', secretEnv: 'X' }, 'either --secret-env or --secret'],
    [{ body: '{}', secretEnv: 'UNSET_X', env: {} }, '--secret-env: UNSET_X is not set in this shell'],
    [{ body: '{}', secret: 's', url: 'nope' }, "--url: 'nope' is not a URL"],
    [{ body: '{}', secret: 's', dagId: 'a b' }, "dagId: 'a b' is not a DAG id"],
  ])('refuses %j with a CliError (exit code 2)', (input, message) => {
    const sign = () => signWebhookRequest({ dagId: 'orders', now, ...input });
    expect(sign).toThrow(CliError);
    expect(sign).toThrow(message);
  });
});
