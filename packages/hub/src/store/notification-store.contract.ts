/**
 * The notification outbox and alert states, as part of the one store contract (`store.contract.ts`
 * calls this inside `runStoreContract`, so every backend passes it).
 */
import { HeartbeatError } from '@heartbeat/sdk';
import { describe, expect, it } from 'vitest';
import type { DeliveryOutcome, NewDelivery, Store } from './store.js';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');

function delivery(overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    notifier: 'ops',
    rule: 'api-down',
    kind: 'trigger',
    title: 'API /orders/v1 is DOWN',
    message: {
      title: 'API /orders/v1 is DOWN',
      items: [{ key: 'api.down:/orders/v1', evidence: ['ratio 0.4'] }],
    },
    createdAt: T0,
    nextAttemptAt: T0,
    ...overrides,
  };
}

/** One outcome through the batch call: whether it was recorded. */
async function finish(store: Store, id: number, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
  return (await store.finishDeliveries(owner, [{ id, outcome }])).includes(id);
}

export function notificationStoreContract(
  current: () => { store: Store; reopen?: () => Promise<Store> },
): void {
  describe('notifications', () => {
    it('queues deliveries with alert states in one write, and lists them newest first with filters', async () => {
      const { store } = current();
      const stored = await store.recordNotifications({
        deliveries: [delivery(), delivery({ notifier: 'pager', rule: 'lost', kind: 'resolve' })],
        alerts: [{ rule: 'api-down', key: 'api.down:/orders/v1', state: { firedAt: T0 }, updatedAt: T0 }],
      });
      expect(stored).toHaveLength(2);
      expect(stored[0]).toMatchObject({
        ...delivery(),
        status: 'pending',
        attempts: 0,
        lastError: null,
        deliveredAt: null,
        updatedAt: T0,
      });
      expect(stored[1]!.id).toBeGreaterThan(stored[0]!.id);
      expect(await store.loadAlertStates()).toEqual([
        { rule: 'api-down', key: 'api.down:/orders/v1', state: { firedAt: T0 }, updatedAt: T0 },
      ]);
      const all = await store.listDeliveries({ limit: 10 });
      expect(all.map((row) => row.id)).toEqual([stored[1]!.id, stored[0]!.id]);
      expect(all[1]).toEqual(stored[0]);
      expect((await store.listDeliveries({ limit: 10, notifier: 'pager' })).map((r) => r.rule)).toEqual([
        'lost',
      ]);
      expect((await store.listDeliveries({ limit: 10, rule: 'api-down' })).map((r) => r.notifier)).toEqual([
        'ops',
      ]);
      expect(await store.listDeliveries({ limit: 10, status: 'delivered' })).toEqual([]);
      expect((await store.listDeliveries({ limit: 10, beforeId: stored[1]!.id })).map((r) => r.id)).toEqual([
        stored[0]!.id,
      ]);
      expect(await store.listDeliveries({ limit: 0 })).toEqual([]);
    });

    it('upserts and deletes alert states', async () => {
      const { store } = current();
      await store.recordNotifications({
        alerts: [
          { rule: 'r', key: 'a', state: { n: 1 }, updatedAt: T0 },
          { rule: 'r', key: 'b', state: { n: 1 }, updatedAt: T0 },
        ],
      });
      await store.recordNotifications({
        alerts: [{ rule: 'r', key: 'a', state: { n: 2, text: 'ünïcode ✓' }, updatedAt: T0 + 1 }],
        deletedAlerts: [
          { rule: 'r', key: 'b' },
          { rule: 'r', key: 'never-there' },
        ],
      });
      expect(await store.loadAlertStates()).toEqual([
        { rule: 'r', key: 'a', state: { n: 2, text: 'ünïcode ✓' }, updatedAt: T0 + 1 },
      ]);
    });

    it('claims due rows under a lease, oldest due first; a leased row is not claimed again until the lease ends', async () => {
      const { store } = current();
      const [late, early, future] = await store.recordNotifications({
        deliveries: [
          delivery({ nextAttemptAt: T0 + 10 }),
          delivery({ nextAttemptAt: T0 + 5 }),
          delivery({ nextAttemptAt: T0 + 60_000 }),
        ],
      });
      const claimed = await store.claimDueDeliveries({
        now: T0 + 10,
        leaseMs: 30_000,
        owner: 'hub-a',
        limit: 10,
      });
      expect(claimed.map((row) => row.id)).toEqual([early!.id, late!.id]);
      expect(
        await store.claimDueDeliveries({ now: T0 + 20, leaseMs: 30_000, owner: 'hub-b', limit: 10 }),
      ).toEqual([]);
      // hub-a died: its lease runs out and hub-b takes the rows over.
      const retaken = await store.claimDueDeliveries({
        now: T0 + 30_010,
        leaseMs: 30_000,
        owner: 'hub-b',
        limit: 1,
      });
      expect(retaken.map((row) => row.id)).toEqual([early!.id]);
      // The first owner can no longer record an outcome for a row it lost.
      expect(await finish(store, early!.id, 'hub-a', { status: 'delivered', at: T0 + 30_020 })).toBe(false);
      expect(await finish(store, early!.id, 'hub-b', { status: 'delivered', at: T0 + 30_020 })).toBe(true);
      expect(future!.status).toBe('pending');
      const row = (await store.listDeliveries({ limit: 10 })).find((r) => r.id === early!.id);
      expect(row).toMatchObject({
        id: early!.id,
        status: 'delivered',
        attempts: 1,
        deliveredAt: T0 + 30_020,
      });
    });

    it('records outcomes in a batch, and gives back leases not used', async () => {
      const { store } = current();
      const rows = await store.recordNotifications({ deliveries: [delivery(), delivery(), delivery()] });
      const [a, b, c] = rows.map((row) => row.id) as [number, number, number];
      await store.claimDueDeliveries({ now: T0, leaseMs: 60_000, owner: 'o', limit: 3 });
      expect(
        await store.finishDeliveries('o', [
          { id: a, outcome: { status: 'delivered', at: T0 + 1 } },
          { id: b, outcome: { status: 'failed', at: T0 + 1, error: 'HTTP 404' } },
        ]),
      ).toEqual([a, b]);
      expect(await store.releaseDeliveries('someone-else', [c])).toBe(0);
      expect(await store.releaseDeliveries('o', [c, a])).toBe(1);
      const again = await store.claimDueDeliveries({ now: T0 + 2, leaseMs: 60_000, owner: 'p', limit: 3 });
      expect(again.map((row) => row.id)).toEqual([c]);
      expect(again[0]!.attempts).toBe(0);
    });

    it('a claim can be limited to one notifier', async () => {
      const { store } = current();
      await store.recordNotifications({
        deliveries: [delivery({ notifier: 'a' }), delivery({ notifier: 'b' })],
      });
      const claimed = await store.claimDueDeliveries({
        now: T0,
        leaseMs: 1000,
        owner: 'o',
        limit: 5,
        notifier: 'b',
      });
      expect(claimed.map((row) => row.notifier)).toEqual(['b']);
    });

    it('records retries and give-ups; delivered and failed rows are never claimed again', async () => {
      const { store } = current();
      const [row] = await store.recordNotifications({ deliveries: [delivery()] });
      const id = row!.id;
      await store.claimDueDeliveries({ now: T0, leaseMs: 1000, owner: 'o', limit: 1 });
      expect(
        await finish(store, id, 'o', {
          status: 'pending',
          at: T0 + 100,
          error: 'HTTP 500',
          nextAttemptAt: T0 + 2000,
        }),
      ).toBe(true);
      expect(await store.claimDueDeliveries({ now: T0 + 1999, leaseMs: 1000, owner: 'o', limit: 1 })).toEqual(
        [],
      );
      const [again] = await store.claimDueDeliveries({ now: T0 + 2000, leaseMs: 1000, owner: 'o', limit: 1 });
      expect(again).toMatchObject({ id, attempts: 1, lastError: 'HTTP 500', status: 'pending' });
      await finish(store, id, 'o', {
        status: 'failed',
        at: T0 + 2100,
        error: 'gave up after 2 attempts',
      });
      expect(
        await store.claimDueDeliveries({ now: T0 + 99_999, leaseMs: 1000, owner: 'o', limit: 1 }),
      ).toEqual([]);
      expect((await store.listDeliveries({ limit: 1 }))[0]).toMatchObject({
        status: 'failed',
        attempts: 2,
        lastError: 'gave up after 2 attempts',
        updatedAt: T0 + 2100,
      });
      expect(await finish(store, id, 'o', { status: 'delivered', at: T0 + 3000 })).toBe(false);
    });

    it('two owners claiming at once never get the same row', async () => {
      const { store } = current();
      await store.recordNotifications({ deliveries: Array.from({ length: 40 }, () => delivery()) });
      const claims = await Promise.all(
        ['a', 'b', 'c', 'd'].map((owner) =>
          store.claimDueDeliveries({ now: T0, leaseMs: 10_000, owner, limit: 15 }),
        ),
      );
      const ids = claims.flat().map((row) => row.id);
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
    });

    it('prunes finished rows before a time, never pending ones', async () => {
      const { store } = current();
      const [done, waiting] = await store.recordNotifications({ deliveries: [delivery(), delivery()] });
      await store.claimDueDeliveries({ now: T0, leaseMs: 1000, owner: 'o', limit: 1 });
      await finish(store, done!.id, 'o', { status: 'delivered', at: T0 + 10 });
      expect(await store.pruneDeliveries(T0 + 10)).toBe(0);
      expect(await store.pruneDeliveries(T0 + 11)).toBe(1);
      expect((await store.listDeliveries({ limit: 10 })).map((row) => row.id)).toEqual([waiting!.id]);
    });

    it('keeps the outbox and alert states across a reopen', async (context) => {
      const subject = current();
      if (subject.reopen === undefined) return context.skip();
      const [row] = await subject.store.recordNotifications({
        deliveries: [delivery()],
        alerts: [{ rule: 'r', key: 'k', state: { since: T0 }, updatedAt: T0 }],
      });
      await subject.store.close();
      const reopened = await subject.reopen();
      await reopened.migrate();
      expect((await reopened.listDeliveries({ limit: 5 })).map((r) => r.id)).toEqual([row!.id]);
      expect(await reopened.loadAlertStates()).toHaveLength(1);
    });

    it('rejects notification calls after close as UNAVAILABLE', async () => {
      const { store } = current();
      await store.close();
      for (const call of [
        () => store.recordNotifications({ deliveries: [delivery()] }),
        () => store.loadAlertStates(),
        () => store.claimDueDeliveries({ now: T0, leaseMs: 1, owner: 'o', limit: 1 }),
        () => finish(store, 1, 'o', { status: 'delivered', at: T0 }),
        () => store.listDeliveries({ limit: 1 }),
        () => store.pruneDeliveries(T0),
      ]) {
        const failure = await call().catch((thrown: unknown) => thrown);
        expect(failure).toBeInstanceOf(HeartbeatError);
        expect((failure as HeartbeatError).code).toBe('UNAVAILABLE');
      }
    });
  });
}
