/**
 * Cluster mode with real hub processes on a real PostgreSQL: three replicas behave as one hub; a
 * replica killed with SIGKILL under load loses nothing it acknowledged and its Pulse probes move; a
 * PostgreSQL outage makes replicas not ready and they carry on after it; replicas started together
 * migrate once.
 *
 * The outage is made with a TCP proxy between the replicas and PostgreSQL (`testing/tcp-proxy.ts`),
 * not by restarting the server: the test server is shared with other test files and other work on the
 * machine. For the replicas it is the same event: every connection breaks, new ones are refused.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { POSTGRES_URL, probePostgres, requireService } from '../../../sdk/src/testing/services.js';
import { spawnHub, type HubProcess } from '../testing/hub-process.js';
import { startHttpReceiver } from '../testing/http-receiver.js';
import { startTcpProxy } from '../testing/tcp-proxy.js';
import { createTempPostgresDatabase, eventually } from '../testing/test-hub.js';
import { ownerOf } from './rendezvous.js';

const ADMIN_KEY = 'cluster-test-admin-key-0123456789';
const HEADERS = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
/** Short, so lease expiry and probe moves happen within the test; replica leases are then 2 s. */
const VALID_TIME_MS = 6000;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const postgresUp = await requireService('PostgreSQL', (signal) => probePostgres(POSTGRES_URL, signal));

async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: HEADERS,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const get = async (url: string, path: string): Promise<any> => (await call(url, 'GET', path)).body;

async function ready(hub: HubProcess, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => (await fetch(`${hub.url}/readyz`)).status === 200, {
    timeoutMs,
    everyMs: 100,
  });
}

