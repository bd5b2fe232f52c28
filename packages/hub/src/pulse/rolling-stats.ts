/**
 * Figures over the last minute in fixed memory: a histogram per 10-second slot, six slots kept, so
 * recording is O(1) and a snapshot never sorts, however many probes a second run.
 */

const SLOT_MS = 10_000;
const SLOTS = 6;

/**
 * Buckets: 0.1 ms wide below 100 ms, 1 ms below 1 s, 10 ms below 10 s, 100 ms below 100 s, then one
 * overflow bucket (its values are reported as the exact maximum).
 */
const BUCKETS = 1000 + 900 + 900 + 900 + 1;

function bucketOf(ms: number): number {
  if (ms < 100) return Math.floor(Math.max(0, ms) * 10);
  if (ms < 1000) return 1000 + Math.floor(ms - 100);
  if (ms < 10_000) return 1900 + Math.floor((ms - 1000) / 10);
  if (ms < 100_000) return 2800 + Math.floor((ms - 10_000) / 100);
  return BUCKETS - 1;
}

/** The upper edge of a bucket, in ms (Infinity for the overflow bucket). */
function upperEdge(bucket: number): number {
  if (bucket < 1000) return (bucket + 1) / 10;
  if (bucket < 1900) return 100 + (bucket - 1000) + 1;
  if (bucket < 2800) return 1000 + (bucket - 1900 + 1) * 10;
  if (bucket < 3700) return 10_000 + (bucket - 2800 + 1) * 100;
  return Infinity;
}

export interface RollingSnapshot {
  /** Values recorded in the window. */
  count: number;
  /** Percentiles as the upper edge of their bucket (never above `max`); 0 when nothing was recorded. */
  p50: number;
  p99: number;
  max: number;
}

interface Slot {
  /** Which 10-second period of the clock this slot holds (`floor(at / SLOT_MS)`). */
  period: number;
  buckets: Uint32Array;
  count: number;
  max: number;
}

/**
 * Durations (ms) over the last 50–60 s: the current 10-second slot and the five before it.
 *
 * @example
 * const lateness = new RollingHistogram();
 * lateness.record(12.5, now());
 * lateness.snapshot(now()); // → { count: 1, p50: 12.5, p99: 12.5, max: 12.5 }
 */
export class RollingHistogram {
  private readonly slots: Slot[] = Array.from({ length: SLOTS }, () => ({
    period: -Infinity,
    buckets: new Uint32Array(BUCKETS),
    count: 0,
    max: 0,
  }));

  record(valueMs: number, at: number): void {
    const slot = this.slotFor(at);
    slot.buckets[bucketOf(valueMs)]!++;
    slot.count++;
    if (valueMs > slot.max) slot.max = valueMs;
  }

  snapshot(at: number): RollingSnapshot {
    const live = this.liveSlots(at);
    const count = live.reduce((sum, slot) => sum + slot.count, 0);
    const max = live.reduce((most, slot) => Math.max(most, slot.max), 0);
    if (count === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
    const percentile = (p: number): number => {
      const rank = Math.max(1, Math.ceil((p / 100) * count));
      let seen = 0;
      for (let bucket = 0; bucket < BUCKETS; bucket++) {
        for (const slot of live) seen += slot.buckets[bucket]!;
        if (seen >= rank) return round(Math.min(upperEdge(bucket), max));
      }
      return round(max);
    };
    return { count, p50: percentile(50), p99: percentile(99), max: round(max) };
  }

  private slotFor(at: number): Slot {
    const period = Math.floor(at / SLOT_MS);
    const slot = this.slots[((period % SLOTS) + SLOTS) % SLOTS]!;
    if (slot.period !== period) {
      slot.period = period;
      slot.buckets.fill(0);
      slot.count = 0;
      slot.max = 0;
    }
    return slot;
  }

  private liveSlots(at: number): Slot[] {
    const period = Math.floor(at / SLOT_MS);
    return this.slots.filter((slot) => slot.period > period - SLOTS && slot.period <= period);
  }
}

/**
 * Events per second over the last 50–60 s (the same six 10-second slots).
 *
 * @example
 * const probes = new RollingRate(now());
 * probes.record(now());
 * probes.perSecond(now());
 */
export class RollingRate {
  private readonly counts = new Float64Array(SLOTS);
  private readonly periods = new Float64Array(SLOTS).fill(-Infinity);

  /** `since`: when counting began; a window younger than a minute is divided by its true length. */
  constructor(private readonly since: number) {}

  record(at: number, amount = 1): void {
    const period = Math.floor(at / SLOT_MS);
    const index = ((period % SLOTS) + SLOTS) % SLOTS;
    if (this.periods[index] !== period) {
      this.periods[index] = period;
      this.counts[index] = 0;
    }
    this.counts[index]! += amount;
  }

  perSecond(at: number): number {
    const period = Math.floor(at / SLOT_MS);
    let total = 0;
    for (let i = 0; i < SLOTS; i++) {
      const slotPeriod = this.periods[i]!;
      if (slotPeriod > period - SLOTS && slotPeriod <= period) total += this.counts[i]!;
    }
    const windowStart = Math.max(this.since, (period - SLOTS + 1) * SLOT_MS);
    const seconds = (at - windowStart) / 1000;
    return seconds > 0 ? round(total / seconds) : 0;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
