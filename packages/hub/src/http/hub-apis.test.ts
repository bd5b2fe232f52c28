import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../testing/test-hub.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.stop()));
});
async function hub(...args: Parameters<typeof startTestHub>): Promise<TestHub> {
  const started = await startTestHub(...args);
  hubs.push(started);
  return started;
}

const ok = (basepath: string, n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, () => ({ basepath, statusCode: 200, durationMs: 12, ...extra }));
const failed = (basepath: string, n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, () => ({ basepath, statusCode: 503, durationMs: 40, ...extra }));

function expectError(answer: { status: number; body: any }, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error).toMatchObject({ code, message: expect.any(String) });
}

describe('API status from observations (SPEC.md §5)', () => {
  it('is UNKNOWN below minSamples, UP at 90 % and above, DOWN below — as seed 001 shows it', async () => {
    const { api } = await hub();
    const observe = (items: unknown[]) => api('POST', '/v1/observations', { body: items });
    expect((await observe(ok('/eni/echo/v1', 4))).body).toMatchObject({ accepted: 4, rejected: 0 });
    expect((await api('GET', '/v1/heartbeats?basepath=/eni/echo/v1')).body).toEqual([
      { basepath: '/eni/echo/v1', status: 'UNKNOWN' },
    ]);
    await observe([...ok('/eni/echo/v1', 5), ...failed('/eni/echo/v1', 1)]); // 9 of 10: exactly 90 %
    expect((await api('GET', '/v1/heartbeats?basepath=/eni/echo/v1')).body).toEqual([
      { basepath: '/eni/echo/v1', status: 'UP' },
    ]);
    await observe(failed('/eni/echo/v1', 1)); // 9 of 11
    expect((await api('GET', '/v1/heartbeats?basepath=/eni/echo/v1')).body).toEqual([
      { basepath: '/eni/echo/v1', status: 'DOWN' },
    ]);
    const changes = await api('GET', '/v1/events?kind=api.status_changed');
    expect(
      changes.body.items.map((e: { data: { from: string; to: string } }) => `${e.data.from}→${e.data.to}`),
    ).toEqual(['UNKNOWN→UP', 'UP→DOWN']);
    expect(changes.body.items[1].data).toMatchObject({
      basepath: '/eni/echo/v1',
      samples: 11,
      failures: 2,
      drivenBy: 'traffic',
    });
  });

  it('filters /v1/heartbeats by basepath and case-insensitive status, sorted, [] for no match, 400 naming the allowed values', async () => {
    const { api } = await hub({ server: { port: 0, host: '127.0.0.1', routePrefix: '/eni/heartbeat' } });
    await api('POST', '/eni/heartbeat/v1/observations', {
      body: [...ok('/b/v1', 5), ...failed('/a/v1', 5), ...ok('/c/v1', 1)],
    });
    const all = await api('GET', '/eni/heartbeat/v1/heartbeats');
    expect(all.body).toEqual([
      { basepath: '/a/v1', status: 'DOWN' },
      { basepath: '/b/v1', status: 'UP' },
      { basepath: '/c/v1', status: 'UNKNOWN' },
    ]);
    expect((await api('GET', '/eni/heartbeat/v1/heartbeats?status=up')).body).toEqual([
      { basepath: '/b/v1', status: 'UP' },
    ]);
    expect((await api('GET', '/eni/heartbeat/v1/heartbeats?basepath=/b/v1/')).body).toEqual([
      { basepath: '/b/v1', status: 'UP' },
    ]);
    expect((await api('GET', '/eni/heartbeat/v1/heartbeats?basepath=/nothing')).body).toEqual([]);
    expect((await api('GET', '/eni/heartbeat/v1/heartbeats?basepath=/b/v1&status=DOWN')).body).toEqual([]);
    const bad = await api('GET', '/eni/heartbeat/v1/heartbeats?status=sideways');
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body.error.details).toMatchObject({ field: 'status', allowed: ['UP', 'DOWN', 'UNKNOWN'] });
    expectError(await api('GET', '/eni/heartbeat/v1/heartbeats?basepath=no-slash'), 400, 'VALIDATION_FAILED');
  });

  it('keeps the good items of a batch and reports each bad one with its index and field', async () => {
    const { api } = await hub();
    const answer = await api('POST', '/v1/observations', {
      body: [
        { basepath: '/x', statusCode: 200, durationMs: 1 },
        { basepath: 'x', statusCode: 200, durationMs: 1 },
        { basepath: '/x', statusCode: 99, durationMs: 1 },
        { basepath: '/x', durationMs: 1 },
        { basepath: '/x', error: 'timeout', durationMs: -1 },
        { basepath: '/x', error: 'timeout', durationMs: 5000, timestamp: 'yesterday' },
        { basepath: '/x', error: 'connection refused', durationMs: 3, source: 'pulse', extra: true },
        { basepath: '/x', statusCode: 200, durationMs: 1, source: 'carrier pigeon' },
        { basepath: '/x', statusCode: 200, durationMs: 1, timestamp: Date.now() + 3_600_000 },
        { basepath: '/x', statusCode: 200, durationMs: 1, timestamp: Date.now() - 3_600_000 },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      accepted: 2,
      rejected: 8,
      warnings: ['extra: unknown field, ignored'],
    });
    expect(answer.body.errors.map((e: { index: number; field: string }) => `${e.index}:${e.field}`)).toEqual([
      '1:basepath',
      '2:statusCode',
      '3:statusCode',
      '4:durationMs',
      '5:timestamp',
      '7:source',
      '8:timestamp',
      '9:timestamp',
    ]);
  });

  it('answers 400 when nothing in a batch is usable, and refuses bodies that are not batches', async () => {
    const { api } = await hub();
    const none = await api('POST', '/v1/observations', { body: [{ basepath: 'nope' }] });
    expectError(none, 400, 'VALIDATION_FAILED');
    expect(none.body.error.details).toMatchObject({ field: '[0].basepath', rejected: 1 });
    expectError(
      await api('POST', '/v1/observations', { body: { basepath: '/x' } }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await api('POST', '/v1/observations', { raw: '[{"basepath":' }), 400, 'INVALID_JSON');
    expectError(await api('POST', '/v1/observations', { body: ok('/x', 10_001) }), 400, 'VALIDATION_FAILED');
    expectError(
      await api('POST', '/v1/observations', { body: ok('/x', 1), key: null }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('does not register unknown basepaths when autoRegister is off', async () => {
    const { api } = await hub({}, { yaml: 'autoRegister: false\napis:\n  - basepath: /known/v1\n' });
    const answer = await api('POST', '/v1/observations', {
      body: [...ok('/known/v1', 1), ...ok('/unknown/v1', 1)],
    });
    expect(answer.body).toMatchObject({
      accepted: 1,
      rejected: 1,
      errors: [{ index: 1, field: 'basepath', message: expect.stringContaining('autoRegister is off') }],
    });
    expect((await api('GET', '/v1/heartbeats')).body).toEqual([{ basepath: '/known/v1', status: 'UNKNOWN' }]);
  });

  it('judges by the API’s own threshold, minSamples and failOn from the YAML', async () => {
    const yaml = [
      'apis:',
      '  - basepath: /strict/v1',
      '    name: Strict',
      '    owner: team-a',
      '    threshold: 99%',
      '    minSamples: 2',
      '    failOn: [5xx, 429, errors]',
    ].join('\n');
    const { api } = await hub({}, { yaml });
    await api('POST', '/v1/observations', {
      body: [...ok('/strict/v1', 50), { basepath: '/strict/v1', statusCode: 429, durationMs: 3 }],
    });
    expect((await api('GET', '/v1/heartbeats')).body).toEqual([{ basepath: '/strict/v1', status: 'DOWN' }]);
    const detail = await api('GET', '/v1/apis/strict/v1');
    expect(detail.body).toMatchObject({
      basepath: '/strict/v1',
      name: 'Strict',
      owner: 'team-a',
      status: 'DOWN',
      samples: 51,
      failures: 1,
      threshold: 0.99,
      origin: 'config',
    });
  });

  it('goes UNKNOWN again when its observations age out of the window', async () => {
    const { api } = await hub(
      {},
      { yaml: 'apis:\n  - basepath: /short/v1\n    window: 10s\n    minSamples: 3\n' },
    );
    await api('POST', '/v1/observations', { body: ok('/short/v1', 5) });
    expect((await api('GET', '/v1/heartbeats')).body[0].status).toBe('UP');
    await eventually(async () => (await api('GET', '/v1/heartbeats')).body[0].status === 'UNKNOWN', {
      timeoutMs: 15_000,
      everyMs: 250,
    });
  }, 20_000);

  it('shows an API in detail: ratio, samples, latency, sources, last failures, minute history, timeline', async () => {
    const { api } = await hub();
    await api('POST', '/v1/observations', {
      body: [
        ...ok('/orders/v2', 18, { durationMs: 20 }),
        ...failed('/orders/v2', 2),
        { basepath: '/orders/v2', error: 'timeout', durationMs: 5000, source: 'pulse' },
      ],
    });
    const list = await api('GET', '/v1/apis');
    expect(list.body).toMatchObject({
      total: 1,
      items: [
        {
          basepath: '/orders/v2',
          status: 'DOWN',
          samples: 21,
          failures: 3,
          bySource: { traffic: 20, pulse: 1, otlp: 0 },
          drivenBy: 'traffic',
          origin: 'auto',
        },
      ],
    });
    expect(list.body.items[0].ratio).toBeCloseTo(18 / 21);
    expect(list.body.items[0].p50Ms).toBeGreaterThan(15);
    expect(list.body.items[0].p50Ms).toBeLessThan(26);
    const detail = await api('GET', '/v1/apis/orders/v2');
    expect(detail.body.lastFailures[0]).toMatchObject({
      error: 'timeout',
      source: 'pulse',
      statusCode: null,
    });
    expect(detail.body.lastFailures).toHaveLength(3);
    await eventually(async () => (await api('GET', '/v1/apis/orders/v2')).body.history.length > 0);
    const withHistory = await api('GET', '/v1/apis/orders/v2');
    expect(withHistory.body.history[0]).toMatchObject({ resolution: 'minute', samples: 21, failures: 3 });
    expect(withHistory.body.timeline.map((e: { data: { to: string } }) => e.data.to)).toEqual(['DOWN']);
    expectError(await api('GET', '/v1/apis/nothing/here'), 404, 'NOT_FOUND');
  });

  it('reloads the YAML when it changes, rejects an invalid change with file:line and keeps running', async () => {
    const started = await hub({}, { yaml: 'apis:\n  - basepath: /one/v1\n' });
    const { api } = started;
    expect((await api('GET', '/v1/heartbeats')).body).toEqual([{ basepath: '/one/v1', status: 'UNKNOWN' }]);
    await writeFile(started.configFile!, 'apis:\n  - basepath: /one/v1\n  - basepath: /two/v1\n');
    await eventually(async () => (await api('GET', '/v1/heartbeats')).body.length === 2, { timeoutMs: 5000 });
    await writeFile(started.configFile!, 'apis:\n  - basepath: /one/v1\n    threshold: lots\n');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await api('GET', '/v1/heartbeats')).body).toHaveLength(2);
    await started.hub.reloadConfig();
    expect((await api('GET', '/v1/heartbeats')).body).toHaveLength(2);
    await writeFile(started.configFile!, 'apis:\n  - basepath: /two/v1\n');
    await eventually(
      async () =>
        JSON.stringify((await api('GET', '/v1/heartbeats')).body) ===
        JSON.stringify([{ basepath: '/two/v1', status: 'UNKNOWN' }]),
      { timeoutMs: 5000 },
    );
  });

  it('creates, changes and deletes APIs through the admin API, in the YAML entry’s shape, and 409 for declared ones', async () => {
    const { api } = await hub({}, { yaml: 'apis:\n  - basepath: /declared/v1\n' });
    const created = await api('POST', '/v1/apis', {
      body: {
        basepath: '/made/v1/',
        name: 'Made',
        threshold: '95%',
        window: '1m',
        failOn: ['5xx', 429, 'errors'],
        labels: { tier: 'gold' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      basepath: '/made/v1',
      name: 'Made',
      threshold: 0.95,
      windowMs: 60_000,
      origin: 'api',
      labels: { tier: 'gold' },
      failOn: {
        statusRanges: [
          [429, 429],
          [500, 599],
        ],
        errors: true,
      },
    });
    expectError(await api('POST', '/v1/apis', { body: { basepath: '/made/v1' } }), 409, 'CONFLICT');
    const changed = await api('PUT', '/v1/apis/made/v1', { body: { name: 'Renamed', minSamples: 1 } });
    expect(changed.body).toMatchObject({
      basepath: '/made/v1',
      name: 'Renamed',
      minSamples: 1,
      threshold: 0.9,
    });
    await api('POST', '/v1/observations', { body: ok('/made/v1', 1) });
    expect((await api('GET', '/v1/heartbeats?basepath=/made/v1')).body).toEqual([
      { basepath: '/made/v1', status: 'UP' },
    ]);

    const declaredChange = await api('PUT', '/v1/apis/declared/v1', { body: { name: 'x' } });
    expectError(declaredChange, 409, 'CONFLICT');
    expect(declaredChange.body.error.message).toContain("declared in the hub's YAML");
    expectError(await api('DELETE', '/v1/apis/declared/v1'), 409, 'CONFLICT');

    const invalid = await api('POST', '/v1/apis', {
      body: { basepath: '/bad/v1', threshold: 'lots', pulse: { interval: '10ms', url: 'http://x/' } },
    });
    expectError(invalid, 400, 'VALIDATION_FAILED');
    expect(invalid.body.error.details.problems.map((p: { field: string }) => p.field)).toEqual(
      expect.arrayContaining(['threshold', 'pulse.interval']),
    );
    expectError(await api('POST', '/v1/apis', { body: { basepath: 'no-slash' } }), 400, 'VALIDATION_FAILED');
    expectError(await api('POST', '/v1/apis', { body: ['/x'] }), 400, 'VALIDATION_FAILED');
    expectError(
      await api('POST', '/v1/apis', { body: { basepath: '/ok/v1' }, key: null }),
      401,
      'UNAUTHENTICATED',
    );

    expect((await api('DELETE', '/v1/apis/made/v1')).status).toBe(204);
    expectError(await api('DELETE', '/v1/apis/made/v1'), 404, 'NOT_FOUND');
    const kinds = (await api('GET', '/v1/events?kind=api.registered,api.changed,api.removed')).body.items.map(
      (e: { kind: string; data: { basepath: string } }) => `${e.kind} ${e.data.basepath}`,
    );
    expect(kinds).toEqual([
      'api.registered /declared/v1',
      'api.registered /made/v1',
      'api.changed /made/v1',
      'api.removed /made/v1',
    ]);
  });

  it('probes an API with Pulse: results are observations (source pulse) and probe history; expectations decide', async () => {
    let answer = { status: 200, body: '{"status":"UP"}' };
    const target = createServer((_request, response) => {
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as AddressInfo;
    try {
      const yaml = [
        'apis:',
        '  - basepath: /probed/v1',
        `    upstream: http://127.0.0.1:${port}/probed/v1`,
        '    minSamples: 2',
        '    window: 10s',
        '    pulse:',
        '      path: /health',
        '      interval: 1s',
        '      timeout: 500ms',
        '      expect:',
        '        json: [{ path: status, equals: UP }]',
      ].join('\n');
      const { api } = await hub({}, { yaml });
      await eventually(async () => (await api('GET', '/v1/heartbeats')).body[0]?.status === 'UP', {
        timeoutMs: 6000,
      });
      const up = await api('GET', '/v1/apis/probed/v1');
      expect(up.body).toMatchObject({ drivenBy: 'pulse', bySource: { traffic: 0, otlp: 0 } });
      // The answer still has status 200, but its body no longer meets the expectation.
      answer = { status: 200, body: '{"status":"DOWN"}' };
      await eventually(async () => (await api('GET', '/v1/heartbeats')).body[0]?.status === 'DOWN', {
        timeoutMs: 12_000,
      });
      const down = await api('GET', '/v1/apis/probed/v1');
      expect(down.body.probes[0]).toMatchObject({
        ok: false,
        statusCode: 200,
        detail: expect.stringContaining('DOWN'),
      });
      expect(down.body.lastFailures[0]).toMatchObject({
        source: 'pulse',
        error: expect.stringContaining('expectation'),
      });
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  }, 25_000);
});
