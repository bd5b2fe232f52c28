import type { ObservationSource } from './api.js';
import { LATENCY_BINS, latencyBin, quantile, toPairs } from './latency-histogram.js';

/** The order sources are counted in. */
export const SOURCE_INDEX: Readonly<Record<ObservationSource, number>> = { traffic: 0, pulse: 1, otlp: 2 };
const SOURCES: readonly ObservationSource[] = ['traffic', 'pulse', 'otlp'];

/** What the window holds right now. */
export interface WindowSnapshot {
  total: number;
  failures: number;
  bySource: Record<ObservationSource, number>;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** One bucket's counts, as persisted and restored. */
export interface BucketCounts {
  index: number;
  total: number;
  failures: number;
  bySource: Record<ObservationSource, number>;
  latency: Array<[number, number]>;
}

/**
 * Buckets of 10 s or finer: 10 s for windows of 5 minutes and more, window ÷ 30 (at least 1 s) for
 * shorter ones, so even a short window is counted in 30 steps.
 */
export function bucketWidthFor(windowMs: number): number {
  const wanted = Math.max(1000, Math.min(10_000, Math.floor(windowMs / 30 / 1000) * 1000));
  // A width that divides a minute, so buckets line up with the per-minute history.
  return [10_000, 6000, 5000, 4000, 3000, 2000, 1000].find((width) => width <= wanted) ?? 1000;
}

/**
 * A sliding window of request outcomes (SPEC.md §5), counted in fixed buckets held in a ring.
 *
 * - `add` is O(1) and allocates nothing: it bumps counters in typed arrays.
 * - The window at time t is the bucket holding t and the buckets before it, `windowMs / bucketMs`
 *   in all; older buckets leave as time moves on (`advanceTo`, amortized O(1)).
 * - Running sums make `counts()` O(1); percentiles sum the latency bins of the live buckets.
 * - Buckets changed since the last `takeChanged()` are remembered, so only they are persisted.
 */
export class SlidingWindow {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly size: number;
  private readonly indexes: Float64Array;
  private readonly totals: Uint32Array;
  private readonly failed: Uint32Array;
  private readonly sources: Uint32Array;
  private latency: Uint32Array | undefined;
  private readonly changed = new Set<number>();
  private sumTotal = 0;
  private sumFailures = 0;
  private newest = -Infinity;

  constructor(windowMs: number, bucketMs = bucketWidthFor(windowMs)) {
    this.windowMs = windowMs;
    this.bucketMs = bucketMs;
    this.size = Math.max(1, Math.round(windowMs / bucketMs));
    this.indexes = new Float64Array(this.size).fill(-1);
    this.totals = new Uint32Array(this.size);
    this.failed = new Uint32Array(this.size);
    this.sources = new Uint32Array(this.size * 3);
  }

  /**
   * Counts one outcome at `timestamp`; false when it is older than the window (not counted).
   * `bin` is `latencyBin(durationMs)`, given when the caller has it already.
   */
  add(
    timestamp: number,
    failure: boolean,
    durationMs: number,
    source: number,
    bin = latencyBin(durationMs),
  ): boolean {
    const index = Math.floor(timestamp / this.bucketMs);
    if (index > this.newest) this.advanceToIndex(index);
    else if (index <= this.newest - this.size) return false;
    const slot = index % this.size;
    if (this.indexes[slot] !== index) this.resetSlot(slot, index);
    this.totals[slot]!++;
    this.sumTotal++;
    if (failure) {
      this.failed[slot]!++;
      this.sumFailures++;
    }
    this.sources[slot * 3 + source]!++;
    const latency = (this.latency ??= new Uint32Array(this.size * LATENCY_BINS));
    latency[slot * LATENCY_BINS + bin]!++;
    this.changed.add(slot);
    return true;
  }

  /** Lets buckets older than the window at `now` go. */
  advanceTo(now: number): void {
    const index = Math.floor(now / this.bucketMs);
    if (index > this.newest) this.advanceToIndex(index);
  }

  /** Outcomes and failures in the window at `now`, in O(1). */
  counts(now: number): { total: number; failures: number } {
    this.advanceTo(now);
    return { total: this.sumTotal, failures: this.sumFailures };
  }

  /**
   * The window at `now`; with `also` (another window of the same length, e.g. the counts other hub
   * replicas made), the two as one.
   */
  snapshot(now: number, also?: SlidingWindow): WindowSnapshot {
    const bySource = { traffic: 0, pulse: 0, otlp: 0 };
    const bins = new Float64Array(LATENCY_BINS);
    let total = 0;
    let failures = 0;
    for (const window of also ? [this, also] : [this]) {
      window.advanceTo(now);
      total += window.sumTotal;
      failures += window.sumFailures;
      window.sumInto(bySource, bins);
    }
    return {
      total,
      failures,
      bySource,
      p50Ms: quantile(bins, total, 0.5),
      p95Ms: quantile(bins, total, 0.95),
    };
  }

