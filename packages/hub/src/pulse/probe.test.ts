import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { findClosedPort, startLoopbackServer } from '../../../sdk/src/testing/services.js';
import type { PulseDefinition, PulseExpectation } from '../domain/api.js';
import { createPulseDispatcher, runProbe, type ProbeOptions } from './probe.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An HTTP server on 127.0.0.1 for one test, closed (with its connections) when the test ends. */
async function serve(
  handler: Handler,
  server: Server = createServer(),
  scheme = 'http',
): Promise<{ origin: string; server: Server }> {
  server.on('request', handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { origin: `${scheme}://127.0.0.1:${port}`, server };
}

const pulse = (url: string, overrides: Partial<PulseDefinition> = {}): PulseDefinition => ({
  enabled: true,
  url,
  method: 'GET',
  headers: {},
  intervalMs: 30_000,
  timeoutMs: 2000,
  expect: { status: [[200, 399]], json: [] },
  ...overrides,
});
const withExpect = (expect: Partial<PulseExpectation>): Partial<PulseDefinition> => ({
  expect: { status: [[200, 399]], json: [], ...expect },
});

const json =
  (status: number, body: unknown): Handler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

let dispatcher: ReturnType<typeof createPulseDispatcher>;
let options: ProbeOptions;
beforeAll(() => {
  dispatcher = createPulseDispatcher();
  options = { dispatcher };
});
afterAll(async () => {
  await dispatcher.close();
});

describe('runProbe over HTTP', () => {
  it('passes a 200 that meets its expectations', async () => {
    const { origin } = await serve(json(200, { status: 'UP' }));
    const outcome = await runProbe(
      pulse(`${origin}/health`, withExpect({ json: [{ path: 'status', equals: 'UP' }] })),
      options,
    );
    expect(outcome).toEqual({ ok: true, statusCode: 200, durationMs: expect.any(Number) });
    expect(outcome.durationMs).toBeGreaterThan(0);
    expect(outcome.durationMs).toBeLessThan(1000);
  });

  it('fails a 503 with the reason, as an answer (statusCode, no error)', async () => {
    const { origin } = await serve(json(503, { status: 'DOWN' }));
    const outcome = await runProbe(pulse(origin), options);
    expect(outcome).toEqual({
      ok: false,
      statusCode: 503,
      durationMs: expect.any(Number),
      detail: 'status 503 not in 200-399',
    });
  });

  it('fails an answer whose body misses a condition', async () => {
    const { origin } = await serve(json(200, { status: 'DOWN', items: [] }));
    const check = (expect_: Partial<PulseExpectation>) =>
      runProbe(pulse(origin, withExpect(expect_)), options);
    expect((await check({ json: [{ path: 'status', equals: 'UP' }] })).detail).toBe(
      'body.status is "DOWN", expected "UP"',
    );
    expect((await check({ json: [{ path: 'items.length', greaterThan: 0 }] })).detail).toBe(
      'body.items.length is 0, expected more than 0',
    );
    expect(await check({ json: [{ path: 'status', equals: 'DOWN' }] })).toMatchObject({ ok: true });
  });

  it('fails an answer that is not JSON, naming its content type', async () => {
    const { origin } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>ok</html>');
    });
    const outcome = await runProbe(
      pulse(origin, withExpect({ json: [{ path: 'status', exists: true }] })),
      options,
    );
    expect(outcome).toMatchObject({
      ok: false,
      statusCode: 200,
      detail: 'body is not JSON (content-type text/html)',
    });
  });

  it('fails a slow answer against maxResponseTimeMs', async () => {
    const { origin } = await serve((request, response) => {
      setTimeout(() => json(200, {})(request, response), 120);
    });
    const outcome = await runProbe(pulse(origin, withExpect({ maxResponseTimeMs: 50 })), options);
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/^took \d+ms, more than 50ms$/);
  });

  it('sends the method, headers and body it is given, and a user agent', async () => {
    let seen: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const { origin } = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen = { method: request.method, headers: request.headers, body };
        response.end();
      });
    });
    const outcome = await runProbe(
      pulse(origin, { method: 'post', headers: { 'x-probe': 'yes' }, body: '{"ping":1}' }),
      options,
    );
    expect(outcome.ok).toBe(true);
    expect(seen).toMatchObject({ method: 'POST', body: '{"ping":1}' });
    expect(seen.headers).toMatchObject({ 'x-probe': 'yes', 'user-agent': 'heartbeat-pulse' });
  });

  it('keeps connections alive between probes of one origin', async () => {
    let connections = 0;
    const { origin, server } = await serve(json(200, {}));
    server.on('connection', () => connections++);
    for (let i = 0; i < 20; i++) expect((await runProbe(pulse(origin), options)).ok).toBe(true);
    // undici may open a second one while the first is being handed back to the pool; never one per probe.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('bounds the connections to one origin', async () => {
    const local = createPulseDispatcher({ connectionsPerOrigin: 2 });
    onTestFinished(() => local.close());
    let connections = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const { origin, server } = await serve((request, response) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      setTimeout(() => {
        inFlight--;
        json(200, {})(request, response);
      }, 30);
    });
    server.on('connection', () => connections++);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => runProbe(pulse(origin), { dispatcher: local })),
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(connections).toBe(2);
    expect(maxInFlight).toBe(2);
  });
});

