import { createServer, type IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealth } from '../health.js';
import type { Logger } from '../lifecycle/logger.js';
import { findClosedPort, startLoopbackServer } from '../testing/services.js';
import { createHubAgent, joinHubPath, parseHubUrl, type HubAgentOptions } from './hub-agent.js';

/** One request the recording receiver got. */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

const ACCEPTED: Reply = { status: 200, body: { accepted: 1, warnings: [], validTime: 60_000 } };

/**
 * A real HTTP server on loopback that records what the agent sends and answers as the hub would
 * (`reply` decides per request). It checks the agent's client behaviour, not the hub's logic.
 */
async function startRecordingHub(reply: (request: Received, index: number) => Reply = () => ACCEPTED) {
  const received: Received[] = [];
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
        at: Date.now(),
      };
      received.push(request);
      const answer = reply(request, received.length - 1);
      if (answer === 'hang') return;
      if (answer.status === 204) return void res.writeHead(204).end();
      res
        .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
        .end(JSON.stringify(answer.body ?? {}));
    });
  });
  const loopback = await startLoopbackServer((socket) => http.emit('connection', socket));
  const url = `http://127.0.0.1:${loopback.port}`;
  const beats = (): Received[] => received.filter((request) => request.method === 'POST');
  return {
    url,
    received,
    beats,
    /** Waits until `predicate` holds for what was received; fails with what was received if not. */
    async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `not received within ${timeoutMs}ms; got ${JSON.stringify(received.map((r) => `${r.method} ${r.path}`))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => loopback.close(),
  };
}

function recordingLogger() {
  const lines: Array<{ level: 'info' | 'warn' | 'error'; message: string; object: object }> = [];
  const logger: Logger = {
    info: (object, message = '') => void lines.push({ level: 'info', message, object }),
    warn: (object, message = '') => void lines.push({ level: 'warn', message, object }),
    error: (object, message = '') => void lines.push({ level: 'error', message, object }),
  };
  return { logger, lines, matching: (pattern: RegExp) => lines.filter((line) => pattern.test(line.message)) };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  // Nothing the agents did in any test escaped into the process.
  expect(unhandled).toEqual([]);
});

const gaps = (requests: Received[]): number[] =>
  requests.slice(1).map((request, i) => request.at - requests[i]!.at);

describe.concurrent('createHubAgent against a recording receiver', () => {
  it('sends every field of SPEC §4 with the right types, the key, and the health of a real createHealth()', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub();
    const health = createHealth({ service: { name: 'orders', version: '1.4.2' }, started: true });
    health
      .addCheck({
        name: 'db',
        run: () => ({ status: 'error', message: 'connect ECONNREFUSED 127.0.0.1:5432' }),
      })
      .addCheck({ name: 'cache', run: () => undefined })
      .addCheck({ name: 'search', critical: false, run: () => ({ status: 'warning', message: 'slow' }) });
    const agent = createHubAgent({
      hub: hub.url,
      key: 'hb_ingest_secret',
      service: 'orders',
      instanceId: 'orders-1',
      interval: '1s',
      health,
      metadata: {
        appName: 'orders-app',
        appType: 'node',
        artifact: 'orders.tgz',
        hostName: 'orders-host',
        ip: ['10.0.0.7'],
        processId: 4242,
        basepaths: ['/eni/orders'],
      },
      plugins: [{ name: 'template', version: '0.0.1', extInfo: { status: 'started' } }],
    });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      health.close();
      await hub.close();
    });
    agent.setExtInfo(() => ({ queue: '3' }));
    const before = Date.now();
    agent.start();
    await hub.waitFor((received) => received.length >= 1);

    const [request] = hub.received;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/v1/instances/heartbeats');
    expect(request!.headers.authorization).toBe('Bearer hb_ingest_secret');
    expect(request!.headers['content-type']).toBe('application/json');
    const beat = request!.body;
    expect(beat).toEqual({
      instanceId: 'orders-1',
      service: 'orders',
      appName: 'orders-app',
      appType: 'node',
      artifact: 'orders.tgz',
      hostName: 'orders-host',
      version: '1.4.2',
      ip: ['10.0.0.7'],
      processId: 4242,
      heartbeatTime: expect.any(Number),
      interval: 1000,
      plugins: [{ name: 'template', version: '0.0.1', extInfo: { status: 'started' } }],
      extInfo: { queue: '3' },
      status: 'error',
      checks: [
        { name: 'db', status: 'error', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
        { name: 'cache', status: 'ok' },
        { name: 'search', status: 'warning', message: 'slow' },
      ],
      basepaths: ['/eni/orders'],
    });
    expect(Number.isInteger(beat.heartbeatTime)).toBe(true);
    expect(beat.heartbeatTime).toBeGreaterThanOrEqual(before);
    expect(beat.heartbeatTime).toBeLessThanOrEqual(Date.now());
    expect(beat).not.toHaveProperty('lastHeartbeatTime'); // no earlier beat was accepted

    // The second beat names the first as the previous accepted one.
    await hub.waitFor((received) => received.length >= 2);
    expect(hub.received[1]!.body.lastHeartbeatTime).toBe(beat.heartbeatTime);
  });

  it('fills in the defaults: a stable instance id, the hostname, addresses, pid, the version from health', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub();
    const health = createHealth({ service: { name: 'billing', version: '2.0.0' } });
    const agent = createHubAgent({ hub: hub.url, service: 'billing', health, interval: 1000 });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      health.close();
      await hub.close();
    });
    agent.start();
    await hub.waitFor((received) => received.length >= 2);
    const first = hub.received[0]!.body as Record<string, any>;
    const second = hub.received[1]!.body as Record<string, any>;
    const host = hostname();
    expect(first.instanceId).toMatch(new RegExp(`^billing-${escape(host)}-${process.pid}-[0-9a-f]{4}$`));
    expect(second.instanceId).toBe(first.instanceId);
    expect(agent.instanceId).toBe(first.instanceId);
    expect(first.hostName).toBe(host);
    expect(first.processId).toBe(process.pid);
    expect(first.version).toBe('2.0.0');
    const addresses = Object.values(networkInterfaces())
      .flatMap((entries) => entries ?? [])
      .filter((entry) => !entry.internal)
      .map((entry) => entry.address);
    expect(first.ip).toEqual([...new Set(addresses)]);
    expect(first.ip).not.toContain('127.0.0.1');
    // No key given: no Authorization header; no health checks: status ok, checks [].
    expect(hub.received[0]!.headers.authorization).toBeUndefined();
    expect(first.status).toBe('ok');
    expect(first.checks).toEqual([]);
    expect(first).not.toHaveProperty('extInfo');
    expect(first).not.toHaveProperty('plugins');
  });

  it('reads extInfo at every beat, keeps beating through a throwing provider, and honours the interval', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub();
    const log = recordingLogger();
    const agent = createHubAgent({ hub: hub.url, service: 'orders', interval: '1s', logger: log.logger });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      await hub.close();
    });
    let beat = 0;
    agent.setExtInfo(() => {
      beat += 1;
      if (beat === 2 || beat === 3) throw new Error('provider broke');
      return { beat: String(beat), count: beat as unknown as string };
    });
    agent.start();
    await hub.waitFor((received) => received.length >= 4, 6000);

    const bodies = hub.beats().map((request) => request.body as Record<string, any> | undefined);
    expect(bodies[0]!.extInfo).toEqual({ beat: '1', count: '1' });
    expect(bodies[1]).not.toHaveProperty('extInfo');
    expect(bodies[2]).not.toHaveProperty('extInfo');
    expect(bodies[3]!.extInfo).toEqual({ beat: '4', count: '4' });
    // Logged when it broke, not at every beat, and once when it worked again.
    expect(log.matching(/extInfo provider failed \(provider broke\)/)).toHaveLength(1);
    expect(log.matching(/extInfo provider works again/)).toHaveLength(1);

    for (const gap of gaps(hub.beats().slice(0, 4))) {
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(1600);
    }
    // Replacing the provider takes effect at the next beat.
    agent.setExtInfo(() => ({ replaced: 'yes' }));
    const count = hub.beats().length;
    await hub.waitFor(() => hub.beats().length > count, 3000);
    expect(hub.beats().at(-1)!.body.extInfo).toEqual({ replaced: 'yes' });
    expect(log.matching(/first beat/)).toHaveLength(1);
    // The only trouble worth a warning was the provider's.
    expect(log.lines.filter((line) => line.level !== 'info').map((line) => line.message)).toEqual([
      expect.stringContaining('the extInfo provider failed'),
    ]);
  });

  it('asks for no answer (Prefer: return=minimal) once the hub has answered in full, and in full again after a failure or 10 minutes', async ({
    expect,
    onTestFinished,
  }) => {
    const unavailable: Reply = { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'down' } } };
    // As the hub does: 204 to a request that prefers a minimal answer, the full answer otherwise.
    const hub = await startRecordingHub((request, index) =>
      index === 2 ? unavailable : request.headers.prefer === 'return=minimal' ? { status: 204 } : ACCEPTED,
    );
    let clock = 1_800_000_000_000;
    const agent = createHubAgent({
      hub: hub.url,
      service: 'orders',
      logger: recordingLogger().logger,
      now: () => clock,
    });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      await hub.close();
    });
    const outcomes = [];
    for (let i = 0; i < 6; i++) {
      if (i === 5) clock += 10 * 60_000;
      outcomes.push(await agent.beatNow());
    }
    expect(hub.beats().map((request) => request.headers.prefer ?? 'full')).toEqual([
      'full',
      'return=minimal',
      'return=minimal', // answered 503
      'full', // the first after a failure
      'return=minimal',
      'full', // ten minutes after the last full answer
    ]);
    expect(outcomes.map((outcome) => [outcome.ok, outcome.statusCode, outcome.validTime])).toEqual([
      [true, 200, 60_000],
      [true, 204, undefined],
      [false, 503, undefined],
      [true, 200, 60_000],
      [true, 204, undefined],
      [true, 200, 60_000],
    ]);
  });

  it('backs off after 503s (sooner than the interval), logs once, and says when it recovers', async ({
    expect,
    onTestFinished,
  }) => {
    const unavailable: Reply = {
      status: 503,
      body: { error: { code: 'UNAVAILABLE', message: 'the store is not ready' } },
    };
    const hub = await startRecordingHub((_request, index) => (index < 3 ? unavailable : ACCEPTED));
    const log = recordingLogger();
    const agent = createHubAgent({ hub: hub.url, service: 'orders', interval: '3s', logger: log.logger });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      await hub.close();
    });
    agent.start();
    await hub.waitFor((received) => received.length >= 2);
    expect(agent.state.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(agent.state.lastError).toBe('the hub failed (HTTP 503): the store is not ready');
    await hub.waitFor((received) => received.length >= 4, 9000);
    await hub.waitFor(() => agent.state.consecutiveFailures === 0, 1000);

    const [retry1, retry2, retry3] = gaps(hub.beats());
    // Full jitter from 1s: the first retry comes after 1s, not after the 3s interval.
    expect(retry1).toBeGreaterThanOrEqual(950);
    expect(retry1).toBeLessThan(1500);
    expect(retry2).toBeGreaterThanOrEqual(950);
    expect(retry2).toBeLessThan(2500);
    expect(retry3).toBeGreaterThanOrEqual(950);
    expect(retry3).toBeLessThan(3500);
    // No lastHeartbeatTime until a beat was accepted.
    for (const request of hub.beats()) expect(request.body).not.toHaveProperty('lastHeartbeatTime');

    expect(log.matching(/the hub failed \(HTTP 503\)/)).toHaveLength(1);
    expect(log.matching(/the hub failed \(HTTP 503\)/)[0]!.level).toBe('warn');
    const recovered = log.matching(/accepts beats again, after 3 failed beats/);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.level).toBe('warn');
    expect(log.matching(/accepted the first beat/)).toHaveLength(1);
    expect(agent.state).toMatchObject({
      phase: 'running',
      consecutiveFailures: 0,
      lastSuccessAt: expect.any(Number),
      lastError: 'the hub failed (HTTP 503): the store is not ready',
    });
  });

  it('cuts a hub that hangs at the timeout, and beats again', async ({ expect, onTestFinished }) => {
    const hub = await startRecordingHub((_request, index) => (index === 0 ? 'hang' : ACCEPTED));
    const agent = createHubAgent({ hub: hub.url, service: 'orders', timeout: '300ms' });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      await hub.close();
    });
    const started = Date.now();
    const outcome = await agent.beatNow();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(outcome).toMatchObject({ ok: false, error: 'the hub did not answer within 300ms', warnings: [] });
    expect(outcome).not.toHaveProperty('statusCode');
    expect(agent.state.consecutiveFailures).toBe(1);
    const next = await agent.beatNow();
    expect(next).toMatchObject({ ok: true, statusCode: 200, validTime: 60_000 });
    expect(agent.state.consecutiveFailures).toBe(0);
  });

  it('joins the hub route prefix and encodes the instance id in the goodbye', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub((request) =>
      request.method === 'DELETE' ? { status: 204 } : ACCEPTED,
    );
    const agent = createHubAgent({
      hub: `${hub.url}/eni/heartbeat/?ignored=1`,
      service: 'orders',
      instanceId: 'orders/1 a',
    });
    onTestFinished(() => hub.close());
    expect((await agent.beatNow()).ok).toBe(true);
    await agent.stop();
    expect(hub.received.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /eni/heartbeat/v1/instances/heartbeats',
      'DELETE /eni/heartbeat/v1/instances/orders%2F1%20a',
    ]);
  });

  it('says goodbye on stop, and sends nothing after', async ({ expect, onTestFinished }) => {
    const hub = await startRecordingHub((request) =>
      request.method === 'DELETE' ? { status: 204 } : ACCEPTED,
    );
    const log = recordingLogger();
    const agent = createHubAgent({
      hub: hub.url,
      key: 'k1',
      service: 'orders',
      instanceId: 'orders-9',
      interval: '1s',
      logger: log.logger,
    });
    onTestFinished(() => hub.close());
    agent.start();
    await hub.waitFor((received) => received.length >= 1);
    await agent.stop();
    await agent.stop(); // a second stop is the same stop
    const sent = hub.received.map((request) => `${request.method} ${request.path}`);
    expect(sent.at(-1)).toBe('DELETE /v1/instances/orders-9');
    expect(hub.received.at(-1)!.headers.authorization).toBe('Bearer k1');
    expect(sent.filter((line) => line.startsWith('DELETE'))).toHaveLength(1);
    expect(agent.state.phase).toBe('stopped');
    expect(await agent.beatNow()).toMatchObject({ ok: false, error: 'the agent is stopped' });
    agent.start(); // a stopped agent stays stopped
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hub.received).toHaveLength(sent.length);
    expect(log.matching(/said goodbye/)).toHaveLength(1);
  });

  it('stops without goodbye when asked, and without one when the hub never knew the instance', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub();
    onTestFinished(() => hub.close());
    const quiet = createHubAgent({ hub: hub.url, service: 'orders' });
    await quiet.beatNow();
    await quiet.stop({ goodbye: false });
    const neverStarted = createHubAgent({ hub: hub.url, service: 'orders' });
    await neverStarted.stop();
    expect(hub.received.map((request) => request.method)).toEqual(['POST']);
  });

  it('says goodbye when the service shuts down gracefully (health.shutdown())', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub((request) =>
      request.method === 'DELETE' ? { status: 204 } : ACCEPTED,
    );
    onTestFinished(() => hub.close());
    const health = createHealth({ service: { name: 'orders' }, shutdown: { delay: 0 } });
    const agent = createHubAgent({
      hub: hub.url,
      service: 'orders',
      instanceId: 'orders-2',
      health,
      interval: '1s',
    });
    agent.start();
    await hub.waitFor((received) => received.length >= 1);
    const outcome = await health.shutdown('test');
    expect(outcome).toMatchObject({ clean: true, failures: [] });
    expect(hub.received.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/instances/orders-2' });
    expect(agent.state.phase).toBe('stopped');
    const count = hub.received.length;
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(hub.received).toHaveLength(count);
  });

  it('waits for a beat in flight only up to the timeout when stopping', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub(() => 'hang');
    onTestFinished(() => hub.close());
    const agent = createHubAgent({ hub: hub.url, service: 'orders', timeout: '400ms' });
    agent.start();
    await hub.waitFor((received) => received.length >= 1);
    const started = Date.now();
    await agent.stop();
    expect(Date.now() - started).toBeLessThan(1200);
    // The hub never accepted a beat, so there is no goodbye to say.
    expect(hub.received.map((request) => request.method)).toEqual(['POST']);
  });

  it('explains a refused key once, and retries at the interval rather than backing off', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub(() => ({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'unknown key' } },
    }));
    const log = recordingLogger();
    const agent = createHubAgent({
      hub: hub.url,
      key: 'wrong',
      service: 'orders',
      interval: '2s',
      logger: log.logger,
    });
    onTestFinished(async () => {
      await agent.stop();
      await hub.close();
    });
    agent.start();
    await hub.waitFor((received) => received.length >= 2, 5000);
    // The receiver sees the second request before the agent has read its answer: wait for that too.
    await hub.waitFor(() => agent.state.consecutiveFailures === 2, 2000);
    const [gap] = gaps(hub.beats());
    expect(gap).toBeGreaterThanOrEqual(1900);
    const errors = log.lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe(
      'heartbeat agent: the hub refused the key: unknown key; create one with `heartbeat keys create --scope ingest`; next try in 2s',
    );
    expect(agent.state).toMatchObject({ consecutiveFailures: 2, lastSuccessAt: undefined });
  });

  it("logs each of the hub's warnings once, and a validTime shorter than the interval", async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub(() => ({
      status: 200,
      body: { accepted: 1, warnings: ['unknown field "colour" ignored'], validTime: 1000 },
    }));
    const log = recordingLogger();
    const agent = createHubAgent({ hub: hub.url, service: 'orders', interval: '1s', logger: log.logger });
    onTestFinished(async () => {
      await agent.stop({ goodbye: false });
      await hub.close();
    });
    const outcome = await agent.beatNow();
    expect(outcome.warnings).toEqual(['unknown field "colour" ignored']);
    await agent.beatNow();
    await agent.beatNow();
    expect(log.matching(/the hub warns: unknown field "colour" ignored/)).toHaveLength(1);
    expect(
      log.matching(/counts an instance lost after 1s without a beat, but the interval is 1s/),
    ).toHaveLength(1);
  });

  it('reports a failing or hanging status source as error, and still beats', async ({
    expect,
    onTestFinished,
  }) => {
    const hub = await startRecordingHub();
    onTestFinished(() => hub.close());
    const throwing = createHubAgent({
      hub: hub.url,
      service: 'legacy',
      statusSource: () => Promise.reject(new Error('probe exploded')),
    });
    expect((await throwing.beatNow()).ok).toBe(true);
    expect(hub.beats().at(-1)!.body).toMatchObject({
      status: 'error',
      checks: [{ name: 'status-source', status: 'error', message: 'probe exploded' }],
    });
    const hanging = createHubAgent({
      hub: hub.url,
      service: 'legacy',
      timeout: '100ms',
      statusSource: () => new Promise(() => undefined),
    });
    expect((await hanging.beatNow()).ok).toBe(true);
    expect(hub.beats().at(-1)!.body).toMatchObject({
      status: 'error',
      checks: [{ name: 'status-source', status: 'error', message: 'no status within 1.1s' }],
    });
    const sidecar = createHubAgent({
      hub: hub.url,
      service: 'legacy',
      statusSource: () => ({ status: 'warning', checks: [{ name: 'disk', status: 'warning' }] }),
    });
    await sidecar.beatNow();
    expect(hub.beats().at(-1)!.body).toMatchObject({
      status: 'warning',
      checks: [{ name: 'disk', status: 'warning' }],
    });
  });

  it('never throws into the application when the hub is unreachable or the logger throws', async ({
    expect,
  }) => {
    const port = await findClosedPort();
    const throwingLogger: Logger = {
      info: () => {
        throw new Error('logger down');
      },
      warn: () => {
        throw new Error('logger down');
      },
      error: () => {
        throw new Error('logger down');
      },
    };
    const agent = createHubAgent({
      hub: `http://127.0.0.1:${port}`,
      service: 'orders',
      interval: '1s',
      logger: throwingLogger,
    });
    agent.setExtInfo(() => Promise.reject(new Error('async by mistake')) as never);
    agent.start();
    const outcome = await agent.beatNow();
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/^the hub did not answer: .*ECONNREFUSED/);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(agent.state.consecutiveFailures).toBeGreaterThanOrEqual(2);
    await agent.stop();
  });
});

