import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealth, createHealthServer, type Health, type HealthServer } from '@heartbeat/sdk';

// The built binary, as a user runs it: build first with `npx tsc -b packages/sdk packages/cli`.
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** The environment without HEARTBEAT_* variables, so the developer's own never leak into a test. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('HEARTBEAT_')),
  );
  return { ...env, ...extra };
}

interface Agent {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runAgent(args: string[], env: Record<string, string> = {}): Agent {
  const child = spawn(process.execPath, [MAIN, 'agent', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(env),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A real HTTP server that records what the sidecar sends and answers as the hub would. */
let receiver: Server;
let hubUrl: string;
const received: Received[] = [];

let health: Health;
let healthServer: HealthServer;
let healthUrl: string;
let refusedUrl: string;

beforeAll(async () => {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run "npx tsc -b packages/sdk packages/cli" before these tests`);
  }
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
      });
      if (req.method === 'DELETE') return void res.writeHead(204).end();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: 1, warnings: [], validTime: 60_000 }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  // A service's health, served by the SDK's own health server: one failing check.
  health = createHealth({ service: { name: 'billing' }, started: true });
  health
    .addCheck({
      name: 'db',
      run: () => ({ status: 'error', message: 'connect ECONNREFUSED 127.0.0.1:5432' }),
    })
    .addCheck({ name: 'cache', run: () => undefined });
  healthServer = createHealthServer(health, { connection: { host: '127.0.0.1', port: 0 } });
  healthUrl = (await healthServer.start()).url;

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/readyz`;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await healthServer.stop();
  health.close();
});

/** What one instance sent, in order. */
const from = (instanceId: string): Received[] =>
  received.filter((request) =>
    request.method === 'POST'
      ? request.body?.instanceId === instanceId
      : request.path.endsWith(`/${instanceId}`),
  );

async function waitFor(
  predicate: () => boolean,
  what: string,
  agent: Agent,
  timeoutMs = 8000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs}ms; stderr:\n${agent.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('heartbeat agent (the sidecar)', () => {
  it('beats with the status of the health URL, and says goodbye and exits 0 on SIGTERM', async () => {
    const agent = runAgent([
      '--hub',
      hubUrl,
      '--key',
      'hb_ingest_test',
      '--service',
      'billing',
      '--health-url',
      `${healthUrl}/health`,
      '--interval',
      '1s',
      '--instance-id',
      'billing-1',
      '--version',
      '3.2.0',
      '--app-name',
      'billing-app',
      '--basepath',
      '/eni/billing',
      '--basepath',
      '/eni/invoices/',
      '--ext',
      'region=eu-west-1',
      '--ext',
      'zone=a=b',
    ]);
    await waitFor(() => from('billing-1').length >= 2, 'two beats', agent);

    const [first, second] = from('billing-1');
    expect(first!.method).toBe('POST');
    expect(first!.path).toBe('/v1/instances/heartbeats');
    expect(first!.headers.authorization).toBe('Bearer hb_ingest_test');
    expect(first!.body).toMatchObject({
      instanceId: 'billing-1',
      service: 'billing',
      version: '3.2.0',
      appName: 'billing-app',
      basepaths: ['/eni/billing', '/eni/invoices'],
      extInfo: { region: 'eu-west-1', zone: 'a=b' },
      interval: 1000,
      processId: agent.child.pid,
      status: 'error',
    });
    expect(first!.body.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: expect.stringMatching(/^db/), status: 'error' }),
        expect.objectContaining({ name: expect.stringMatching(/^cache/), status: 'ok' }),
      ]),
    );
    expect(second!.body.lastHeartbeatTime).toBe(first!.body.heartbeatTime);

    agent.child.kill('SIGTERM');
    const { code } = await agent.exit;
    expect(code).toBe(0);
    const sent = from('billing-1');
    expect(sent.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/instances/billing-1' });
    expect(sent.at(-1)!.headers.authorization).toBe('Bearer hb_ingest_test');
    expect(sent.filter((request) => request.method === 'DELETE')).toHaveLength(1);

    const lines = agent.stderr().trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z (info |warn |error) \S/);
    expect(agent.stderr()).toContain('beating as billing-1 (service billing) to');
    expect(agent.stderr()).toContain('the health URL says error');
    expect(agent.stderr()).toContain('accepted the first beat of billing-1');
    expect(agent.stderr()).toContain('received SIGTERM: saying goodbye');
    expect(agent.stderr()).toContain('said goodbye');
    expect(agent.stdout()).toBe('');
  });

  it('reports an unreachable health URL as error with a health-url check, and keeps beating', async () => {
    const agent = runAgent(
      ['--service', 'legacy', '--health-url', refusedUrl, '--interval', '1s', '--instance-id', 'legacy-1'],
      { HEARTBEAT_HUB: `${hubUrl}/`, HEARTBEAT_KEY: 'hb_from_env' },
    );
    await waitFor(() => from('legacy-1').length >= 2, 'two beats', agent);
    const [first] = from('legacy-1');
    expect(first!.headers.authorization).toBe('Bearer hb_from_env');
    expect(first!.body.status).toBe('error');
    expect(first!.body.checks).toEqual([
      { name: 'health-url', status: 'error', message: expect.stringMatching(/^no answer: .*ECONNREFUSED/) },
    ]);
    agent.child.kill('SIGINT');
    expect((await agent.exit).code).toBe(0);
    expect(from('legacy-1').at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/instances/legacy-1' });
    // Said once when the health URL failed, not at every beat.
    expect(agent.stderr().match(/the health URL says error/g)).toHaveLength(1);
  });
});

describe('heartbeat agent usage errors exit 2 and say what to do', () => {
  const hub = ['--hub', 'http://127.0.0.1:8900'];
  const key = ['--key', 'k'];
  const service = ['--service', 'billing'];
  it.concurrent.for<[string[], Record<string, string>, RegExp]>([
    [[...key, ...service], {}, /the hub is missing: pass --hub http:\/\/hub:8900 or set HEARTBEAT_HUB/],
    [
      [...hub, ...service],
      {},
      /the key is missing: set HEARTBEAT_KEY \(or pass --key\); create one with `heartbeat keys create --scope ingest`/,
    ],
    [[...hub, ...key], {}, /the service is missing: pass --service <name>/],
    [
      [...hub, ...key, ...service, '--interval', '500ms'],
      {},
      /the interval must be at least 1s \(got 500ms\)/,
    ],
    [[...hub, ...key, ...service, '--interval', 'often'], {}, /interval "often" is not a duration/],
    [
      [...key, ...service, '--hub', 'hub:8900'],
      {},
      /"hub:8900" is not an http or https URL; write it like http:\/\/hub:8900/,
    ],
    [[...key, ...service], { HEARTBEAT_HUB: 'nowhere' }, /"nowhere" is not a URL/],
    [
      [...hub, ...key, ...service, '--health-url', 'localhost/health'],
      {},
      /is not a URL|is not an http or https URL/,
    ],
    [[...hub, ...key, ...service, '--ext', 'novalue'], {}, /write extra information as key=value/],
    [
      [...hub, ...key, ...service, '--basepath', 'eni/billing'],
      {},
      /"eni\/billing" is not a basepath; write it like \/eni\/billing/,
    ],
    [[...hub, ...key, ...service, '--key', 'Bearer abc'], {}, /key must be the key itself/],
    [[...hub, ...key, ...service, '--colour'], {}, /unknown option '--colour'/],
  ])('heartbeat agent %j (env %j)', async ([args, env, message], { expect }) => {
    const run = runAgent(args, env);
    const { code } = await run.exit;
    expect(code).toBe(2);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toMatch(message);
  });

  it('stops quietly when whoever reads its output has gone (`heartbeat --help | head -3`)', async () => {
    const help = spawn(process.execPath, [MAIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    help.stdout.destroy(); // the reader is gone before the first line is written
    let errors = '';
    help.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    const code = await new Promise((resolve) => help.on('close', resolve));
    expect(errors).toBe('');
    expect(code).toBe(0);
  });

  it('lists agent in the commands, and keeps --version for the CLI itself before the command', async () => {
    const help = spawn(process.execPath, [MAIN, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    help.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await new Promise((resolve) => help.on('close', resolve));
    expect(out).toMatch(/agent \[options\]\s+push heartbeats to the hub/);

    const version = spawn(process.execPath, [MAIN, '--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let printed = '';
    version.stdout.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    await new Promise((resolve) => version.on('close', resolve));
    expect(printed).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
