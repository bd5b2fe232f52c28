import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type ApiAnswer, type TestHub } from '../testing/test-hub.js';
import { createDashboardAssets, findDashboardDir } from './dashboard-assets.js';

function expectError(answer: ApiAnswer, status: number, code: string, field?: string) {
  expect(answer.status).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(typeof answer.body.error.message).toBe('string');
  if (field) expect(answer.body.error.details.field).toBe(field);
}

const outcomes = (basepath: string, ok: number, failed: number, at = Date.now()) => [
  ...Array.from({ length: ok }, (_, i) => ({ basepath, statusCode: 200, durationMs: 10 + i, timestamp: at })),
  ...Array.from({ length: failed }, () => ({ basepath, statusCode: 503, durationMs: 900, timestamp: at })),
];

describe('dashboard routes', () => {
  let test: TestHub;
  beforeAll(async () => {
    test = await startTestHub();
    await test.beat([
      { instanceId: 'a-1', service: 'orders', appName: 'shop', hostName: 'h1' },
      { instanceId: 'a-2', service: 'orders', appName: 'shop', hostName: 'h2' },
      { instanceId: 'b-1', service: 'billing', hostName: 'h3' },
    ]);
    expect((await test.api('DELETE', '/v1/instances/b-1')).status).toBe(204);
    const answer = await test.api('POST', '/v1/observations', {
      body: [...outcomes('/pay/v1', 20, 0), ...outcomes('/ship/v1', 5, 15), ...outcomes('/quiet/v1', 2, 0)],
    });
    expect(answer.status).toBe(200);
  });
  afterAll(() => test.stop());

  it('counts APIs by status, instances by state, services and applications', async () => {
    const { status, body } = await test.api('GET', '/v1/dashboard/overview');
    expect(status).toBe(200);
    expect(body).toEqual({
      apis: { total: 3, UP: 1, DOWN: 1, UNKNOWN: 1 },
      instances: { total: 3, alive: 2, lost: 0, stopped: 1, unconfirmed: 0 },
      services: 2,
      servicesByState: { up: 1, degraded: 0, down: 0, idle: 1 },
      applications: 2,
    });
  });

  it('says which services are whole, degraded or down', async () => {
    const lossy = await startTestHub({ instances: { validTime: 1000 } });
    try {
      await lossy.beat([
        { instanceId: 'x-1', service: 'x' },
        { instanceId: 'y-1', service: 'y' },
        { instanceId: 'z-1', service: 'z' },
      ]);
      // x keeps one of two alive, y keeps its only one, z goes silent.
      const keep = async () => {
        await lossy.beat([
          { instanceId: 'x-2', service: 'x' },
          { instanceId: 'y-1', service: 'y' },
        ]);
        return (await lossy.api('GET', '/v1/dashboard/overview')).body;
      };
      const body = await eventually(async () => {
        const overview = await keep();
        return overview.instances.lost === 2 ? overview : undefined;
      });
      expect(body.servicesByState).toEqual({ up: 1, degraded: 1, down: 1, idle: 0 });
    } finally {
      await lossy.stop();
    }
  });

  it('lists APIs worst first by default, each with a 24-slot status bar from its history', async () => {
    const { body } = await test.api('GET', '/v1/dashboard/apis');
    expect(body.items.map((api: any) => [api.basepath, api.status])).toEqual([
      ['/ship/v1', 'DOWN'],
      ['/quiet/v1', 'UNKNOWN'],
      ['/pay/v1', 'UP'],
    ]);
    expect(body.total).toBe(3);
    expect(body.items[2].bar).toHaveLength(24);
    // History is written once a second: the slots fill shortly after ingest.
    const bar = await eventually(async () => {
      const pay = (await test.api('GET', '/v1/dashboard/apis?q=/pay')).body.items[0];
      return pay.bar.at(-1).samples > 0 ? pay.bar : undefined;
    });
    expect(bar.at(-1)).toMatchObject({ samples: 20, failures: 0, status: 'UP' });
    expect(bar[0]).toMatchObject({ samples: 0, status: null });
    const ship = (await test.api('GET', '/v1/dashboard/apis?q=/ship')).body.items[0];
    expect(ship.bar.at(-1)).toMatchObject({ samples: 20, failures: 15, status: 'DOWN' });
  });

  it('sorts, filters by status, searches by basepath and pages', async () => {
    const byRatio = await test.api('GET', '/v1/dashboard/apis?sort=ratio&order=desc');
    expect(byRatio.body.items.map((api: any) => api.basepath)).toEqual(['/pay/v1', '/quiet/v1', '/ship/v1']);
    const bySamples = await test.api('GET', '/v1/dashboard/apis?sort=samples');
    expect(bySamples.body.items.map((api: any) => api.basepath)).toEqual([
      '/quiet/v1',
      '/pay/v1',
      '/ship/v1',
    ]);
    const down = await test.api('GET', '/v1/dashboard/apis?status=down');
    expect(down.body.items.map((api: any) => api.basepath)).toEqual(['/ship/v1']);
    const search = await test.api('GET', '/v1/dashboard/apis?q=PAY');
    expect(search.body.items.map((api: any) => api.basepath)).toEqual(['/pay/v1']);
    const page = await test.api('GET', '/v1/dashboard/apis?sort=basepath&limit=2&offset=1');
    expect(page.body.items.map((api: any) => api.basepath)).toEqual(['/quiet/v1', '/ship/v1']);
    expect(page.body.nextOffset).toBeNull();
    const first = await test.api('GET', '/v1/dashboard/apis?sort=basepath&limit=2');
    expect(first.body.nextOffset).toBe(2);
  });

  it('answers bad input with the JSON error shape', async () => {
    expectError(await test.api('GET', '/v1/dashboard/apis?sort=color'), 400, 'VALIDATION_FAILED', 'sort');
    expectError(await test.api('GET', '/v1/dashboard/apis?order=up'), 400, 'VALIDATION_FAILED', 'order');
    expectError(await test.api('GET', '/v1/dashboard/apis?limit=0'), 400, 'VALIDATION_FAILED', 'limit');
    expectError(
      await test.api('GET', '/v1/dashboard/apis?status=SIDEWAYS'),
      400,
      'VALIDATION_FAILED',
      'status',
    );
    expectError(await test.api('GET', '/v1/dashboard/events?before=-3'), 400, 'VALIDATION_FAILED', 'before');
    expectError(await test.api('GET', '/v1/dashboard/events?kind=nope'), 400, 'VALIDATION_FAILED', 'kind');
    expectError(await test.api('GET', '/v1/dashboard/events?instanceId=a%20b'), 400, 'VALIDATION_FAILED');
    expectError(await test.api('GET', '/v1/dashboard/overview', { key: null }), 401, 'UNAUTHENTICATED');
  });

  it('gives events newest first, filtered, and pages backwards with nextBefore', async () => {
    const all = await test.api('GET', '/v1/dashboard/events?limit=500');
    const ids = all.body.items.map((event: any) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.body.nextBefore).toBeNull();

    const first = await test.api('GET', '/v1/dashboard/events?limit=2');
    expect(first.body.items.map((e: any) => e.id)).toEqual(ids.slice(0, 2));
    const second = await test.api('GET', `/v1/dashboard/events?limit=2&before=${first.body.nextBefore}`);
    expect(second.body.items.map((e: any) => e.id)).toEqual(ids.slice(2, 4));

    const stopped = await test.api('GET', '/v1/dashboard/events?kind=instance.stopped');
    expect(stopped.body.items.map((e: any) => e.instanceId)).toEqual(['b-1']);
    const one = await test.api('GET', '/v1/dashboard/events?instanceId=a-2');
    expect(one.body.items.map((e: any) => e.kind)).toEqual(['instance.registered']);
  });
});

