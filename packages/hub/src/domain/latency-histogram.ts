/**
 * Latencies are counted in logarithmic bins so that adding one is O(1) and a window's p50/p95 comes
 * from summing a few dozen counters: bin = ⌊3·log2(1 + ms)⌋, so each bin is about 26 % wide, from
 * under a millisecond to 65 s (the last bin takes everything slower). A percentile is reported as
 * the geometric middle of its bin: within ±13 % of the true value, which is what a status page needs.
 */
export const LATENCY_BINS = 48;
const BINS_PER_DOUBLING = 3;

export function latencyBin(durationMs: number): number {
  if (!(durationMs > 0)) return 0;
  const bin = Math.floor(Math.log2(1 + durationMs) * BINS_PER_DOUBLING);
  return bin < LATENCY_BINS ? bin : LATENCY_BINS - 1;
}

/** Lower and upper bound of a bin, in ms. */
export function binBounds(bin: number): [number, number] {
  return [2 ** (bin / BINS_PER_DOUBLING) - 1, 2 ** ((bin + 1) / BINS_PER_DOUBLING) - 1];
}

/** The value reported for a bin: the geometric middle of its bounds (the arithmetic one for bin 0). */
export function binValue(bin: number): number {
  const [low, high] = binBounds(bin);
  const value = low <= 0 ? high / 2 : Math.sqrt(low * high);
  return Math.round(value * 100) / 100;
}

/**
 * The q-quantile (0..1) of `total` latencies counted in `counts[offset … offset + LATENCY_BINS)`,
 * or null when there are none.
 */
export function quantile(counts: ArrayLike<number>, total: number, q: number, offset = 0): number | null {
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bin = 0; bin < LATENCY_BINS; bin++) {
    seen += counts[offset + bin] ?? 0;
    if (seen >= rank) return binValue(bin);
  }
  return binValue(LATENCY_BINS - 1);
}

/** Sparse `[bin, count]` pairs, as stored. */
export function toPairs(counts: ArrayLike<number>, offset = 0): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let bin = 0; bin < LATENCY_BINS; bin++) {
    const count = counts[offset + bin] ?? 0;
    if (count > 0) pairs.push([bin, count]);
  }
  return pairs;
}
