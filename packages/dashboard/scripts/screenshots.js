/* global process, console, setTimeout, performance, fetch, localStorage */
// `npm run screenshots -w @heartbeat/dashboard` (after `npm run build`): starts a real hub (the built
// CLI) with a YAML file, pushes a plausible fleet and API traffic through its HTTP API, runs a small
// upstream for Pulse to probe, and photographs every page in Chromium into docs/screenshots/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = join(root, 'docs/screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const adminKey = 'screenshots-admin-key-0123456789';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3_600_000;

// An upstream for Pulse: healthy, with a slow answer now and then.
let probes = 0;
const upstream = createServer((request, response) => {
  probes++;
  const slow = probes % 7 === 0;
  setTimeout(
    () => {
      response.writeHead(probes % 11 === 0 ? 503 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: probes % 11 === 0 ? 'DOWN' : 'UP' }));
    },
    slow ? 120 : 8,
  );
});
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const data = mkdtempSync(join(tmpdir(), 'heartbeat-screenshots-'));
writeFileSync(
  join(data, 'hub.yaml'),
  `instances:
  validTime: 8s
apis:
  - basepath: /eni/payments/v1
    name: Payments
    owner: team-payments
    window: 1d
    runbook: https://wiki.example.com/runbooks/payments
    pulse:
      url: ${upstreamUrl}/health
      interval: 1s
      timeout: 500ms
      expect: { status: [200], json: [{ path: status, equals: UP }] }
  - basepath: /eni/checkout/v2
    name: Checkout
    owner: team-shop
    runbook: https://wiki.example.com/runbooks/checkout
  - basepath: /eni/search/v1
    name: Search
    owner: team-search
    window: 1d
`,
);

