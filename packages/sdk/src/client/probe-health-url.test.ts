import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeartbeatError } from '../errors.js';
import { probeHealthUrl } from './probe-health-url.js';

interface Answer {
  status: number;
  type?: string;
  body: string;
}

/** Hand-written answers in every format the SDK serves (seeds 000, 003, 004, SPEC.md §3). */
const ANSWERS: Record<string, () => Answer> = {
  '/heartbeat': () => ({
    status: 200,
    type: 'application/json',
    body: JSON.stringify(new Date().toISOString()),
  }),
  '/_system/check': () => ({
    status: 200,
    type: 'application/json',
    body: '{"code":"OK","message":"API running","ok":true}',
  }),
  '/_system/check/cache': () => ({
    status: 500,
    type: 'application/json',
    body: '{"code":"WARNING","error":true}',
  }),
  '/ops/heartbeat': () => ({
    status: 503,
    type: 'application/json',
    body: JSON.stringify({
      Status: 'ERROR',
      Message: 'db: error — connect ECONNREFUSED',
      URL: 'http://orders.internal/ops/heartbeat',
      Machine: 'orders-7f9c',
      UtcDateTime: new Date().toISOString(),
      RequestDuration: 3,
      Dependencies: [
        { Status: 'CRITICAL', URL: 'postgres://db:5432/orders', UtcDateTime: new Date().toISOString() },
      ],
    }),
  }),
  '/health': () => ({
    status: 200,
    type: 'application/health+json',
    body: JSON.stringify({
      status: 'warn',
      serviceId: 'orders-7f9c',
      output: 'cache: warning — 480ms',
      checks: { 'cache:responseTime': [{ componentId: 'cache', status: 'warn', output: '480ms' }] },
    }),
  }),
  '/readyz': () => ({
    status: 503,
    type: 'text/plain; charset=utf-8',
    body: '[+]cache ok\n[-]db failed: connect ECONNREFUSED\nreadyz check failed\n',
  }),
  '/livez': () => ({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok' }),
  '/status': () => ({
    status: 200,
    type: 'application/json',
    body: JSON.stringify({
      id: 'orders-7f9c',
      name: 'orders',
      description: null,
      start_time: '2026-11-21T09:11:12.345Z',
      current_time: '2026-11-21T10:11:12.345Z',
      uptime: 3_600_000,
      properties: {},
      components: [],
    }),
  }),
  '/actuator/health': () => ({
    status: 503,
    type: 'application/vnd.spring-boot.actuator.v3+json',
    body: '{"status":"OUT_OF_SERVICE"}',
  }),
  '/latin1': () => ({ status: 200, type: 'text/html; charset=iso-8859-1', body: 'caf\u00e9' }),
};

let server: Server;
let base: string;
let lastHeaders: IncomingHttpHeaders = {};
let endlessClosed: Promise<void> = Promise.resolve();

const handler: RequestListener = (req, res) => {
  lastHeaders = req.headers;
  const path = req.url ?? '/';
  if (path === '/hang') return; // never answers
  if (path === '/slow-body') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('ok'); // and never ends
    return;
  }
  if (path === '/endless') {
    endlessClosed = new Promise((resolve) => res.on('close', resolve));
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
    return;
  }
  if (path === '/old') {
    res.writeHead(302, { location: '/livez' }).end();
    return;
  }
  if (path === '/loop') {
    res.writeHead(302, { location: '/loop' }).end();
    return;
  }
  if (path === '/echo') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  const answer = ANSWERS[path]?.();
  if (!answer) {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    return;
  }
  const body = answer.type?.includes('iso-8859-1') ? Buffer.from(answer.body, 'latin1') : answer.body;
  res.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {}).end(body);
};

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('probeHealthUrl against real servers', () => {
  it.each([
    ['/heartbeat', 'ok', 'heartbeat', 200],
    ['/_system/check', 'ok', 'system-check', 200],
    ['/_system/check/cache', 'warning', 'system-check', 500],
    ['/ops/heartbeat', 'error', 'ops-heartbeat', 503],
    ['/health', 'warning', 'health-json', 200],
    ['/readyz', 'error', 'kubernetes-probe', 503],
    ['/livez', 'ok', 'kubernetes-probe', 200],
    ['/status', 'ok', 'status', 200],
    ['/actuator/health', 'error', 'spring', 503],
    ['/nowhere', 'error', 'unknown', 404],
  ])('%s is %s (%s, HTTP %i)', async (path, status, format, statusCode) => {
    const result = await probeHealthUrl(`${base}${path}`);
    expect(result).toMatchObject({ status, format, statusCode });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('keeps the checks and the message of the answer', async () => {
    const result = await probeHealthUrl(`${base}/readyz`);
    expect(result).toEqual({
      status: 'error',
      format: 'kubernetes-probe',
      message: 'HTTP 503: readyz check failed; failing: db (connect ECONNREFUSED)',
      checks: [
        { name: 'cache', status: 'ok' },
        { name: 'db', status: 'error', message: 'connect ECONNREFUSED' },
      ],
      statusCode: 503,
      durationMs: expect.any(Number),
    });
  });

  it('accepts a URL object', async () => {
    await expect(probeHealthUrl(new URL('/livez', base))).resolves.toMatchObject({ status: 'ok' });
  });

  it('follows redirects', async () => {
    const result = await probeHealthUrl(`${base}/old`);
    expect(result).toMatchObject({ status: 'ok', format: 'kubernetes-probe', statusCode: 200 });
  });

  it('gives up on a redirect loop without throwing', async () => {
    const result = await probeHealthUrl(`${base}/loop`);
    expect(result).toMatchObject({
      status: 'error',
      format: 'none',
      message: 'no answer: redirect count exceeded',
    });
    expect(result.statusCode).toBeUndefined();
  });

  it('sends the caller headers and asks for health+json first', async () => {
    await probeHealthUrl(`${base}/echo`, { headers: { Authorization: 'Bearer abc', 'x-probe': '1' } });
    expect(lastHeaders).toMatchObject({ authorization: 'Bearer abc', 'x-probe': '1' });
    expect(lastHeaders.accept).toMatch(/^application\/health\+json/);
    await probeHealthUrl(`${base}/echo`, { headers: [['accept', 'text/plain']] });
    expect(lastHeaders.accept).toBe('text/plain');
  });

  it('decodes the declared charset', async () => {
    const result = await probeHealthUrl(`${base}/latin1`);
    expect(result.message).toBe('HTTP 200, unrecognised body: caf\u00e9');
  });
});

describe('probeHealthUrl without an answer', () => {
  it('honours the timeout against a server that never answers', async () => {
    const started = Date.now();
    const result = await probeHealthUrl(`${base}/hang`, { timeout: '200ms' });
    const took = Date.now() - started;
    expect(result).toEqual({
      status: 'error',
      format: 'none',
      message: 'no answer: timed out after 200ms',
      durationMs: expect.any(Number),
    });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1500);
    expect(result.durationMs).toBeGreaterThanOrEqual(190);
  });

  it('takes the timeout as milliseconds too', async () => {
    const result = await probeHealthUrl(`${base}/hang`, { timeout: 100 });
    expect(result.message).toBe('no answer: timed out after 100ms');
  });

  it('times out a body that never ends, and says the headers came', async () => {
    const result = await probeHealthUrl(`${base}/slow-body`, { timeout: '300ms' });
    expect(result).toEqual({
      status: 'error',
      format: 'none',
      message: 'no answer: timed out after 300ms while reading the body (HTTP 200)',
      statusCode: 200,
      durationMs: expect.any(Number),
    });
  });

  it('reads an endless body only up to maxBodyBytes and hangs up', async () => {
    const result = await probeHealthUrl(`${base}/endless`, { maxBodyBytes: 100_000, timeout: '10s' });
    expect(result).toMatchObject({ status: 'ok', format: 'unknown', statusCode: 200 });
    expect(result.message).toMatch(
      /^HTTP 200, unrecognised body: x{200}… \(read only the first 100000 bytes/,
    );
    await endlessClosed; // the server saw the connection go
  });

  it('bounds an endless body at 1 MiB by default', async () => {
    const result = await probeHealthUrl(`${base}/endless`);
    expect(result.message).toMatch(/\(read only the first 1048576 bytes of the body\)$/);
    await endlessClosed;
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await probeHealthUrl(`http://127.0.0.1:${port}/readyz`);
    expect(result).toEqual({
      status: 'error',
      format: 'none',
      message: `no answer: connect ECONNREFUSED 127.0.0.1:${port}`,
      durationMs: expect.any(Number),
    });
  });

  it('explains a port that fetch will never connect to', async () => {
    const result = await probeHealthUrl('http://127.0.0.1:1/');
    expect(result).toMatchObject({
      status: 'error',
      format: 'none',
      message: 'no answer: fetch refuses to connect to port 1 (a blocked port)',
    });
  });

  it("stops when the caller's signal aborts, and says so", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await probeHealthUrl(`${base}/hang`, { signal: controller.signal });
    expect(result).toMatchObject({ status: 'error', format: 'none', message: 'no answer: aborted' });
    expect(result.durationMs).toBeLessThan(1000);
  });

  it("gives the caller's abort reason", async () => {
    const controller = new AbortController();
    controller.abort(new Error('the service is stopping'));
    const result = await probeHealthUrl(`${base}/livez`, { signal: controller.signal });
    expect(result.message).toBe('no answer: aborted (the service is stopping)');
  });
});

describe('probeHealthUrl and bad input', () => {
  it.each([
    ['not a url', /"not a url" is not a URL; write it like http:\/\/127\.0\.0\.1:8080\/readyz/],
    ['/readyz', /is not a URL/],
    ['ftp://example.com/health', /is not an http or https URL/],
    ['file:///etc/passwd', /is not an http or https URL/],
  ])('%j throws VALIDATION_FAILED', async (url, message) => {
    const thrown: unknown = await probeHealthUrl(url).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(HeartbeatError);
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
  });

  it.each([
    [{ timeout: 'soon' }, /timeout "soon" is not a duration/],
    [{ timeout: 0 }, /timeout must be longer than 0ms/],
    [{ maxBodyBytes: 0 }, /maxBodyBytes must be a positive whole number/],
    [{ maxBodyBytes: 1.5 }, /maxBodyBytes must be a positive whole number/],
    [{ headers: { 'bad name': 'x' } }, /invalid header/],
    [{ headers: { 'x-ok': 'line\nbreak' } }, /invalid header/],
  ])('%j throws VALIDATION_FAILED', async (options, message) => {
    const thrown: unknown = await probeHealthUrl(`${base}/livez`, options).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(HeartbeatError);
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
  });
});
