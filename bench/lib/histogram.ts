/**
 * Latencies in 10 µs buckets up to 2 s (plus an overflow kept exactly), so percentiles need no sort
 * and no hdr rounding: the same histogram as `load.ts` keeps, for the hub scenarios' own load.
 */
export class Histogram {
  private static readonly BUCKET_MS = 0.01;
  private readonly buckets = new Uint32Array(200_000);
  private readonly overflow: number[] = [];
  private max = 0;
  count = 0;

  record(ms: number): void {
    const index = Math.floor(Math.max(0, ms) / Histogram.BUCKET_MS);
    if (index < this.buckets.length) this.buckets[index]!++;
    else this.overflow.push(ms);
    if (ms > this.max) this.max = ms;
    this.count++;
  }

  /** The upper edge of the bucket holding the p-th percentile, in ms (NaN when empty). */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return roundTo((i + 1) * Histogram.BUCKET_MS, 2);
    }
    const sorted = [...this.overflow].sort((a, b) => a - b);
    return roundTo(sorted[rank - seen - 1] ?? this.max, 2);
  }

  get maximum(): number {
    return roundTo(this.max, 2);
  }

  summary(): { count: number; p50: number; p90: number; p99: number; max: number } {
    return {
      count: this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.maximum,
    };
  }
}

/** Percentile of a plain list (nearest rank), for small samples such as expiry delays. */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
