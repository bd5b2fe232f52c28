import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built binary, as a user runs it: build first with `npx tsc -b packages/sdk packages/cli`.
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node dist/main.js …args` without blocking this process, which serves the test endpoints. */
function heartbeat(...args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

const ROUTES: Record<string, [number, string, string]> = {
  '/livez': [200, 'text/plain; charset=utf-8', 'ok'],
  '/readyz': [
    503,
    'text/plain; charset=utf-8',
    '[+]cache ok\n[-]db failed: connect ECONNREFUSED 127.0.0.1:5432\nreadyz check failed\n',
  ],
  '/heartbeat': [200, 'application/json', 'NOW'],
  '/_system/check/cache': [500, 'application/json', '{"code":"WARNING","error":true}'],
  '/ops/heartbeat': [
    200,
    'application/json',
    JSON.stringify({
      Status: 'WARNING',
      URL: 'http://orders.internal/ops/heartbeat',
      Machine: 'orders-7f9c',
      UtcDateTime: '2026-11-21T10:11:12.345Z',
      Dependencies: [
        { Status: 'WARNING', URL: 'redis://cache:6379', UtcDateTime: '2026-11-21T10:11:12.345Z' },
      ],
    }),
  ],
  '/health': [
    503,
    'application/health+json',
    JSON.stringify({
      status: 'fail',
      output: 'db: error — connect ECONNREFUSED',
      checks: { 'db:responseTime': [{ componentId: 'db', status: 'fail', output: 'connect ECONNREFUSED' }] },
    }),
  ],
  '/status': [
    200,
    'application/json',
    JSON.stringify({ id: 'orders-7f9c', name: 'orders', start_time: 'x', current_time: 'y', uptime: 90_000 }),
  ],
  '/evil': [503, 'text/html', 'down\u001b]0;pwned\u0007'],
};

let server: Server;
let base: string;
let refusedUrl: string;
let lastHeaders: IncomingHttpHeaders = {};

beforeAll(async () => {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run "npx tsc -b packages/sdk packages/cli" before these tests`);
  }
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    if (req.url === '/hang') return;
    const [status, type, body] = ROUTES[req.url ?? ''] ?? [404, 'text/html', '<h1>Not Found</h1>'];
    res.writeHead(status, { 'content-type': type }).end(body === 'NOW' ? JSON.stringify(new Date()) : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/readyz`;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('heartbeat check <url>', () => {
  it('prints one line and the message, and exits 0 when ok', async () => {
    const run = await heartbeat('check', `${base}/livez`);
    expect(run.code).toBe(0);
    const url = `${base}/livez`.replaceAll('.', '\\.');
    expect(run.stdout).toMatch(
      new RegExp(`^ok  ${url}  \\(kubernetes-probe, HTTP 200, \\d+ms\\)\\n  ok\\n$`),
    );
    expect(run.stderr).toBe('');
  });

  it('lists the failing checks and exits 1 when the probe fails', async () => {
    const run = await heartbeat('check', `${base}/readyz`);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^error {2}http:\/\/127\.0\.0\.1:\d+\/readyz {2}\(kubernetes-probe, HTTP 503, \d+ms\)$/,
    );
    expect(lines.slice(1)).toEqual([
      '  HTTP 503: readyz check failed; failing: db (connect ECONNREFUSED 127.0.0.1:5432)',
      '  [error] db: connect ECONNREFUSED 127.0.0.1:5432',
      '',
    ]);
  });

  it.each([
    ['/heartbeat', 0, 'ok', 'heartbeat', 200],
    ['/_system/check/cache', 0, 'warning', 'system-check', 500],
    ['/ops/heartbeat', 0, 'warning', 'ops-heartbeat', 200],
    ['/health', 1, 'error', 'health-json', 503],
    ['/status', 0, 'ok', 'status', 200],
    ['/nowhere', 1, 'error', 'unknown', 404],
  ])('%s exits %i (%s, %s)', async (path, code, status, format, statusCode) => {
    const run = await heartbeat('check', `${base}${path}`);
    expect(run.code).toBe(code);
    expect(run.stdout).toContain(`${status}  ${base}${path}  (${format}, HTTP ${statusCode}, `);
  });

  it('names warning dependencies as well', async () => {
    const run = await heartbeat('check', `${base}/ops/heartbeat`);
    expect(run.stdout).toContain('\n  [warning] redis://cache:6379: WARNING\n');
  });

  it('prints the result as JSON with --json', async () => {
    const run = await heartbeat('check', `${base}/health`, '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      url: `${base}/health`,
      status: 'error',
      format: 'health-json',
      message: 'db: error — connect ECONNREFUSED',
      checks: [{ name: 'db:responseTime', status: 'error', message: 'connect ECONNREFUSED' }],
      statusCode: 503,
      durationMs: expect.any(Number),
    });
  });

  it('sends --header, repeatedly', async () => {
    const run = await heartbeat(
      'check',
      `${base}/livez`,
      '-H',
      'Authorization: Bearer t0k:en',
      '--header',
      'x-a:1',
    );
    expect(run.code).toBe(0);
    expect(lastHeaders).toMatchObject({ authorization: 'Bearer t0k:en', 'x-a': '1' });
  });

  it('honours --timeout against a server that never answers', async () => {
    const run = await heartbeat('check', `${base}/hang`, '--timeout', '300ms');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^error {2}http:\/\/127\.0\.0\.1:\d+\/hang {2}\(no answer, \d+ms\)\n/);
    expect(run.stdout).toContain('\n  no answer: timed out after 300ms\n');
    expect(run.ms).toBeLessThan(5000);
  });

  it('exits 1 when the connection is refused', async () => {
    const run = await heartbeat('check', refusedUrl, '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'error',
      format: 'none',
      message: `no answer: connect ECONNREFUSED ${new URL(refusedUrl).host}`,
    });
  });

  it('never writes control characters from the server to the terminal', async () => {
    const run = await heartbeat('check', `${base}/evil`);
    expect(run.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});

describe('usage errors exit 2 and say what to do', () => {
  it.each([
    [['check', 'not-a-url'], /"not-a-url" is not a URL; write it like http:\/\/127\.0\.0\.1:8080\/readyz/],
    [['check', 'ftp://example.com/'], /is not an http or https URL/],
    [
      ['check', 'http://127.0.0.1/', '--timeout', 'soon'],
      /timeout "soon" is not a duration; write it like 500ms/,
    ],
    [['check', 'http://127.0.0.1/', '--timeout', '0'], /the timeout must be longer than 0/],
    [['check', 'http://127.0.0.1/', '--header', 'no-colon'], /write a header as name:value/],
    [['check', 'http://127.0.0.1/', '--header', 'bad name: x'], /write a header as name:value/],
    [['check'], /missing required argument 'url'/],
    [['check', 'http://127.0.0.1/', 'extra'], /too many arguments/],
    [['chek', 'http://127.0.0.1/'], /unknown command 'chek'[\s\S]*Did you mean check\?/],
    [[], /Usage: heartbeat/],
  ])('heartbeat %j', async (args, message) => {
    const run = await heartbeat(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });
});

describe('help and version', () => {
  it('explains check with examples for Docker and Kubernetes', async () => {
    const run = await heartbeat('check', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: heartbeat check [options] <url>');
    expect(run.stdout).toContain('--timeout <duration>');
    expect(run.stdout).toContain('(default: 5s)');
    expect(run.stdout).toContain('HEALTHCHECK');
    expect(run.stdout).toContain('livenessProbe:');
    expect(run.stdout).toContain('2  usage error');
  });

  it('lists the commands', async () => {
    const run = await heartbeat('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: heartbeat \[options\] \[command\]/);
    expect(run.stdout).toMatch(/check \[options\] <url>/);
  });

  it('prints the version from package.json', async () => {
    const run = await heartbeat('--version');
    expect(run.code).toBe(0);
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(run.stdout).toBe(`${version}\n`);
  });
});
