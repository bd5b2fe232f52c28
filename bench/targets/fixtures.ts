/** What every target of the SDK endpoints scenario shares, so that they all do the same job. */
import { hostname } from 'node:os';

export const ROWS = ['heartbeat', 'ops-heartbeat'] as const;
export type Row = (typeof ROWS)[number];

/** The headers the SDK sends with every JSON health answer. */
export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-cache, no-store, must-revalidate',
};

/** How long each check's result is reused. */
export const CHECK_CACHE_MS = 10_000;

/** Five checks, each declaring the dependency it would talk to; their run functions do nothing. */
export const CHECKS: ReadonlyArray<{ name: string; dependency: string }> = [
  { name: 'orders-db', dependency: 'postgres://orders-db.internal:5432/orders' },
  { name: 'cache', dependency: 'redis://cache.internal:6379/0' },
  { name: 'payments', dependency: 'https://payments.internal/healthz' },
  { name: 'search', dependency: 'http://search.internal:9200/_cluster/health' },
  { name: 'queue', dependency: 'amqp://queue.internal:5672/orders' },
];

/** The machine name, as the SDK shows it. */
export const MACHINE = hostname();

/** One `/ops/heartbeat` dependency entry, as the SDK renders it. */
export interface DependencyEntry {
  Status: 'OK';
  URL: string;
  UtcDateTime: string;
  RequestDuration: number;
}

/**
 * A check kept the way a hand-written server would: its last entry and when it was made; a
 * trivial (synchronous, do-nothing) run when that is older than the cache period.
 */
export function cachedDependency(dependency: string): (now: number) => DependencyEntry {
  const url = new URL(dependency).href;
  let entry: DependencyEntry | undefined;
  let checkedAt = 0;
  return (now) => {
    if (entry === undefined || now - checkedAt >= CHECK_CACHE_MS) {
      const startedAt = performance.now();
      // The check itself: nothing to do.
      const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
      checkedAt = now;
      entry = {
        Status: 'OK',
        URL: url,
        UtcDateTime: new Date(now).toISOString(),
        RequestDuration: durationMs,
      };
    }
    return entry;
  };
}
