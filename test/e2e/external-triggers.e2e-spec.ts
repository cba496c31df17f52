import { execFileSync } from 'child_process';
import * as path from 'path';
import { signWebhook } from '@tributary/api';
import { runCli } from '@tributary/cli';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';

jest.setTimeout(60_000);

const SECRET_ENV = 'TEST_ORDERS_WEBHOOK_SECRET';
const SECRET = 'whsec-test-orders';

// External triggers over real HTTP on 127.0.0.1: REST with idempotency keys, signed webhooks, the CLI signer.
describe('external triggers (standalone)', () => {
  let o: StandaloneOrchestrator;
  const clock = new ManualClock(new Date('2026-04-25T12:00:00Z'));
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

  const reply = async (response: Response) => ({
    status: response.status,
    // Bodies are asserted field by field below.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: (await response.json()) as any,
  });

  const rest = async (method: string, url: string, body?: unknown) =>
    reply(
      await fetch(`${o.url}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${o.adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );

  /** Sends `body` (exact bytes) to a DAG's webhook, signed at `timestamp` unless headers are overridden. */
  const deliver = async (
    dagId: string,
    body: string,
    options: {
      timestamp?: number;
      secret?: string;
      delivery?: string;
      contentType?: string;
      headers?: Record<string, string | undefined>;
    } = {},
  ) => {
    const timestamp = options.timestamp ?? nowSeconds();
    const headers: Record<string, string | undefined> = {
      'content-type': options.contentType ?? 'application/json',
      'x-tributary-timestamp': String(timestamp),
      'x-tributary-signature': signWebhook(options.secret ?? SECRET, timestamp, body),
      ...(options.delivery ? { 'x-tributary-delivery': options.delivery } : {}),
      ...options.headers,
    };
    const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    return reply(await fetch(`${o.url}/api/v1/webhooks/${dagId}`, { method: 'POST', headers: sent, body }));
  };

  const runsWithConf = async (dagId: string, conf: unknown) =>
    (
      await o.db.manager.query(
        `SELECT run_id, run_type, conf FROM dag_runs WHERE dag_id = $1 AND conf = $2::jsonb ORDER BY id`,
        [dagId, JSON.stringify(conf)],
      )
    ).map((r: { run_id: string; run_type: string }) => ({ runId: r.run_id, runType: r.run_type }));

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    o = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(__dirname, '..', 'fixtures', 'webhooks'),
      dataDir: 'memory://',
      clock,
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
  });

  afterAll(async () => {
    await o?.stop();
    delete process.env[SECRET_ENV];
  });

  describe('REST POST /api/v1/dags/:dagId/runs', () => {
    it('answers a repeated idempotencyKey with the first runId, as a duplicate, and creates one run', async () => {
      const body = { idempotencyKey: 'order-1001', conf: { orderId: 1001 } };
      const first = await rest('POST', '/api/v1/dags/orders_report/runs', body);
      expect(first).toEqual({
        status: 202,
        body: { dagId: 'orders_report', runId: expect.any(String), status: 'requested' },
      });
      // Another runId is asked for: the key wins, and no second run is enqueued.
      const second = await rest('POST', '/api/v1/dags/orders_report/runs', { ...body, runId: 'other' });
      expect(second).toEqual({
        status: 200,
        body: { dagId: 'orders_report', runId: first.body.runId, status: 'duplicate' },
      });
      await o.settle();
      const runs = await o.db.manager.query(
        `SELECT run_id, run_type FROM dag_runs WHERE dag_id = 'orders_report' AND idempotency_key = 'order-1001'`,
      );
      expect(runs).toEqual([{ run_id: first.body.runId, run_type: 'manual' }]);
      expect((await rest('GET', `/api/v1/dags/orders_report/runs/${first.body.runId}`)).body.conf).toEqual({
        orderId: 1001,
      });
      expect((await rest('GET', '/api/v1/dags/orders_report/runs/other')).status).toBe(404);
    });

    it('is a 400 listing every bad field', async () => {
      const response = await rest('POST', '/api/v1/dags/orders_report/runs', {
        logicalDate: 'yesterday',
        conf: 5,
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'validation_failed',
        fields: {
          logicalDate: ['logicalDate must be an ISO 8601 instant, e.g. 2026-04-25T00:00:00Z'],
          conf: ['conf must be a JSON object'],
        },
      });
    });

    it('is a 400 on the body field when the body is not JSON', async () => {
      const response = await rest('POST', '/api/v1/dags/orders_report/runs', '{"conf": ');
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'validation_failed',
        fields: { body: [expect.stringContaining('body must be a JSON object; the JSON parser refused it')] },
      });
    });

    it('is a 404 for an unknown DAG', async () => {
      expect(await rest('POST', '/api/v1/dags/nope/runs', {})).toEqual({
        status: 404,
        body: { statusCode: 404, code: 'not_found', message: "no DAG 'nope'" },
      });
    });
  });

  describe('webhooks POST /api/v1/webhooks/:dagId', () => {
    it('turns a correctly signed body into an external run whose conf is the body', async () => {
      const body = JSON.stringify({ orderId: 1, items: ['a', 'b'], customer: { id: 'c-9' } });
      const response = await deliver('orders_webhook', body);
      expect(response).toEqual({
        status: 202,
        body: { dagId: 'orders_webhook', runId: expect.stringMatching(/^external__/), status: 'requested' },
      });
      await o.settle();
      const run = await rest('GET', `/api/v1/dags/orders_webhook/runs/${response.body.runId}`);
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ runType: 'external', state: 'success', conf: JSON.parse(body) });
    });

    it('takes the body from any content type: the signature covers the bytes', async () => {
      const body = '{"orderId": 2}';
      const response = await deliver('orders_webhook', body, { contentType: 'text/plain' });
      expect(response.status).toBe(202);
      await o.settle();
      expect(await runsWithConf('orders_webhook', { orderId: 2 })).toEqual([
        { runId: response.body.runId, runType: 'external' },
      ]);
    });

    it('refuses a wrong signature with 401 and creates nothing', async () => {
      const body = '{"orderId": 3}';
      const response = await deliver('orders_webhook', body, { secret: 'not-the-secret' });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({
        code: 'bad_signature',
        message: expect.stringContaining('X-Tributary-Signature does not match'),
      });
      await o.settle();
      expect(await runsWithConf('orders_webhook', { orderId: 3 })).toEqual([]);
    });

    it.each([
      ['more than 5 minutes old', -301, 'stale_timestamp', 'is more than 5 minutes old'],
      ['in the future', 600, 'future_timestamp', 'is more than 5 minutes in the future'],
    ])(
      'refuses a timestamp %s with 401 saying to sign with the current time',
      async (_c, offset, code, text) => {
        const response = await deliver('orders_webhook', '{"orderId": 4}', {
          timestamp: nowSeconds() + offset,
        });
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ code, message: expect.stringContaining(text) });
        expect(response.body.message).toContain('sign each delivery with the current time');
      },
    );

    it('refuses a missing header with 401 naming it', async () => {
      const response = await deliver('orders_webhook', '{"orderId": 5}', {
        headers: { 'x-tributary-signature': undefined },
      });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({
        code: 'missing_header',
        message: expect.stringMatching(/^X-Tributary-Signature missing/),
      });
    });

    it('refuses a replay of the exact same request with 409 replayed, and keeps one run', async () => {
      const body = '{"orderId": 6}';
      const timestamp = nowSeconds();
      const first = await deliver('orders_webhook', body, { timestamp });
      expect(first.status).toBe(202);
      const replay = await deliver('orders_webhook', body, { timestamp });
      expect(replay.status).toBe(409);
      expect(replay.body).toMatchObject({
        code: 'replayed',
        message: expect.stringContaining('already accepted'),
      });
      await o.settle();
      expect(await runsWithConf('orders_webhook', { orderId: 6 })).toEqual([
        { runId: first.body.runId, runType: 'external' },
      ]);
    });

    it('answers a delivery re-signed later with the same delivery id with the same runId, and keeps one run', async () => {
      const body = '{"orderId": 7}';
      const first = await deliver('orders_webhook', body, { delivery: 'dlv-7' });
      expect(first.status).toBe(202);
      clock.set(new Date(clock.now().getTime() + 30_000));
      const retry = await deliver('orders_webhook', body, { delivery: 'dlv-7' });
      expect(retry).toEqual({
        status: 200,
        body: { dagId: 'orders_webhook', runId: first.body.runId, status: 'duplicate' },
      });
      await o.settle();
      expect(await runsWithConf('orders_webhook', { orderId: 7 })).toEqual([
        { runId: first.body.runId, runType: 'external' },
      ]);
    });

    it.each([
      [
        'an array',
        '[1,2]',
        'application/json',
        'body must be a JSON object, e.g. {"orderId": 42}; it is an array',
      ],
      [
        'a string',
        '"hello"',
        'text/plain',
        'body must be a JSON object, e.g. {"orderId": 42}; it is a string',
      ],
      [
        'invalid JSON',
        '{"orderId": ',
        'text/plain',
        'body must be a JSON object, e.g. {"orderId": 42}; it is not valid JSON',
      ],
      [
        'invalid JSON sent as application/json',
        '{"orderId": ',
        'application/json',
        'body must be a JSON object; the JSON parser refused it',
      ],
      [
        'a string sent as application/json',
        '"hello"',
        'application/json',
        'body must be a JSON object; the JSON parser refused it',
      ],
    ])('refuses %s as the body with a 400 on the body field', async (_c, body, contentType, message) => {
      const response = await deliver('orders_webhook', body, { contentType });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'validation_failed',
        fields: { body: [expect.stringContaining(message)] },
      });
    });

    it('is a 503 naming the variable when the API has no secret', async () => {
      delete process.env[SECRET_ENV];
      try {
        const response = await deliver('orders_webhook', '{"orderId": 8}');
        expect(response.status).toBe(503);
        expect(response.body).toMatchObject({
          code: 'webhook_secret_missing',
          message: expect.stringContaining(`set the environment variable ${SECRET_ENV} on the API process`),
        });
      } finally {
        process.env[SECRET_ENV] = SECRET;
      }
    });

    it('is a 404 for a DAG without webhook, saying how to declare one', async () => {
      expect(await deliver('orders_report', '{"orderId": 9}')).toEqual({
        status: 404,
        body: {
          statusCode: 404,
          code: 'webhooks_not_accepted',
          message: 'DAG orders_report does not accept webhooks: add webhook: { secretEnv } to its options',
        },
      });
    });

    it('is a 404 for an unknown DAG', async () => {
      expect(await deliver('nope', '{}')).toEqual({
        status: 404,
        body: { statusCode: 404, code: 'not_found', message: "no DAG 'nope'" },
      });
    });
  });

  describe('tributary webhook sign', () => {
    it('prints a curl command that the API accepts', async () => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        [
          'webhook',
          'sign',
          'orders_webhook',
          '--body',
          `{"orderId": 10, "note": "it's here"}`,
          '--secret-env',
          SECRET_ENV,
          '--url',
          o.url!,
        ],
        { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: () => clock.now() },
      );
      expect(code).toBe(0);
      expect(stdout).toMatch(
        /^curl -sS -X POST 'http:\/\/127\.0\.0\.1:\d+\/api\/v1\/webhooks\/orders_webhook' \\\n/,
      );
      expect(stderr).toContain(`signed at ${nowSeconds()}`);

      // The real shell reads the command: `printf` in place of curl prints the words curl would get.
      const words = execFileSync('sh', ['-c', `printf '%s\\0' ${stdout.trim().slice('curl '.length)}`])
        .toString('utf8')
        .split('\0')
        .slice(0, -1);
      const headers: Record<string, string> = {};
      let url = '';
      let data = '';
      for (let i = 0; i < words.length; i++) {
        if (words[i] === '-H') {
          const [name, ...value] = words[++i].split(': ');
          headers[name] = value.join(': ');
        } else if (words[i] === '--data-binary') data = words[++i];
        else if (words[i] === '-X') expect(words[++i]).toBe('POST');
        else if (words[i].startsWith('http')) url = words[i];
      }
      expect(Object.keys(headers)).toEqual([
        'Content-Type',
        'X-Tributary-Timestamp',
        'X-Tributary-Signature',
      ]);
      expect(data).toBe(`{"orderId": 10, "note": "it's here"}`);

      const response = await reply(await fetch(url, { method: 'POST', headers, body: data }));
      expect(response).toEqual({
        status: 202,
        body: { dagId: 'orders_webhook', runId: expect.any(String), status: 'requested' },
      });
      await o.settle();
      expect(await runsWithConf('orders_webhook', { orderId: 10, note: "it's here" })).toEqual([
        { runId: response.body.runId, runType: 'external' },
      ]);
    });

    it('refuses a body that is not a JSON object, and an unset secret variable, with exit code 2', async () => {
      let stderr = '';
      const io = { stdout: () => undefined, stderr: (t: string) => (stderr += t) };
      expect(await runCli(['webhook', 'sign', 'orders_webhook', '--body', '[1]', '--secret', 's'], io)).toBe(
        2,
      );
      expect(stderr).toContain('--body: must be a JSON object');
      expect(
        await runCli(
          ['webhook', 'sign', 'orders_webhook', '--body', '{}', '--secret-env', 'TEST_UNSET_SECRET_X'],
          io,
        ),
      ).toBe(2);
      expect(stderr).toContain('--secret-env: TEST_UNSET_SECRET_X is not set in this shell');
    });
  });
});
