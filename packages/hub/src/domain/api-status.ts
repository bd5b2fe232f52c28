import type { ApiDefinition, ApiStatus } from './api.js';

/**
 * SPEC.md §5: fewer than `minSamples` outcomes → UNKNOWN; a success ratio at or above `threshold`
 * → UP (exactly 90 % is UP); otherwise DOWN. Compared in integers, so 27 of 30 is exactly 0.9.
 */
export function evaluateStatus(
  total: number,
  failures: number,
  api: Pick<ApiDefinition, 'minSamples' | 'threshold'>,
): ApiStatus {
  if (total < api.minSamples || total === 0) return 'UNKNOWN';
  const successes = total - failures;
  return successes * 1_000_000 >= Math.round(api.threshold * 1_000_000) * total ? 'UP' : 'DOWN';
}

/** The success ratio, or null when there is nothing to divide. */
export function successRatio(total: number, failures: number): number | null {
  return total === 0 ? null : (total - failures) / total;
}