const hub = spawn(
  process.execPath,
  [
    join(root, 'packages/cli/dist/main.js'),
    'hub',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data',
    data,
    '--config',
    join(data, 'hub.yaml'),
  ],
  {
    env: { ...process.env, HEARTBEAT_ADMIN_KEY: adminKey, HEARTBEAT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let output = '';
const url = await new Promise((resolve, reject) => {
  const look = (chunk) => {
    output += chunk.toString();
    const match = /Heartbeat hub on (http:\/\/[^\s]+) /.exec(output);
    if (match) resolve(match[1]);
  };
  hub.stdout.on('data', look);
  hub.stderr.on('data', look);
  hub.once('exit', (code) => reject(new Error(`the hub exited (${code}):\n${output}`)));
});

async function call(method, path, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

try {
  // The fleet: 6 services, each on a few hosts, with Sermant-like plugins.
  const services = ['orders', 'payments', 'checkout', 'search', 'inventory', 'gateway'];
  const fleet = [];
  for (let i = 0; i < 48; i++) {
    const service = services[i % services.length];
    fleet.push({
      instanceId: `${service}-${String(Math.floor(i / services.length) + 1).padStart(2, '0')}`,
      service,
      appName: i % 6 < 3 ? 'shop' : 'platform',
      appType: 'java',
      hostName: `node-${(i % 12) + 1}.eu-west-1`,
      ip: [`10.20.${i % 12}.${10 + i}`],
      version: i % 5 === 0 ? '2.4.1' : '2.5.0',
      processId: 4000 + i,
      interval: 3000,
      status: i === 7 ? 'warning' : 'ok',
      checks: [
        { name: 'db', status: 'ok' },
        i === 7
          ? { name: 'cache', status: 'warning', message: 'redis latency 230 ms (warn at 200 ms)' }
          : { name: 'cache', status: 'ok' },
      ],
      plugins: [
        { name: 'flowcontrol', version: '1.4.2', extInfo: { rules: String(3 + (i % 4)) } },
        { name: 'loadbalancer', version: '1.4.2', extInfo: { strategy: 'RoundRobin' } },
        ...(i % 3 === 0 ? [{ name: 'router', version: '1.4.0' }] : []),
      ],
      extInfo: { zone: `eu-west-1${'abc'[i % 3]}`, cluster: 'prod' },
      basepaths: [`/eni/${service}/v1`],
    });
  }
  await call('POST', '/v1/instances/heartbeats', fleet);
  await call('DELETE', '/v1/instances/search-08');
  await call('DELETE', '/v1/instances/gateway-08');

  // 24 h of history for the APIs declared with a one-day window: Payments had a bad hour 6 h ago.
  const now = Date.now();
  const history = [];
  for (let minute = 24 * 60 - 1; minute >= 1; minute -= 3) {
    const at = now - minute * 60_000;
    const outage = at > now - 6.5 * HOUR && at < now - 5.5 * HOUR;
    for (let k = 0; k < 6; k++) {
      history.push({
        basepath: '/eni/payments/v1',
        statusCode: outage && k < 3 ? 503 : 200,
        durationMs: 20 + ((minute * 7 + k * 13) % 40) + (outage ? 300 : 0),
        timestamp: at + k * 1000,
      });
      history.push({
        basepath: '/eni/search/v1',
        statusCode: 200,
        durationMs: 8 + ((minute * 3 + k * 5) % 15) + (minute % 240 < 20 ? 60 : 0),
        timestamp: at + k * 1000,
      });
    }
  }
  for (let i = 0; i < history.length; i += 5000)
    await call('POST', '/v1/observations', history.slice(i, i + 5000));

  // Live traffic for the rest: most APIs fine, checkout failing now, two with too few samples.
  const recent = [];
  const apis = [
    ...services.map((s) => `/eni/${s}/v1`),
    '/eni/checkout/v2',
    '/eni/reports/v1',
    '/eni/legacy/v1',
  ];
  for (const [index, basepath] of apis.entries()) {
    const samples = basepath === '/eni/legacy/v1' ? 3 : 60;
    for (let k = 0; k < samples; k++) {
      const failing =
        basepath === '/eni/checkout/v2' ? k % 3 !== 0 : basepath === '/eni/orders/v1' && k % 25 === 0;
      recent.push({
        basepath,
        statusCode: failing ? (k % 2 ? 503 : 502) : 200,
        ...(failing && k % 5 === 0 && { statusCode: undefined, error: 'timeout' }),
        durationMs: failing && k % 5 === 0 ? 5000 : 10 + ((k * 17 + index * 31) % 120),
        timestamp: now - k * 4000,
        source: k % 4 === 0 ? 'otlp' : 'traffic',
      });
    }
  }
  await call(
    'POST',
    '/v1/observations',
    recent.map((o) => JSON.parse(JSON.stringify(o))),
  );

  // Keep the fleet beating, except two that go silent and become lost.
  const silent = new Set(['inventory-03', 'orders-05']);
  let beating = true;
  const pump = (async () => {
    while (beating) {
      await call(
        'POST',
        '/v1/instances/heartbeats',
        fleet.filter((f) => !silent.has(f.instanceId) && !['search-08', 'gateway-08'].includes(f.instanceId)),
      );
      await sleep(2000);
    }
  })();
  await sleep(11_000); // past validTime: the silent ones are lost; Pulse has probed a few times

  const { key: readKey } = await call('POST', '/v1/keys', { name: 'screenshots', scopes: ['read'] });
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const shoot = async (
    name,
    path,
    { scheme = 'light', width = 1280, height = 800, full = false, ready } = {},
  ) => {
    const context = await browser.newContext({
      viewport: { width, height },
      colorScheme: scheme,
      deviceScaleFactor: 1,
    });
    await context.addInitScript((key) => localStorage.setItem('heartbeat.readKey', key), readKey);
    const page = await context.newPage();
    await page.goto(`${url}${path}`);
    await page
      .locator(ready ?? 'main h1')
      .first()
      .waitFor();
    await page.locator('.live-live').waitFor();
    await sleep(400);
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: full });
    console.log(`screenshots: ${name}.png`);
    await context.close();
  };
  const started = performance.now();
  await shoot('overview', '/', { ready: 'section[aria-label="Latest events"] .event' });
  await shoot('apis', '/apis', { ready: 'tr[data-basepath]' });
  await shoot('api-detail', '/apis/eni/payments/v1', { ready: '.chart', full: true });
  await shoot('instances', '/instances', { ready: 'tr[data-instance]' });
  await shoot('instance-detail', '/instances/payments-02', { ready: '.facts' });
  await shoot('events', '/events', { ready: '.event' });
  await shoot('overview-dark', '/', { scheme: 'dark', ready: 'section[aria-label="Latest events"] .event' });
  await shoot('apis-dark', '/apis?status=DOWN', { scheme: 'dark', ready: 'tr[data-basepath]' });
  await shoot('instances-phone', '/instances?state=lost', {
    width: 390,
    height: 844,
    ready: 'tr[data-instance]',
  });
  // The key prompt: a browser that has no key yet.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.getByLabel('Key', { exact: true }).waitFor();
  await page.screenshot({ path: join(out, 'key-prompt.png') });
  console.log('screenshots: key-prompt.png');
  await browser.close();
  console.log(`screenshots: done in ${((performance.now() - started) / 1000).toFixed(1)} s, in ${out}`);
  beating = false;
  await pump;
} finally {
  hub.kill('SIGTERM');
  upstream.close();
  await new Promise((resolve) => hub.once('exit', resolve));
  rmSync(data, { recursive: true, force: true });
}
