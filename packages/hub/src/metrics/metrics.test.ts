import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackServer } from '../../../sdk/src/testing/services.js';
import { eventually, startTestHub, type TestHub } from '../testing/test-hub.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promtool, promtoolCheckMetrics, requirePrometheus, startPrometheus } from '../testing/prometheus.js';
import { Exposition } from './exposition.js';
import { MetricRegistry } from './metric-registry.js';

const prometheus = await requirePrometheus();

describe('exposition text', () => {
  it('escapes label values and writes special floats as Prometheus reads them', () => {
    const out = new Exposition();
    out.family('x_total', 'counter', 'a help text with a \\ backslash\nand a line');
    out.sample('x_total', ['a'], ['quote " back \\ line \n end'], 1);
    out.sample('x_total', ['a'], ['inf'], Infinity);
    out.sample('x_total', ['a'], ['nan'], NaN);
    expect(out.text()).toBe(
      [
        '# HELP x_total a help text with a \\\\ backslash\\nand a line',
        '# TYPE x_total counter',
        'x_total{a="quote \\" back \\\\ line \\n end"} 1',
        'x_total{a="inf"} +Inf',
        'x_total{a="nan"} NaN',
        '',
      ].join('\n'),
    );
  });

  it('keeps histogram buckets cumulative, with +Inf, _sum and _count', () => {
    const registry = new MetricRegistry();
    const histogram = registry.histogram('d_seconds', 'durations', ['api'], [0.1, 1]);
    for (const value of [0.05, 0.5, 0.7, 3]) histogram.observe(['/a'], value);
    const out = new Exposition();
    registry.write(out);
    expect(out.text()).toContain(
      [
        'd_seconds_bucket{api="/a",le="0.1"} 1',
        'd_seconds_bucket{api="/a",le="1"} 3',
        'd_seconds_bucket{api="/a",le="+Inf"} 4',
        'd_seconds_sum{api="/a"} 4.25',
        'd_seconds_count{api="/a"} 4',
      ].join('\n'),
    );
  });
});