  /**
   * Adds counts to a bucket without marking it changed: counts that another replica made and
   * persists itself. Buckets already outside the window are ignored.
   */
  merge(bucket: BucketCounts): void {
    if (bucket.index > this.newest) this.advanceToIndex(bucket.index);
    else if (bucket.index <= this.newest - this.size) return;
    const slot = bucket.index % this.size;
    if (this.indexes[slot] !== bucket.index) this.resetSlot(slot, bucket.index);
    this.totals[slot]! += bucket.total;
    this.failed[slot]! += bucket.failures;
    this.sumTotal += bucket.total;
    this.sumFailures += bucket.failures;
    SOURCES.forEach((source, i) => (this.sources[slot * 3 + i]! += bucket.bySource[source]));
    const latency = (this.latency ??= new Uint32Array(this.size * LATENCY_BINS));
    for (const [bin, count] of bucket.latency) {
      if (bin >= 0 && bin < LATENCY_BINS) latency[slot * LATENCY_BINS + bin]! += count;
    }
  }

  private sumInto(bySource: Record<ObservationSource, number>, bins: Float64Array): void {
    for (let slot = 0; slot < this.size; slot++) {
      if (this.indexes[slot]! < 0 || this.totals[slot] === 0) continue;
      bySource.traffic += this.sources[slot * 3]!;
      bySource.pulse += this.sources[slot * 3 + 1]!;
      bySource.otlp += this.sources[slot * 3 + 2]!;
      if (this.latency)
        for (let bin = 0; bin < LATENCY_BINS; bin++) bins[bin]! += this.latency[slot * LATENCY_BINS + bin]!;
    }
  }

  /** The buckets changed since the last call (live ones only), for persisting. */
  takeChanged(): BucketCounts[] {
    const out: BucketCounts[] = [];
    for (const slot of this.changed) {
      const index = this.indexes[slot]!;
      if (index >= 0 && index > this.newest - this.size) out.push(this.bucketAt(slot));
    }
    this.changed.clear();
    return out;
  }

  /** Restores a persisted bucket (at start-up); buckets already outside the window are ignored. */
  restore(bucket: BucketCounts): void {
    if (bucket.index > this.newest) this.advanceToIndex(bucket.index);
    else if (bucket.index <= this.newest - this.size) return;
    const slot = bucket.index % this.size;
    this.resetSlot(slot, bucket.index);
    this.totals[slot] = bucket.total;
    this.failed[slot] = bucket.failures;
    this.sumTotal += bucket.total;
    this.sumFailures += bucket.failures;
    SOURCES.forEach((source, i) => (this.sources[slot * 3 + i] = bucket.bySource[source]));
    const latency = (this.latency ??= new Uint32Array(this.size * LATENCY_BINS));
    for (const [bin, count] of bucket.latency) {
      if (bin >= 0 && bin < LATENCY_BINS) latency[slot * LATENCY_BINS + bin] = count;
    }
  }

  private bucketAt(slot: number): BucketCounts {
    return {
      index: this.indexes[slot]!,
      total: this.totals[slot]!,
      failures: this.failed[slot]!,
      bySource: {
        traffic: this.sources[slot * 3]!,
        pulse: this.sources[slot * 3 + 1]!,
        otlp: this.sources[slot * 3 + 2]!,
      },
      latency: this.latency ? toPairs(this.latency, slot * LATENCY_BINS) : [],
    };
  }

  private advanceToIndex(index: number): void {
    if (index - this.newest >= this.size) {
      // A whole window (or more) passed: every bucket falls out.
      for (let slot = 0; slot < this.size; slot++) if (this.indexes[slot]! >= 0) this.resetSlot(slot, -1);
    } else {
      // Buckets that fall out are those numbered up to index − size, and only the ones still held.
      for (let old = this.newest - this.size + 1; old <= index - this.size; old++) {
        const slot = old % this.size;
        if (this.indexes[slot] === old) this.resetSlot(slot, -1);
      }
    }
    this.newest = index;
  }

  private resetSlot(slot: number, index: number): void {
    this.sumTotal -= this.totals[slot]!;
    this.sumFailures -= this.failed[slot]!;
    this.indexes[slot] = index;
    this.totals[slot] = 0;
    this.failed[slot] = 0;
    this.sources.fill(0, slot * 3, slot * 3 + 3);
    this.latency?.fill(0, slot * LATENCY_BINS, (slot + 1) * LATENCY_BINS);
  }
}
