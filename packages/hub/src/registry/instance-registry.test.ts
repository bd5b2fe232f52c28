import { onTestFinished, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { createTempDir } from '../testing/test-stores.js';
import { instanceRecord } from '../testing/store-fixtures.js';
import { eventually } from '../testing/test-hub.js';
import { createGroupCommitter } from './group-committer.js';
import { createInstanceRegistry } from './instance-registry.js';

const silent = { info() {}, warn() {}, error() {} };

async function registryOnFreshStore(options: { validTimeMs: number; retentionMs: number }) {
  const dir = await createTempDir();
  const store = createSqliteStore({ path: `${dir.path}/hub.db` });
  await store.migrate();
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
  return { store, registry };
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
