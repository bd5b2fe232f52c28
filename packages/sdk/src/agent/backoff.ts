/** The first retry waits about this long, and no retry comes sooner. */
export const BACKOFF_START_MS = 1000;

/**
 * How long to wait before retrying after `failures` failed beats in a row: exponential backoff
 * with full jitter (a random delay up to 1s, 2s, 4s, … capped at the interval), never under 1s,
 * so a fleet of agents that lost the hub together does not come back in step.
 *
 * @example
 * backoffDelay(1, 30_000) // 1000
 * backoffDelay(4, 30_000) // between 1000 and 8000
 * backoffDelay(9, 30_000) // between 1000 and 30000
 */
export function backoffDelay(
  failures: number,
  intervalMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.max(BACKOFF_START_MS, Math.min(intervalMs, BACKOFF_START_MS * 2 ** exponent));
  return Math.max(BACKOFF_START_MS, Math.round(random() * ceiling));
}

/**
 * `Retry-After` in milliseconds (seconds or an HTTP date), or undefined when absent or unreadable.
 *
 * @example
 * parseRetryAfter('5', Date.now()) // 5000
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
