import { HeartbeatError } from '@heartbeat/sdk';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { InstanceRecord } from '../domain/instance.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { CommitBatch, InstanceTouch, Store } from '../store/store.js';
import { fullMessage, instanceRecord, T0 } from '../testing/store-fixtures.js';
import { createTempDir } from '../testing/test-stores.js';
import { createGroupCommitter } from './group-committer.js';

const silent = { info() {}, warn() {}, error() {} };

/** A committer on a fresh SQLite store that records every batch it commits, and can be made to fail. */
async function committerOnFreshStore() {
  const dir = await createTempDir();
  const real = createSqliteStore({ path: `${dir.path}/hub.db` });
  await real.migrate();
  const batches: CommitBatch[] = [];
  let failing = false;
  const store: Store = {
    ...real,
    commit(batch) {
      if (failing) return Promise.reject(new HeartbeatError('UNAVAILABLE', 'disk on fire'));
      batches.push(batch);
      return real.commit(batch);
    },
  };
  const timed: Array<{ durationMs: number; committed: boolean }> = [];
  const committer = createGroupCommitter({
    store,
    logger: silent,
    onCommitted: () => {},
    onCommitTimed: (durationMs, committed) => timed.push({ durationMs, committed }),
    retryMinMs: 60_000,
  });
  onTestFinished(async () => {
    committer.close();
    await real.close();
    await dir.remove();
  });
  return {
    store: real,
    committer,
    batches,
    timed,
    fail(on: boolean) {
      failing = on;
    },
  };
}

function stored(instanceId: string): InstanceRecord {
  return instanceRecord({ instanceId, message: fullMessage(instanceId), beats: 1 });
}

function touch(instanceId: string, n: number, times = true): InstanceTouch {
  return {
    instanceId,
    lastHeartbeatAt: T0 + n * 1000,
    beats: n,
    ...(times && { heartbeatTime: T0 + n * 1000 - 5, lastHeartbeatTime: T0 + (n - 1) * 1000 - 5 }),
  };
}

/** What a record looks like after a touch. */
function afterTouch(record: InstanceRecord, t: InstanceTouch): InstanceRecord {
  const message = { ...record.message };
  if (t.heartbeatTime !== undefined) message.heartbeatTime = t.heartbeatTime;
  if (t.lastHeartbeatTime !== undefined) message.lastHeartbeatTime = t.lastHeartbeatTime;
  return { ...record, lastHeartbeatAt: t.lastHeartbeatAt, beats: t.beats, message };
}

