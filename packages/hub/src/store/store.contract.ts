/**
 * The behaviour every `Store` promises, as one suite run against each backend
 * (`store.contract.test.ts`). A new backend passes this suite and nothing else is needed.
 *
 * @example
 * runStoreContract('sqlite', async () => openTempSqliteStore(join(dir, `${++n}.db`)));
 */
import { HeartbeatError } from '@heartbeat/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';
import { apiKeyRecord, fullMessage, instanceRecord, newEvent, T0 } from '../testing/store-fixtures.js';
import type { Store } from './store.js';

/** A store handed to the contract: fresh, empty and not migrated yet. */
export interface StoreUnderTest {
  store: Store;
  /**
   * Another store on the same data, for the durability test (called after `store.close()`).
   * A backend that keeps nothing (in memory) leaves it out, and that test is skipped.
   */
  reopen?(): Promise<Store>;
  /** Closes every store opened and deletes the data. */
  cleanup(): Promise<void>;
}

/** Registers the contract suite for one backend; `open` is called once per test. */
export function runStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
      await store.migrate();
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    describe('lifecycle', () => {
      it('migrates idempotently: running it again changes nothing and the store works', async () => {
        await store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [newEvent()] });
        await store.migrate();
        await store.migrate();
        expect(await store.getInstance('a')).toEqual(instanceRecord({ instanceId: 'a' }));
        expect(await store.lastEventId()).toBeGreaterThan(0);
      });

      it('answers ping, names its kind and a location without secrets', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        expect(['sqlite', 'postgres']).toContain(store.kind);
        expect(store.location).not.toMatch(/:[^:@/]+@/);
      });

      it('closes twice without complaint, and rejects calls after close as UNAVAILABLE', async () => {
        await store.close();
        await store.close();
        const failure = await store.ping().catch((thrown: unknown) => thrown);
        expect(failure).toBeInstanceOf(HeartbeatError);
        expect((failure as HeartbeatError).code).toBe('UNAVAILABLE');
        await expect(
          store.commit({ instances: [instanceRecord({ instanceId: 'x' })], events: [] }),
        ).rejects.toThrow(HeartbeatError);
      });

      it('keeps everything across close() and a new store on the same data', async (context) => {
        if (!subject.reopen) return context.skip('this backend keeps nothing across close()');
        const live = instanceRecord({ instanceId: 'live', message: fullMessage('live') });
        const removed = instanceRecord({ instanceId: 'gone', state: 'lost', removedAt: T0 + 5 });
        const events = await store.commit({
          instances: [live, removed],
          events: [
            newEvent({ instanceId: 'live' }),
            newEvent({ kind: 'hub.self_preservation_entered', data: {} }),
          ],
        });
        await store.createKey(apiKeyRecord({ id: 'k1', scopes: ['read', 'ingest'] }));
        await store.close();

        const reopened = await subject.reopen();
        await reopened.migrate();
        expect(await reopened.loadLiveInstances()).toEqual([live]);
        expect(await reopened.getInstance('gone')).toEqual(removed);
        expect(await reopened.listEvents({ limit: 10 })).toEqual(events);
        expect(await reopened.lastEventId()).toBe(events.at(-1)!.id);
        expect(await reopened.getKey('k1')).toEqual(apiKeyRecord({ id: 'k1', scopes: ['read', 'ingest'] }));
        const [next] = await reopened.commit({ instances: [], events: [newEvent()] });
        expect(next!.id).toBeGreaterThan(events.at(-1)!.id);
      });
    });

    describe('instances', () => {
      it('round-trips every field of a record and of its message', async () => {
        const full = instanceRecord({
          instanceId: 'orders-7f9c-ü-🚀',
          service: 'orders',
          state: 'lost',
          unconfirmed: true,
          registeredAt: T0 - 86_400_000,
          lastHeartbeatAt: T0 - 61_000,
          stateChangedAt: T0 - 1000,
          beats: 2_880_123,
          message: fullMessage('orders-7f9c-ü-🚀'),
        });
        const removed = instanceRecord({ instanceId: 'removed', state: 'stopped', removedAt: T0 + 600_000 });
        const minimal = instanceRecord({ instanceId: 'minimal' });
        await store.commit({ instances: [full, removed, minimal], events: [] });

        expect(await store.getInstance(full.instanceId)).toStrictEqual(full);
        expect(await store.getInstance('removed')).toStrictEqual(removed);
        // No field appears that was not written, not even as undefined.
        expect(await store.getInstance('minimal')).toStrictEqual(minimal);
        expect(Object.keys((await store.getInstance('minimal'))!.message).sort()).toEqual([
          'instanceId',
          'service',
        ]);
      });

      it('round-trips a large extInfo (about 300 KB)', async () => {
        const extInfo = Object.fromEntries(
          Array.from({ length: 3000 }, (_, i) => [`key-${i}-ключ`, `value ${i} `.repeat(10)]),
        );
        const big = instanceRecord({
          instanceId: 'big',
          message: { ...fullMessage('big'), extInfo, plugins: [{ name: 'p', version: '1', extInfo }] },
        });
        await store.commit({ instances: [big], events: [] });
        expect(await store.getInstance('big')).toStrictEqual(big);
      });

      it('upserts by instanceId: a later commit replaces every field, message and removedAt included', async () => {
        const first = instanceRecord({ instanceId: 'a', message: fullMessage('a') });
        await store.commit({ instances: [first], events: [] });
        const second = instanceRecord({
          instanceId: 'a',
          service: 'orders-v2',
          state: 'stopped',
          unconfirmed: true,
          registeredAt: T0 + 1,
          lastHeartbeatAt: T0 + 2,
          stateChangedAt: T0 + 3,
          removedAt: T0 + 4,
          beats: 7,
          message: { instanceId: 'a', service: 'orders-v2', version: '2.0.0' },
        });
        await store.commit({ instances: [second], events: [] });
        expect(await store.getInstance('a')).toStrictEqual(second);
        expect(await store.loadLiveInstances()).toEqual([]);

        // Back in the live registry (removedAt cleared).
        const third = { ...second, removedAt: null, state: 'alive' as const };
        await store.commit({ instances: [third], events: [] });
        expect(await store.loadLiveInstances()).toStrictEqual([third]);
      });

      it('keeps the last record when one batch names an instance twice', async () => {
        const [older, newer] = [
          instanceRecord({ instanceId: 'a', beats: 1 }),
          instanceRecord({ instanceId: 'a', beats: 2 }),
        ];
        await store.commit({ instances: [older, newer], events: [] });
        expect(await store.getInstance('a')).toEqual(newer);
      });

      it('loads only live instances, in instanceId order; getInstance still finds removed ones', async () => {
        await store.commit({
          instances: [
            instanceRecord({ instanceId: 'c' }),
            instanceRecord({ instanceId: 'a', state: 'lost' }),
            instanceRecord({ instanceId: 'b', state: 'stopped', removedAt: T0 }),
            instanceRecord({ instanceId: 'B' }),
          ],
          events: [],
        });
        expect((await store.loadLiveInstances()).map((record) => record.instanceId)).toEqual(['B', 'a', 'c']);
        expect(await store.getInstance('b')).toMatchObject({ instanceId: 'b', removedAt: T0 });
        expect(await store.getInstance('nobody')).toBeUndefined();
      });

      it('prunes only removed instances removed before the time, and counts them', async () => {
        await store.commit({
          instances: [
            instanceRecord({ instanceId: 'live-and-old', registeredAt: T0 - 1e9, lastHeartbeatAt: T0 - 1e9 }),
            instanceRecord({ instanceId: 'removed-early', removedAt: T0 - 1 }),
            instanceRecord({ instanceId: 'removed-earlier', removedAt: T0 - 1000 }),
            instanceRecord({ instanceId: 'removed-at-the-time', removedAt: T0 }),
          ],
          events: [],
        });
        expect(await store.pruneRemovedInstances(T0)).toBe(2);
        expect(await store.pruneRemovedInstances(T0)).toBe(0);
        expect(await store.getInstance('removed-early')).toBeUndefined();
        expect(await store.getInstance('removed-at-the-time')).toBeDefined();
        expect(await store.getInstance('live-and-old')).toBeDefined();
      });
    });

    describe('events', () => {
      it('numbers events in increasing order within and across commits, returning them as stored', async () => {
        const first = [newEvent({ at: T0 }), newEvent({ at: T0 + 1, kind: 'instance.recovered' })];
        const stored1 = await store.commit({ instances: [], events: first });
        const stored2 = await store.commit({ instances: [], events: [newEvent({ at: T0 + 2 })] });
        const all = [...stored1, ...stored2];
        expect(stored1).toStrictEqual(first.map((event, i) => ({ ...event, id: stored1[i]!.id })));
        const ids = all.map((event) => event.id);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).toBe(3);
        expect(ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
        expect(await store.listEvents({ limit: 100 })).toStrictEqual(all);
      });

      it('round-trips events with and without instanceId and service, and nested data', async () => {
        const events: NewEvent[] = [
          newEvent({
            data: { nested: { deep: [1, 'two', { three: 3 }] }, unicode: '日本語 🚀 "q" \\', n: -0.5 },
          }),
          { at: T0, kind: 'hub.self_preservation_entered', data: { share: 0.62, alive: 40 } },
          { at: T0, kind: 'instance.health_changed', instanceId: 'x', data: {} },
        ];
        const stored = await store.commit({ instances: [], events });
        const listed = await store.listEvents({ limit: 10 });
        expect(listed).toStrictEqual(stored);
        expect(Object.keys(listed[1]!).sort()).toEqual(['at', 'data', 'id', 'kind']);
        expect(Object.keys(listed[2]!).sort()).toEqual(['at', 'data', 'id', 'instanceId', 'kind']);
      });

      it('filters by afterId, since, kinds and instanceId, oldest first, up to limit', async () => {
        const stored = await store.commit({
          instances: [],
          events: [
            newEvent({ at: T0, kind: 'instance.registered', instanceId: 'a' }),
            newEvent({ at: T0 + 10, kind: 'instance.lost', instanceId: 'b' }),
            newEvent({ at: T0 + 20, kind: 'instance.recovered', instanceId: 'a' }),
            newEvent({ at: T0 + 30, kind: 'instance.lost', instanceId: 'a' }),
            { at: T0 + 40, kind: 'hub.self_preservation_entered', data: {} },
          ],
        });
        const ids = (events: StoredEvent[]): number[] => events.map((event) => event.id);
        const [e1, e2, e3, e4, e5] = ids(stored) as [number, number, number, number, number];

        expect(ids(await store.listEvents({ limit: 100 }))).toEqual([e1, e2, e3, e4, e5]);
        expect(ids(await store.listEvents({ limit: 2 }))).toEqual([e1, e2]);
        expect(ids(await store.listEvents({ afterId: e2, limit: 2 }))).toEqual([e3, e4]);
        expect(ids(await store.listEvents({ afterId: e5, limit: 10 }))).toEqual([]);
        expect(ids(await store.listEvents({ since: T0 + 20, limit: 10 }))).toEqual([e3, e4, e5]);
        expect(ids(await store.listEvents({ kinds: ['instance.lost'], limit: 10 }))).toEqual([e2, e4]);
        expect(
          ids(
            await store.listEvents({ kinds: ['instance.lost', 'hub.self_preservation_entered'], limit: 10 }),
          ),
        ).toEqual([e2, e4, e5]);
        expect(ids(await store.listEvents({ instanceId: 'a', limit: 10 }))).toEqual([e1, e3, e4]);
        expect(
          ids(
            await store.listEvents({
              instanceId: 'a',
              kinds: ['instance.lost'],
              since: T0,
              afterId: e1,
              limit: 10,
            }),
          ),
        ).toEqual([e4]);
        expect(await store.listEvents({ kinds: [], limit: 10 })).toEqual([]);
        expect(await store.listEvents({ limit: 0 })).toEqual([]);
        expect(await store.listEvents({ instanceId: 'nobody', limit: 10 })).toEqual([]);
      });

      it('reports the last event id: 0 when empty, then the highest', async () => {
        expect(await store.lastEventId()).toBe(0);
        const stored = await store.commit({ instances: [], events: [newEvent(), newEvent()] });
        expect(await store.lastEventId()).toBe(stored[1]!.id);
      });

      it('prunes events before a time, counts them, and never reuses an id afterwards', async () => {
        const stored = await store.commit({
          instances: [],
          events: [newEvent({ at: T0 }), newEvent({ at: T0 + 1000 }), newEvent({ at: T0 + 2000 })],
        });
        expect(await store.pruneEvents(T0 + 1000)).toBe(1);
        expect(await store.pruneEvents(T0 + 1000)).toBe(0);
        expect(await store.listEvents({ limit: 10 })).toEqual(stored.slice(1));
        expect(await store.pruneEvents(T0 + 5000)).toBe(2);
        expect(await store.lastEventId()).toBe(0);
        const [next] = await store.commit({ instances: [], events: [newEvent()] });
        expect(next!.id).toBeGreaterThan(stored[2]!.id);
      });
    });

    describe('commit', () => {
      it('accepts an empty batch', async () => {
        expect(await store.commit({ instances: [], events: [] })).toEqual([]);
        expect(await store.lastEventId()).toBe(0);
      });

      it('writes 5,000 instances and 5,000 events in one call', async () => {
        const instances = Array.from({ length: 5000 }, (_, i) =>
          instanceRecord({ instanceId: `i-${String(i).padStart(5, '0')}`, message: fullMessage(`i-${i}`) }),
        );
        const events = instances.map((record, i) => newEvent({ at: T0 + i, instanceId: record.instanceId }));
        const stored = await store.commit({ instances, events });

        expect(stored).toHaveLength(5000);
        const ids = stored.map((event) => event.id);
        expect(new Set(ids).size).toBe(5000);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(stored.map((event) => event.instanceId)).toEqual(instances.map((record) => record.instanceId));
        expect(await store.loadLiveInstances()).toEqual(instances);
        expect(await store.listEvents({ limit: 10_000 })).toEqual(stored);
      });

      it('lands 20 concurrent commits whole, with distinct ids that do not interleave', async () => {
        const batches = Array.from({ length: 20 }, (_, b) => ({
          instances: Array.from({ length: 10 }, (_, i) => instanceRecord({ instanceId: `b${b}-i${i}` })),
          events: Array.from({ length: 5 }, (_, i) => newEvent({ at: T0 + i, instanceId: `b${b}-i${i}` })),
        }));
        const results = await Promise.all(batches.map((batch) => store.commit(batch)));

        const ids = results.flat().map((event) => event.id);
        expect(new Set(ids).size).toBe(100);
        // Each commit's ids form a run no other commit's id falls into: ids follow commit order.
        const runs = results.map((events) => events.map((event) => event.id)).sort((a, b) => a[0]! - b[0]!);
        for (const [i, run] of runs.entries()) {
          expect(run).toEqual([...run].sort((a, b) => a - b));
          if (i > 0) expect(run[0]!).toBeGreaterThan(runs[i - 1]!.at(-1)!);
        }
        expect(await store.loadLiveInstances()).toHaveLength(200);
        expect(await store.listEvents({ limit: 1000 })).toHaveLength(100);
      });

      it('is atomic: when one row fails, nothing of the batch is written', async () => {
        const before = await store.lastEventId();
        const broken = { ...newEvent(), kind: null } as unknown as NewEvent;
        await expect(
          store.commit({ instances: [instanceRecord({ instanceId: 'half' })], events: [newEvent(), broken] }),
        ).rejects.toThrow();
        expect(await store.getInstance('half')).toBeUndefined();
        expect(await store.lastEventId()).toBe(before);

        // And the store still works.
        const record: InstanceRecord = instanceRecord({ instanceId: 'whole' });
        await store.commit({ instances: [record], events: [newEvent()] });
        expect(await store.getInstance('whole')).toEqual(record);
      });
    });

    describe('API keys', () => {
      it('creates, gets, lists oldest first and revokes keys', async () => {
        const k1 = apiKeyRecord({ id: 'k1', createdAt: T0 + 10, scopes: ['read'] });
        const k2 = apiKeyRecord({
          id: 'k2',
          createdAt: T0 + 20,
          scopes: ['read', 'ingest', 'admin'],
          name: 'ключ 🔑',
        });
        const k0 = apiKeyRecord({ id: 'k0', createdAt: T0, scopes: [], revokedAt: T0 + 1 });
        for (const key of [k1, k2, k0]) await store.createKey(key);

        expect(await store.getKey('k2')).toStrictEqual(k2);
        expect(await store.getKey('k0')).toStrictEqual(k0);
        expect(await store.getKey('nope')).toBeUndefined();
        expect(await store.listKeys()).toStrictEqual([k0, k1, k2]);

        expect(await store.revokeKey('k1', T0 + 99)).toBe(true);
        expect(await store.getKey('k1')).toStrictEqual({ ...k1, revokedAt: T0 + 99 });
        expect(await store.revokeKey('k1', T0 + 100)).toBe(false);
        expect((await store.getKey('k1'))!.revokedAt).toBe(T0 + 99);
        expect(await store.revokeKey('k0', T0 + 100)).toBe(false);
        expect(await store.revokeKey('nope', T0)).toBe(false);
      });

      it('refuses a second key with the same id as CONFLICT', async () => {
        await store.createKey(apiKeyRecord({ id: 'k1' }));
        const failure = await store
          .createKey(apiKeyRecord({ id: 'k1', name: 'other' }))
          .catch((thrown: unknown) => thrown);
        expect(failure).toBeInstanceOf(HeartbeatError);
        expect((failure as HeartbeatError).code).toBe('CONFLICT');
        expect((await store.getKey('k1'))!.name).toBe('key k1');
      });

      it('lists no keys when there are none', async () => {
        expect(await store.listKeys()).toEqual([]);
      });
    });
  });
}
