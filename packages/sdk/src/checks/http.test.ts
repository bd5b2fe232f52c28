import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../core/check.js';
import { createHealthRegistry } from '../core/registry.js';
import { HeartbeatError } from '../errors.js';
import { httpCheck } from './http.js';

const ROUTES: Record<string, [number, string, string]> = {
  '/livez': [200, 'text/plain', 'ok'],
  '/readyz': [503, 'text/plain', '[-]db failed: connect ECONNREFUSED\nreadyz check failed\n'],
  '/_system/check/cache': [500, 'application/json', '{"code":"WARNING","error":true}'],
  '/health': [200, 'application/health+json', '{"status":"pass"}'],
  '/ops/heartbeat': [200, 'application/json', '{"Status":"WARNING","URL":"http://x","Dependencies":[]}'],
};

let server: Server;
let base: string;
let lastHeaders: IncomingHttpHeaders = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    if (req.url === '/hang') return;
    const [status, type, body] = ROUTES[req.url ?? ''] ?? [404, 'text/html', '<h1>Not Found</h1>'];
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function run(
  check: ReturnType<typeof httpCheck>,
  signal = new AbortController().signal,
): Promise<CheckOutcome> {
  return (await check.run({ signal })) as CheckOutcome;
}

describe('httpCheck', () => {
  it('describes itself as a component whose response time is measured', () => {
    const check = httpCheck({ url: `${base}/livez` });
    expect(check).toEqual({
      run: expect.any(Function),
      componentType: 'component',
      measurement: 'responseTime',
      dependency: `${base}/livez`,
    });
    expect(httpCheck({ url: `${base}/livez`, timeout: '2s' }).timeout).toBe('2s');
  });

  it.each([
    ['/livez', 'ok', 'ok'],
    ['/health', 'ok', 'status pass'],
    ['/ops/heartbeat', 'warning', 'Status WARNING'],
    ['/_system/check/cache', 'warning', 'WARNING'],
    ['/readyz', 'error', 'HTTP 503: readyz check failed; failing: db (connect ECONNREFUSED)'],
    ['/nowhere', 'error', 'HTTP 404, unrecognised body: <h1>Not Found</h1>'],
  ])('%s is %s', async (path, status, message) => {
    const outcome = await run(httpCheck({ url: `${base}${path}` }));
    expect(outcome).toEqual({ status, message, observedValue: expect.any(Number), observedUnit: 'ms' });
  });

  it('is an error when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await run(httpCheck({ url: `http://127.0.0.1:${port}/` }));
    expect(outcome).toMatchObject({
      status: 'error',
      message: `no answer: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('honours its timeout', async () => {
    const outcome = await run(httpCheck({ url: `${base}/hang`, timeout: '150ms' }));
    expect(outcome).toMatchObject({ status: 'error', message: 'no answer: timed out after 150ms' });
  });

  it("stops when the registry's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await run(httpCheck({ url: `${base}/hang` }), controller.signal);
    expect(outcome).toMatchObject({ status: 'error', message: 'no answer: aborted' });
  });

  it('sends its headers', async () => {
    await run(httpCheck({ url: `${base}/livez`, headers: { authorization: 'Bearer t0ken' } }));
    expect(lastHeaders.authorization).toBe('Bearer t0ken');
  });

  describe('expectStatus', () => {
    it('makes an expected status ok for a body in no health format', async () => {
      const outcome = await run(httpCheck({ url: `${base}/nowhere`, expectStatus: 404 }));
      expect(outcome).toMatchObject({
        status: 'ok',
        message: 'HTTP 404, unrecognised body: <h1>Not Found</h1>',
      });
    });

    it('makes any other status an error that says what was expected', async () => {
      const outcome = await run(httpCheck({ url: `${base}/_system/check/cache`, expectStatus: [200, 204] }));
      expect(outcome).toMatchObject({
        status: 'error',
        message: 'expected HTTP 200 or 204, got 500: WARNING',
      });
    });

    it('still lets a health format say warning', async () => {
      const outcome = await run(httpCheck({ url: `${base}/_system/check/cache`, expectStatus: [200, 500] }));
      expect(outcome).toMatchObject({ status: 'warning', message: 'WARNING' });
    });

    it('leaves no answer an error', async () => {
      const outcome = await run(httpCheck({ url: `${base}/hang`, timeout: 100, expectStatus: 200 }));
      expect(outcome).toMatchObject({ status: 'error', message: 'no answer: timed out after 100ms' });
    });
  });

  it.each([
    [{ url: 'payments:8080/readyz' }, /not an http or https URL/],
    [{ url: 'nope' }, /is not a URL/],
    [{ url: 'http://x/', timeout: 'a while' }, /timeout "a while" is not a duration/],
    [{ url: 'http://x/', expectStatus: 99 }, /expectStatus must be HTTP status codes/],
    [{ url: 'http://x/', expectStatus: [] }, /expectStatus must be HTTP status codes/],
    [{ url: 'http://x/', expectStatus: [200, 600] }, /expectStatus must be HTTP status codes/],
  ])('%j is refused when the check is defined', (options, message) => {
    expect(() => httpCheck(options)).toThrow(HeartbeatError);
    expect(() => httpCheck(options)).toThrow(message);
  });

  it('runs in a health registry', async () => {
    const registry = createHealthRegistry();
    try {
      const check = registry.add({
        name: 'downstream',
        ...httpCheck({ url: `${base}/readyz`, timeout: '2s' }),
      });
      const [result] = await registry.evaluate([check]);
      expect(result).toMatchObject({
        name: 'downstream',
        status: 'error',
        message: 'HTTP 503: readyz check failed; failing: db (connect ECONNREFUSED)',
        observedUnit: 'ms',
      });
      expect(check).toMatchObject({
        componentType: 'component',
        measurement: 'responseTime',
        timeoutMs: 2000,
      });
    } finally {
      registry.close();
    }
  });
});
