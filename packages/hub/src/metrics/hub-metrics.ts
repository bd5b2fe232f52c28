import { MetricRegistry, type Counter, type Histogram } from './metric-registry.js';
import { createProcessMetrics, type ProcessMetrics } from './process-metrics.js';

/** Upper bounds of the probe latency histogram, in seconds. */
export const PROBE_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Upper bounds of the store commit histogram, in seconds: a healthy SQLite commit takes about a millisecond. */
export const COMMIT_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/**
 * The counters the hub increments as things happen; the gauges (API status, instances) are read
 * from the registries at scrape time instead (`renderMetrics`). One per hub, in `HubContext.metrics`.
 *
 * A feature that sends something out increments its counter here — a notifier, for instance:
 *
 * @example
 * hub.metrics.notifications.inc(['slack', 'delivered']);
 * hub.metrics.notifications.inc(['webhook', 'failed']);
 */
export interface HubMetrics {
  readonly registry: MetricRegistry;
  /** `heartbeat_http_requests_total{method, route, code}`: `route` is the route's template, not the URL. */
  readonly httpRequests: Counter;
  /** `heartbeat_ingest_heartbeats_total{outcome}`: messages, `accepted` or `rejected`. */
  readonly heartbeats: Counter;
  /** `heartbeat_ingest_observations_total{via, outcome}`: `via` is `api`, `otlp` or `pulse`. */
  readonly observations: Counter;
  /** `heartbeat_pulse_probes_total{basepath, outcome}`: `ok` or `failed`. */
  readonly probes: Counter;
  /** `heartbeat_pulse_probe_duration_seconds{basepath}`. */
  readonly probeDuration: Histogram;
  /**
   * `heartbeat_store_commit_duration_seconds{outcome}`: each group commit (`committed` or `failed`),
   * which every acknowledged heartbeat and observation waits for.
   */
  readonly storeCommits: Histogram;
  /** `heartbeat_notifications_total{notifier, outcome}`: for notifiers to increment (`delivered`, `failed`, …). */
  readonly notifications: Counter;
  /** CPU, memory, heap, event loop delay, file descriptors of the hub's process. */
  readonly process: ProcessMetrics;
  /** Stops measuring the event loop delay. */
  close(): void;
}

export function createHubMetrics(): HubMetrics {
  const registry = new MetricRegistry();
  const process = createProcessMetrics();
  return {
    process,
    close: () => process.close(),
    registry,
    httpRequests: registry.counter(
      'heartbeat_http_requests_total',
      'HTTP requests answered by the API, by method, route template and status code.',
      ['method', 'route', 'code'],
    ),
    heartbeats: registry.counter(
      'heartbeat_ingest_heartbeats_total',
      'Heartbeat messages received, accepted or rejected.',
      ['outcome'],
    ),
    observations: registry.counter(
      'heartbeat_ingest_observations_total',
      'Observations received, by way in (api, otlp, pulse), accepted or rejected.',
      ['via', 'outcome'],
    ),
    probes: registry.counter('heartbeat_pulse_probes_total', 'Pulse probes finished, by API, ok or failed.', [
      'basepath',
      'outcome',
    ]),
    probeDuration: registry.histogram(
      'heartbeat_pulse_probe_duration_seconds',
      'How long Pulse probes took, by API.',
      ['basepath'],
      PROBE_DURATION_BUCKETS,
    ),
    storeCommits: registry.histogram(
      'heartbeat_store_commit_duration_seconds',
      'How long the group commits to the store took, committed or failed; every acknowledged write waits for one.',
      ['outcome'],
      COMMIT_DURATION_BUCKETS,
    ),
    notifications: registry.counter(
      'heartbeat_notifications_total',
      'Notifications sent, by notifier and outcome.',
      ['notifier', 'outcome'],
    ),
  };
}
