import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/store.js';
import { startHttpReceiver, type HttpReceiver } from '../testing/http-receiver.js';
import { eventually } from '../testing/test-hub.js';
import { createTempDir, openTempSqliteStore } from '../testing/test-stores.js';
import { sampleMessage } from '../testing/sample-message.js';
import { createDeliveryLoop, retryDelay, type DeliveryLoop } from './delivery-loop.js';
import { webhookNotifier } from './notifiers/webhook/index.js';

const logger = pino({ level: 'silent' });

describe('retryDelay', () => {
  it('doubles from 1 s to a 5 min cap, half of each wait random', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(30, () => 1)).toBe(300_000);
    expect(retryDelay(30, () => 0)).toBe(150_000);
  });
});

describe('delivery loop on a real store and receiver', () => {
  let receiver: HttpReceiver;
  let store: Store;
  let loop: DeliveryLoop | undefined;
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  beforeEach(async () => {
    receiver = await startHttpReceiver();
    dir = await createTempDir('hb-delivery-');
    ({ store } = openTempSqliteStore(join(dir.path, 'store.db')));
    await store.migrate();
  });
  afterEach(async () => {
    await loop?.stop();
    await store.close();
    await receiver.close();
    await dir.remove();
  });

  function start(maxAttempts: number): DeliveryLoop {
    const notifier = webhookNotifier.create({ url: receiver.url, headers: {} }, { name: 'hook', logger });
    loop = createDeliveryLoop({
      store,
      logger,
      owner: 'test',
      notifiers: () => new Map([['hook', { notifier, timeoutMs: 1000, concurrency: 2 }]]),
      maxAttempts: () => maxAttempts,
      pollMs: 50,
    });
    return loop;
  }

  async function queue(): Promise<number> {
    const [row] = await store.recordNotifications({
      deliveries: [
        {
          notifier: 'hook',
          rule: 'api-down',
          kind: 'trigger',
          title: 't',
          message: sampleMessage(),
          createdAt: Date.now(),
          nextAttemptAt: Date.now(),
        },
      ],
    });
    return row!.id;
  }

  it('retries a failing receiver with backoff, then gives up after maxAttempts, logging the last error', async () => {
    receiver.answer(503);
    await queue();
    start(2).wake();
    const [row] = await eventually(
      async () => {
        const rows = await store.listDeliveries({ limit: 1 });
        return rows[0]?.status === 'failed' ? rows : undefined;
      },
      { timeoutMs: 5000 },
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(row!.lastError).toMatch(/answered HTTP 503/);
    expect(receiver.requests).toHaveLength(2);
    // The second attempt waited its backoff (at least half a second).
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(450);
  });

  it('gives up at once when retrying cannot help (HTTP 404)', async () => {
    receiver.answer(404);
    await queue();
    start(8).wake();
    await eventually(async () => (await store.listDeliveries({ limit: 1 }))[0]?.status === 'failed');
    expect(receiver.requests).toHaveLength(1);
  });

  it('gives claimed but unattempted rows back when stopping', async () => {
    receiver.answer('hang');
    for (let i = 0; i < 6; i++) await queue();
    const running = start(8);
    running.wake();
    await eventually(() => receiver.requests.length === 2);
    await running.stop();
    loop = undefined;
    // Two were attempted (and timed out, to be retried); the four waiting are claimable at once.
    const claimable = await store.claimDueDeliveries({
      now: Date.now(),
      leaseMs: 1000,
      owner: 'next',
      limit: 10,
    });
    expect(claimable).toHaveLength(4);
  });
});
