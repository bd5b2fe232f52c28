import type { ObservationSource } from './api.js';
import { LATENCY_BINS, latencyBin, quantile } from './latency-histogram.js';

/** One minute of outcomes, as the history keeps it. */
export interface MinuteRow {
  start: number;
  total: number;
  failures: number;
  bySource: Record<ObservationSource, number>;
  p50Ms: number | null;
  p95Ms: number | null;
}

interface Minute {
  start: number;
  total: number;
  failures: number;
  sources: [number, number, number];
  latency: Uint32Array;
  changed: boolean;
}

/**
 * Per-minute counts of one API, for its 24-hour ratio and latency charts. Minutes still open to
 * late outcomes stay in memory; each change is handed out once (`takeChanged`) and upserted, so a
 * minute's row is rewritten until no more outcomes arrive for it.
 */
export class MinuteHistory {
  private readonly minutes = new Map<number, Minute>();
  private last: Minute | undefined;

  /** Counts one outcome; `bin` is `latencyBin(durationMs)`, given when the caller has it already. */
  add(
    timestamp: number,
    failure: boolean,
    durationMs: number,
    source: number,
    bin = latencyBin(durationMs),
  ): void {
    const start = timestamp - (timestamp % 60_000);
    let minute = this.last;
    if (minute === undefined || minute.start !== start) {
      minute = this.minutes.get(start);
      if (!minute) {
        minute = {
          start,
          total: 0,
          failures: 0,
          sources: [0, 0, 0],
          latency: new Uint32Array(LATENCY_BINS),
          changed: false,
        };
        this.minutes.set(start, minute);
      }
      this.last = minute;
    }
    minute.total++;
    if (failure) minute.failures++;
    minute.sources[source]!++;
    minute.latency[bin]!++;
    minute.changed = true;
  }

  /**
   * Adds a restored window bucket's counts to its minute (at start-up), so a minute that straddles a
   * restart keeps what was counted before it. Bucket widths divide a minute, so buckets never straddle.
   * `changed`: the minute is to be written again (counts another hub replica made, folded in live).
   */
  restoreBucket(
    start: number,
    bucket: {
      total: number;
      failures: number;
      bySource: Record<ObservationSource, number>;
      latency: Array<[number, number]>;
    },
    changed = false,
  ): void {
    const minuteStart = start - (start % 60_000);
    let minute = this.minutes.get(minuteStart);
    if (!minute) {
      minute = {
        start: minuteStart,
        total: 0,
        failures: 0,
        sources: [0, 0, 0],
        latency: new Uint32Array(LATENCY_BINS),
        changed: false,
      };
      this.minutes.set(minuteStart, minute);
    }
    minute.total += bucket.total;
    minute.failures += bucket.failures;
    minute.sources[0] += bucket.bySource.traffic;
    minute.sources[1] += bucket.bySource.pulse;
    minute.sources[2] += bucket.bySource.otlp;
    for (const [bin, count] of bucket.latency)
      if (bin >= 0 && bin < LATENCY_BINS) minute.latency[bin]! += count;
    if (changed) minute.changed = true;
  }

  takeChanged(): MinuteRow[] {
    const rows: MinuteRow[] = [];
    for (const minute of this.minutes.values()) {
      if (!minute.changed) continue;
      minute.changed = false;
      rows.push({
        start: minute.start,
        total: minute.total,
        failures: minute.failures,
        bySource: { traffic: minute.sources[0], pulse: minute.sources[1], otlp: minute.sources[2] },
        p50Ms: quantile(minute.latency, minute.total, 0.5),
        p95Ms: quantile(minute.latency, minute.total, 0.95),
      });
    }
    return rows;
  }

  /** Forgets minutes that started before `before` (no outcome can reach them any more). */
  forget(before: number): void {
    for (const start of this.minutes.keys()) if (start < before) this.minutes.delete(start);
    if (this.last && this.last.start < before) this.last = undefined;
  }
}
