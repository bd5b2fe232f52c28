/**
 * One behaviour suite for every way the SDK is served: SPEC.md §2 (every status in every format)
 * and §3 (every endpoint contract), over real HTTP on loopback. Each adapter's test file calls
 * `runHealthEndpointSuite` with a function that mounts a Health on a real server.
 */
import { isIP } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth, type Health, type HealthOptions } from '../health.js';
import type { CheckStatus } from '../core/status.js';
import { opsHeartbeatValidator } from '../testing/ops-heartbeat-schema.js';

export interface MountedServer {
  baseUrl: string;
  close(): Promise<void>;
}

export interface SuiteOptions {
  /** Whether the mount also serves `GET /app` → 200 `app`, to prove other routes pass through. */
  servesApp: boolean;
}

export type Mount = (health: Health) => Promise<MountedServer>;

const ISO_MILLIS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Check statuses the tests flip; every check reads its status from here on each run. */
type Switchboard = Record<string, CheckStatus | 'throw' | 'hang'>;

function buildHealth(board: Switchboard, options: HealthOptions = {}): Health {
  const health = createHealth({ service: { name: 'orders', version: '2.3.1' }, ...options });
  const outcome = (name: string) => () => {
    const wanted = board[name] ?? 'ok';
    if (wanted === 'throw') throw new Error(`${name} exploded`);
    if (wanted === 'hang') return new Promise<never>(() => {});
    return { status: wanted, message: wanted === 'ok' ? undefined : `${name} is ${wanted}` };
  };
  health.addCheck({
    name: 'db',
    run: outcome('db'),
    cache: 0,
    timeout: 200,
    componentType: 'datastore',
    measurement: 'connections',
    dependency: 'postgres://orders:s3cret@db.internal:5432/orders',
    runbook: 'https://runbooks.example.com/orders/db',
  });
  health.addCheck({
    name: 'cache',
    run: outcome('cache'),
    cache: 0,
    timeout: 200,
    critical: false,
    dependency: 'redis://cache.internal:6379',
  });
  health.addCheck({ name: 'loop', run: outcome('loop'), cache: 0, probes: ['liveness'] });
  health.addCheck({ name: 'warmup', run: outcome('warmup'), cache: 0, probes: ['startup'] });
  return health;
}

