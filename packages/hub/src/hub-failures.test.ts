/**
 * The hub as a real process under failure: `kill -9` under load loses no acknowledged heartbeat,
 * and a PostgreSQL that is unreachable at start or goes away mid-run gives a clear error and
 * `/readyz` 503, then recovery when it returns.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { POSTGRES_URL, probePostgres, requireService } from '../../sdk/src/testing/services.js';
import { spawnHub, type HubProcess } from './testing/hub-process.js';
import { createTempPostgresDatabase, eventually } from './testing/test-hub.js';

const ADMIN_KEY = 'failure-test-admin-key-0123456789';
const auth = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function track(hub: HubProcess): HubProcess {
  cleanups.push(async () => {
    if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
    await hub.exited;
  });
  return hub;
}

async function beat(url: string, body: unknown): Promise<number> {
  const response = await fetch(`${url}/v1/instances/heartbeats`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('kill -9', () => {
  it('loses no heartbeat the hub acknowledged', async () => {
    const data = await mkdtemp(join(tmpdir(), 'hb-kill-'));
    cleanups.push(() => rm(data, { recursive: true, force: true }));
    const env = { HEARTBEAT_ADMIN_KEY: ADMIN_KEY };
    const first = track(await spawnHub(['--data', data], env));
    await eventually(async () => (await fetch(`${first.url}/readyz`)).status === 200);

    const acknowledged: string[] = [];
    let observationsAcknowledged = 0;
    let running = true;
    // Observations alongside the heartbeats: their effect on the window must survive too.
    const observer = (async () => {
      while (running) {
        try {
          const response = await fetch(`${first.url}/v1/observations`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify(
              Array.from({ length: 50 }, () => ({ basepath: '/load/v1', statusCode: 200, durationMs: 3 })),
            ),
          });
          await response.arrayBuffer();
          if (response.status === 200) observationsAcknowledged += 50;
        } catch {
          return;
        }
      }
    })();
    const workers = Array.from({ length: 8 }, async (_, worker) => {
      for (let n = 0; running; n++) {
        const ids = n % 3 === 0 ? [`w${worker}-${n}-a`, `w${worker}-${n}-b`] : [`w${worker}-${n}`];
        try {
          const status = await beat(
            first.url,
            ids.map((instanceId) => ({ instanceId, service: 'load' })),
          );
          if (status === 200) acknowledged.push(...ids);
        } catch {
          return; // the connection died with the process: not acknowledged
        }
      }
    });
    await eventually(() => acknowledged.length >= 300, { timeoutMs: 10_000 });
    first.child.kill('SIGKILL');
    running = false;
    await Promise.all([...workers, observer]);
    expect(await first.exited).toBe('SIGKILL');

    const second = track(await spawnHub(['--data', data], env));
    await eventually(async () => (await fetch(`${second.url}/readyz`)).status === 200);
    const stored = new Set<string>();
    let cursor: string | null = '';
    while (cursor !== null) {
      const response = await fetch(
        `${second.url}/v1/instances?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        { headers: auth },
      );
      const page = (await response.json()) as {
        items: Array<{ instanceId: string }>;
        nextCursor: string | null;
      };
      for (const item of page.items) stored.add(item.instanceId);
      cursor = page.nextCursor;
    }
    const missing = acknowledged.filter((id) => !stored.has(id));
    expect(missing, `${missing.length} of ${acknowledged.length} acknowledged heartbeats missing`).toEqual(
      [],
    );
    expect(observationsAcknowledged).toBeGreaterThan(0);
    const api = (await (await fetch(`${second.url}/v1/apis/load/v1`, { headers: auth })).json()) as {
      samples: number;
    };
    expect(api.samples).toBeGreaterThanOrEqual(observationsAcknowledged);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

const postgresUp = await requireService('PostgreSQL', (signal) => probePostgres(POSTGRES_URL, signal));

/** A TCP proxy on loopback in front of PostgreSQL that the test can cut and restore. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  return {
    port,
    async up() {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async down() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    },
  };
}

describe.skipIf(!postgresUp)('PostgreSQL unreachable', () => {
  it('at start-up: serves with /readyz 503 and the reason, then becomes ready when the database answers', async () => {
    const database = await createTempPostgresDatabase(POSTGRES_URL);
    cleanups.push(database.drop);
    const real = new URL(database.url);
    const proxy = await startProxy({ host: real.hostname, port: Number(real.port || 5432) });
    cleanups.push(proxy.down);
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);

    const hub = track(await spawnHub(['--store', viaProxy.href], { HEARTBEAT_ADMIN_KEY: ADMIN_KEY }));
    expect((await fetch(`${hub.url}/livez`)).status).toBe(200);
    const notReady = await fetch(`${hub.url}/readyz?verbose`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toMatch(/\[-\]store failed: .*(ECONNREFUSED|cannot reach PostgreSQL)/);
    await eventually(() =>
      /cannot use the store at postgres:\/\/.*the hub is not ready and keeps trying/.test(hub.output()),
    );
    expect(await beat(hub.url, { instanceId: 'early', service: 's' })).toBe(503);

    await proxy.up();
    await eventually(async () => (await fetch(`${hub.url}/readyz`)).status === 200, {
      timeoutMs: 20_000,
      everyMs: 200,
    });
    expect(await beat(hub.url, { instanceId: 'a', service: 's' })).toBe(200);
  });

  it('mid-run: answers 503 while it is gone, keeps what it acknowledged, and recovers when it returns', async () => {
    const database = await createTempPostgresDatabase(POSTGRES_URL);
    cleanups.push(database.drop);
    const real = new URL(database.url);
    const proxy = await startProxy({ host: real.hostname, port: Number(real.port || 5432) });
    cleanups.push(proxy.down);
    await proxy.up();
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);

    const hub = track(await spawnHub(['--store', viaProxy.href], { HEARTBEAT_ADMIN_KEY: ADMIN_KEY }));
    await eventually(async () => (await fetch(`${hub.url}/readyz`)).status === 200, { timeoutMs: 20_000 });
    expect(await beat(hub.url, { instanceId: 'before', service: 's' })).toBe(200);

    await proxy.down();
    const during = await eventually(
      async () => {
        const status = await beat(hub.url, { instanceId: 'during', service: 's' });
        return status === 503 ? status : undefined;
      },
      { timeoutMs: 15_000, everyMs: 100 },
    );
    expect(during).toBe(503);
    await eventually(async () => (await fetch(`${hub.url}/readyz`)).status === 503, { timeoutMs: 5000 });
    expect((await fetch(`${hub.url}/livez`)).status).toBe(200);

    await proxy.up();
    await eventually(async () => (await beat(hub.url, { instanceId: 'after', service: 's' })) === 200, {
      timeoutMs: 20_000,
      everyMs: 200,
    });
    await eventually(async () => (await fetch(`${hub.url}/readyz`)).status === 200, { timeoutMs: 10_000 });

    // The acknowledged beat is in the database itself, not only in the hub's memory.
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ instance_id: string }>(
        'SELECT instance_id FROM instances ORDER BY instance_id',
      );
      expect(rows.map((row) => row.instance_id)).toEqual(expect.arrayContaining(['before', 'after']));
    } finally {
      await client.end();
    }
  });
});