describe('createHubAgent options', () => {
  const base: HubAgentOptions = { hub: 'http://127.0.0.1:8900', service: 'orders' };

  it.each<[string, Partial<HubAgentOptions>, RegExp]>([
    ['an interval under 1s', { interval: '500ms' }, /interval must be at least 1s \(got 500ms\)/],
    ['an unreadable interval', { interval: 'soon' }, /interval "soon" is not a duration/],
    ['a zero timeout', { timeout: 0 }, /timeout must be longer than 0ms/],
    [
      'a hub that is not a URL',
      { hub: 'hub:8900' },
      /is not an http or https URL; write it like http:\/\/127\.0\.0\.1:8900/,
    ],
    ['a hub that is no URL at all', { hub: 'not a url' }, /hub "not a url" is not a URL/],
    ['no service', { service: '' }, /service must be a non-empty string/],
    ['a key with a Bearer prefix', { key: 'Bearer abc' }, /key must be the key itself/],
    [
      'both health and statusSource',
      { health: createHealth(), statusSource: () => ({ status: 'ok' }) },
      /not both/,
    ],
    ['a plugin without a name', { plugins: [{ name: '' }] }, /plugins\[0\]\.name must be a non-empty string/],
    [
      'a non-integer processId',
      { metadata: { processId: 1.5 } },
      /metadata\.processId must be a whole number/,
    ],
  ])('rejects %s with VALIDATION_FAILED', (_name, options, message) => {
    expect(() => createHubAgent({ ...base, ...options })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) }),
    );
  });

  it('accepts exactly 1s', () => {
    expect(createHubAgent({ ...base, interval: '1s' }).state.phase).toBe('idle');
  });

  it.each([
    ['http://hub:8900', 'http://hub:8900/v1/instances/heartbeats'],
    ['http://hub:8900/', 'http://hub:8900/v1/instances/heartbeats'],
    [
      'https://hub.example.com/eni/heartbeat',
      'https://hub.example.com/eni/heartbeat/v1/instances/heartbeats',
    ],
    [
      'https://hub.example.com/eni//heartbeat//',
      'https://hub.example.com/eni/heartbeat/v1/instances/heartbeats',
    ],
    ['http://hub:8900/v1/instances/heartbeats', 'http://hub:8900/v1/instances/heartbeats'],
  ])('joins %s to %s', (hub, expected) => {
    expect(joinHubPath(parseHubUrl(hub), '/v1/instances/heartbeats').href).toBe(expected);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
