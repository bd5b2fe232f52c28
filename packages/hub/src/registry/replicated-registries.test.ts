/**
 * The registries as cluster replicas: a follower decides nothing, folds in what the leader and the
 * others commit, and converges; the leader brings back an instance another replica saw beating.
 * Real SQLite stores, real committers; the change records are built as the change log would give them.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { autoDefinition, createApiRegistry } from './api-registry.js';
import { createGroupCommitter } from './group-committer.js';
import { createInstanceRegistry } from './instance-registry.js';
import type { Observation } from '../domain/api.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ApiBucketRecord, CommitBatch, Store } from '../store/store.js';
import { instanceRecord } from '../testing/store-fixtures.js';
import { eventually } from '../testing/test-hub.js';
import { createTempDir } from '../testing/test-stores.js';

const silent = { info() {}, warn() {}, error() {} };

async function replica(options: { leads: () => boolean; validTimeMs?: number; replica?: string }) {
  const dir = await createTempDir();
  const real = createSqliteStore({ path: `${dir.path}/hub.db` });
  await real.migrate();
  const batches: CommitBatch[] = [];
  const store: Store = {
    ...real,
    commit(batch) {
      batches.push(batch);
      return real.commit(batch);
    },
  };
  const committer = createGroupCommitter({ store, logger: silent, onCommitted: () => {} });
  const registry = createInstanceRegistry({
    store,
    committer,
    logger: silent,
    validTimeMs: options.validTimeMs ?? 300,
    retentionMs: 60_000,
    selfPreservation: { enabled: false, ratio: 0.5, minInstances: 10 },
    decides: options.leads,
  });
  const apis = createApiRegistry({
    store,
    committer,
    logger: silent,
    autoRegister: () => true,
    replica: options.replica ?? 'me',
    decides: options.leads,
  });
  onTestFinished(async () => {
    registry.stop();
    apis.stop();
    committer.close();
    await store.close();
    await dir.remove();
  });
  return { registry, apis, batches, committer };
}

const events = (batches: readonly CommitBatch[]) =>
  batches.flatMap((batch) => batch.events.map((e) => e.kind));

describe('instance registry as a replica', () => {
  it('as a follower declares nothing lost, and takes over with the right deadlines when it comes to lead', async () => {
    let leads = false;
    const { registry, batches } = await replica({ leads: () => leads, validTimeMs: 300 });
    await registry.ingest([{ instanceId: 'a', service: 's' }]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(registry.get('a')?.state).toBe('alive');
    expect(events(batches)).not.toContain('instance.lost');
    leads = true;
    await eventually(() => registry.get('a')?.state === 'lost', { timeoutMs: 1000, everyMs: 10 });
    await eventually(() => events(batches).includes('instance.lost'));
  });

  it('applies what others committed: newer records win, touches renew leases, removals remove', async () => {
    const { registry } = await replica({ leads: () => false });
    const at = Date.now();
    const alive = instanceRecord({ instanceId: 'x', lastHeartbeatAt: at, stateChangedAt: at - 1000 });
    registry.applyReplicated({ instances: [alive], instanceTouches: [], events: [] });
    expect(registry.get('x')).toEqual(alive);
    expect(registry.leaseExpiresAt('x')).toBe(at + 300);

    registry.applyReplicated({
      instances: [],
      instanceTouches: [{ instanceId: 'x', lastHeartbeatAt: at + 50, beats: 9 }],
      events: [],
    });
    expect(registry.get('x')).toMatchObject({ lastHeartbeatAt: at + 50, beats: 9 });
    expect(registry.leaseExpiresAt('x')).toBe(at + 350);

    // An older record (the leader's "lost", decided before the beat this replica has) is ignored.
    const staleLost = { ...alive, state: 'lost' as const, stateChangedAt: at + 10 };
    registry.applyReplicated({ instances: [staleLost], instanceTouches: [], events: [] });
    expect(registry.get('x')?.state).toBe('alive');
    // A newer one wins; a removal removes.
    const lost = { ...alive, lastHeartbeatAt: at + 50, state: 'lost' as const, stateChangedAt: at + 400 };
    registry.applyReplicated({ instances: [lost], instanceTouches: [], events: [] });
    expect(registry.get('x')?.state).toBe('lost');
    expect(registry.leaseExpiresAt('x')).toBeUndefined();
    registry.applyReplicated({
      instances: [{ ...lost, removedAt: at + 500 }],
      instanceTouches: [],
      events: [],
    });
    expect(registry.get('x')).toBeUndefined();
  });

  it('as the leader, brings back an instance it holds as lost when another replica saw it beat', async () => {
    const { registry, batches } = await replica({ leads: () => true, validTimeMs: 200 });
    await registry.ingest([{ instanceId: 'y', service: 's' }]);
    await eventually(() => registry.get('y')?.state === 'lost', { timeoutMs: 1000, everyMs: 10 });
    const beatAt = Date.now();
    registry.applyReplicated({
      instances: [],
      instanceTouches: [{ instanceId: 'y', lastHeartbeatAt: beatAt, beats: 2 }],
      events: [],
    });
    expect(registry.get('y')).toMatchObject({ state: 'alive', lastHeartbeatAt: beatAt });
    await eventually(() => events(batches).includes('instance.recovered'));
  });

  it('follows the leader into and out of self-preservation', async () => {
    const { registry } = await replica({ leads: () => false });
    const at = Date.now();
    registry.applyReplicated({
      instances: [],
      instanceTouches: [],
      events: [{ at, kind: 'hub.self_preservation_entered', data: {} }],
    });
    expect(registry.selfPreservation).toMatchObject({ active: true, since: at });
    registry.applyReplicated({
      instances: [],
      instanceTouches: [],
      events: [{ at: at + 1, kind: 'hub.self_preservation_left', data: {} }],
    });
    expect(registry.selfPreservation.active).toBe(false);
  });
});

describe('API registry as a replica', () => {
  const observation = (statusCode: number): Observation => ({
    basepath: '/orders',
    statusCode,
    durationMs: 5,
    timestamp: Date.now(),
    source: 'traffic',
  });

  it("counts other replicas' buckets once each, beside its own, and only the leader records status changes", async () => {
    const { apis, batches } = await replica({ leads: () => false, replica: 'me' });
    const at = Date.now();
    const definition = autoDefinition('/orders', at);
    const bucketMs = 10_000;
    const bucket = (total: number, failures: number): ApiBucketRecord => ({
      basepath: '/orders',
      replica: 'other',
      bucketMs,
      index: Math.floor(at / bucketMs),
      total,
      failures,
      bySource: { traffic: total, pulse: 0, otlp: 0 },
      latency: [[7, total]],
    });
    apis.applyReplicated({ apis: [definition], deletedApis: [], apiBuckets: [bucket(4, 0)] });
    expect(apis.view('/orders')?.window.total).toBe(4);
    // The same bucket again, or read twice: nothing new. Grown: only the growth counts.
    apis.applyReplicated({ apis: [], deletedApis: [], apiBuckets: [bucket(4, 0), bucket(6, 4)] });
    expect(apis.view('/orders')?.window).toMatchObject({ total: 6, failures: 4 });

    const own = apis.ingest([observation(200), observation(200)]);
    await own.stored;
    const view = apis.view('/orders')!;
    expect(view.window).toMatchObject({ total: 8, failures: 4, bySource: { traffic: 8, pulse: 0, otlp: 0 } });
    expect(view.status).toBe('DOWN');
    // This replica stores its own two only, and, following, records no status change.
    const stored = batches.flatMap((batch) => batch.apiBuckets ?? []);
    expect(stored.at(-1)).toMatchObject({ total: 2 });
    expect(events(batches)).not.toContain('api.status_changed');

    apis.applyReplicated({ apis: [], deletedApis: ['/orders'], apiBuckets: [] });
    expect(apis.view('/orders')).toBeUndefined();
  });

  it('registers an API seen first by several replicas once: the leader records it', async () => {
    const follower = await replica({ leads: () => false, replica: 'f' });
    const leader = await replica({ leads: () => true, replica: 'l' });
    await follower.apis.ingest([observation(200)]).stored;
    const definition = follower.apis.definitions()[0]!;
    expect(events(follower.batches)).not.toContain('api.registered');
    expect(follower.batches.flatMap((batch) => batch.apis ?? [])).toEqual([definition]);
    leader.apis.applyReplicated({ apis: [definition], deletedApis: [], apiBuckets: [] });
    await eventually(() => events(leader.batches).includes('api.registered'));
    // Seen again (or by the leader itself afterwards): no second event.
    leader.apis.applyReplicated({ apis: [definition], deletedApis: [], apiBuckets: [] });
    await leader.apis.ingest([observation(200)]).stored;
    expect(events(leader.batches).filter((kind) => kind === 'api.registered')).toHaveLength(1);
  });
});
