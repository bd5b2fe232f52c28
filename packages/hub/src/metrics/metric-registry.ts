import { labelText, type Exposition } from './exposition.js';

/**
 * Counters and histograms the hub increments as things happen (requests, ingested items, probes,
 * notifications), as opposed to the gauges computed from the registries at scrape time. Label
 * values are given in the order of the metric's `labels`.
 *
 * @example
 * const sent = registry.counter('heartbeat_notifications_total', 'Notifications sent', ['notifier', 'outcome']);
 * sent.inc(['slack', 'delivered']);
 */
export interface Counter {
  readonly name: string;
  inc(labelValues: readonly string[], by?: number): void;
  /** The current value of one series (0 when never incremented); for tests and the badge of health. */
  get(labelValues: readonly string[]): number;
  /** Forgets the series whose labels fail `keep` (a removed API's series). */
  retain(keep: (labelValues: readonly string[]) => boolean): void;
}

export interface Histogram {
  readonly name: string;
  observe(labelValues: readonly string[], value: number): void;
  /** Count and sum of one series; for tests. */
  get(labelValues: readonly string[]): { count: number; sum: number };
  retain(keep: (labelValues: readonly string[]) => boolean): void;
}

interface Metric {
  write(out: Exposition): void;
}

/** Keys a series by its label values; `\u0001` cannot appear in a label the hub accepts. */
function seriesKey(labelValues: readonly string[]): string {
  return labelValues.length === 1 ? labelValues[0]! : labelValues.join('\u0001');
}

export class MetricRegistry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string, labels: readonly string[]): Counter {
    const series = new Map<string, { labels: string; values: readonly string[]; value: number }>();
    const counter: Counter & Metric = {
      name,
      inc(labelValues, by = 1) {
        const key = seriesKey(labelValues);
        const found = series.get(key);
        if (found) found.value += by;
        else series.set(key, { labels: labelText(labels, labelValues), values: [...labelValues], value: by });
      },
      get: (labelValues) => series.get(seriesKey(labelValues))?.value ?? 0,
      retain(keep) {
        for (const [key, entry] of series) if (!keep(entry.values)) series.delete(key);
      },
      write(out) {
        out.family(name, 'counter', help);
        for (const entry of series.values()) out.sampleWithLabels(name, entry.labels, entry.value);
      },
    };
    this.metrics.push(counter);
    return counter;
  }

  /** A histogram with cumulative `le` buckets (upper bounds, ascending; `+Inf` is added). */
  histogram(name: string, help: string, labels: readonly string[], buckets: readonly number[]): Histogram {
    const bounds = [...buckets].sort((a, b) => a - b);
    const les = [...bounds.map(String), '+Inf'];
    interface Series {
      values: readonly string[];
      /** Label text for `_sum`/`_count`, and the prefix of each bucket's label text. */
      labels: string;
      bucketLabels: string[];
      counts: Float64Array;
      sum: number;
      count: number;
    }
    const series = new Map<string, Series>();
    const histogram: Histogram & Metric = {
      name,
      observe(labelValues, value) {
        const key = seriesKey(labelValues);
        let entry = series.get(key);
        if (!entry) {
          entry = {
            values: [...labelValues],
            labels: labelText(labels, labelValues),
            bucketLabels: les.map((le) => labelText([...labels, 'le'], [...labelValues, le])),
            counts: new Float64Array(bounds.length),
            sum: 0,
            count: 0,
          };
          series.set(key, entry);
        }
        for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) entry.counts[i]!++;
        entry.sum += value;
        entry.count++;
      },
      get(labelValues) {
        const entry = series.get(seriesKey(labelValues));
        return { count: entry?.count ?? 0, sum: entry?.sum ?? 0 };
      },
      retain(keep) {
        for (const [key, entry] of series) if (!keep(entry.values)) series.delete(key);
      },
      write(out) {
        out.family(name, 'histogram', help);
        for (const entry of series.values()) {
          for (let i = 0; i < bounds.length; i++)
            out.sampleWithLabels(`${name}_bucket`, entry.bucketLabels[i]!, entry.counts[i]!);
          out.sampleWithLabels(`${name}_bucket`, entry.bucketLabels[bounds.length]!, entry.count);
          out.sampleWithLabels(`${name}_sum`, entry.labels, entry.sum);
          out.sampleWithLabels(`${name}_count`, entry.labels, entry.count);
        }
      },
    };
    this.metrics.push(histogram);
    return histogram;
  }

  write(out: Exposition): void {
    for (const metric of this.metrics) metric.write(out);
  }
}