describe('runProbe: time and size bounds', () => {
  it('times out, promptly, on a server that accepts and never answers', async () => {
    const silent = await startLoopbackServer();
    onTestFinished(() => silent.close());
    const started = Date.now();
    const outcome = await runProbe(pulse(`http://127.0.0.1:${silent.port}/`, { timeoutMs: 300 }), options);
    const took = Date.now() - started;
    expect(outcome).toEqual({
      ok: false,
      error: 'timeout',
      durationMs: expect.any(Number),
      detail: 'no answer within 300ms',
    });
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(1200);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(295);
  });

  it('cuts a body that trickles a byte every 100 ms forever at the timeout', async () => {
    const { origin } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{');
      const timer = setInterval(() => response.write(' '), 100);
      response.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const outcome = await runProbe(pulse(origin, { timeoutMs: 500 }), options);
    const took = Date.now() - started;
    expect(outcome).toMatchObject({ ok: false, statusCode: 200, error: 'timeout' });
    expect(outcome.detail).toMatch(/^body not complete within 500ms \(\d+ B read\)$/);
    expect(took).toBeGreaterThanOrEqual(495);
    expect(took).toBeLessThan(1500);
  });

  it('reads a 50 MB body only up to the cap, then stops the download; still judged on what was read', async () => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const { origin } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(total) });
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    });
    const before = process.memoryUsage();
    const outcome = await runProbe(pulse(origin, { timeoutMs: 5000 }), {
      ...options,
      maxBodyBytes: 64 * 1024,
    });
    const after = process.memoryUsage();
    expect(outcome).toMatchObject({
      ok: true,
      statusCode: 200,
      detail: 'body cut at 64 KiB; judged on what was read',
    });
    expect(outcome.durationMs).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Loopback socket buffers hold a few MB at most; the server never got to send the 50 MB.
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(after.arrayBuffers + after.heapUsed - before.arrayBuffers - before.heapUsed).toBeLessThan(
      24 * 1024 * 1024,
    );
  });

  it('judges the part of a too-large JSON body it read, and says so', async () => {
    const { origin } = await serve(json(200, { status: 'DOWN', padding: 'x'.repeat(10_000) }));
    const outcome = await runProbe(pulse(origin, withExpect({ json: [{ path: 'status', equals: 'UP' }] })), {
      ...options,
      maxBodyBytes: 1024,
    });
    expect(outcome).toMatchObject({
      ok: false,
      statusCode: 200,
      detail: 'body is not JSON (body cut at 1 KiB; content-type application/json)',
    });
  });

  it('stops when the caller aborts', async () => {
    const silent = await startLoopbackServer();
    onTestFinished(() => silent.close());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const outcome = await runProbe(pulse(`http://127.0.0.1:${silent.port}/`, { timeoutMs: 5000 }), {
      ...options,
      signal: controller.signal,
    });
    expect(outcome).toMatchObject({ ok: false, error: 'aborted' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('runProbe: transport failures', () => {
  it('connection refused', async () => {
    const port = await findClosedPort();
    const outcome = await runProbe(pulse(`http://127.0.0.1:${port}/`), options);
    expect(outcome).toEqual({
      ok: false,
      error: 'connection refused',
      durationMs: expect.any(Number),
      detail: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('connection reset', async () => {
    const rude = await startLoopbackServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    onTestFinished(() => rude.close());
    const outcome = await runProbe(pulse(`http://127.0.0.1:${rude.port}/`), options);
    expect(outcome).toMatchObject({ ok: false, error: 'connection reset' });
  });

  it('connection closed before an answer', async () => {
    const hangUp = await startLoopbackServer((socket) => socket.once('data', () => socket.end()));
    onTestFinished(() => hangUp.close());
    const outcome = await runProbe(pulse(`http://127.0.0.1:${hangUp.port}/`), options);
    expect(outcome).toMatchObject({
      ok: false,
      error: 'connection closed',
      detail: 'UND_ERR_SOCKET: other side closed',
    });
  });

  it('a name that does not resolve', async () => {
    const outcome = await runProbe(pulse('http://no-such-host.invalid/health', { timeoutMs: 5000 }), options);
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^dns: (lookup of )?no-such-host\.invalid/),
    });
  });

  it.each([
    ['not a URL', 'not a url', 'invalid url'],
    ['an unsupported scheme', 'ftp://127.0.0.1/', 'unsupported scheme ftp:'],
    ['tcp without a port', 'tcp://127.0.0.1', 'invalid url'],
  ])('%s', async (_name, url, error) => {
    expect(await runProbe(pulse(url), options)).toMatchObject({ ok: false, error });
  });
});

describe('runProbe: redirects', () => {
  it('follows a chain of 2 to the final answer, which it judges', async () => {
    const { origin } = await serve((request, response) => {
      if (request.url === '/a') response.writeHead(301, { location: '/b' }).end();
      else if (request.url === '/b')
        response.writeHead(302, { location: `${originOf(request)}/c` }).end('moved');
      else json(200, { status: 'UP', at: request.url })(request, response);
    });
    const outcome = await runProbe(
      pulse(`${origin}/a`, withExpect({ json: [{ path: 'at', equals: '/c' }] })),
      options,
    );
    expect(outcome).toEqual({ ok: true, statusCode: 200, durationMs: expect.any(Number) });
  });

  it('fails a redirect loop with "too many redirects"', async () => {
    let hits = 0;
    const { origin } = await serve((_request, response) => {
      hits++;
      response.writeHead(302, { location: '/loop' }).end();
    });
    const outcome = await runProbe(pulse(`${origin}/loop`), { ...options, maxRedirects: 3 });
    expect(outcome).toMatchObject({
      ok: false,
      statusCode: 302,
      error: 'too many redirects',
      detail: `more than 3, the last to ${origin}/loop`,
    });
    expect(hits).toBe(4);
  });

  it('with maxRedirects 0, judges the redirect itself', async () => {
    const { origin } = await serve((_request, response) => response.writeHead(302, { location: '/x' }).end());
    expect(await runProbe(pulse(origin), { ...options, maxRedirects: 0 })).toMatchObject({
      ok: true,
      statusCode: 302,
    });
  });

  it('continues a POST answered 303 as a GET without a body', async () => {
    const seen: string[] = [];
    const { origin } = await serve((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers['content-length'] ?? '-'}`);
      if (request.url === '/submit') response.writeHead(303, { location: '/result' }).end();
      else response.end();
      request.resume();
    });
    const outcome = await runProbe(pulse(`${origin}/submit`, { method: 'POST', body: 'x=1' }), options);
    expect(outcome.ok).toBe(true);
    expect(seen).toEqual(['POST /submit 3', 'GET /result -']);
  });

  it('does not carry credentials to another origin', async () => {
    const seen: Array<string | undefined> = [];
    const other = await serve((request, response) => {
      seen.push(request.headers.authorization);
      response.end();
    });
    const { origin } = await serve((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(307, { location: `${other.origin}/elsewhere` }).end();
    });
    const outcome = await runProbe(pulse(origin, { headers: { Authorization: 'Bearer secret' } }), options);
    expect(outcome.ok).toBe(true);
    expect(seen).toEqual(['Bearer secret', undefined]);
  });
});

describe('runProbe: tcp://', () => {
  it('passes when the port accepts a connection', async () => {
    const listening = await startLoopbackServer();
    onTestFinished(() => listening.close());
    const outcome = await runProbe(pulse(`tcp://127.0.0.1:${listening.port}`), options);
    expect(outcome).toEqual({ ok: true, durationMs: expect.any(Number) });
  });

  it('fails a closed port as connection refused', async () => {
    const port = await findClosedPort();
    expect(await runProbe(pulse(`tcp://127.0.0.1:${port}`), options)).toMatchObject({
      ok: false,
      error: 'connection refused',
    });
  });

  it('applies maxResponseTimeMs to the connect time', async () => {
    const listening = await startLoopbackServer();
    onTestFinished(() => listening.close());
    const outcome = await runProbe(
      pulse(`tcp://127.0.0.1:${listening.port}`, withExpect({ maxResponseTimeMs: 0 })),
      options,
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/^took \d+ms, more than 0ms$/);
  });
});

const certificates = makeCertificates();

describe.skipIf(!certificates)('runProbe over HTTPS (self-signed certificate made with openssl)', () => {
  const { key, cert, otherKey, otherCert } = certificates ?? {
    key: '',
    cert: '',
    otherKey: '',
    otherCert: '',
  };
  const https = (keyPem = key, certPem = cert) =>
    serve(json(200, { status: 'UP' }), createHttpsServer({ key: keyPem, cert: certPem }), 'https');

  it('rejects a certificate it does not trust, by default', async () => {
    const { origin } = await https();
    expect(await runProbe(pulse(origin), options)).toMatchObject({
      ok: false,
      error: 'tls: self-signed certificate',
    });
  });

  it('accepts it when its CA is given', async () => {
    const { origin } = await https();
    const trusting = createPulseDispatcher({ ca: cert });
    onTestFinished(() => trusting.close());
    expect(await runProbe(pulse(origin), { dispatcher: trusting })).toMatchObject({
      ok: true,
      statusCode: 200,
    });
  });

  it('accepts anything with rejectUnauthorized: false (hub-wide, not recommended)', async () => {
    const { origin } = await https();
    const insecure = createPulseDispatcher({ rejectUnauthorized: false });
    onTestFinished(() => insecure.close());
    expect(await runProbe(pulse(origin), { dispatcher: insecure })).toMatchObject({
      ok: true,
      statusCode: 200,
    });
  });

  it('rejects a trusted certificate made out to another name', async () => {
    const { origin } = await https(otherKey, otherCert);
    const trusting = createPulseDispatcher({ ca: otherCert });
    onTestFinished(() => trusting.close());
    expect(await runProbe(pulse(origin), { dispatcher: trusting })).toMatchObject({
      ok: false,
      error: 'tls: certificate is not valid for 127.0.0.1',
    });
  });

  it('fails https:// to a plain HTTP server as a TLS error', async () => {
    const { origin } = await serve(json(200, {}));
    const outcome = await runProbe(pulse(origin.replace('http:', 'https:')), options);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/^tls: /) });
  });
});

function originOf(request: IncomingMessage): string {
  return `http://${request.headers.host}`;
}

/** A self-signed certificate for 127.0.0.1, and one for another name; undefined (with a warning) without openssl. */
function makeCertificates(): { key: string; cert: string; otherKey: string; otherCert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-tls-'));
  try {
    const make = (name: string, subjectAltName: string): void => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=pulse-test',
          '-addext',
          `subjectAltName=${subjectAltName}`,
          '-keyout',
          join(dir, `${name}.key`),
          '-out',
          join(dir, `${name}.crt`),
        ],
        { stdio: 'ignore', timeout: 10_000 },
      );
    };
    make('self', 'IP:127.0.0.1');
    make('other', 'DNS:api.example.test');
    const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
    return {
      key: read('self.key'),
      cert: read('self.crt'),
      otherKey: read('other.key'),
      otherCert: read('other.crt'),
    };
  } catch (thrown) {
    console.warn(
      `!! SKIPPING the HTTPS probe tests: could not make a certificate with openssl (${String(thrown)})`,
    );
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