describe('GET /metrics access', () => {
  let hub: TestHub | undefined;
  afterAll(() => hub?.stop());

  it('needs a read key unless public reads are on, like every read', async () => {
    hub = await startTestHub();
    expect((await hub.api('GET', '/metrics', { key: null })).status).toBe(401);
    const answer = await hub.api('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    hub.hub.context.config.auth.publicRead = true;
    expect((await hub.api('GET', '/metrics', { key: null })).status).toBe(200);
  });

  it('times each store commit that acknowledged writes waited for', async () => {
    hub = await startTestHub();
    expect((await hub.beat({ instanceId: 'timed-1', service: 'orders' })).status).toBe(200);
    const { text } = await hub.api('GET', '/metrics');
    const count = /^heartbeat_store_commit_duration_seconds_count\{outcome="committed"\} (\d+)$/m.exec(text);
    expect(Number(count?.[1])).toBeGreaterThan(0);
    expect(text).toContain('heartbeat_store_commit_duration_seconds_bucket{outcome="committed",le="0.0005"}');
  });

  it('is not served when metrics.enabled is false', async () => {
    const off = await startTestHub({ metrics: { enabled: false } });
    try {
      expect((await off.api('GET', '/metrics')).status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});

describe('Pulse in the metrics', () => {
  it('counts real probes, their latency, and their outcomes as observations via pulse', async () => {
    const target = await startLoopbackServer((socket) => socket.end());
    const hub = await startTestHub(
      {},
      {
        yaml: [
          'apis:',
          '  - basepath: /probed/v1',
          '    pulse:',
          `      url: tcp://127.0.0.1:${target.port}`,
          '      interval: 1s',
          '      timeout: 500ms',
        ].join('\n'),
      },
    );
    try {
      const text = await eventually(
        async () => {
          const body = (await hub.api('GET', '/metrics')).text;
          return /heartbeat_pulse_probes_total\{basepath="\/probed\/v1",outcome="ok"\} [2-9]/.test(body) &&
            /heartbeat_ingest_observations_total\{via="pulse",outcome="accepted"\} [1-9]/.test(body)
            ? body
            : undefined;
        },
        { timeoutMs: 15_000, everyMs: 200 },
      );
      const count = Number(
        /heartbeat_pulse_probe_duration_seconds_count\{basepath="\/probed\/v1"\} (\d+)/.exec(text)?.[1],
      );
      expect(count).toBeGreaterThanOrEqual(2);
      expect(text).toContain(
        'heartbeat_pulse_probe_duration_seconds_bucket{basepath="/probed/v1",le="+Inf"}',
      );
    } finally {
      await hub.stop();
      await target.close();
    }
  }, 30_000);
});

describe.skipIf(!prometheus)('docs/metrics.md', () => {
  it('shows a scrape config and alert rules that promtool accepts', async () => {
    const page = await readFile(new URL('../../../../docs/metrics.md', import.meta.url), 'utf8');
    const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(blocks).toHaveLength(2);
    const dir = await mkdtemp(join(tmpdir(), 'heartbeat-docs-'));
    try {
      await writeFile(join(dir, 'key'), 'a-key');
      await writeFile(
        join(dir, 'prometheus.yml'),
        blocks[0]!.replace('/etc/prometheus/heartbeat.key', join(dir, 'key')),
      );
      await writeFile(join(dir, 'rules.yml'), blocks[1]!);
      const config = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(config.code, config.output).toBe(0);
      const rules = await promtool(['check', 'rules', join(dir, 'rules.yml')]);
      expect(rules.code, rules.output).toBe(0);
      expect(rules.output).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!prometheus)('a real Prometheus server scraping the hub', () => {
  let hub: TestHub;
  let server: Awaited<ReturnType<typeof startPrometheus>>;
  const oddService = 'odd "svc" \\ name';

  beforeAll(async () => {
    hub = await startTestHub();
    const created = await hub.api('POST', '/v1/keys', { body: { name: 'prometheus', scopes: ['read'] } });
    expect(created.status).toBe(201);
    await hub.beat([
      { instanceId: 'orders-1', service: 'orders' },
      { instanceId: 'orders-2', service: 'orders' },
      { instanceId: 'odd-1', service: oddService },
    ]);
    expect((await hub.beat([{ instanceId: 'bad' }])).status).toBe(400);
    expect((await hub.api('DELETE', '/v1/instances/orders-2')).status).toBe(204);
    const now = Date.now();
    const observations = [
      ...Array.from({ length: 10 }, (_, i) => ({
        basepath: '/orders/v1',
        statusCode: 200,
        durationMs: 20 + i,
        timestamp: now,
      })),
      ...Array.from({ length: 6 }, () => ({
        basepath: '/billing/v1',
        statusCode: 503,
        durationMs: 5,
        timestamp: now,
      })),
      { basepath: 'no slash', statusCode: 200, durationMs: 1 },
    ];
    expect((await hub.api('POST', '/v1/observations', { body: observations })).status).toBe(200);
    const port = new URL(hub.url).port;
    server = await startPrometheus({ target: `127.0.0.1:${port}`, bearerToken: created.body.key });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await hub?.stop();
  });

  async function value(expression: string): Promise<number> {
    const result = await eventually(
      async () => {
        const vector = await server.query(expression);
        return vector.length > 0 ? vector : undefined;
      },
      { timeoutMs: 30_000, everyMs: 250 },
    );
    return Number(result[0]!.value[1]);
  }

  it('scrapes the hub with a read key and reads every kind of metric back through the query API', async () => {
    expect(await value('up{job="heartbeat"} == 1')).toBe(1);
    expect(await value('heartbeat_api_status{basepath="/orders/v1",status="UP"}')).toBe(1);
    expect(await value('heartbeat_api_status{basepath="/billing/v1",status="DOWN"}')).toBe(1);
    expect(await value('heartbeat_api_status{basepath="/billing/v1",status="UP"}')).toBe(0);
    expect(await value('heartbeat_api_success_ratio{basepath="/orders/v1"}')).toBe(1);
    expect(await value('heartbeat_api_samples{basepath="/billing/v1"}')).toBe(6);
    expect(await value('heartbeat_apis{status="DOWN"}')).toBe(1);
    expect(await value('heartbeat_instances{service="orders",state="alive"}')).toBe(1);
    expect(await value('heartbeat_instances{service="orders",state="stopped"}')).toBe(1);
    // The label came through escaping and back unchanged.
    const odd = await eventually(
      () =>
        server
          .query('heartbeat_instances{state="alive"}')
          .then((v) => v.find((s) => s.metric.service === oddService)),
      { timeoutMs: 30_000 },
    );
    expect(odd.value[1]).toBe('1');
    expect(await value('heartbeat_ingest_heartbeats_total{outcome="accepted"}')).toBe(3);
    expect(await value('heartbeat_ingest_heartbeats_total{outcome="rejected"}')).toBe(1);
    expect(await value('heartbeat_ingest_observations_total{via="api",outcome="accepted"}')).toBe(16);
    expect(await value('heartbeat_ingest_observations_total{via="api",outcome="rejected"}')).toBe(1);
    expect(
      await value('heartbeat_http_requests_total{method="POST",route="/v1/instances/heartbeats",code="400"}'),
    ).toBe(1);
    expect(await value('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(await value('process_start_time_seconds')).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(await value('process_open_fds')).toBeGreaterThan(0);
    expect(await value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(await value('heartbeat_hub_info')).toBe(1);
    expect(await value('heartbeat_store_commit_duration_seconds_count{outcome="committed"}')).toBeGreaterThan(
      0,
    );
  }, 90_000);

  it('answers text that `promtool check metrics` passes', async () => {
    hub.hub.context.metrics.notifications.inc(['webhook', 'delivered']);
    hub.hub.context.metrics.probes.inc(['/orders/v1', 'ok']);
    hub.hub.context.metrics.probeDuration.observe(['/orders/v1'], 0.12);
    const text = (await hub.api('GET', '/metrics')).text;
    expect(text).toContain('heartbeat_notifications_total{notifier="webhook",outcome="delivered"} 1');
    expect(text).toContain(
      'heartbeat_pulse_probe_duration_seconds_bucket{basepath="/orders/v1",le="0.25"} 1',
    );
    const checked = await promtoolCheckMetrics(text);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);
  });
});
