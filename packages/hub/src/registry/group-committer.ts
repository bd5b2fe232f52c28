import { describeError, HeartbeatError, type Logger } from '@heartbeat/sdk';
import type { NewEvent, StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';
import type { Store } from '../store/store.js';

export interface GroupCommitterOptions {
  store: Store;
  logger: Logger;
  /** Called with every committed batch of events, in commit order. */
  onCommitted: (events: StoredEvent[]) => void;
  /** Backoff between retries while the store fails. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Events kept for retry while the store is down; the oldest are dropped past this. */
  maxPendingEvents?: number;
}

/**
 * Group commit: writes submitted in the same turn of the event loop (or while a commit is under
 * way) go to the store in ONE transaction, and each submitter is answered only when that
 * transaction has committed — so a 2xx means the data survives a `kill -9`, and the store is not
 * hit once per heartbeat.
 *
 * When the store fails, the submitters of that batch get `UNAVAILABLE` (503), the data stays queued
 * (the latest record per instance wins), and commits are retried with backoff until the store is
 * back. Nothing accepted into the queue is thrown away, except events beyond `maxPendingEvents`.
 */
export interface GroupCommitter {
  submit(instances: readonly InstanceRecord[], events: readonly NewEvent[]): Promise<void>;
  /** Commits whatever is queued now; rejects if the store fails. */
  flush(): Promise<void>;
  /** False from a failed commit until the next successful one. */
  readonly healthy: boolean;
  readonly lastError: string | undefined;
  /** Stops retrying (after a last flush attempt by the caller). */
  close(): void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export function createGroupCommitter(options: GroupCommitterOptions): GroupCommitter {
  const { store, logger } = options;
  const retryMinMs = options.retryMinMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const maxPendingEvents = options.maxPendingEvents ?? 100_000;
  let instances = new Map<string, InstanceRecord>();
  let events: NewEvent[] = [];
  let waiters: Waiter[] = [];
  let scheduled = false;
  let running: Promise<void> | undefined;
  let healthy = true;
  let lastError: string | undefined;
  let retryDelay = retryMinMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function schedule(): void {
    if (scheduled || running || retryTimer) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void run();
    });
  }

  async function run(): Promise<void> {
    if (running) return running;
    if (instances.size === 0 && events.length === 0) {
      const idle = waiters;
      waiters = [];
      for (const waiter of idle) waiter.resolve();
      return;
    }
    const batch = { instances: [...instances.values()], events };
    const batchWaiters = waiters;
    instances = new Map();
    events = [];
    waiters = [];
    running = (async () => {
      try {
        const stored = await store.commit(batch);
        if (!healthy) logger.info({ store: store.location }, 'store is back: writes commit again');
        healthy = true;
        lastError = undefined;
        retryDelay = retryMinMs;
        for (const waiter of batchWaiters) waiter.resolve();
        if (stored.length > 0) options.onCommitted(stored);
      } catch (thrown) {
        requeue(batch.instances, batch.events);
        const reason = describeError(thrown);
        if (healthy)
          logger.error({ store: store.location, err: reason }, 'store write failed; retrying with backoff');
        healthy = false;
        lastError = reason;
        const error = new HeartbeatError(
          'UNAVAILABLE',
          `the hub cannot write to its store right now (${reason}); retry shortly`,
          { retryAfterMs: retryDelay },
        );
        for (const waiter of batchWaiters) waiter.reject(error);
        scheduleRetry();
      } finally {
        running = undefined;
      }
    })();
    await running;
    if (!retryTimer && (instances.size > 0 || events.length > 0)) schedule();
  }

  function requeue(failedInstances: InstanceRecord[], failedEvents: NewEvent[]): void {
    // Newer records queued meanwhile win over the failed ones.
    for (const record of failedInstances) {
      if (!instances.has(record.instanceId)) instances.set(record.instanceId, record);
    }
    events = failedEvents.concat(events);
    if (events.length > maxPendingEvents) {
      const dropped = events.length - maxPendingEvents;
      events = events.slice(dropped);
      logger.error({ dropped }, 'store down too long: oldest pending events dropped');
    }
  }

  function scheduleRetry(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void run();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryMaxMs, retryDelay * 2);
  }

  return {
    submit(newInstances, newEvents) {
      for (const record of newInstances) instances.set(record.instanceId, record);
      for (const event of newEvents) events.push(event);
      if (!healthy) {
        // Fail fast while the store is down: the data stays queued for the retry.
        return Promise.reject(
          new HeartbeatError(
            'UNAVAILABLE',
            `the hub cannot write to its store right now (${lastError ?? 'unknown'}); retry shortly`,
          ),
        );
      }
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        schedule();
      });
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        void (running ?? Promise.resolve()).then(() => run());
      });
    },
    get healthy() {
      return healthy;
    },
    get lastError() {
      return lastError;
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
