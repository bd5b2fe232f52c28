import { onTestFinished, describe, expect, it } from 'vitest';
import type { HeartbeatMessage } from '../domain/instance.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { CommitBatch, Store } from '../store/store.js';
import { createTempDir } from '../testing/test-stores.js';
import { fullMessage, instanceRecord } from '../testing/store-fixtures.js';
import { eventually } from '../testing/test-hub.js';
import { createGroupCommitter } from './group-committer.js';
import { createInstanceRegistry } from './instance-registry.js';

const silent = { info() {}, warn() {}, error() {} };

async function registryOnFreshStore(options: { validTimeMs: number; retentionMs: number }) {
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
    ...options,
    selfPreservation: { enabled: false, ratio: 0.5, minInstances: 10 },
  });
  onTestFinished(async () => {
    registry.stop();
    committer.close();
    await store.close();
    await dir.remove();
  });
  return { store, registry, batches };
}

describe('the instance registry on a real store', () => {
  it('after a restart, removes lost instances in the order their retention ends, not in id order', async () => {
    const { store, registry } = await registryOnFreshStore({ validTimeMs: 60_000, retentionMs: 1000 });
    const now = Date.now();
    // "a" sorts first by id but was lost last; "b" must leave the registry first.
    await store.commit({
      instances: [
        instanceRecord({ instanceId: 'a', state: 'lost', stateChangedAt: now - 100 }),
        instanceRecord({ instanceId: 'b', state: 'lost', stateChangedAt: now - 700 }),
      ],
      events: [],
    });
    await registry.load();
    await eventually(() => registry.get('b') === undefined, { timeoutMs: 1000, everyMs: 5 });
    const removedB = Date.now();
    expect(registry.get('a')).toBeDefined();
    expect(removedB - now).toBeLessThan(600);
    await eventually(() => registry.get('a') === undefined, { timeoutMs: 2000, everyMs: 5 });
  });

  it('gives alive instances a fresh lease after a restart instead of blaming them for the hub’s absence', async () => {
    const { store, registry } = await registryOnFreshStore({ validTimeMs: 500, retentionMs: 60_000 });
    await store.commit({
      instances: [
        instanceRecord({ instanceId: 'old', state: 'alive', lastHeartbeatAt: Date.now() - 3_600_000 }),
      ],
      events: [],
    });
    const loadedAt = Date.now();
    await registry.load();
    expect(registry.get('old')?.state).toBe('alive');
    expect(registry.leaseExpiresAt('old')).toBeGreaterThanOrEqual(loadedAt + 500);
    await eventually(() => registry.get('old')?.state === 'lost', { timeoutMs: 2000, everyMs: 5 });
  });
});

describe('the instance registry writing beats', () => {
  function beat(overrides: Partial<HeartbeatMessage> = {}, n = 1): HeartbeatMessage {
    return { ...fullMessage('a'), heartbeatTime: 1000 * n, lastHeartbeatTime: 1000 * (n - 1), ...overrides };
  }

  it('stores a beat that changed only the agent times as a touch, and the stored record matches memory', async () => {
    const { store, registry, batches } = await registryOnFreshStore({
      validTimeMs: 60_000,
      retentionMs: 60_000,
    });
    await registry.ingest([beat({}, 1)]);
    expect(batches.at(-1)!.instances).toHaveLength(1);
    await registry.ingest([beat({}, 2)]);
    await registry.ingest([beat({}, 3)]);
    const last = batches.at(-1)!;
    expect(last.instances).toEqual([]);
    expect(last.instanceTouches).toEqual([
      expect.objectContaining({ instanceId: 'a', beats: 3, heartbeatTime: 3000, lastHeartbeatTime: 2000 }),
    ]);
    expect(registry.get('a')).toMatchObject({ beats: 3, message: beat({}, 3) });
    expect(await store.getInstance('a')).toStrictEqual(registry.get('a'));
  });

  it('writes the whole record when the message changed, a time was left out, or the beat made an event', async () => {
    const { store, registry, batches } = await registryOnFreshStore({
      validTimeMs: 60_000,
      retentionMs: 60_000,
    });
    await registry.ingest([beat({}, 1)]);
    const { heartbeatTime: _dropped, ...withoutTime } = beat({}, 3);
    const cases: HeartbeatMessage[] = [
      beat({ version: '9.9.9' }, 2), // changed field
      withoutTime, // a time left out cannot be removed by a touch
      beat({ status: 'error' }, 4), // health changed: an event
      beat({ status: 'error', checks: [{ name: 'db', status: 'error' }] }, 5), // changed array
    ];
    for (const message of cases) {
      await registry.ingest([message]);
      const last = batches.at(-1)!;
      expect(last.instanceTouches ?? []).toEqual([]);
      expect(last.instances).toEqual([registry.get('a')]);
      expect(await store.getInstance('a')).toStrictEqual(registry.get('a'));
    }
  });

  it('mixes touches and full records in one batch, each instance stored as in memory', async () => {
    const { store, registry, batches } = await registryOnFreshStore({
      validTimeMs: 60_000,
      retentionMs: 60_000,
    });
    await registry.ingest([beat({}, 1), { ...beat({}, 1), instanceId: 'b' }]);
    await registry.ingest([
      beat({}, 2),
      { ...beat({ version: '2' }, 2), instanceId: 'b' },
      { ...beat(), instanceId: 'c' },
    ]);
    const last = batches.at(-1)!;
    expect(last.instanceTouches?.map((touch) => touch.instanceId)).toEqual(['a']);
    expect(last.instances.map((record) => record.instanceId)).toEqual(['b', 'c']);
    expect(await store.loadLiveInstances()).toStrictEqual(['a', 'b', 'c'].map((id) => registry.get(id)));
  });
});