describe('dashboard assets', () => {
  const hubs: TestHub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.stop()));
  });

  it.skipIf(findDashboardDir() === undefined)(
    'serves index.html at / and client routes, hashed assets cached for a year, and JSON 404s elsewhere',
    async () => {
      const hub = await startTestHub();
      hubs.push(hub);
      const page = await fetch(`${hub.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      expect(html).toContain('<meta name="heartbeat-api" content="" />');
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      const asset = await fetch(`${hub.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect(asset.headers.get('content-type')).toContain('text/javascript');
      expect((await asset.text()).length).toBeGreaterThan(1000);
      for (const route of ['/apis', '/apis/eni/echo/v1', '/instances/a-1', '/events']) {
        const answer = await fetch(`${hub.url}${route}`);
        expect(answer.status, route).toBe(200);
        expect(await answer.text()).toBe(html);
      }
      expect((await hub.api('GET', '/assets/missing.js')).body.error.code).toBe('NOT_FOUND');
      expect((await hub.api('GET', '/v2/nothing')).status).toBe(404);
      expect((await hub.api('POST', '/apis')).status).toBe(404);
    },
  );

  it.skipIf(findDashboardDir() === undefined)(
    'tells the page where the API lives under a route prefix',
    async () => {
      const hub = await startTestHub({
        server: { port: 0, host: '127.0.0.1', routePrefix: '/eni/heartbeat/' },
      });
      hubs.push(hub);
      const html = await (await fetch(`${hub.url}/`)).text();
      expect(html).toContain('<meta name="heartbeat-api" content="/eni/heartbeat" />');
      expect((await hub.api('GET', '/eni/heartbeat/v1/dashboard/overview')).status).toBe(200);
    },
  );

  it('says how to build the dashboard when its assets are missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'heartbeat-no-dashboard-'));
    const assets = createDashboardAssets({ dir: empty, apiPrefix: '' });
    expect(assets.dir).toBeUndefined();
    const server: Server = createServer((request, response) => {
      if (!assets.serve(request, response, request.url ?? '/')) {
        response.writeHead(404);
        response.end('not mine');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build');
      expect(await (await fetch(`http://127.0.0.1:${port}/v1/hub`)).text()).toBe('not mine');
    } finally {
      server.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('reads a built directory given to it, gzips on request and answers HEAD without a body', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heartbeat-dashboard-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<meta name="heartbeat-api" content="__API_PREFIX__" />');
    await writeFile(join(dir, 'assets', 'main-abc.js'), 'console.log(1);'.repeat(100));
    const assets = createDashboardAssets({ dir, apiPrefix: '/p"x' });
    const server = createServer((request, response) => {
      if (!assets.serve(request, response, request.url ?? '/')) response.end('not mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/instances`)).text()).toBe(
        '<meta name="heartbeat-api" content="/p&#34;x" />',
      );
      const gz = await fetch(`http://127.0.0.1:${port}/assets/main-abc.js`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(await gz.text()).toBe('console.log(1);'.repeat(100));
      const head = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
