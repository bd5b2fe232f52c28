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
import {
  apiBucket,
  apiDefinition,
  apiEvent,
  apiFailure,
  apiHistoryRow,
  apiKeyRecord,
  fullApiDefinition,
  fullMessage,
  instanceRecord,
  newEvent,
  probeResult,
  T0,
} from '../testing/store-fixtures.js';
import {
  API_RETENTION,
  type ApiBucketRecord,
  type ApiHistoryRecord,
  type CommitBatch,
  type Store,
} from './store.js';
import { notificationStoreContract } from './notification-store.contract.js';

const HOUR_MS = 3_600_000;
/** The hour T0 falls in (T0 itself is 40 minutes into it). */
const HOUR = T0 - (T0 % HOUR_MS);

/** Buckets in key order, for comparing sets of them. */
function byBucketKey(buckets: readonly ApiBucketRecord[]): ApiBucketRecord[] {
  return [...buckets].sort(
    (a, b) =>
      (a.basepath < b.basepath ? -1 : a.basepath > b.basepath ? 1 : 0) ||
      a.bucketMs - b.bucketMs ||
      a.index - b.index,
  );
}

/** A batch with nothing but the given API rows. */
function apiBatch(rows: Omit<CommitBatch, 'instances' | 'events'>): CommitBatch {
  return { instances: [], events: [], ...rows };
}

