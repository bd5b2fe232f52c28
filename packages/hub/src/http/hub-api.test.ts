import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { POSTGRES_URL, probePostgres, requireService } from '../../../sdk/src/testing/services.js';
import {
  createTempPostgresDatabase,
  eventually,
  startTestHub,
  TEST_ADMIN_KEY,
  type TestHub,
} from '../testing/test-hub.js';

const postgresUp = await requireService('PostgreSQL', (signal) => probePostgres(POSTGRES_URL, signal));

/** The same API behaviour on every store: the embedded SQLite default and PostgreSQL. */
const backends = [
  {
    name: 'SQLite',
    enabled: true,
    database: () => Promise.resolve({ url: undefined as string | undefined, drop: () => Promise.resolve() }),
  },
  { name: 'PostgreSQL', enabled: postgresUp, database: () => createTempPostgresDatabase(POSTGRES_URL) },
];

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`the hub API on ${backend.name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function hub(overrides: Parameters<typeof startTestHub>[0] = {}): Promise<TestHub> {
      const database = await backend.database();
      cleanups.push(database.drop);
      const started = await startTestHub(overrides, database.url ? { store: database.url } : {});
      cleanups.push(() => started.stop());
      return started;
    }

    const beatOf = (instanceId: string, extra: Record<string, unknown> = {}) => ({
      instanceId,
      service: 'orders',
      ...extra,
    });

    function expectError(answer: { status: number; body: any }, status: number, code: string): void {
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(answer.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
    }

    describe('POST /v1/instances/heartbeats', () => {
      it('accepts one message and answers with the count, warnings and the valid time', async () => {
        const { beat } = await hub();
        const answer = await beat(beatOf('orders-1'));
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ accepted: 1, warnings: [], validTime: 60_000 });
      });

      it('answers 204 with no body to Prefer: return=minimal, unless there are warnings to report', async () => {
        const { api } = await hub();
        const minimal = { prefer: 'return=minimal' };
        const quiet = await api('POST', '/v1/instances/heartbeats', { body: beatOf('m1'), headers: minimal });
        expect(quiet.status).toBe(204);
        expect(quiet.text).toBe('');
        expect(quiet.headers.get('preference-applied')).toBe('return=minimal');
        expect((await api('GET', '/v1/instances/m1')).status).toBe(200);
        const warned = await api('POST', '/v1/instances/heartbeats', {
          body: beatOf('m2', { shinyNewField: true }),
          headers: { prefer: 'respond-async, RETURN="minimal"' },
        });
        expect(warned.status).toBe(200);
        expect(warned.body).toEqual({
          accepted: 1,
          warnings: ['shinyNewField: unknown field, ignored'],
          validTime: 60_000,
        });
        const other = await api('POST', '/v1/instances/heartbeats', {
          body: beatOf('m3'),
          headers: { prefer: 'return=representation' },
        });
        expect(other.status).toBe(200);
        expect(other.headers.get('preference-applied')).toBeNull();
      });

      it('accepts an array, gzip-compressed, and names unknown fields in warnings', async () => {
        const { api } = await hub();
        const answer = await api('POST', '/v1/instances/heartbeats', {
          body: [beatOf('a', { shinyNewField: true }), beatOf('b')],
          gzip: true,
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({
          accepted: 2,
          warnings: ['[0].shinyNewField: unknown field, ignored'],
        });
      });

      it.each([
        ['malformed JSON', { raw: '{"instanceId": "a",' }, 400, 'INVALID_JSON'],
        ['an empty body', { raw: '' }, 400, 'INVALID_JSON'],
        ['a wrong type', { body: beatOf('a', { processId: 'twelve' }) }, 400, 'VALIDATION_FAILED'],
        ['a missing field', { body: { instanceId: 'a' } }, 400, 'VALIDATION_FAILED'],
        ['an id that breaks the rules', { body: beatOf('../etc/passwd') }, 400, 'VALIDATION_FAILED'],
        ['a bad basepath', { body: beatOf('a', { basepaths: ['orders'] }) }, 400, 'VALIDATION_FAILED'],
        [
          'a non-JSON content type',
          { raw: 'instanceId=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
        [
          'an unknown encoding',
          { raw: '{}', headers: { 'content-encoding': 'zstd' } },
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        ],
        [
          'a broken gzip stream',
          { raw: 'not gzip at all', headers: { 'content-encoding': 'gzip' } },
          400,
          'VALIDATION_FAILED',
        ],
      ])('refuses %s with the JSON error shape', async (_label, request, status, code) => {
        const { api } = await hub();
        const answer = await api('POST', '/v1/instances/heartbeats', request);
        expectError(answer, status, code);
      });

      it('names the offending field', async () => {
        const { beat } = await hub();
        const answer = await beat([beatOf('a'), beatOf('b', { status: 'fine' })]);
        expectError(answer, 400, 'VALIDATION_FAILED');
        expect(answer.body.error.details).toMatchObject({ field: '[1].status' });
        expect(answer.body.error.message).toContain('[1].status: must be one of ok, warning, error');
      });

      it('refuses an oversized body (413), also when only its decompressed size is too large', async () => {
        const { api } = await hub({ ingest: { maxBodyBytes: 4096, maxBatch: 1000 } });
        const big = [
          beatOf('a', { extInfo: { blob: 'x'.repeat(1000) } }),
          ...Array.from({ length: 10 }, (_, i) => beatOf(`b${i}`, { extInfo: { blob: 'y'.repeat(900) } })),
        ];
        expectError(await api('POST', '/v1/instances/heartbeats', { body: big }), 413, 'PAYLOAD_TOO_LARGE');
        const bomb = gzipSync(JSON.stringify(big));
        expect(bomb.length).toBeLessThan(4096);
        expectError(
          await api('POST', '/v1/instances/heartbeats', {
            raw: bomb,
            headers: { 'content-encoding': 'gzip' },
          }),
          413,
          'PAYLOAD_TOO_LARGE',
        );
      });

      it('refuses too many messages in one batch, saying the limit', async () => {
        const { beat } = await hub({ ingest: { maxBodyBytes: 1_048_576, maxBatch: 5 } });
        const answer = await beat(Array.from({ length: 6 }, (_, i) => beatOf(`i${i}`)));
        expectError(answer, 400, 'VALIDATION_FAILED');
        expect(answer.body.error.details).toMatchObject({ max: 5, got: 6 });
      });

      it('answers 405 with Allow for a wrong method', async () => {
        const { api } = await hub();
        const answer = await api('GET', '/v1/instances/heartbeats');
        // GET /v1/instances/:instanceId matches with id "heartbeats": a read of an unknown instance.
        expectError(answer, 404, 'NOT_FOUND');
        const put = await api('PUT', '/v1/instances/heartbeats', { body: {} });
        expectError(put, 405, 'METHOD_NOT_ALLOWED');
        expect(put.headers.get('allow')).toContain('POST');
      });
    });

    describe('keys and scopes', () => {
      it('401 without a key or with an unknown one, 403 without the scope, and reads for everyone with publicRead', async () => {
        const { api, beat } = await hub();
        const none = await beat(beatOf('a'), null);
        expectError(none, 401, 'UNAUTHENTICATED');
        expect(none.headers.get('www-authenticate')).toContain('Bearer');
        expectError(
          await beat(beatOf('a'), 'hb_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
          401,
          'UNAUTHENTICATED',
        );
        expectError(
          await api('GET', '/v1/instances', { key: 'Basic abc', headers: { authorization: 'Basic abc' } }),
          401,
          'UNAUTHENTICATED',
        );

        const reader = await api('POST', '/v1/keys', { body: { name: 'dashboard', scopes: ['read'] } });
        expect(reader.status).toBe(201);
        expect(reader.body.key).toMatch(/^hb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
        const ingester = await api('POST', '/v1/keys', { body: { name: 'agents', scopes: ['ingest'] } });
        expectError(await beat(beatOf('a'), reader.body.key), 403, 'FORBIDDEN');
        expect((await beat(beatOf('a'), ingester.body.key)).status).toBe(200);
        expectError(await api('GET', '/v1/instances', { key: ingester.body.key }), 403, 'FORBIDDEN');
        expect((await api('GET', '/v1/instances', { key: reader.body.key })).status).toBe(200);
        expectError(await api('GET', '/v1/keys', { key: reader.body.key }), 403, 'FORBIDDEN');

        expect((await api('DELETE', `/v1/keys/${reader.body.id as string}`)).status).toBe(204);
        expectError(await api('GET', '/v1/instances', { key: reader.body.key }), 401, 'UNAUTHENTICATED');
        const listed = await api('GET', '/v1/keys');
        expect(JSON.stringify(listed.body)).not.toContain('secret');
        expect(listed.body.items).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: 'dashboard', revokedAt: expect.any(String) }),
          ]),
        );
        expectError(
          await api('POST', '/v1/keys', { body: { name: 'x', scopes: ['everything'] } }),
          400,
          'VALIDATION_FAILED',
        );

        const open = await hub({ auth: { publicRead: true } });
        expect((await open.api('GET', '/v1/instances', { key: null })).status).toBe(200);
        expectError(await open.beat(beatOf('a'), null), 401, 'UNAUTHENTICATED');
      });
    });

    describe('the registry', () => {
      it('lists, filters, searches and pages instances', async () => {
        const { api, beat } = await hub();
        await beat([
          ...Array.from({ length: 25 }, (_, i) =>
            beatOf(`orders-${String(i).padStart(2, '0')}`, {
              version: i < 5 ? '2.0.0' : '1.0.0',
              hostName: `node-${i}`,
            }),
          ),
          { instanceId: 'pay-1', service: 'payments', ip: ['10.1.2.3'] },
        ]);
        const all = await api('GET', '/v1/instances?limit=10');
        expect(all.body.total).toBe(26);
        expect(all.body.items).toHaveLength(10);
        expect(all.body.items[0]).toMatchObject({
          instanceId: 'orders-00',
          service: 'orders',
          state: 'alive',
          unconfirmed: false,
          leaseExpiresAt: expect.any(String),
        });
        const seen = new Set<string>(all.body.items.map((i: { instanceId: string }) => i.instanceId));
        let cursor = all.body.nextCursor as string | null;
        while (cursor) {
          const page = await api('GET', `/v1/instances?limit=10&cursor=${cursor}`);
          for (const item of page.body.items as Array<{ instanceId: string }>) seen.add(item.instanceId);
          cursor = page.body.nextCursor;
        }
        expect(seen.size).toBe(26);
        expect(
          (await api('GET', '/v1/instances?service=payments')).body.items.map(
            (i: { instanceId: string }) => i.instanceId,
          ),
        ).toEqual(['pay-1']);
        expect((await api('GET', '/v1/instances?q=10.1.2')).body.total).toBe(1);
        expect((await api('GET', '/v1/instances?q=NODE-1')).body.total).toBe(11);
        expect((await api('GET', '/v1/instances?state=lost')).body.total).toBe(0);
        const bad = await api('GET', '/v1/instances?state=dead');
        expectError(bad, 400, 'VALIDATION_FAILED');
        expect(bad.body.error.details.allowed).toEqual(['alive', 'lost', 'stopped']);
        expectError(await api('GET', '/v1/instances?cursor=garbage'), 400, 'VALIDATION_FAILED');
        expectError(await api('GET', '/v1/instances?limit=0'), 400, 'VALIDATION_FAILED');
      });

      it('shows one instance, and 404 for an unknown one', async () => {
        const { api, beat } = await hub();
        await beat(
          beatOf('orders-1', {
            plugins: [{ name: 'flowcontrol', version: '1.2.0', extInfo: { rules: '3' } }],
            status: 'ok',
          }),
        );
        const one = await api('GET', '/v1/instances/orders-1');
        expect(one.body).toMatchObject({
          instanceId: 'orders-1',
          state: 'alive',
          beats: 1,
          status: 'ok',
          plugins: [{ name: 'flowcontrol', version: '1.2.0', extInfo: { rules: '3' } }],
        });
        expectError(await api('GET', '/v1/instances/nobody'), 404, 'NOT_FOUND');
      });

      it('marks an instance that says goodbye as stopped, not lost', async () => {
        const { api, beat } = await hub();
        await beat(beatOf('orders-1'));
        expect((await api('DELETE', '/v1/instances/orders-1')).status).toBe(204);
        expect((await api('GET', '/v1/instances/orders-1')).body.state).toBe('stopped');
        expect((await api('DELETE', '/v1/instances/orders-1')).status).toBe(204);
        expectError(await api('DELETE', '/v1/instances/ghost'), 404, 'NOT_FOUND');
        const events = await api('GET', '/v1/events?instanceId=orders-1');
        expect(events.body.items.map((e: { kind: string }) => e.kind)).toEqual([
          'instance.registered',
          'instance.stopped',
        ]);
      });

      it('declares an instance lost within a few milliseconds of its valid time, then recovered, then removed after retention', async () => {
        const { api, beat } = await hub({ instances: { validTime: 1000, retention: 400 } });
        await beat(beatOf('orders-1'));
        const lost = await eventually(
          async () => {
            const answer = await api('GET', '/v1/events?kind=instance.lost');
            return answer.body.items[0] as { data: { silentForMs: number } } | undefined;
          },
          { timeoutMs: 3000, everyMs: 10 },
        );
        expect(lost.data.silentForMs).toBeGreaterThanOrEqual(1000);
        expect(lost.data.silentForMs).toBeLessThan(1100);
        await beat(beatOf('orders-1'));
        expect((await api('GET', '/v1/instances/orders-1')).body.state).toBe('alive');
        await api('DELETE', '/v1/instances/orders-1');
        await eventually(async () => (await api('GET', '/v1/instances')).body.total === 0, {
          timeoutMs: 3000,
        });
        // Gone from memory first; its last record is in the store once that commit lands (ms later).
        const history = await eventually(async () => {
          const answer = await api('GET', '/v1/instances/orders-1');
          return answer.body.removedAt ? answer : undefined;
        });
        expect(history.body).toMatchObject({ state: 'stopped', removedAt: expect.any(String) });
        const kinds = (await api('GET', '/v1/events?instanceId=orders-1')).body.items.map(
          (e: { kind: string }) => e.kind,
        );
        expect(kinds).toEqual([
          'instance.registered',
          'instance.lost',
          'instance.recovered',
          'instance.stopped',
          'instance.removed',
        ]);
      });

      it('enters self-preservation once when most instances fall silent together, and leaves it when beats flow again', async () => {
        const { api, beat } = await hub({
          instances: {
            validTime: 1000,
            retention: 60_000,
            selfPreservation: { enabled: true, ratio: 0.5, minInstances: 10 },
          },
        });
        const fleet = Array.from({ length: 12 }, (_, i) => beatOf(`node-${i}`));
        await beat(fleet);
        // Everyone goes silent (as if the hub were cut off): no storm of lost, one hub event.
        const entered = await eventually(
          async () => (await api('GET', '/v1/events?kind=hub.self_preservation_entered')).body.items[0],
          { timeoutMs: 3000 },
        );
        expect(entered.data).toMatchObject({ alive: 12, silent: 12 });
        expect((await api('GET', '/v1/events?kind=instance.lost')).body.items).toEqual([]);
        const listed = await api('GET', '/v1/instances?state=alive');
        expect(listed.body.total).toBe(12);
        expect(listed.body.items.every((i: { unconfirmed: boolean }) => i.unconfirmed)).toBe(true);
        expect((await api('GET', '/v1/hub')).body.selfPreservation.active).toBe(true);
        // Beats flow again for ten of them; the two that stay silent are lost one valid time later.
        const survivors = fleet.slice(0, 10);
        const pump = setInterval(() => void beat(survivors).catch(() => {}), 200);
        try {
          await eventually(
            async () => (await api('GET', '/v1/events?kind=hub.self_preservation_left')).body.items[0],
            { timeoutMs: 4000 },
          );
          const lost = await eventually(
            async () => {
              const items = (await api('GET', '/v1/events?kind=instance.lost')).body.items as Array<{
                instanceId: string;
              }>;
              return items.length === 2 ? items : undefined;
            },
            { timeoutMs: 4000 },
          );
          expect(lost.map((e) => e.instanceId).sort()).toEqual(['node-10', 'node-11']);
          const entries = (await api('GET', '/v1/events?kind=hub.self_preservation_entered')).body.items;
          expect(entries).toHaveLength(1);
        } finally {
          clearInterval(pump);
        }
      });

      it('summarizes services: instances by state, worst reported health, versions', async () => {
        const { api, beat } = await hub();
        await beat([
          beatOf('o1', { version: '1.0.0', status: 'ok' }),
          beatOf('o2', { version: '1.1.0', status: 'warning' }),
          beatOf('o3', { version: '1.1.0', status: 'ok' }),
          { instanceId: 'p1', service: 'payments', status: 'error' },
        ]);
        await api('DELETE', '/v1/instances/o3');
        const services = await api('GET', '/v1/services');
        expect(services.body.items).toEqual([
          expect.objectContaining({
            service: 'orders',
            instances: { alive: 2, lost: 0, stopped: 1, total: 3, unconfirmed: 0 },
            health: 'warning',
            versions: [
              { version: '1.1.0', instances: 2 },
              { version: '1.0.0', instances: 1 },
            ],
          }),
          expect.objectContaining({ service: 'payments', health: 'error' }),
        ]);
      });

      it('answers Sermant’s panel at /sermant/getPluginsInfo', async () => {
        const { api, beat } = await hub();
        await beat(
          beatOf('o1', {
            hostName: 'pod-1',
            ip: ['10.0.0.1'],
            version: '1.0.0',
            plugins: [{ name: 'template', version: '0.0.1', extInfo: { status: 'started' } }],
          }),
        );
        const answer = await api('GET', '/sermant/getPluginsInfo');
        expect(answer.body).toEqual([
          expect.objectContaining({
            instanceId: 'o1',
            service: 'orders',
            hostName: 'pod-1',
            ip: ['10.0.0.1'],
            version: '1.0.0',
            health: true,
            pluginInfoMap: [{ name: 'template', version: '0.0.1', extInfo: { status: 'started' } }],
          }),
        ]);
      });
    });

    describe('events', () => {
      it('filters the log by kind and time, and refuses unknown kinds', async () => {
        const { api, beat } = await hub();
        const before = Date.now();
        await beat([beatOf('a'), beatOf('b')]);
        await beat(
          beatOf('a', { status: 'error', checks: [{ name: 'db', status: 'error', message: 'refused' }] }),
        );
        const registered = await api('GET', '/v1/events?kind=instance.registered');
        expect(registered.body.items).toHaveLength(2);
        const changed = await api(
          `GET`,
          `/v1/events?since=${new Date(before).toISOString()}&kind=instance.health_changed`,
        );
        expect(changed.body.items[0]).toMatchObject({
          kind: 'instance.health_changed',
          instanceId: 'a',
          data: { to: 'error', failing: [{ name: 'db', status: 'error', message: 'refused' }] },
        });
        expect((await api('GET', `/v1/events?since=${Date.now() + 60_000}`)).body.items).toEqual([]);
        expectError(await api('GET', '/v1/events?kind=instance.exploded'), 400, 'VALIDATION_FAILED');
        expectError(await api('GET', '/v1/events?since=yesterday'), 400, 'VALIDATION_FAILED');
      });

      it('streams events live over SSE and resumes after Last-Event-ID without gaps', async () => {
        const { url, beat } = await hub();
        const stream = await openStream(`${url}/v1/events/stream?key=${TEST_ADMIN_KEY}`);
        await beat(beatOf('a'));
        const first = await stream.next();
        expect(first).toMatchObject({ event: 'instance.registered', data: { instanceId: 'a' } });
        stream.close();
        await beat([beatOf('b'), beatOf('c')]);
        const resumed = await openStream(`${url}/v1/events/stream`, {
          authorization: `Bearer ${TEST_ADMIN_KEY}`,
          'last-event-id': String(first.id),
        });
        const [b, c] = [await resumed.next(), await resumed.next()];
        expect([b.data.instanceId, c.data.instanceId]).toEqual(['b', 'c']);
        await beat(beatOf('d'));
        expect((await resumed.next()).data.instanceId).toBe('d');
        resumed.close();
      });
    });

    describe('the hub itself', () => {
      it('serves its own health, and its state', async () => {
        const { api } = await hub();
        expect((await api('GET', '/livez', { key: null })).status).toBe(200);
        expect((await api('GET', '/readyz', { key: null })).text).toBe('ok');
        const ops = await api('GET', '/ops/heartbeat', { key: null });
        expect(ops.body).toMatchObject({
          Status: 'OK',
          Dependencies: [
            expect.objectContaining({ Status: 'OK', URL: expect.stringMatching(/^(file|postgres):\/\//) }),
          ],
        });
        const state = await api('GET', '/v1/hub');
        expect(state.body).toMatchObject({
          store: { kind: backend.name === 'SQLite' ? 'sqlite' : 'postgres', healthy: true },
          selfPreservation: { active: false },
        });
      });

      it('serves the API under a route prefix, as the seed shows', async () => {
        const { api, beat: _beat } = await hub({
          server: { port: 0, host: '127.0.0.1', routePrefix: '/eni/heartbeat' },
        });
        expect(
          (await api('POST', '/eni/heartbeat/v1/instances/heartbeats', { body: beatOf('a') })).status,
        ).toBe(200);
        expect((await api('GET', '/eni/heartbeat/v1/instances')).body.total).toBe(1);
        expectError(await api('GET', '/v1/instances'), 404, 'NOT_FOUND');
      });

      it('stops promptly with an event stream open, ending the stream', async () => {
        const started = await startTestHub();
        const response = await fetch(`${started.url}/v1/events/stream?key=${TEST_ADMIN_KEY}`);
        const reader = response.body!.getReader();
        await reader.read();
        const stopping = performance.now();
        await started.stop();
        expect(performance.now() - stopping).toBeLessThan(2000);
        let done = false;
        while (!done) done = (await reader.read()).done;
      });

      it('answers unknown paths with a JSON 404', async () => {
        const { api } = await hub();
        expectError(await api('GET', '/v2/nothing'), 404, 'NOT_FOUND');
      });
    });
  });
}

/** A minimal SSE reader over fetch. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: Array<{ id: number; event: string; data: any }> = [];
  async function next(): Promise<{ id: number; event: string; data: any }> {
    const deadline = Date.now() + 3000;
    while (queue.length === 0) {
      if (Date.now() > deadline) throw new Error('no event within 3s');
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        );
        if (fields.data)
          queue.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data) });
      }
    }
    return queue.shift()!;
  }
  return { next, close: () => controller.abort() };
}
