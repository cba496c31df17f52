import {
  ApiClient,
  apiError,
  apiPath,
  connectionError,
  exitCodeForStatus,
  follow,
  normalizeApiUrl,
} from './api-client';
import { CliError, EXIT_AUTH, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_USAGE } from './cli-error';

const request = { method: 'GET', path: '/dags', baseUrl: 'http://127.0.0.1:8080', tokenGiven: true };

describe('exit codes for HTTP answers', () => {
  it.each([
    [400, EXIT_USAGE],
    [409, EXIT_USAGE],
    [422, EXIT_USAGE],
    [401, EXIT_AUTH],
    [403, EXIT_AUTH],
    [404, EXIT_NOT_FOUND],
    [429, EXIT_UNAVAILABLE],
    [500, EXIT_UNAVAILABLE],
    [503, EXIT_UNAVAILABLE],
    [302, EXIT_FAILURE],
  ])('HTTP %p exits %p', (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
  });
});

describe('apiError', () => {
  it("says the API's message with its status and code, then each field error on its line", () => {
    const error = apiError(
      400,
      {
        statusCode: 400,
        code: 'validation_failed',
        message: 'the request is invalid; fix the fields listed',
        fields: { from: ['from must be an ISO 8601 date'], extra: ['property extra should not exist'] },
      },
      request,
    );
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toBe(
      [
        'the request is invalid; fix the fields listed (400 validation_failed)',
        '  from: from must be an ISO 8601 date',
        '  extra: property extra should not exist',
      ].join('\n'),
    );
  });

  it('without a token, a 401 says how to pass one', () => {
    const error = apiError(
      401,
      { code: 'unauthorized', message: 'this endpoint needs a bearer token' },
      {
        ...request,
        tokenGiven: false,
      },
    );
    expect(error.exitCode).toBe(EXIT_AUTH);
    expect(error.message).toContain('no API token: pass --token or set TRIBUTARY_TOKEN');
  });

  it('a 403 keeps the API message (which role is needed)', () => {
    const error = apiError(
      403,
      { code: 'forbidden', message: "this needs the operator role; the token 'ci' is a viewer token" },
      request,
    );
    expect(error.message).toBe(
      "this needs the operator role; the token 'ci' is a viewer token (403 forbidden)",
    );
  });

  it('an answer that is not a Tributary error says --url may be wrong', () => {
    const error = apiError(404, null, request);
    expect(error.exitCode).toBe(EXIT_NOT_FOUND);
    expect(error.message).toBe(
      'GET http://127.0.0.1:8080/api/v1/dags answered HTTP 404 without a Tributary error body: is --url the Tributary API?',
    );
  });

  it('a 5xx is exit 5 and says to try again', () => {
    const error = apiError(500, { code: 'internal', message: 'boom' }, request);
    expect(error.exitCode).toBe(EXIT_UNAVAILABLE);
    expect(error.message).toContain(
      'boom (500 internal)\n  the API at http://127.0.0.1:8080 failed; try again',
    );
  });
});

describe('connectionError', () => {
  it('names the URL, the reason and the fix', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const error = connectionError(refused, 'http://127.0.0.1:9', 30_000);
    expect(error.exitCode).toBe(EXIT_UNAVAILABLE);
    expect(error.message).toBe(
      'cannot reach the Tributary API at http://127.0.0.1:9 (connection refused): is `tributary standalone` running? pass --url (or set TRIBUTARY_URL) to where the API listens',
    );
  });

  it('a timeout says how long it waited', () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(connectionError(timeout, 'http://api:8080', 30_000).message).toMatch(
      /^the Tributary API at http:\/\/api:8080 did not answer within 30s/,
    );
  });
});