export function runHealthEndpointSuite(adapterName: string, mount: Mount, suiteOptions: SuiteOptions): void {
  describe(`health endpoints over ${adapterName}`, () => {
    const opened: Array<{ server: MountedServer; health: Health }> = [];
    afterEach(async () => {
      for (const { server, health } of opened.splice(0)) {
        health.close();
        await server.close();
      }
    });

    async function serve(board: Switchboard = {}, options: HealthOptions = {}, started = true) {
      const health = buildHealth(board, options);
      if (started) health.markStarted();
      const server = await mount(health);
      opened.push({ server, health });
      const get = (path: string, init?: RequestInit) => fetch(`${server.baseUrl}${path}`, init);
      return { health, server, get, board };
    }

    describe('GET /heartbeat (seed 000)', () => {
      it('answers the current UTC time with milliseconds as a JSON string, never cached', async () => {
        const { get } = await serve();
        const before = Date.now();
        const response = await get('/heartbeat');
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
        const body = (await response.json()) as string;
        expect(body).toMatch(ISO_MILLIS_UTC);
        expect(Date.parse(body)).toBeGreaterThanOrEqual(before - 5);
        expect(Date.parse(body)).toBeLessThanOrEqual(Date.now() + 5);
      });

      it('answers HEAD like GET without a body', async () => {
        const { get } = await serve();
        const response = await get('/heartbeat', { method: 'HEAD' });
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('');
      });

      it('refuses other methods with 405, Allow and a JSON error', async () => {
        const { get } = await serve();
        for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
          const response = await get('/heartbeat', { method });
          expect(response.status).toBe(405);
          expect(response.headers.get('allow')).toBe('GET, HEAD');
          const body = (await response.json()) as { error: { code: string } };
          expect(body.error.code).toBe('METHOD_NOT_ALLOWED');
        }
      });

      it('moves with baseRoute + route, and switched-off routes are not served', async () => {
        const { get } = await serve(
          {},
          { baseRoute: '/svc/', routes: { heartbeat: '/ping', status: false } },
        );
        expect((await get('/svc/ping').then((r) => r.json())) as string).toMatch(ISO_MILLIS_UTC);
        expect((await get('/heartbeat')).status).toBe(404);
        expect((await get('/svc/status')).status).toBe(404);
        expect((await get('/svc/readyz')).status).toBe(200);
      });
    });

    describe('GET /status', () => {
      it('describes the service: id, name, times in UTC, uptime in ms, components', async () => {
        const { get, health } = await serve({ cache: 'warning' });
        const response = await get('/status');
        expect(response.status).toBe(200);
        const body = (await response.json()) as Record<string, unknown>;
        expect(body).toMatchObject({
          id: health.service.id,
          name: 'orders',
          properties: { version: '2.3.1' },
        });
        expect(body.start_time).toMatch(ISO_MILLIS_UTC);
        expect(body.current_time).toMatch(ISO_MILLIS_UTC);
        expect(typeof body.uptime).toBe('number');
        expect(body.components).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: 'db', status: 'ok' }),
            expect.objectContaining({ name: 'cache', status: 'warning', message: 'cache is warning' }),
          ]),
        );
      });
    });

    describe('GET /_system/check (seed 003)', () => {
      it('says the API is running while the process serves', async () => {
        const { get } = await serve({ db: 'error' });
        const response = await get('/_system/check');
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ code: 'OK', message: 'API running', ok: true });
      });

      it.each([
        ['ok', 200, { code: 'OK', ok: true }],
        ['warning', 500, { code: 'WARNING', error: true, message: 'db is warning' }],
        ['error', 500, { code: 'ERROR', error: true, message: 'db is error' }],
      ] as const)('maps a named check that is %s to %i %j', async (status, httpStatus, body) => {
        const { get } = await serve({ db: status });
        const response = await get('/_system/check/db');
        expect(response.status).toBe(httpStatus);
        expect(await response.json()).toEqual(body);
        const head = await get('/_system/check/db', { method: 'HEAD' });
        expect(head.status).toBe(httpStatus);
        expect(await head.text()).toBe('');
      });

      it('answers 404 with a JSON error for an unknown check', async () => {
        const { get } = await serve();
        const response = await get('/_system/check/nope');
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({
          error: {
            code: 'CHECK_NOT_FOUND',
            details: { name: 'nope', available: ['db', 'cache', 'loop', 'warmup'] },
          },
        });
      });
    });

    describe('GET /ops/heartbeat (seed 004)', () => {
      it.each([
        [{}, 200, 'OK', { db: 'OK', cache: 'OK' }],
        [{ db: 'warning' }, 200, 'WARNING', { db: 'WARNING', cache: 'OK' }],
        [{ db: 'error' }, 503, 'ERROR', { db: 'CRITICAL', cache: 'OK' }],
        [{ cache: 'error' }, 200, 'WARNING', { db: 'OK', cache: 'CRITICAL' }],
        [{ db: 'throw' }, 503, 'ERROR', { db: 'CRITICAL', cache: 'OK' }],
      ] as const)('with checks %j answers %i Status %s', async (board, httpStatus, status, dependencies) => {
        const { get } = await serve({ ...board });
        const response = await get('/ops/heartbeat?probe=lb');
        expect(response.status).toBe(httpStatus);
        const body = (await response.json()) as Record<string, any>;
        const validate = opsHeartbeatValidator();
        expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
        expect(body.Status).toBe(status);
        expect(new URL(body.URL as string).pathname + new URL(body.URL as string).search).toBe(
          '/ops/heartbeat?probe=lb',
        );
        expect(isIP(body.Machine as string)).toBe(0);
        expect(body.UtcDateTime).toMatch(ISO_MILLIS_UTC);
        expect(body.RequestDuration).toBeGreaterThanOrEqual(0);
        const byUrl = Object.fromEntries(
          (body.Dependencies as Array<{ URL: string; Status: string }>).map((d) => [d.URL, d.Status]),
        );
        expect(byUrl).toEqual({
          'postgres://db.internal:5432/orders': dependencies.db,
          'redis://cache.internal:6379': dependencies.cache,
        });
        if (status === 'OK') expect(body.Message).toBeUndefined();
        else expect(body.Message).toMatch(/db|cache/);
      });

      it('fails with Status ERROR while the service has not started', async () => {
        const { get } = await serve({}, {}, false);
        const response = await get('/ops/heartbeat');
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({
          Status: 'ERROR',
          Message: expect.stringMatching(/not declared itself started/),
        });
      });

      it('ignores forwarded headers unless the service trusts its proxy', async () => {
        const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'orders.example.com' };
        const untrusted = await serve();
        const plain = (await untrusted.get('/ops/heartbeat', { headers }).then((r) => r.json())) as {
          URL: string;
        };
        expect(plain.URL.startsWith(untrusted.server.baseUrl)).toBe(true);
        const trusted = await serve({}, { trustProxy: true });
        const viaProxy = (await trusted.get('/ops/heartbeat', { headers }).then((r) => r.json())) as {
          URL: string;
        };
        expect(viaProxy.URL).toBe('https://orders.example.com/ops/heartbeat');
      });
    });

    describe('GET /health (draft-inadarei-api-health-check-06)', () => {
      it.each([
        [{}, 200, 'pass'],
        [{ db: 'warning' }, 200, 'warn'],
        [{ cache: 'error' }, 200, 'warn'],
        [{ db: 'error' }, 503, 'fail'],
      ] as const)('with checks %j answers %i %s', async (board, httpStatus, status) => {
        const { get } = await serve({ ...board });
        const response = await get('/health');
        expect(response.status).toBe(httpStatus);
        expect(response.headers.get('content-type')).toMatch(/^application\/health\+json/);
        const body = (await response.json()) as Record<string, any>;
        expect(body.status).toBe(status);
        expect(body.releaseId).toBe('2.3.1');
        expect(Object.keys(body.checks as object).sort()).toEqual(
          ['cache:responseTime', 'db:connections', 'loop:responseTime', 'warmup:responseTime'].sort(),
        );
        const [db] = body.checks['db:connections'] as Array<Record<string, unknown>>;
        expect(db).toMatchObject({
          componentType: 'datastore',
          observedUnit: 'ms',
          status: expect.any(String),
        });
        expect(typeof db!.observedValue).toBe('number');
        expect(db!.time).toMatch(ISO_MILLIS_UTC);
        expect(db!.links).toEqual({ runbook: 'https://runbooks.example.com/orders/db' });
        expect(body.links).toEqual({ 'runbook:db': 'https://runbooks.example.com/orders/db' });
        if (status !== 'pass') expect(body.output).toEqual(expect.any(String));
      });
    });

    describe('/livez, /readyz, /startupz (Kubernetes)', () => {
      it('before start: startup and readiness fail, liveness passes', async () => {
        const { get, health } = await serve({}, {}, false);
        expect((await get('/livez')).status).toBe(200);
        const ready = await get('/readyz');
        expect(ready.status).toBe(503);
        expect(await ready.text()).toContain(
          '[-]started failed: the service has not declared itself started',
        );
        expect((await get('/startupz')).status).toBe(503);
        health.markStarted();
        expect((await get('/startupz')).status).toBe(200);
        const readyNow = await get('/readyz');
        expect(readyNow.status).toBe(200);
        expect(await readyNow.text()).toBe('ok');
      });

      it('lists every check with ?verbose', async () => {
        const { get } = await serve({ cache: 'warning' });
        const response = await get('/readyz?verbose');
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(await response.text()).toBe(
          '[+]db ok\n[+]cache ok (warning: cache is warning)\nreadyz check passed\n',
        );
      });

      it('fails readiness on a critical error, names the reason, and leaves liveness alone', async () => {
        const { get } = await serve({ db: 'error' });
        const response = await get('/readyz');
        expect(response.status).toBe(503);
        expect(await response.text()).toBe('[-]db failed: db is error\n[+]cache ok\nreadyz check failed\n');
        expect((await get('/livez')).status).toBe(200);
      });

      it('never fails a probe for a warning or a non-critical error', async () => {
        const { get } = await serve({ db: 'warning', cache: 'error', loop: 'warning' });
        expect((await get('/readyz')).status).toBe(200);
        expect((await get('/livez')).status).toBe(200);
        const verbose = await get('/readyz?verbose').then((r) => r.text());
        expect(verbose).toContain('[+]cache failed, not critical: cache is error');
      });

      it('fails liveness only for liveness checks', async () => {
        const { get } = await serve({ loop: 'error' });
        expect((await get('/livez')).status).toBe(503);
        expect((await get('/readyz')).status).toBe(200);
      });

      it('counts startup checks for /startupz', async () => {
        const { get } = await serve({ warmup: 'error' });
        const response = await get('/startupz?verbose');
        expect(response.status).toBe(503);
        expect(await response.text()).toBe('[-]warmup failed: warmup is error\nstartupz check failed\n');
      });

      it('skips excluded checks and reports excludes that match nothing', async () => {
        const { get } = await serve({ db: 'error' });
        expect((await get('/readyz?exclude=db')).status).toBe(200);
        const text = await get('/readyz?exclude=db&exclude=ghost&verbose').then((r) => r.text());
        expect(text).toBe(
          '[+]cache ok\nwarn: some health checks cannot be excluded: no matches for "ghost"\nreadyz check passed\n',
        );
      });

      it('answers one check at /<probe>/<name>, and 404 for a check outside that probe', async () => {
        const { get } = await serve({ db: 'error' });
        const db = await get('/readyz/db');
        expect(db.status).toBe(503);
        expect(await db.text()).toBe('[-]db failed: db is error\n');
        expect(await get('/readyz/cache').then((r) => r.text())).toBe('ok');
        expect(await get('/livez/loop').then((r) => r.text())).toBe('ok');
        const outside = await get('/livez/db');
        expect(outside.status).toBe(404);
        expect(await outside.json()).toMatchObject({ error: { code: 'CHECK_NOT_FOUND' } });
      });
    });

    describe('checks never hang or crash an endpoint', () => {
      it('answers within the timeout when a check hangs', async () => {
        const { get } = await serve({ db: 'hang' });
        const started = performance.now();
        const response = await get('/readyz?verbose');
        const elapsed = performance.now() - started;
        expect(response.status).toBe(503);
        expect(await response.text()).toContain('[-]db failed: timed out after 200ms');
        expect(elapsed).toBeLessThan(1500);
      });

      it('turns a throwing check into an error and keeps serving', async () => {
        const { get } = await serve({ db: 'throw' });
        expect(await get('/_system/check/db').then((r) => r.json())).toEqual({
          code: 'ERROR',
          error: true,
          message: 'db exploded',
        });
        expect((await get('/heartbeat')).status).toBe(200);
      });
    });

    describe('coalescing', () => {
      it('runs a 50 ms check once for 1,000 concurrent requests within its cache period', async () => {
        let runs = 0;
        const health = createHealth({ started: true });
        health.addCheck({
          name: 'slow',
          cache: '10s',
          run: async () => {
            runs++;
            await new Promise((resolve) => setTimeout(resolve, 50));
          },
        });
        const server = await mount(health);
        opened.push({ server, health });
        const paths = ['/readyz', '/ops/heartbeat', '/health', '/_system/check/slow'];
        const responses = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => fetch(`${server.baseUrl}${paths[i % paths.length]!}`)),
        );
        expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 1000 }, () => 200));
        await Promise.all(responses.map((r) => r.arrayBuffer()));
        expect(runs).toBe(1);
      });
    });

    describe('graceful shutdown', () => {
      it('fails readiness at once while liveness stays up, until the servers close', async () => {
        const { get, health } = await serve({}, { shutdown: { delay: 400 } });
        const done = health.shutdown('test');
        const ready = await get('/readyz');
        expect(ready.status).toBe(503);
        expect(await ready.text()).toContain('[-]shutdown failed: the service is shutting down');
        expect((await get('/livez')).status).toBe(200);
        expect((await get('/ops/heartbeat')).status).toBe(503);
        expect(health.state).toBe('stopping');
        const outcome = await done;
        expect(outcome.clean).toBe(true);
        expect(health.state).toBe('stopped');
      });
    });

    if (suiteOptions.servesApp) {
      it('hands every other route to the application', async () => {
        const { get } = await serve();
        const response = await get('/app');
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('app');
      });
    }
  });
}
