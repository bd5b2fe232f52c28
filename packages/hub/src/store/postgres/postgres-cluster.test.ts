/**
 * What cluster mode needs of the PostgreSQL store beyond the contract suite: one leader among stores
 * on the same schema, handed over when its connection dies, and change notifications across stores.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { instanceRecord, newEvent } from '../../testing/store-fixtures.js';
import { startTcpProxy } from '../../testing/tcp-proxy.js';
import { eventually } from '../../testing/test-hub.js';
import { openTempPostgresStore, POSTGRES_URL, requirePostgres } from '../../testing/test-stores.js';
import { createPostgresStore } from './postgres-store.js';

const postgres = await requirePostgres();

/**
 * A migrated store on a fresh schema, and a second store on the same schema whose connections go
 * through a loopback proxy the test can cut.
 */
async function storeBehindProxy() {
  const base = openTempPostgresStore();
  onTestFinished(base.cleanup);
  await base.store.migrate();
  const real = new URL(POSTGRES_URL);
  const proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port || 5432) });
  onTestFinished(() => proxy.close());
  const viaProxy = new URL(POSTGRES_URL);
  viaProxy.port = String(proxy.port);
  const store = createPostgresStore({
    connectionString: viaProxy.href,
    schema: base.schema,
    connectionTimeoutMs: 1000,
  });
  onTestFinished(() => store.close());
  return { base, proxy, store };
}

describe.skipIf(!postgres)('PostgreSQL store in cluster mode', () => {
  it('lets one store lead at a time, and the next one once the leader closes', async () => {
    const first = openTempPostgresStore();
    onTestFinished(first.cleanup);
    await first.store.migrate();
    const second = await first.reopen();
    const third = await first.reopen();
    expect(await first.store.tryLeadership()).toBe(true);
    expect(await second.tryLeadership()).toBe(false);
    expect(await third.tryLeadership()).toBe(false);
    expect(await first.store.tryLeadership()).toBe(true);
    await first.store.close();
    const next = await eventually(async () => {
      const leading = [await second.tryLeadership(), await third.tryLeadership()];
      return leading.some(Boolean) ? leading : undefined;
    });
    expect(next.filter(Boolean)).toHaveLength(1);
  });

  it('hands the leadership over when the leader loses its connection, and the leader knows it lost it', async () => {
    const { base, proxy, store: cutOff } = await storeBehindProxy();
    expect(await cutOff.tryLeadership()).toBe(true);
    expect(await base.store.tryLeadership()).toBe(false);

    await proxy.cut();
    expect(await cutOff.tryLeadership().catch(() => false)).toBe(false);
    // The server ends the dead session and frees the lock; the other store takes it.
    await eventually(() => base.store.tryLeadership(), { timeoutMs: 10_000, everyMs: 100 });
    await proxy.restore();
    expect(await cutOff.tryLeadership()).toBe(false);
  });

  it('tells every listening store of a change committed by any of them, and again after reconnecting', async () => {
    const { base, proxy, store: listener } = await storeBehindProxy();
    let told = 0;
    const notices: unknown[] = [];
    const stop = await listener.listenForChanges((notice) => {
      told++;
      if (notice) notices.push(notice);
    });
    const before = told;

    await base.store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [], replica: 'r1' });
    await eventually(() => told > before);
    const seq = await base.store.lastChangeSeq();
    expect(notices).toEqual([{ seq, replica: 'r1', hasEvents: false }]);
    await base.store.commit({ instances: [], events: [newEvent()], replica: 'r 2' });
    await eventually(() => notices.length === 2);
    expect(notices[1]).toEqual({ seq: seq + 1, replica: 'r 2', hasEvents: true });
    const changeReplicas = (await listener.listChanges(0, 10)).map((change) => change.replica);
    expect(changeReplicas).toEqual(['r1', 'r 2']);

    // A commit without a replica is not a change: nobody is told.
    const quiet = told;
    await base.store.commit({ instances: [instanceRecord({ instanceId: 'b' })], events: [] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(told).toBe(quiet);

    await proxy.cut();
    await base.store.commit({ instances: [instanceRecord({ instanceId: 'c' })], events: [], replica: 'r2' });
    const cut = told;
    await proxy.restore();
    // Reconnected, it is told again, so it reads what it may have missed.
    await eventually(() => told > cut, { timeoutMs: 10_000, everyMs: 50 });
    await stop();
  });
});