describe('the group committer merging touches', () => {
  it('keeps only the latest touch of an instance in a batch', async () => {
    const { store, committer, batches } = await committerOnFreshStore();
    const a = stored('a');
    await store.commit({ instances: [a], events: [] });
    await Promise.all([
      committer.submit({ instanceTouches: [touch('a', 2)] }),
      committer.submit({ instanceTouches: [touch('a', 3)] }),
      committer.submit({ instanceTouches: [touch('a', 4)] }),
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.instances).toEqual([]);
    expect(batches[0]!.instanceTouches).toEqual([touch('a', 4)]);
    expect(await store.getInstance('a')).toStrictEqual(afterTouch(a, touch('a', 4)));
  });

  it('keeps an agent time that only an earlier touch of the batch gave', async () => {
    const { store, committer, batches } = await committerOnFreshStore();
    const a = stored('a');
    await store.commit({ instances: [a], events: [] });
    await Promise.all([
      committer.submit({ instanceTouches: [touch('a', 2)] }),
      committer.submit({ instanceTouches: [touch('a', 3, false)] }),
    ]);
    const expected = {
      ...touch('a', 3, false),
      heartbeatTime: touch('a', 2).heartbeatTime!,
      lastHeartbeatTime: touch('a', 2).lastHeartbeatTime!,
    };
    expect(batches[0]!.instanceTouches).toEqual([expected]);
    expect(await store.getInstance('a')).toStrictEqual(afterTouch(a, expected));
  });

  it('drops touches queued before an upsert of the same instance: the full record is newer', async () => {
    const { store, committer, batches } = await committerOnFreshStore();
    await store.commit({ instances: [stored('a'), stored('b')], events: [] });
    const newer = { ...stored('a'), beats: 5, lastHeartbeatAt: T0 + 5000 };
    await Promise.all([
      committer.submit({ instanceTouches: [touch('a', 2), touch('b', 2)] }),
      committer.submit({ instances: [newer] }),
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.instances).toEqual([newer]);
    expect(batches[0]!.instanceTouches).toEqual([touch('b', 2)]);
    expect(await store.getInstance('a')).toStrictEqual(newer);
    expect(await store.getInstance('b')).toStrictEqual(afterTouch(stored('b'), touch('b', 2)));
  });

  it('folds a touch queued after an upsert into the queued record, without changing the submitted one', async () => {
    const { store, committer, batches } = await committerOnFreshStore();
    const registered = stored('a');
    const snapshot = structuredClone(registered);
    await Promise.all([
      committer.submit({ instances: [registered] }),
      committer.submit({ instanceTouches: [touch('a', 2)] }),
      committer.submit({ instanceTouches: [touch('a', 3)] }),
    ]);
    expect(registered).toStrictEqual(snapshot);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.instanceTouches).toEqual([]);
    expect(batches[0]!.instances).toStrictEqual([afterTouch(registered, touch('a', 3))]);
    expect(await store.getInstance('a')).toStrictEqual(afterTouch(registered, touch('a', 3)));
  });

  it('applies a touch submitted with an upsert of the same instance after it', async () => {
    const { store, committer, batches } = await committerOnFreshStore();
    const registered = stored('a');
    await committer.submit({ instances: [registered], instanceTouches: [touch('a', 2, false)] });
    expect(batches[0]!.instances).toStrictEqual([afterTouch(registered, touch('a', 2, false))]);
    expect(await store.getInstance('a')).toStrictEqual(afterTouch(registered, touch('a', 2, false)));
  });

  it('after a failed commit, requeues touches by the same rules, newer submissions winning', async () => {
    const { store, committer, batches, fail } = await committerOnFreshStore();
    const [a, b, c] = [stored('a'), stored('b'), stored('c')];
    await store.commit({ instances: [a, b], events: [] });
    fail(true);
    const failed = Promise.all([
      committer.submit({ instanceTouches: [touch('a', 2), touch('b', 2)] }),
      committer.submit({ instances: [c] }),
    ]);
    await expect(failed).rejects.toThrow(/disk on fire/);
    // Queued while the store is down (each rejected at once, but kept for the retry).
    const newerB = { ...b, beats: 9, lastHeartbeatAt: T0 + 9000 };
    await expect(
      committer.submit({ instances: [newerB], instanceTouches: [touch('a', 3), touch('c', 4)] }),
    ).rejects.toThrow(HeartbeatError);
    fail(false);
    await committer.flush();
    const last = batches.at(-1)!;
    expect(last.instanceTouches).toEqual([touch('a', 3)]);
    expect(last.instances).toStrictEqual([afterTouch(c, touch('c', 4)), newerB]);
    expect(await store.loadLiveInstances()).toStrictEqual([
      afterTouch(a, touch('a', 3)),
      newerB,
      afterTouch(c, touch('c', 4)),
    ]);
  });

  it('times every commit, committed or failed', async () => {
    const { committer, timed, fail } = await committerOnFreshStore();
    await committer.submit({ instances: [stored('a')] });
    fail(true);
    await expect(committer.submit({ instances: [stored('b')] })).rejects.toThrow(/disk on fire/);
    expect(timed.map((t) => t.committed)).toEqual([true, false]);
    for (const { durationMs } of timed) expect(durationMs).toBeGreaterThanOrEqual(0);
  });
});
