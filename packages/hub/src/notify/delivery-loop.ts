import { describeError, HeartbeatError, type Logger } from '@heartbeat/sdk';
import type { DeliveryOutcome, DeliveryRecord, Store } from '../store/store.js';
import type { NotificationMessage } from './domain/model.js';
import type { Notifier } from './notifier.js';

/** A notifier with its delivery limits. */
export interface ConfiguredNotifier {
  notifier: Notifier;
  timeoutMs: number;
  concurrency: number;
}

export interface DeliveryLoopOptions {
  store: Store;
  logger: Logger;
  /** Who holds the leases: unique per hub process. */
  owner: string;
  notifiers: () => ReadonlyMap<string, ConfiguredNotifier>;
  maxAttempts: () => number;
  now?: () => number;
  /** How often due retries (and rows queued by other hubs) are looked for. Default 1000 ms. */
  pollMs?: number;
  /** Told every attempt's outcome (the test-notification route waits on it). */
  onOutcome?: (delivery: DeliveryRecord, outcome: DeliveryOutcome) => void;
}

export interface DeliveryLoop {
  /** Look for due deliveries now (something was just queued). */
  wake(): void;
  /** Deliveries in flight, by notifier. */
  inFlight(): Record<string, number>;
  /** Stops claiming; waits for the attempts in flight (each bounded by its timeout). */
  stop(): Promise<void>;
}

const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 300_000;

/**
 * The wait before attempt `attempt + 1`: 1 s, 2 s, 4 s … capped at 5 min, with "equal jitter"
 * (half fixed, half random) so receivers that failed together are not retried together.
 *
 * @example
 * retryDelay(3, () => 0.5) // 3000: 4 s halved, plus half of the other half
 */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/**
 * Delivers the outbox: claims due rows per notifier, only as many as that notifier has free slots
 * (so a hanging receiver holds its own slots and nothing else), sends each under a timeout, and
 * records the outcome: delivered, retried with backoff, or given up after `maxAttempts` (or at
 * once for a permanent refusal such as a 404). Runs beside ingest, never in its path.
 */
export function createDeliveryLoop(options: DeliveryLoopOptions): DeliveryLoop {
  const { store, logger, owner } = options;
  const now = options.now ?? Date.now;
  const busy = new Map<string, number>();
  /** Rows claimed and waiting for a free slot, by notifier. */
  const waiting = new Map<string, DeliveryRecord[]>();
  const running = new Set<Promise<void>>();
  /** Outcomes not stored yet: written together, a few at a time, rather than one transaction each. */
  let finished: { row: DeliveryRecord; outcome: DeliveryOutcome }[] = [];
  let finishing: Promise<void> = Promise.resolve();
  let finishScheduled = false;
  let stopped = false;
  let pumping = false;
  let again = false;
  const poll = setInterval(() => pump(), options.pollMs ?? 1000);
  poll.unref();

  function pump(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    claimAll()
      .catch((thrown: unknown) =>
        logger.warn(
          { err: describeError(thrown) },
          'notifications: claiming due deliveries failed; will retry',
        ),
      )
      .finally(() => {
        pumping = false;
        if (again) {
          again = false;
          pump();
        }
      });
  }

  async function claimAll(): Promise<void> {
    for (const [name, configured] of options.notifiers()) {
      if (stopped) return;
      const queue = waiting.get(name) ?? [];
      waiting.set(name, queue);
      // Claim a few rounds of slots at once (one statement for many rows), refilling at half.
      const want = configured.concurrency * 4 - queue.length - (busy.get(name) ?? 0);
      if (queue.length < configured.concurrency && want > 0) {
        const rows = await store.claimDueDeliveries({
          now: now(),
          // Long enough for the rows to wait their turn and be attempted, so a live hub keeps them.
          leaseMs: configured.timeoutMs * 6 + 10_000,
          owner,
          limit: want,
          notifier: name,
        });
        queue.push(...rows);
      }
      while (!stopped && queue.length > 0 && (busy.get(name) ?? 0) < configured.concurrency) {
        start(queue.shift()!, configured);
      }
    }
  }

  function start(row: DeliveryRecord, configured: ConfiguredNotifier): void {
    busy.set(row.notifier, (busy.get(row.notifier) ?? 0) + 1);
    const attempt = deliver(row, configured).finally(() => {
      busy.set(row.notifier, (busy.get(row.notifier) ?? 1) - 1);
      running.delete(attempt);
      pump();
    });
    running.add(attempt);
  }

  async function deliver(row: DeliveryRecord, { notifier, timeoutMs }: ConfiguredNotifier): Promise<void> {
    const attempts = row.attempts + 1;
    let outcome: DeliveryOutcome;
    try {
      await notifier.send(row.message as NotificationMessage, AbortSignal.timeout(timeoutMs));
      outcome = { status: 'delivered', at: now() };
    } catch (thrown) {
      const error = describeError(thrown);
      const permanent =
        thrown instanceof HeartbeatError &&
        (thrown.details as { permanent?: boolean } | undefined)?.permanent;
      // A test is answered with its first attempt; it is not worth retrying behind the caller's back.
      if (permanent === true || attempts >= options.maxAttempts() || row.kind === 'test') {
        outcome = { status: 'failed', at: now(), error };
        logger.error(
          { notifier: row.notifier, rule: row.rule, delivery: row.id, attempts, err: error },
          `notification to ${row.notifier} given up after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
        );
      } else {
        const at = now();
        outcome = { status: 'pending', at, error, nextAttemptAt: at + retryDelay(attempts) };
        logger.warn(
          { notifier: row.notifier, rule: row.rule, delivery: row.id, attempts, err: error },
          `notification to ${row.notifier} failed; retrying`,
        );
      }
    }
    finished.push({ row: { ...row, attempts }, outcome });
    if (!finishScheduled) {
      finishScheduled = true;
      setImmediate(storeOutcomes);
    }
  }

  function storeOutcomes(): void {
    finishScheduled = false;
    const batch = finished;
    finished = [];
    if (batch.length === 0) return;
    finishing = finishing
      .then(async () => {
        const recorded = new Set(
          await store.finishDeliveries(
            owner,
            batch.map(({ row, outcome }) => ({ id: row.id, outcome })),
          ),
        );
        for (const { row } of batch) {
          if (!recorded.has(row.id)) {
            logger.warn(
              { notifier: row.notifier, delivery: row.id },
              'notification outcome not recorded: the lease passed to another hub',
            );
          }
        }
      })
      .catch((thrown: unknown) =>
        // The leases run out and the rows are attempted again: at least once, never lost.
        logger.error(
          { deliveries: batch.length, err: describeError(thrown) },
          'notification outcomes could not be stored; they will be attempted again',
        ),
      )
      .then(() => {
        for (const { row, outcome } of batch) options.onOutcome?.(row, outcome);
      });
  }

  return {
    wake: pump,
    inFlight: () => Object.fromEntries(busy),
    async stop() {
      stopped = true;
      clearInterval(poll);
      await Promise.allSettled([...running]);
      storeOutcomes();
      await finishing;
      // Rows claimed but not attempted go back at once, for the next start (or another hub).
      const unused = [...waiting.values()].flat().map((row) => row.id);
      waiting.clear();
      if (unused.length > 0) {
        await store
          .releaseDeliveries(owner, unused)
          .catch((thrown: unknown) =>
            logger.warn(
              { deliveries: unused.length, err: describeError(thrown) },
              'claimed notifications not given back; they are attempted once their lease ends',
            ),
          );
      }
    },
  };
}
