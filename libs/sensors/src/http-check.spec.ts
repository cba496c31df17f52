import * as http from 'http';
import { AddressInfo } from 'net';
import { checkHttp } from './http-check';

describe('checkHttp', () => {
  let server: http.Server;
  let base: string;
  /** What the next requests are answered with. */
  let answer: { status: number; body: string };
  const requests: { method?: string; url?: string; headers: http.IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      requests.push({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    answer = { status: 200, body: 'ok' };
    requests.length = 0;
  });

  it('is met by an expected status, sending the method and headers', async () => {
    const outcome = await checkHttp({
      url: `${base}/ready`,
      method: 'HEAD',
      headers: { authorization: 'Bearer t' },
      expectStatus: [200, 204],
    });
    expect(outcome).toEqual({ status: 'met', details: { url: `${base}/ready`, status: 200 } });
    expect(requests).toEqual([
      expect.objectContaining({
        method: 'HEAD',
        url: '/ready',
        headers: expect.objectContaining({ authorization: 'Bearer t' }),
      }),
    ]);
  });

  it('waits on another status, naming it', async () => {
    answer = { status: 503, body: 'warming up' };
    expect(await checkHttp({ url: `${base}/ready`, method: 'GET', expectStatus: [200] })).toEqual({
      status: 'waiting',
      message: `GET ${base}/ready answered 503; expects 200`,
    });
  });

  it('matches bodyContains as a regular expression', async () => {
    answer = { status: 200, body: '{"state":"running"}' };
    const check = {
      url: `${base}/job`,
      method: 'GET',
      expectStatus: [200],
      bodyContains: '"state":\\s*"done"',
    };
    expect(await checkHttp(check)).toEqual({
      status: 'waiting',
      message: `GET ${base}/job answered 200 but the body does not match /"state":\\s*"done"/`,
    });
    answer = { status: 200, body: '{"state": "done"}' };
    expect(await checkHttp(check)).toEqual({ status: 'met', details: { url: `${base}/job`, status: 200 } });
  });

  it("runs the sensor's body function on the body and status", async () => {
    const body = jest.fn((text: string, status: number) => status === 200 && JSON.parse(text).rows > 0);
    answer = { status: 200, body: '{"rows":0}' };
    const check = { url: `${base}/count`, method: 'GET', expectStatus: [200] };
    expect(await checkHttp(check, { code: { body } })).toEqual({
      status: 'waiting',
      message: `GET ${base}/count answered 200 but the body does not pass the sensor's body check`,
    });
    answer = { status: 200, body: '{"rows":' };
    const threw = await checkHttp(check, { code: { body } });
    expect(threw.status).toBe('waiting');
    expect((threw as { message: string }).message).toMatch(/body check threw/);
    answer = { status: 200, body: '{"rows":3}' };
    expect(await checkHttp(check, { code: { body } })).toMatchObject({ status: 'met' });
    expect(body).toHaveBeenLastCalledWith('{"rows":3}', 200);
  });

  it('waits when the connection is refused, naming the error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const outcome = await checkHttp({ url: `http://127.0.0.1:${port}/`, method: 'GET', expectStatus: [200] });
    expect(outcome.status).toBe('waiting');
    expect((outcome as { message: string }).message).toMatch(
      new RegExp(`^GET http://127.0.0.1:${port}/ failed: .*ECONNREFUSED`),
    );
  });

  it('waits when the endpoint does not answer within the per-check timeout', async () => {
    expect(await checkHttp({ url: `${base}/hang`, method: 'GET', expectStatus: [200] }, {}, 50)).toEqual({
      status: 'waiting',
      message: `GET ${base}/hang: no answer within 50 ms`,
    });
  });

  it('waits when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      await checkHttp({ url: `${base}/`, method: 'GET', expectStatus: [200] }, { signal: controller.signal }),
    ).toEqual({
      status: 'waiting',
      message: `GET ${base}/: check aborted`,
    });
  });

  it('fails at once on an invalid URL or pattern', async () => {
    expect(await checkHttp({ url: 'not a url', method: 'GET', expectStatus: [200] })).toEqual({
      status: 'failed',
      message: "invalid URL 'not a url'",
    });
    const outcome = await checkHttp({ url: base, method: 'GET', expectStatus: [200], bodyContains: '[' });
    expect(outcome.status).toBe('failed');
  });
});
