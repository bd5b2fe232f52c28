/**
 * The API registry against a real SQLite store and committer: what it writes per commit and per tick.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Observation } from '../domain/api.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { createTempDir } from '../testing/test-stores.js';
import { createApiRegistry } from './api-registry.js';
import { createGroupCommitter } from './group-committer.js';

const silent = { info() {}, warn() {}, error() {} };

async function registry(now: () => number) {
  const dir = await createTempDir();
  const store = createSqliteStore({ path: `${dir.path}/hub.db` });
  await store.migrate();
  const committer = createGroupCommitter({ store, logger: silent, onCommitted: () => {} });
  const apis = createApiRegistry({ store, committer, logger: silent, autoRegister: () => true, now });
  onTestFinished(async () => {
    apis.stop();
    committer.close();
    await store.close();
    await dir.remove();
  });
  return { apis, store };
}

const failures = (count: number, at: number): Observation[] =>
  Array.from({ length: count }, (_, i) => ({
    basepath: '/orders',
    statusCode: 503,
    durationMs: i,
    timestamp: at,
    source: 'traffic',
  }));

describe('API registry', () => {
  it('stores a sample of at most 5 failures per API per second, however many commits that second makes', async () => {
    const at = Date.now();
    const { apis, store } = await registry(() => at);
    // Three batches, each committed on its own: the sample is per second, not per commit.
    for (let batch = 0; batch < 3; batch++) {
      const counted = apis.ingest(failures(20, at));
      expect(counted.accepted).toBe(20);
      await counted.stored;
    }
    expect(await store.listApiFailures('/orders', 100)).toHaveLength(5);
    expect(apis.view('/orders')?.window.failures).toBe(60);

    // The next tick samples again.
    apis.start();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await apis.ingest(failures(20, at)).stored;
    expect(await store.listApiFailures('/orders', 100)).toHaveLength(10);
  });
});
