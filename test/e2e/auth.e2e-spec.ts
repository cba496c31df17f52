import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '@tributary/cli';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { callJson } from '../support/http';

jest.setTimeout(60_000);

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'outage');

// Bearer tokens, roles, the rate limit on what needs no token, and the OpenAPI document.
describe('API auth (standalone)', () => {
  let o: StandaloneOrchestrator;
  const call = (method: string, url: string, body?: unknown, token?: string | null) =>
    callJson(o.url as string, method, url, body, token);
  const tokenFor = async (role: string, name?: string): Promise<string> => {
    const created = await call('POST', '/api/v1/tokens', { role, name }, o.adminToken);
    expect(created.status).toBe(201);
    return created.body.token;
  };

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: FIXTURE,
      dataDir: 'memory://',
      clock: new ManualClock(new Date('2026-04-25T00:00:00Z')),
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
  });
  afterAll(() => o?.stop());

  it('refuses every API call without a token, and says how to get one', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/dags'],
      ['GET', '/api/v1/assets'],
      ['POST', '/api/v1/dags/clearable/runs'],
      ['GET', '/api/v1/tokens'],
    ]) {
      const answer = await call(method, url, method === 'POST' ? {} : undefined);
      expect({ method, url, status: answer.status, code: answer.body.code }).toEqual({
        method,
        url,
        status: 401,
        code: 'unauthorized',
      });
      expect(answer.body.message).toContain('Authorization: Bearer <token>');
    }
    const wrong = await call('GET', '/api/v1/dags', undefined, 'trb_not-a-real-token-at-all-0000000000000');
    expect(wrong).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(wrong.body.message).toContain('unknown or revoked');
  });

  it('the first start made an admin token', async () => {
    expect(o.adminToken).toMatch(/^trb_[A-Za-z0-9_-]{40}$/);
    expect(await call('GET', '/api/v1/auth/whoami', undefined, o.adminToken)).toMatchObject({
      status: 200,
      body: { name: 'first admin', role: 'admin' },
    });
  });

  it('a viewer reads but changes nothing', async () => {
    const viewer = await tokenFor('viewer', 'dashboards');
    expect((await call('GET', '/api/v1/dags', undefined, viewer)).status).toBe(200);
    expect((await call('GET', '/api/v1/freshness', undefined, viewer)).status).toBe(200);
    for (const [method, url, body] of [
      ['POST', '/api/v1/dags/clearable/runs', {}],
      ['PATCH', '/api/v1/dags/clearable', { isPaused: true }],
      ['POST', '/api/v1/assets/events', { asset: 'x' }],
      ['POST', '/api/v1/tokens', { role: 'viewer' }],
    ] as const) {
      const answer = await call(method, url, body, viewer);
      expect({ url, status: answer.status, code: answer.body.code }).toEqual({
        url,
        status: 403,
        code: 'forbidden',
      });
    }
    const refused = await call('POST', '/api/v1/dags/clearable/runs', {}, viewer);
    expect(refused.body.message).toBe(
      "this needs the operator role; the token 'dashboards' is a viewer token",
    );
    const runs = await call('GET', '/api/v1/dags/clearable/runs', undefined, o.adminToken);
    expect(runs.body.total).toBe(0);
  });

  it('an operator acts but cannot manage tokens', async () => {
    const operator = await tokenFor('operator');
    expect(
      await call('POST', '/api/v1/dags/clearable/runs', { runId: 'by_operator' }, operator),
    ).toMatchObject({
      status: 202,
      body: { runId: 'by_operator', status: 'requested' },
    });
    expect((await call('POST', '/api/v1/tokens', { role: 'viewer' }, operator)).status).toBe(403);
    expect((await call('GET', '/api/v1/tokens', undefined, operator)).status).toBe(403);
  });

  it('an admin creates, lists and revokes tokens; the list never shows a secret', async () => {
    const created = await call('POST', '/api/v1/tokens', { role: 'viewer', name: 'to revoke' }, o.adminToken);
    expect(created).toMatchObject({
      status: 201,
      body: { role: 'viewer', name: 'to revoke', createdBy: 'first admin', revokedAt: null },
    });
    const { token, tokenId } = created.body;
    expect((await call('GET', '/api/v1/dags', undefined, token)).status).toBe(200);
    const list = await call('GET', '/api/v1/tokens?limit=100', undefined, o.adminToken);
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { name: string }) => t.name)).toContain('to revoke');
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toContain(o.adminToken);
    const revoked = await call('DELETE', `/api/v1/tokens/${tokenId}`, undefined, o.adminToken);
    expect(revoked).toMatchObject({ status: 200, body: { tokenId } });
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await call('GET', '/api/v1/dags', undefined, token)).status).toBe(401);
    expect(await call('DELETE', '/api/v1/tokens/tok_nope', undefined, o.adminToken)).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
  });

  it('answers an unknown route with a JSON error that has a code too', async () => {
    expect(await call('GET', '/api/v1/no-such-thing', undefined, o.adminToken)).toMatchObject({
      status: 404,
      body: { statusCode: 404, code: 'not_found' },
    });
  });

  it('validates token requests field by field', async () => {
    const answer = await call('POST', '/api/v1/tokens', { role: 'root', extra: 1 }, o.adminToken);
    expect(answer).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(answer.body.fields.role).toEqual(['role must be one of viewer, operator, admin']);
    expect(answer.body.fields.extra).toEqual(['property extra should not exist']);
  });

  it('serves the OpenAPI document and interactive docs without a token', async () => {
    const doc = await call('GET', '/api/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/dags',
        '/api/v1/tokens',
        '/api/v1/assets',
        '/api/v1/webhooks/{dagId}',
      ]),
    );
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The token DTO's schema carries its validation rules.
    expect(doc.body.components.schemas.CreateTokenDto.properties.role.enum).toEqual([
      'viewer',
      'operator',
      'admin',
    ]);
    const html = await fetch(`${o.url}/api/docs`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('swagger-ui');
  });
});