/** One row of every API kind for a basepath. */
function everythingFor(basepath: string): Omit<CommitBatch, 'instances' | 'events'> {
  return {
    apis: [apiDefinition({ basepath })],
    apiBuckets: [apiBucket({ basepath }), apiBucket({ basepath, index: apiBucket().index + 1 })],
    apiHistory: [apiHistoryRow({ basepath }), apiHistoryRow({ basepath, resolution: 'hour' })],
    apiFailures: [apiFailure({ basepath })],
    probeResults: [probeResult({ basepath })],
  };
}

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

    notificationStoreContract(() => subject);

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
        for (const call of [
          () => store.commit(apiBatch({ deletedApis: ['/orders'] })),
          () => store.listApis(),
          () => store.loadApiBuckets(0),
          () => store.listApiHistory('/orders', 0, T0),
          () => store.listApiFailures('/orders', 0),
          () => store.listProbeResults('/orders', 0),
          () => store.compactApiHistory({ minutesBefore: 0, deleteBefore: 0, bucketsBefore: 0 }),
        ]) {
          const later = await call().catch((thrown: unknown) => thrown);
          expect((later as HeartbeatError).code).toBe('UNAVAILABLE');
        }
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
            apiEvent(),
          ],
        });
        await store.createKey(apiKeyRecord({ id: 'k1', scopes: ['read', 'ingest'] }));
        const apiRows = { ...everythingFor('/orders'), apis: [fullApiDefinition('/orders')] };
        await store.commit(apiBatch(apiRows));
        await store.close();

        const reopened = await subject.reopen();
        await reopened.migrate();
        expect(await reopened.loadLiveInstances()).toEqual([live]);
        expect(await reopened.getInstance('gone')).toEqual(removed);
        expect(await reopened.listEvents({ limit: 10 })).toStrictEqual(events);
        expect(await reopened.listEvents({ basepath: '/orders', limit: 10 })).toStrictEqual([events[2]]);
        expect(await reopened.lastEventId()).toBe(events.at(-1)!.id);
        expect(await reopened.getKey('k1')).toEqual(apiKeyRecord({ id: 'k1', scopes: ['read', 'ingest'] }));
        expect(await reopened.listApis()).toStrictEqual(apiRows.apis);
        expect(byBucketKey(await reopened.loadApiBuckets(0))).toStrictEqual(apiRows.apiBuckets);
        expect(await reopened.listApiHistory('/orders', 0, T0 + 1)).toHaveLength(2);
        expect(await reopened.listApiFailures('/orders', 10)).toStrictEqual(apiRows.apiFailures);
        expect(await reopened.listProbeResults('/orders', 10)).toStrictEqual(apiRows.probeResults);
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

    describe('instance touches', () => {
      /** A record with every message field set, as a touch finds it. */
      function stored(instanceId: string): InstanceRecord {
        return instanceRecord({ instanceId, message: fullMessage(instanceId), beats: 7, unconfirmed: true });
      }

      it('updates lastHeartbeatAt, beats and the agent times inside the message, and nothing else', async () => {
        const record = stored('a');
        await store.commit({ instances: [record], events: [] });
        await store.commit({
          instances: [],
          events: [],
          instanceTouches: [
            {
              instanceId: 'a',
              lastHeartbeatAt: T0 + 31_000,
              beats: 8,
              heartbeatTime: T0 + 29_995,
              lastHeartbeatTime: T0 - 5,
            },
          ],
        });
        const expected: InstanceRecord = {
          ...record,
          lastHeartbeatAt: T0 + 31_000,
          beats: 8,
          message: { ...record.message, heartbeatTime: T0 + 29_995, lastHeartbeatTime: T0 - 5 },
        };
        expect(await store.getInstance('a')).toStrictEqual(expected);
        expect(await store.loadLiveInstances()).toStrictEqual([expected]);
      });

      it('leaves the message as it is without agent times, and sets only the one given', async () => {
        const [a, b, c] = [stored('a'), stored('b'), instanceRecord({ instanceId: 'c' })];
        await store.commit({ instances: [a, b, c], events: [] });
        await store.commit({
          instances: [],
          events: [],
          instanceTouches: [
            { instanceId: 'a', lastHeartbeatAt: T0 + 2000, beats: 8 },
            { instanceId: 'b', lastHeartbeatAt: T0 + 3000, beats: 9, lastHeartbeatTime: T0 + 1 },
            { instanceId: 'c', lastHeartbeatAt: T0 + 4000, beats: 2, heartbeatTime: T0 + 2 },
          ],
        });
        expect(await store.loadLiveInstances()).toStrictEqual([
          { ...a, lastHeartbeatAt: T0 + 2000, beats: 8 },
          {
            ...b,
            lastHeartbeatAt: T0 + 3000,
            beats: 9,
            message: { ...b.message, lastHeartbeatTime: T0 + 1 },
          },
          { ...c, lastHeartbeatAt: T0 + 4000, beats: 2, message: { ...c.message, heartbeatTime: T0 + 2 } },
        ]);
      });

      it('applies touches after the upserts of the same commit, and the last touch of an instance wins', async () => {
        const a = stored('a');
        await store.commit({ instances: [a], events: [] });
        const b = instanceRecord({ instanceId: 'b', message: fullMessage('b') });
        await store.commit({
          instances: [b],
          events: [newEvent({ instanceId: 'b' })],
          instanceTouches: [
            { instanceId: 'a', lastHeartbeatAt: T0 + 2000, beats: 8, heartbeatTime: T0 + 10 },
            { instanceId: 'b', lastHeartbeatAt: T0 + 5000, beats: 2, heartbeatTime: T0 + 20 },
            { instanceId: 'a', lastHeartbeatAt: T0 + 3000, beats: 9, lastHeartbeatTime: T0 + 30 },
          ],
        });
        expect(await store.getInstance('a')).toStrictEqual({
          ...a,
          lastHeartbeatAt: T0 + 3000,
          beats: 9,
          message: { ...a.message, heartbeatTime: T0 + 10, lastHeartbeatTime: T0 + 30 },
        });
        expect(await store.getInstance('b')).toStrictEqual({
          ...b,
          lastHeartbeatAt: T0 + 5000,
          beats: 2,
          message: { ...b.message, heartbeatTime: T0 + 20 },
        });
        expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
      });

      it('does nothing when its beats are not above the stored record (it is older than what is stored)', async () => {
        const a = stored('a');
        await store.commit({ instances: [a], events: [] });
        await store.commit({
          instances: [],
          events: [],
          instanceTouches: [
            { instanceId: 'a', lastHeartbeatAt: T0 + 9000, beats: a.beats, heartbeatTime: T0 + 9000 },
            { instanceId: 'a', lastHeartbeatAt: T0 + 8000, beats: a.beats - 1 },
          ],
        });
        expect(await store.getInstance('a')).toStrictEqual(a);
      });

      it('does nothing for an instance it does not know', async () => {
        const a = stored('a');
        await store.commit({ instances: [a], events: [] });
        expect(
          await store.commit({
            instances: [],
            events: [],
            instanceTouches: [{ instanceId: 'nobody', lastHeartbeatAt: T0, beats: 1, heartbeatTime: T0 }],
          }),
        ).toEqual([]);
        expect(await store.getInstance('nobody')).toBeUndefined();
        expect(await store.loadLiveInstances()).toStrictEqual([a]);
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

      it('round-trips the basepath of api.* events, and leaves it out of events without one', async () => {
        const events: NewEvent[] = [
          apiEvent(),
          apiEvent({ kind: 'api.registered', basepath: '/orders/v2-ü 🚀', data: { origin: 'auto' } }),
          // An api.* event may name the instance it was seen on, too.
          apiEvent({ kind: 'api.changed', instanceId: 'orders-1', service: 'orders', data: {} }),
          newEvent(),
        ];
        const stored = await store.commit({ instances: [], events });
        expect(stored).toStrictEqual(events.map((event, i) => ({ ...event, id: stored[i]!.id })));
        const listed = await store.listEvents({ limit: 10 });
        expect(listed).toStrictEqual(stored);
        expect(Object.keys(listed[0]!).sort()).toEqual(['at', 'basepath', 'data', 'id', 'kind']);
        expect(listed[1]!.basepath).toBe('/orders/v2-ü 🚀');
        expect(Object.keys(listed[2]!).sort()).toEqual([
          'at',
          'basepath',
          'data',
          'id',
          'instanceId',
          'kind',
          'service',
        ]);
        expect(Object.keys(listed[3]!)).not.toContain('basepath');
      });

      it('filters by basepath, exactly, alone and with kinds, since, afterId, instanceId and limit', async () => {
        // One commit: PostgreSQL writes them in one multi-row statement, with and without basepaths.
        const stored = await store.commit({
          instances: [],
          events: [
            apiEvent({ at: T0, kind: 'api.registered', data: {} }),
            newEvent({ at: T0 + 10, instanceId: 'a' }),
            apiEvent({ at: T0 + 20, basepath: '/orders/v2' }),
            apiEvent({ at: T0 + 30 }),
            apiEvent({ at: T0 + 40, basepath: '/Orders' }),
            apiEvent({ at: T0 + 50, kind: 'api.changed', instanceId: 'a', data: {} }),
            apiEvent({ at: T0 + 60, basepath: '/payments' }),
            apiEvent({ at: T0 + 70, kind: 'api.removed', data: {} }),
          ],
        });
        const ids = (events: StoredEvent[]): number[] => events.map((event) => event.id);
        const [e1, , , e4, e5, e6, , e8] = ids(stored) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        const orders = { basepath: '/orders' };

        // Exact match: no prefix, case or other-API matches, and events without a basepath never match.
        expect(await store.listEvents({ ...orders, limit: 100 })).toStrictEqual(
          [0, 3, 5, 7].map((i) => stored[i]),
        );
        expect(ids(await store.listEvents({ basepath: '/Orders', limit: 10 }))).toEqual([e5]);
        expect(ids(await store.listEvents({ basepath: '/', limit: 10 }))).toEqual([]);
        expect(ids(await store.listEvents({ basepath: '/nobody', limit: 10 }))).toEqual([]);

        expect(ids(await store.listEvents({ ...orders, kinds: ['api.status_changed'], limit: 10 }))).toEqual([
          e4,
        ]);
        expect(
          ids(await store.listEvents({ ...orders, kinds: ['api.registered', 'api.removed'], limit: 10 })),
        ).toEqual([e1, e8]);
        expect(ids(await store.listEvents({ ...orders, kinds: ['instance.lost'], limit: 10 }))).toEqual([]);
        expect(ids(await store.listEvents({ ...orders, kinds: [], limit: 10 }))).toEqual([]);

        expect(ids(await store.listEvents({ ...orders, since: T0 + 30, limit: 10 }))).toEqual([e4, e6, e8]);
        expect(ids(await store.listEvents({ ...orders, afterId: e4, limit: 10 }))).toEqual([e6, e8]);
        expect(ids(await store.listEvents({ ...orders, limit: 2 }))).toEqual([e1, e4]);
        expect(ids(await store.listEvents({ ...orders, afterId: e1, limit: 2 }))).toEqual([e4, e6]);
        expect(ids(await store.listEvents({ ...orders, limit: 0 }))).toEqual([]);
        expect(ids(await store.listEvents({ ...orders, instanceId: 'a', limit: 10 }))).toEqual([e6]);
        expect(
          ids(
            await store.listEvents({
              ...orders,
              kinds: ['api.status_changed', 'api.changed', 'api.removed'],
              since: T0 + 10,
              afterId: e1,
              limit: 2,
            }),
          ),
        ).toEqual([e4, e6]);
        expect(
          ids(
            await store.listEvents({
              ...orders,
              kinds: ['api.changed'],
              instanceId: 'a',
              since: T0 + 50,
              afterId: e5,
              limit: 1,
            }),
          ),
        ).toEqual([e6]);
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

    describe('APIs', () => {
      it('lists none at first, then every field of every definition, by basepath in byte order', async () => {
        expect(await store.listApis()).toEqual([]);
        const full = fullApiDefinition('/orders/v2');
        const minimal = apiDefinition({ basepath: '/orders' });
        const root = apiDefinition({ basepath: '/', origin: 'auto' });
        const upper = apiDefinition({ basepath: '/Zeta', labels: { a: '1' } });
        await store.commit(apiBatch({ apis: [full, minimal, root, upper] }));

        const listed = await store.listApis();
        expect(listed).toStrictEqual([root, upper, minimal, full]);
        // No optional field appears that was not written, not even as undefined.
        expect(Object.keys(listed[2]!).sort()).toEqual(Object.keys(minimal).sort());
      });

      it('upserts by basepath: a later write replaces the whole definition; the last of a batch wins', async () => {
        await store.commit(apiBatch({ apis: [fullApiDefinition('/orders')] }));
        const replaced = apiDefinition({
          basepath: '/orders',
          name: 'renamed',
          threshold: 0.5,
          failOn: { statusRanges: [], errors: true },
          createdAt: T0 + 5,
          updatedAt: T0 + 99,
        });
        await store.commit(apiBatch({ apis: [replaced] }));
        // Pulse, labels and the other optional fields are gone with the old definition.
        expect(await store.listApis()).toStrictEqual([replaced]);

        const [older, newer] = [
          apiDefinition({ basepath: '/x', minSamples: 1 }),
          apiDefinition({ basepath: '/x', minSamples: 2 }),
        ];
        await store.commit(apiBatch({ apis: [older, newer] }));
        expect(await store.listApis()).toStrictEqual([replaced, newer]);
      });

      it('deletes an API with its buckets, history, failures and probe results, and nothing of other APIs', async () => {
        await store.commit(apiBatch(everythingFor('/orders')));
        // A basepath that starts with the deleted one, and one with history but no stored definition.
        await store.commit(apiBatch(everythingFor('/orders/v2')));
        const { apis: _declaredInYaml, ...yamlRows } = everythingFor('/yaml');
        await store.commit(apiBatch(yamlRows));

        await store.commit(apiBatch({ deletedApis: ['/orders', '/yaml', '/never-existed'] }));
        expect(await store.listApis()).toStrictEqual([apiDefinition({ basepath: '/orders/v2' })]);
        expect(byBucketKey(await store.loadApiBuckets(0))).toStrictEqual(
          everythingFor('/orders/v2').apiBuckets,
        );
        for (const gone of ['/orders', '/yaml']) {
          expect(await store.listApiHistory(gone, 0, 2 * T0)).toEqual([]);
          expect(await store.listApiFailures(gone, 10)).toEqual([]);
          expect(await store.listProbeResults(gone, 10)).toEqual([]);
        }
        expect(await store.listApiHistory('/orders/v2', 0, 2 * T0)).toHaveLength(2);
        expect(await store.listApiFailures('/orders/v2', 10)).toHaveLength(1);
        expect(await store.listProbeResults('/orders/v2', 10)).toHaveLength(1);
      });

      it('deletes what the same batch writes for a deleted API too', async () => {
        await store.commit(apiBatch({ ...everythingFor('/orders'), deletedApis: ['/orders'] }));
        expect(await store.listApis()).toEqual([]);
        expect(await store.loadApiBuckets(0)).toEqual([]);
        expect(await store.listApiHistory('/orders', 0, 2 * T0)).toEqual([]);
        expect(await store.listApiFailures('/orders', 10)).toEqual([]);
        expect(await store.listProbeResults('/orders', 10)).toEqual([]);
      });

      it('writes instances, events and every kind of API row in one commit, or any part of them alone', async () => {
        const record = instanceRecord({ instanceId: 'a' });
        const events = [newEvent({ instanceId: 'a' }), newEvent({ at: T0 + 1, kind: 'instance.recovered' })];
        const rows = everythingFor('/orders');
        const stored = await store.commit({ instances: [record], events, ...rows });
        expect(stored).toStrictEqual(events.map((event, i) => ({ ...event, id: stored[i]!.id })));
        expect(await store.getInstance('a')).toStrictEqual(record);
        expect(await store.listEvents({ limit: 10 })).toStrictEqual(stored);
        expect(await store.listApis()).toStrictEqual(rows.apis);
        expect(byBucketKey(await store.loadApiBuckets(0))).toStrictEqual(rows.apiBuckets);

        // Each kind alone, with no instances or events.
        expect(await store.commit(apiBatch({ apiFailures: [apiFailure({ at: T0 + 1 })] }))).toEqual([]);
        expect(await store.commit(apiBatch({ probeResults: [probeResult({ at: T0 + 1 })] }))).toEqual([]);
        await store.commit(apiBatch({ apiHistory: [apiHistoryRow({ start: T0 + 60_000 })] }));
        await store.commit(apiBatch({ apiBuckets: [apiBucket({ basepath: '/b' })] }));
        await store.commit(apiBatch({ apis: [apiDefinition({ basepath: '/b' })] }));
        await store.commit(apiBatch({ apis: [], apiBuckets: [], deletedApis: [] }));
        expect(await store.listApiFailures('/orders', 10)).toHaveLength(2);
        expect(await store.listProbeResults('/orders', 10)).toHaveLength(2);
        expect(await store.listApiHistory('/orders', 0, 2 * T0)).toHaveLength(3);
        expect(await store.loadApiBuckets(0)).toHaveLength(3);
        expect(await store.listApis()).toHaveLength(2);
        expect(await store.lastEventId()).toBe(stored[1]!.id);
        expect(await store.getInstance('a')).toStrictEqual(record);
      });

      it('is atomic across tables: one bad API row leaves no instance, event or API row behind', async () => {
        const broken = { ...apiBucket({ index: 1 }), total: null } as unknown as ApiBucketRecord;
        await expect(
          store.commit({
            instances: [instanceRecord({ instanceId: 'half' })],
            events: [newEvent()],
            ...everythingFor('/half'),
            apiBuckets: [apiBucket({ basepath: '/half' }), broken],
          }),
        ).rejects.toThrow();
        expect(await store.getInstance('half')).toBeUndefined();
        expect(await store.lastEventId()).toBe(0);
        expect(await store.listApis()).toEqual([]);
        expect(await store.loadApiBuckets(0)).toEqual([]);
        expect(await store.listApiHistory('/half', 0, 2 * T0)).toEqual([]);
        expect(await store.listApiFailures('/half', 10)).toEqual([]);
        expect(await store.listProbeResults('/half', 10)).toEqual([]);
      });
    });

    describe('API window buckets', () => {
      const index = T0 / 10_000;

      it('round-trips every field, and loads the buckets that start at or after a time', async () => {
        const earlier = apiBucket({ index: index - 1 });
        const atTheTime = apiBucket({ index });
        const empty = apiBucket({
          basepath: '/a',
          index: index + 1,
          total: 0,
          failures: 0,
          bySource: { traffic: 0, pulse: 0, otlp: 0 },
          latency: [],
        });
        const fine = apiBucket({
          basepath: '/orders/v2',
          bucketMs: 1000,
          index: T0 / 1000 + 5,
          total: 1,
          failures: 1,
          bySource: { traffic: 0, pulse: 1, otlp: 0 },
          latency: [[0, 1]],
        });
        const fineEarlier = apiBucket({ bucketMs: 1000, index: T0 / 1000 - 1 });
        await store.commit(apiBatch({ apiBuckets: [earlier, atTheTime, empty, fine, fineEarlier] }));

        expect(byBucketKey(await store.loadApiBuckets(T0))).toStrictEqual(
          byBucketKey([atTheTime, empty, fine]),
        );
        expect(await store.loadApiBuckets(T0 + 5001)).toStrictEqual([empty]);
        expect(await store.loadApiBuckets(T0 + 10_001)).toEqual([]);
        expect(await store.loadApiBuckets(0)).toHaveLength(5);
      });

      it('upserts by (basepath, bucketMs, index): a later write replaces the counts and the histogram', async () => {
        await store.commit(apiBatch({ apiBuckets: [apiBucket()] }));
        const replaced = apiBucket({
          total: 13,
          failures: 0,
          bySource: { traffic: 13, pulse: 0, otlp: 0 },
          latency: [[4, 13]],
        });
        const otherWidth = apiBucket({ bucketMs: 5000, index: apiBucket().index });
        const otherApi = apiBucket({ basepath: '/other' });
        await store.commit(apiBatch({ apiBuckets: [replaced, otherWidth, otherApi] }));
        expect(byBucketKey(await store.loadApiBuckets(0))).toStrictEqual(
          byBucketKey([replaced, otherWidth, otherApi]),
        );

        const last = { ...replaced, total: 99 };
        await store.commit(apiBatch({ apiBuckets: [{ ...replaced, total: 98 }, last] }));
        expect((await store.loadApiBuckets(0)).filter((bucket) => bucket.total >= 98)).toStrictEqual([last]);
      });

      it('upserts 5,000 buckets in one commit quickly, inserting and then replacing them', async ({
        annotate,
      }) => {
        const buckets = Array.from({ length: 5000 }, (_, i) =>
          apiBucket({ basepath: `/api-${i % 100}`, index: index + Math.floor(i / 100) }),
        );
        let started = performance.now();
        await store.commit(apiBatch({ apiBuckets: buckets }));
        const insertMs = performance.now() - started;

        const updated = buckets.map((bucket) => ({ ...bucket, total: bucket.total + 1, latency: [[5, 13]] }));
        started = performance.now();
        await store.commit(apiBatch({ apiBuckets: updated as ApiBucketRecord[] }));
        const upsertMs = performance.now() - started;
        await annotate(`5,000 buckets: insert ${insertMs.toFixed(0)} ms, replace ${upsertMs.toFixed(0)} ms`);

        expect(byBucketKey(await store.loadApiBuckets(T0))).toStrictEqual(
          byBucketKey(updated as ApiBucketRecord[]),
        );
        // Generous, for a loaded CI machine: either backend takes well under a tenth of this.
        expect(insertMs).toBeLessThan(2000);
        expect(upsertMs).toBeLessThan(2000);
      });
    });

    describe('API history', () => {
      it('round-trips both resolutions and null percentiles; lists from <= start < to, oldest first', async () => {
        const hourBefore = apiHistoryRow({
          resolution: 'hour',
          start: HOUR - HOUR_MS,
          total: 3600,
          p50Ms: 9,
        });
        const hour = apiHistoryRow({ resolution: 'hour', start: HOUR, p95Ms: 1234.5678 });
        const minute = apiHistoryRow({ start: HOUR, p50Ms: 0.25 });
        const idle = apiHistoryRow({
          start: HOUR + 60_000,
          total: 0,
          failures: 0,
          bySource: { traffic: 0, pulse: 0, otlp: 0 },
          p50Ms: null,
          p95Ms: null,
        });
        const atTheEnd = apiHistoryRow({ start: HOUR + 120_000 });
        const otherApi = apiHistoryRow({ basepath: '/other', start: HOUR + 60_000 });
        await store.commit(apiBatch({ apiHistory: [atTheEnd, idle, minute, otherApi, hour, hourBefore] }));

        const listed = await store.listApiHistory('/orders', HOUR - HOUR_MS, HOUR + 120_000);
        expect(listed.map((row) => row.start)).toEqual([HOUR - HOUR_MS, HOUR, HOUR, HOUR + 60_000]);
        const sameStart = listed.slice(1, 3).sort((a, b) => a.resolution.localeCompare(b.resolution));
        expect([listed[0], ...sameStart, listed[3]]).toStrictEqual([hourBefore, hour, minute, idle]);

        expect(await store.listApiHistory('/orders', HOUR + 1, HOUR + 120_001)).toStrictEqual([
          idle,
          atTheEnd,
        ]);
        expect(await store.listApiHistory('/orders', HOUR, HOUR)).toEqual([]);
        expect(await store.listApiHistory('/other', 0, 2 * T0)).toStrictEqual([otherApi]);
        expect(await store.listApiHistory('/nobody', 0, 2 * T0)).toEqual([]);
      });

      it('upserts by (basepath, resolution, start): a later write replaces every count and percentile', async () => {
        await store.commit(apiBatch({ apiHistory: [apiHistoryRow()] }));
        const replaced = apiHistoryRow({
          total: 61,
          failures: 0,
          bySource: { traffic: 61, pulse: 0, otlp: 0 },
          p50Ms: null,
          p95Ms: 3,
        });
        const hour = apiHistoryRow({ resolution: 'hour' });
        await store.commit(apiBatch({ apiHistory: [replaced, hour] }));
        const listed = await store.listApiHistory('/orders', T0, T0 + 1);
        expect(listed.sort((a, b) => a.resolution.localeCompare(b.resolution))).toStrictEqual([
          hour,
          replaced,
        ]);

        const last = { ...hour, total: 7 };
        await store.commit(apiBatch({ apiHistory: [{ ...hour, total: 6 }, last] }));
        expect(
          (await store.listApiHistory('/orders', T0, T0 + 1)).find((row) => row.resolution === 'hour'),
        ).toStrictEqual(last);
      });
    });

    describe('API failures and probe results', () => {
      it('appends failures and lists those of one API newest first, up to the limit', async () => {
        const first = apiFailure({ at: T0 });
        const refused = apiFailure({
          at: T0 + 2000,
          statusCode: null,
          error: 'connection refused',
          durationMs: 5000,
          source: 'pulse',
        });
        const fromSpans = apiFailure({ at: T0 + 1000, statusCode: 500, durationMs: 0, source: 'otlp' });
        await store.commit(
          apiBatch({ apiFailures: [first, refused, apiFailure({ basepath: '/other', at: T0 + 5000 })] }),
        );
        await store.commit(apiBatch({ apiFailures: [fromSpans] }));

        expect(await store.listApiFailures('/orders', 10)).toStrictEqual([refused, fromSpans, first]);
        expect(await store.listApiFailures('/orders', 2)).toStrictEqual([refused, fromSpans]);
        expect(await store.listApiFailures('/orders', 0)).toEqual([]);
        expect(await store.listApiFailures('/nobody', 10)).toEqual([]);
        // The same failure twice is two failures: these are appended, not upserted.
        await store.commit(apiBatch({ apiFailures: [first] }));
        expect(await store.listApiFailures('/orders', 10)).toStrictEqual([refused, fromSpans, first, first]);
      });

      it('appends probe results and lists those of one API newest first, up to the limit', async () => {
        const failed = probeResult({ at: T0 });
        const passed = probeResult({
          at: T0 + 30_000,
          ok: true,
          statusCode: 200,
          detail: null,
          durationMs: 12,
        });
        const timedOut = probeResult({
          at: T0 + 60_000,
          ok: false,
          statusCode: null,
          error: 'timeout',
          durationMs: 2500,
          detail: 'no answer within 2500 ms',
        });
        await store.commit(
          apiBatch({ probeResults: [failed, timedOut, probeResult({ basepath: '/other' })] }),
        );
        await store.commit(apiBatch({ probeResults: [passed] }));

        expect(await store.listProbeResults('/orders', 10)).toStrictEqual([timedOut, passed, failed]);
        expect(await store.listProbeResults('/orders', 1)).toStrictEqual([timedOut]);
        expect(await store.listProbeResults('/orders', -1)).toEqual([]);
        expect(await store.listProbeResults('/other', 10)).toStrictEqual([
          probeResult({ basepath: '/other' }),
        ]);
      });
    });

    describe('history compaction', () => {
      const noLimits = { minutesBefore: 0, deleteBefore: 0, bucketsBefore: 0 };
      const minute = (n: number, overrides: Partial<ApiHistoryRecord>): ApiHistoryRecord =>
        apiHistoryRow({ start: HOUR + n * 60_000, ...overrides });
      const hourRow = (start: number, overrides: Partial<ApiHistoryRecord>): ApiHistoryRecord =>
        apiHistoryRow({ start, resolution: 'hour', ...overrides });

      it('does nothing on an empty store', async () => {
        expect(
          await store.compactApiHistory({ minutesBefore: T0, deleteBefore: T0, bucketsBefore: T0 }),
        ).toBe(0);
      });

      it('merges the minutes of an hour into one hour row: sums, the worst p95, the count-weighted p50', async () => {
        const nextHour = minute(60, {});
        await store.commit(
          apiBatch({
            apiHistory: [
              minute(0, {
                total: 10,
                failures: 1,
                bySource: { traffic: 8, pulse: 2, otlp: 0 },
                p50Ms: 10,
                p95Ms: 50,
              }),
              minute(1, {
                total: 20,
                failures: 2,
                bySource: { traffic: 20, pulse: 0, otlp: 0 },
                p50Ms: 20,
                p95Ms: 200,
              }),
              minute(59, {
                total: 10,
                failures: 0,
                bySource: { traffic: 0, pulse: 4, otlp: 6 },
                p50Ms: 40,
                p95Ms: 80,
              }),
              nextHour,
            ],
          }),
        );
        const limits = { ...noLimits, minutesBefore: HOUR + HOUR_MS };
        expect(await store.compactApiHistory(limits)).toBe(3);

        // p50 = (10×10 + 20×20 + 40×10) / 40 = 22.5; the minute at minutesBefore stays a minute.
        const merged = hourRow(HOUR, {
          total: 40,
          failures: 3,
          bySource: { traffic: 28, pulse: 6, otlp: 6 },
          p50Ms: 22.5,
          p95Ms: 200,
        });
        expect(await store.listApiHistory('/orders', 0, 2 * T0)).toStrictEqual([merged, nextHour]);
        expect(await store.compactApiHistory(limits)).toBe(0);
        expect(await store.listApiHistory('/orders', 0, 2 * T0)).toStrictEqual([merged, nextHour]);
      });

      it('merges into an hour row already there, per API and per hour, ignoring missing percentiles', async () => {
        const earlierMerge = hourRow(HOUR, {
          total: 40,
          failures: 3,
          bySource: { traffic: 28, pulse: 6, otlp: 6 },
          p50Ms: 22.5,
          p95Ms: 200,
        });
        const late = minute(45, {
          total: 2,
          failures: 0,
          bySource: { traffic: 2, pulse: 0, otlp: 0 },
          p50Ms: 70,
          p95Ms: 90,
        });
        await store.commit(
          apiBatch({
            apiHistory: [
              earlierMerge,
              minute(30, {
                total: 10,
                failures: 1,
                bySource: { traffic: 10, pulse: 0, otlp: 0 },
                p50Ms: 10,
                p95Ms: 300,
              }),
              minute(31, {
                total: 5,
                failures: 5,
                bySource: { traffic: 0, pulse: 5, otlp: 0 },
                p50Ms: null,
                p95Ms: null,
              }),
              late,
              minute(-58, {
                total: 7,
                failures: 7,
                bySource: { traffic: 7, pulse: 0, otlp: 0 },
                p50Ms: 3,
                p95Ms: 9,
              }),
              minute(2, { basepath: '/b', total: 3, failures: 0, p50Ms: null, p95Ms: null }),
            ],
          }),
        );
        // Up to minute 40 of the hour: minute 45 stays a minute for now.
        expect(await store.compactApiHistory({ ...noLimits, minutesBefore: HOUR + 40 * 60_000 })).toBe(4);

        // p50 = (22.5×40 + 10×10) / 50 = 20: the minute without percentiles adds to the counts only.
        const merged = hourRow(HOUR, {
          total: 55,
          failures: 9,
          bySource: { traffic: 38, pulse: 11, otlp: 6 },
          p50Ms: 20,
          p95Ms: 300,
        });
        const previousHour = hourRow(HOUR - HOUR_MS, {
          total: 7,
          failures: 7,
          bySource: { traffic: 7, pulse: 0, otlp: 0 },
          p50Ms: 3,
          p95Ms: 9,
        });
        expect(await store.listApiHistory('/orders', 0, 2 * T0)).toStrictEqual([previousHour, merged, late]);
        expect(await store.listApiHistory('/b', 0, 2 * T0)).toStrictEqual([
          hourRow(HOUR, { basepath: '/b', total: 3, failures: 0, p50Ms: null, p95Ms: null }),
        ]);

        // The rest of the hour joins the row later. The hour row weighs with all its 55 requests, the 5
        // without percentiles included: p50 = (20×55 + 70×2) / 57, an approximation (see the store).
        expect(await store.compactApiHistory({ ...noLimits, minutesBefore: HOUR + HOUR_MS })).toBe(1);
        const [, whole] = await store.listApiHistory('/orders', 0, 2 * T0);
        expect(whole).toStrictEqual({
          ...merged,
          total: 57,
          bySource: { traffic: 40, pulse: 11, otlp: 6 },
          p50Ms: expect.closeTo(1240 / 57, 9) as number,
          p95Ms: 300,
        });
      });

      it('deletes history, failures and probe results before deleteBefore, and buckets before bucketsBefore', async () => {
        const index = T0 / 10_000;
        const keptHistory = [apiHistoryRow({ start: T0 }), apiHistoryRow({ start: T0, resolution: 'hour' })];
        const keptBuckets = [
          apiBucket({ index: index + 2 }),
          apiBucket({ bucketMs: 1000, index: T0 / 1000 + 20 }),
        ];
        await store.commit(
          apiBatch({
            apiHistory: [
              ...keptHistory,
              apiHistoryRow({ start: T0 - 60_000 }),
              apiHistoryRow({ start: T0 - HOUR_MS, resolution: 'hour' }),
              apiHistoryRow({ basepath: '/other', start: T0 - 1 }),
            ],
            apiFailures: [
              apiFailure({ at: T0 }),
              apiFailure({ at: T0 - 1 }),
              apiFailure({ basepath: '/other', at: 0 }),
            ],
            probeResults: [probeResult({ at: T0 }), probeResult({ at: T0 - 1 })],
            apiBuckets: [
              ...keptBuckets,
              apiBucket({ index: index + 1 }),
              apiBucket({ bucketMs: 1000, index: T0 / 1000 + 19 }),
            ],
          }),
        );
        const removed = await store.compactApiHistory({
          minutesBefore: 0,
          deleteBefore: T0,
          bucketsBefore: T0 + 20_000,
        });
        expect(removed).toBe(3 + 2 + 1 + 2);

        const history = await store.listApiHistory('/orders', 0, 2 * T0);
        expect(history.sort((a, b) => a.resolution.localeCompare(b.resolution))).toStrictEqual(
          keptHistory.reverse(),
        );
        expect(await store.listApiHistory('/other', 0, 2 * T0)).toEqual([]);
        expect(await store.listApiFailures('/orders', 10)).toStrictEqual([apiFailure({ at: T0 })]);
        expect(await store.listApiFailures('/other', 10)).toEqual([]);
        expect(await store.listProbeResults('/orders', 10)).toStrictEqual([probeResult({ at: T0 })]);
        expect(byBucketKey(await store.loadApiBuckets(0))).toStrictEqual(byBucketKey(keptBuckets));
      });

      it('keeps only the newest failures and probe results of each API', async () => {
        const { failuresPerApi, probeResultsPerApi } = API_RETENTION;
        const failures = Array.from({ length: failuresPerApi + 5 }, (_, i) =>
          apiFailure({ at: T0 + i, durationMs: i }),
        );
        const fewFailures = Array.from({ length: 3 }, (_, i) =>
          apiFailure({ basepath: '/other', at: T0 - i }),
        );
        const probes = Array.from({ length: probeResultsPerApi + 3 }, (_, i) =>
          probeResult({ at: T0 + i, ok: i % 2 === 0 }),
        );
        await store.commit(apiBatch({ apiFailures: [...failures, ...fewFailures], probeResults: probes }));

        expect(await store.compactApiHistory(noLimits)).toBe(5 + 3);
        const keptFailures = await store.listApiFailures('/orders', 10_000);
        expect(keptFailures).toStrictEqual(failures.slice(5).reverse());
        expect(await store.listApiFailures('/other', 10_000)).toStrictEqual(fewFailures);
        const keptProbes = await store.listProbeResults('/orders', 10_000);
        expect(keptProbes).toHaveLength(probeResultsPerApi);
        expect(keptProbes[0]).toStrictEqual(probes.at(-1));
        expect(keptProbes.at(-1)).toStrictEqual(probes[3]);
        expect(await store.compactApiHistory(noLimits)).toBe(0);
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

    describe('cluster: the change log', () => {
      it('appends a batch committed with a replica, with its events numbered as the commit returned them', async () => {
        const record = instanceRecord({ instanceId: 'a' });
        const touch = { instanceId: 'b', lastHeartbeatAt: T0 + 5, beats: 3 };
        const definition = apiDefinition({ basepath: '/orders' });
        const bucket = apiBucket({ basepath: '/orders' });
        const stored = await store.commit({
          instances: [record],
          instanceTouches: [touch],
          events: [newEvent({ instanceId: 'a' })],
          apis: [definition],
          deletedApis: ['/gone'],
          apiBuckets: [bucket],
          apiHistory: [apiHistoryRow({ basepath: '/orders' })],
          replica: 'r1',
        });
        const [change, ...more] = await store.listChanges(0, 10);
        expect(more).toEqual([]);
        expect(change).toMatchObject({ replica: 'r1', instances: [record], instanceTouches: [touch] });
        expect(change!.seq).toBeGreaterThan(0);
        expect(change!.at).toBeGreaterThan(T0);
        expect(change!.apis).toEqual([definition]);
        expect(change!.deletedApis).toEqual(['/gone']);
        expect(change!.apiBuckets).toEqual([{ ...bucket, replica: 'r1' }]);
        expect(change!.events).toEqual(stored);
        expect(await store.lastChangeSeq()).toBe(change!.seq);
        // Its own changes, a replica reads for their events only.
        const [own] = await store.listChanges(0, 10, 'r1');
        expect(own).toEqual({
          ...change,
          instances: [],
          instanceTouches: [],
          apis: [],
          deletedApis: [],
          apiBuckets: [],
        });
        expect(await store.listChanges(0, 10, 'r2')).toEqual([change]);
      });

      it('logs nothing for a batch without a replica, and numbers changes in commit order', async () => {
        expect(await store.lastChangeSeq()).toBe(0);
        await store.commit({ instances: [instanceRecord({ instanceId: 'solo' })], events: [] });
        expect(await store.listChanges(0, 10)).toEqual([]);
        for (const replica of ['r1', 'r2', 'r1'])
          await store.commit({ instances: [instanceRecord({ instanceId: replica })], events: [], replica });
        const changes = await store.listChanges(0, 10);
        expect(changes.map((change) => change.replica)).toEqual(['r1', 'r2', 'r1']);
        const seqs = changes.map((change) => change.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(3);
        expect((await store.listChanges(seqs[0]!, 1)).map((change) => change.seq)).toEqual([seqs[1]]);
        expect(await store.listChanges(seqs[2]!, 10)).toEqual([]);
        expect(await store.listChanges(0, 0)).toEqual([]);
      });

      it('prunes changes older than a time, always keeping the newest', async () => {
        for (const replica of ['r1', 'r2'])
          await store.commit({ instances: [instanceRecord({ instanceId: replica })], events: [], replica });
        const last = await store.lastChangeSeq();
        expect(await store.pruneChanges(Date.now() + 60_000)).toBe(1);
        expect((await store.listChanges(0, 10)).map((change) => change.seq)).toEqual([last]);
        expect(await store.lastChangeSeq()).toBe(last);
      });
    });

    describe('cluster: window buckets per replica', () => {
      it("keeps the buckets of each replica apart, and a single hub's without a replica", async () => {
        const bucket = apiBucket({ basepath: '/orders' });
        await store.commit(apiBatch({ apiBuckets: [bucket] }));
        await store.commit({ ...apiBatch({ apiBuckets: [{ ...bucket, total: 7 }] }), replica: 'r1' });
        await store.commit({ ...apiBatch({ apiBuckets: [{ ...bucket, total: 9 }] }), replica: 'r2' });
        await store.commit({ ...apiBatch({ apiBuckets: [{ ...bucket, total: 8 }] }), replica: 'r1' });
        const loaded = await store.loadApiBuckets(0);
        expect(loaded).toHaveLength(3);
        expect(loaded).toEqual(
          expect.arrayContaining([
            bucket,
            { ...bucket, total: 8, replica: 'r1' },
            { ...bucket, total: 9, replica: 'r2' },
          ]),
        );
        await store.commit(apiBatch({ deletedApis: ['/orders'] }));
        expect(await store.loadApiBuckets(0)).toEqual([]);
      });
    });

    describe('cluster: replicas', () => {
      const replica = (id: string, leaseExpiresAt: number, leader = false) => ({
        id,
        url: `http://${id}:8900`,
        version: '1.2.3',
        startedAt: T0,
        leaseExpiresAt,
        leader,
      });

      it('registers, renews, lists by id and removes replicas', async () => {
        expect(await store.listReplicas()).toEqual([]);
        await store.renewReplica(replica('b', T0 + 1000));
        await store.renewReplica(replica('a', T0 + 1000, true));
        await store.renewReplica(replica('b', T0 + 3000));
        expect(await store.listReplicas()).toEqual([replica('a', T0 + 1000, true), replica('b', T0 + 3000)]);
        await store.renewReplica(replica('c', T0 + 5000));
        await store.removeReplicas(['c'], T0 + 2000);
        expect(await store.listReplicas()).toEqual([replica('b', T0 + 3000)]);
        await store.removeReplicas([]);
        expect(await store.listReplicas()).toHaveLength(1);
      });

      it('a store alone holds the leadership, and listening can be stopped', async () => {
        expect(await store.tryLeadership()).toBe(true);
        expect(await store.tryLeadership()).toBe(true);
        const stop = await store.listenForChanges(() => {});
        await stop();
      });
    });
  });
}