describe('URLs and paths', () => {
  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://tributary.example.com/api/v1/', 'https://tributary.example.com'],
    ['http://proxy/tributary/', 'http://proxy/tributary'],
  ])('normalizeApiUrl(%p) is %p', (raw, url) => {
    expect(normalizeApiUrl(raw)).toBe(url);
  });

  it('refuses what is not an http(s) URL with exit 2', () => {
    expect(() => normalizeApiUrl('localhost:8080')).toThrow(CliError);
    expect(() => normalizeApiUrl('not a url')).toThrow("--url: 'not a url' is not a URL");
  });

  it('encodes each value as one path segment', () => {
    expect(apiPath`/dags/${'daily'}/runs/${'manual__2026-04-25T00:00:00+00:00'}`).toBe(
      '/dags/daily/runs/manual__2026-04-25T00%3A00%3A00%2B00%3A00',
    );
    expect(apiPath`/assets/${'s3://lake/raw'}`).toBe('/assets/s3%3A%2F%2Flake%2Fraw');
  });
});

describe('ApiClient', () => {
  function fakeFetch(status: number, body: string) {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(body, { status });
    }) as unknown as typeof fetch;
    return { calls, fetchImpl };
  }

  it('sends the bearer token and the query, and returns the parsed body', async () => {
    const { calls, fetchImpl } = fakeFetch(200, '{"items":[],"total":0}');
    const client = new ApiClient({ url: 'http://api:8080/', token: 'trb_x', fetch: fetchImpl });
    expect(await client.get('/runs', { dagId: 'd', state: undefined, limit: 5 })).toEqual({
      items: [],
      total: 0,
    });
    expect(calls[0].url).toBe('http://api:8080/api/v1/runs?dagId=d&limit=5');
    expect((calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer trb_x');
  });

  it('posts JSON bodies and maps an error answer to its exit code', async () => {
    const { calls, fetchImpl } = fakeFetch(
      404,
      '{"statusCode":404,"code":"not_found","message":"no DAG \'x\'"}',
    );
    const client = new ApiClient({ fetch: fetchImpl });
    await expect(client.post('/dags/x/runs', { conf: {} })).rejects.toMatchObject({
      exitCode: EXIT_NOT_FOUND,
      message: "no DAG 'x' (404 not_found)",
    });
    expect(calls[0].url).toBe('http://127.0.0.1:8080/api/v1/dags/x/runs');
    expect(calls[0].init.body).toBe('{"conf":{}}');
  });

  it('an answer that is not JSON is exit 5 with a hint about --url', async () => {
    const { fetchImpl } = fakeFetch(200, '<html>hello</html>');
    await expect(new ApiClient({ fetch: fetchImpl }).get('/dags')).rejects.toMatchObject({
      exitCode: EXIT_UNAVAILABLE,
      message: expect.stringContaining('is --url the Tributary API?'),
    });
  });
});

describe('follow', () => {
  const io = (stop?: Promise<void>) => ({
    stdout: () => undefined,
    stderr: () => undefined,
    pollIntervalMs: 1,
    waitForStop: () => stop ?? new Promise<void>(() => undefined),
  });

  it('asks until done, showing each answer', async () => {
    let n = 0;
    const seen: number[] = [];
    const result = await follow(
      io(),
      async () => ++n,
      (v) => v === 3,
      (v) => seen.push(v),
    );
    expect(result).toEqual({ last: 3, interrupted: false });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops watching when the user asks (Ctrl-C)', async () => {
    const result = await follow(
      io(Promise.resolve()),
      async () => 'running',
      () => false,
      () => undefined,
    );
    expect(result).toEqual({ last: 'running', interrupted: true });
  });

  it('waits out a short outage of the API, but not a first failure', async () => {
    let n = 0;
    const flaky = async () => {
      n++;
      if (n === 2) throw new CliError('cannot reach', EXIT_UNAVAILABLE);
      return n;
    };
    expect(
      (
        await follow(
          io(),
          flaky,
          (v) => v === 3,
          () => undefined,
        )
      ).last,
    ).toBe(3);
    await expect(
      follow(
        io(),
        async () => Promise.reject(new CliError('cannot reach', EXIT_UNAVAILABLE)),
        () => true,
        () => undefined,
      ),
    ).rejects.toThrow('cannot reach');
    await expect(
      follow(
        io(),
        async () => Promise.reject(new CliError('nope', EXIT_NOT_FOUND)),
        () => true,
        () => undefined,
      ),
    ).rejects.toThrow('nope');
  });
});