async function startReplicas(
  count: number,
  store: string,
  yaml?: string,
  extraEnv: Record<string, string> = {},
): Promise<HubProcess[]> {
  const dir = await mkdtemp(join(tmpdir(), 'hb-cluster-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const args = ['--store', store, '--data', dir];
  if (yaml !== undefined) {
    await writeFile(join(dir, 'hub.yaml'), yaml);
    args.push('--config', join(dir, 'hub.yaml'));
  }
  const env = {
    HEARTBEAT_ADMIN_KEY: ADMIN_KEY,
    HEARTBEAT_INSTANCES_VALID_TIME: `${VALID_TIME_MS}ms`,
    ...extraEnv,
  };
  const hubs = await Promise.all(Array.from({ length: count }, () => spawnHub(args, env)));
  for (const hub of hubs) {
    cleanups.push(async () => {
      if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
      await hub.exited;
    });
  }
  await Promise.all(hubs.map((hub) => ready(hub)));
  return hubs;
}

async function freshDatabase(): Promise<string> {
  const database = await createTempPostgresDatabase(POSTGRES_URL);
  cleanups.push(database.drop);
  return database.url;
}

/** Every instance id a replica lists, across pages. */
async function instanceIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = '';
  while (cursor !== null) {
    const page = await get(url, `/v1/instances?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    for (const item of page.items as Array<{ instanceId: string }>) ids.add(item.instanceId);
    cursor = page.nextCursor as string | null;
  }
  return ids;
}

/**
 * Agent-like load on every replica in turn: heartbeats (new instances and repeats) and observations,
 * remembering what each replica acknowledged.
 */
function startLoad(hubs: readonly HubProcess[]) {
  const acknowledged = new Set<string>();
  let observations = 0;
  let running = true;
  const targets = () => hubs.filter((hub) => hub.child.exitCode === null && hub.child.signalCode === null);
  const workers = Array.from({ length: 4 }, async (_, worker) => {
    for (let n = 0; running; n++) {
      const live = targets();
      const hub = live[n % live.length]!;
      const ids = [`w${worker}-${n}`, `steady-${worker}`];
      try {
        if (n % 2 === 0) {
          const answer = await call(
            hub.url,
            'POST',
            '/v1/instances/heartbeats',
            ids.map((instanceId) => ({ instanceId, service: 'load' })),
          );
          if (answer.status === 200) for (const id of ids) acknowledged.add(id);
        } else {
          const batch = Array.from({ length: 20 }, () => ({
            basepath: '/load/v1',
            statusCode: 200,
            durationMs: 3,
          }));
          const answer = await call(hub.url, 'POST', '/v1/observations', batch);
          if (answer.status === 200) observations += answer.body.accepted as number;
        }
      } catch {
        // The replica died mid-request: nothing acknowledged.
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  return {
    acknowledged,
    get observations() {
      return observations;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** A loopback HTTP server that records when each path was probed. */
async function startProbeTarget(): Promise<{ url: string; hits: Map<string, number[]>; server: Server }> {
  const hits = new Map<string, number[]>();
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    hits.set(path, [...(hits.get(path) ?? []), Date.now()]);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, hits, server };
}

/** Hits of a path within [from, to). */
function hitsBetween(hits: Map<string, number[]>, path: string, from: number, to: number): number[] {
  return (hits.get(path) ?? []).filter((at) => at >= from && at < to);
}

describe.skipIf(!postgresUp)('cluster mode (three replicas on one PostgreSQL)', () => {
  it('behaves as one hub: what one replica accepts, every replica shows within a second, and one decides', async () => {
    const hubs = await startReplicas(3, await freshDatabase());
    const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];

    // The replicas register themselves, one leads.
    const status = await eventually(async () => {
      const hub = await get(a.url, '/v1/hub');
      return hub.replicas.filter((replica: any) => replica.state === 'live').length === 3 ? hub : undefined;
    });
    expect(status.replicas.filter((replica: any) => replica.leader)).toHaveLength(1);

    // An event stream on c sees what a accepts.
    const stream = new AbortController();
    const streamed: string[] = [];
    const reading = (async () => {
      const response = await fetch(`${c.url}/v1/events/stream`, { headers: HEADERS, signal: stream.signal });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        streamed.push(decoder.decode(value));
      }
    })().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));

    const accepted = Date.now();
    expect(
      (await call(a.url, 'POST', '/v1/instances/heartbeats', { instanceId: 'x-1', service: 'x' })).status,
    ).toBe(200);
    const observations = Array.from({ length: 10 }, () => ({
      basepath: '/shared/v1',
      statusCode: 200,
      durationMs: 5,
    }));
    expect((await call(b.url, 'POST', '/v1/observations', observations)).status).toBe(200);
    for (const hub of hubs) {
      await eventually(async () => (await get(hub.url, '/v1/instances/x-1'))?.state === 'alive', {
        timeoutMs: 2000,
        everyMs: 10,
      });
      await eventually(
        async () =>
          JSON.stringify(await get(hub.url, '/v1/heartbeats')) ===
          '[{"basepath":"/shared/v1","status":"UP"}]',
        { timeoutMs: 2000, everyMs: 10 },
      );
    }
    const visibleEverywhere = Date.now() - accepted;
    // Within a second is the promise; the bound is looser because the machine running tests is loaded.
    expect(visibleEverywhere).toBeLessThan(2000);
    for (const hub of hubs) {
      const api = await get(hub.url, '/v1/apis/shared/v1');
      expect(api).toMatchObject({ status: 'UP', samples: 10 });
    }
    const [listA, listB, listC] = await Promise.all(hubs.map((hub) => get(hub.url, '/v1/apis')));
    expect(listB.items.map((item: any) => [item.basepath, item.status, item.samples])).toEqual(
      listA.items.map((item: any) => [item.basepath, item.status, item.samples]),
    );
    expect(listC.items.map((item: any) => [item.basepath, item.samples])).toEqual(
      listA.items.map((item: any) => [item.basepath, item.samples]),
    );
    await eventually(() => streamed.join('').includes('"instanceId":"x-1"'), { timeoutMs: 2000 });

    // x-1 goes silent: it is declared lost once, cluster-wide, close to its valid time.
    const lost = await eventually(
      async () => {
        const page = await get(b.url, '/v1/events?kind=instance.lost&instanceId=x-1');
        return page.items.length > 0 ? page.items : undefined;
      },
      { timeoutMs: VALID_TIME_MS + 5000, everyMs: 100 },
    );
    expect(lost[0].data.silentForMs).toBeGreaterThanOrEqual(VALID_TIME_MS);
    expect(lost[0].data.silentForMs).toBeLessThan(VALID_TIME_MS + 1000);
    for (const hub of hubs) {
      await eventually(async () => (await get(hub.url, '/v1/instances/x-1')).state === 'lost', {
        timeoutMs: 2000,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await get(c.url, '/v1/events?kind=instance.lost')).items).toHaveLength(1);

    // Twelve instances, beating through all three replicas, fall silent together: one replica
    // suspects itself for the cluster — one event — and every replica shows it.
    for (let i = 0; i < 12; i++) {
      const beat = { instanceId: `mass-${i}`, service: 'mass' };
      expect((await call(hubs[i % 3]!.url, 'POST', '/v1/instances/heartbeats', beat)).status).toBe(200);
    }
    for (const hub of hubs) {
      await eventually(async () => (await get(hub.url, '/v1/hub')).selfPreservation.active === true, {
        timeoutMs: VALID_TIME_MS + 5000,
        everyMs: 200,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await get(a.url, '/v1/events?kind=hub.self_preservation_entered')).items).toHaveLength(1);
    expect((await get(b.url, '/v1/events?kind=instance.lost')).items).toHaveLength(1);
    expect((await get(c.url, '/v1/instances/mass-0')).unconfirmed).toBe(true);
    stream.abort();
    await reading;
  });

  it('kill -9 of the leader under load loses nothing acknowledged; its probes move, leases still expire once, and each is notified once', async () => {
    const target = await startProbeTarget();
    const receiver = await startHttpReceiver();
    cleanups.push(() => receiver.close());
    // Every lost instance notifies the webhook: every replica delivers (leased claims), the leader
    // alone decides, so each loss must reach the receiver exactly once.
    const yaml = `notifiers:
  - name: hook
    webhook:
      url: ${receiver.url}/hook
rules:
  - name: lost
    when: instance.lost
    group: 0s
    notify: hook
`;
    // The load's instances fall silent together when it stops: that is mass silence, and
    // self-preservation would (rightly) keep them alive. Off here, to see each lease expire once.
    const hubs = await startReplicas(3, await freshDatabase(), yaml, {
      HEARTBEAT_INSTANCES_SELF_PRESERVATION_ENABLED: 'false',
    });
    const idOf = new Map<HubProcess, string>();
    let leaderId = '';
    await eventually(async () => {
      for (const hub of hubs) {
        const replicas = (await get(hub.url, '/v1/hub')).replicas as any[];
        if (replicas.filter((replica) => replica.state === 'live').length !== 3) return false;
        idOf.set(hub, replicas.find((replica) => replica.self).id as string);
        leaderId = replicas.find((replica) => replica.leader)?.id ?? leaderId;
      }
      return leaderId !== '';
    });
    const replicaIds = [...idOf.values()];
    const victim = hubs.find((hub) => idOf.get(hub) === leaderId)!;
    const survivors = hubs.filter((hub) => hub !== victim);
    // Pulse targets chosen so that three are the leader's to probe and three the others'.
    const mine: string[] = [];
    const theirs: string[] = [];
    for (let i = 0; mine.length < 3 || theirs.length < 3; i++) {
      const basepath = `/probed/p${i}`;
      const list = ownerOf(basepath, replicaIds) === leaderId ? mine : theirs;
      if (list.length < 3) list.push(basepath);
    }
    const basepaths = [...mine, ...theirs];
    // Declared through one replica's admin API: every replica learns of them from the change log.
    for (const basepath of basepaths) {
      const created = await call(survivors[0]!.url, 'POST', '/v1/apis', {
        basepath,
        pulse: { url: `${target.url}${basepath}`, interval: '1s', timeout: '500ms' },
      });
      expect(created.status).toBe(201);
    }

    const load = startLoad(hubs);
    // Steady state: each target probed once a second, by one replica.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const steadyFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const steadyTo = Date.now();
    for (const path of basepaths) {
      const seen = hitsBetween(target.hits, path, steadyFrom, steadyTo);
      // At least 2 (a loaded machine can delay a run past the window's end), at most 5: never twice a second.
      expect(seen.length, `${path} probed ${seen.length} times in 4 s`).toBeGreaterThanOrEqual(2);
      expect(seen.length, `${path} probed ${seen.length} times in 4 s`).toBeLessThanOrEqual(5);
    }

    await eventually(() => load.acknowledged.size >= 100 && load.observations >= 200, { timeoutMs: 20_000 });
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await load.stop();
    const loadStoppedAt = Date.now();

    // A new leader, and the leader's probes move within the valid time.
    await eventually(async () => {
      const replicas = (await get(survivors[0]!.url, '/v1/hub')).replicas as any[];
      return replicas.some((replica) => replica.leader && replica.id !== leaderId);
    });
    for (const path of mine) {
      await eventually(() => hitsBetween(target.hits, path, killedAt + 100, Infinity).length > 0, {
        timeoutMs: VALID_TIME_MS,
        everyMs: 100,
      });
    }
    // Once moved, each still runs once per interval.
    const movedFrom = Date.now() + 500;
    await new Promise((resolve) => setTimeout(resolve, 3500));
    for (const path of basepaths) {
      const seen = hitsBetween(target.hits, path, movedFrom, movedFrom + 3000);
      expect(seen.length, `${path} probed ${seen.length} times in 3 s after the move`).toBeLessThanOrEqual(4);
      expect(seen.length, `${path} probed ${seen.length} times in 3 s after the move`).toBeGreaterThanOrEqual(
        1,
      );
    }

    // Everything acknowledged, by any replica, is on every survivor.
    for (const hub of survivors) {
      const stored = await instanceIds(hub.url);
      const missing = [...load.acknowledged].filter((id) => !stored.has(id));
      expect(missing, `${missing.length} of ${load.acknowledged.size} acknowledged beats missing`).toEqual(
        [],
      );
      const api = await get(hub.url, '/v1/apis/load/v1');
      expect(api.samples).toBeGreaterThanOrEqual(load.observations);
      await eventually(
        async () =>
          (await get(hub.url, '/v1/hub')).replicas.filter((r: any) => r.state === 'live').length === 2,
      );
    }

    // The instances of the load fell silent when it stopped: the new leader declares each lost once.
    const silent = [...load.acknowledged];
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, loadStoppedAt + VALID_TIME_MS + 1500 - Date.now())),
    );
    const lost = new Map<string, number>();
    let after = 0;
    for (;;) {
      const page = await get(survivors[1]!.url, `/v1/events?kind=instance.lost&limit=1000&after=${after}`);
      for (const event of page.items as Array<{ instanceId: string }>)
        lost.set(event.instanceId, (lost.get(event.instanceId) ?? 0) + 1);
      if (page.items.length < 1000 || page.nextAfter === null) break;
      after = page.nextAfter as number;
    }
    expect([...lost.values()].filter((count) => count > 1)).toEqual([]);
    expect(silent.filter((id) => !lost.has(id))).toEqual([]);

    // Each loss notified once, cluster-wide: the triggers' totals add up to the losses, no more.
    const notified = () =>
      receiver.requests
        .filter((request) => request.json?.kind === 'trigger' && request.json.rule === 'lost')
        .reduce((sum, request) => sum + (request.json.total as number), 0);
    await eventually(() => notified() >= lost.size, { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(notified()).toBe(lost.size);
  });

  it('PostgreSQL gone under load: replicas turn not ready, reconnect and carry on, losing nothing acknowledged', async () => {
    const database = new URL(await freshDatabase());
    const proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
    cleanups.push(() => proxy.close());
    const viaProxy = new URL(database.href);
    viaProxy.port = String(proxy.port);
    const hubs = await startReplicas(2, viaProxy.href);
    const load = startLoad(hubs);
    await eventually(() => load.acknowledged.size >= 40, { timeoutMs: 10_000 });

    await proxy.cut();
    for (const hub of hubs) {
      await eventually(async () => (await fetch(`${hub.url}/readyz`)).status === 503, {
        timeoutMs: 10_000,
        everyMs: 100,
      });
      expect((await fetch(`${hub.url}/livez`)).status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await proxy.restore();
    for (const hub of hubs) await ready(hub, 30_000);
    const before = load.acknowledged.size;
    await eventually(() => load.acknowledged.size > before + 20, { timeoutMs: 15_000 });
    await load.stop();

    for (const hub of hubs) {
      await eventually(
        async () => {
          const stored = await instanceIds(hub.url);
          return [...load.acknowledged].every((id) => stored.has(id));
        },
        { timeoutMs: 5000, everyMs: 200 },
      );
      expect((await get(hub.url, '/v1/apis/load/v1')).samples).toBeGreaterThanOrEqual(load.observations);
    }
  });

  it('two replicas started at once on a fresh database migrate it once', async () => {
    const url = await freshDatabase();
    const hubs = await startReplicas(2, url);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((row) => row.version)).toEqual([1, 2, 3, 4]);
    } finally {
      await client.end();
    }
    for (const hub of hubs)
      expect(
        (await call(hub.url, 'POST', '/v1/instances/heartbeats', { instanceId: 'm', service: 's' })).status,
      ).toBe(200);
  });
});