describe('rate limit on the unauthenticated surface', () => {
  let o: StandaloneOrchestrator;
  const previous = process.env.TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT;

  beforeAll(async () => {
    process.env.TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT = '5';
    o = await StandaloneOrchestrator.start({
      dagsDir: FIXTURE,
      dataDir: 'memory://',
      clock: new ManualClock(new Date('2026-04-25T00:00:00Z')),
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT;
    else process.env.TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT = previous;
    await o?.stop();
  });

  it('answers 429 once an address spends its budget without a token; tokens are not limited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await callJson(o.url!, 'GET', '/api/v1/dags')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await callJson(o.url!, 'GET', '/api/v1/dags');
    expect(limited).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
    expect(limited.body.message).toMatch(/too many requests without a valid token/);
    // Webhooks are public and share the same budget.
    const webhook = await callJson(o.url!, 'POST', '/api/v1/webhooks/clearable', {});
    expect(webhook.status).toBe(429);
    for (let i = 0; i < 10; i++)
      expect((await callJson(o.url!, 'GET', '/api/v1/dags', undefined, o.adminToken)).status).toBe(200);
  });
});

describe('tributary standalone prints the first admin token once', () => {
  it('on the first start of a data directory only', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-auth-'));
    const start = async () => {
      let out = '';
      let stop!: () => void;
      let printedBanner!: () => void;
      const banner = new Promise<void>((resolve) => (printedBanner = resolve));
      const code = runCli(['standalone', '--dags', FIXTURE, '--data-dir', dataDir, '--port', '0'], {
        stdout: (text) => {
          out += text;
          if (text.includes('Press Ctrl-C')) printedBanner();
        },
        stderr: () => undefined,
        waitForStop: () => new Promise<void>((resolve) => (stop = resolve)),
      });
      await banner;
      stop();
      expect(await code).toBe(0);
      return out;
    };
    try {
      const first = await start();
      const line = first.split('\n').find((l) => l.startsWith('admin token: '));
      expect(line).toMatch(/^admin token: trb_[A-Za-z0-9_-]{40}$/);
      const second = await start();
      expect(second).toContain('Tributary standalone');
      expect(second).not.toContain('admin token:');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
