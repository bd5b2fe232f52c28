/** An API's status (SPEC.md §5, seed 001). */
export type ApiStatus = 'UP' | 'DOWN' | 'UNKNOWN';

export const API_STATUSES: readonly ApiStatus[] = ['UP', 'DOWN', 'UNKNOWN'];

/** Where an observation came from: real traffic, the hub's own Pulse probes, or OpenTelemetry spans. */
export type ObservationSource = 'traffic' | 'pulse' | 'otlp';

export const OBSERVATION_SOURCES: readonly ObservationSource[] = ['traffic', 'pulse', 'otlp'];

/** One request outcome for a basepath, after validation. */
export interface Observation {
  basepath: string;
  /** HTTP status, when the request got an answer. */
  statusCode?: number;
  /** A transport failure instead of an answer: `timeout`, `connection refused`, … */
  error?: string;
  durationMs: number;
  /** When the request happened (epoch ms). */
  timestamp: number;
  source: ObservationSource;
}

/**
 * Which outcomes count as failures. The default (SPEC.md §5): any 5xx, timeouts and connection
 * errors. Per API, e.g. to count 429 as a failure too.
 */
export interface FailOnRule {
  /** Status codes that fail, as inclusive ranges: `[[500, 599]]` is "5xx". */
  statusRanges: ReadonlyArray<readonly [number, number]>;
  /** A transport error (timeout, refused, reset, DNS…) fails. Default true. */
  errors: boolean;
}

export const DEFAULT_FAIL_ON: FailOnRule = { statusRanges: [[500, 599]], errors: true };

/** What Pulse checks in an answer. */
export interface PulseExpectation {
  /** Acceptable status codes as inclusive ranges; default 200–399. */
  status: ReadonlyArray<readonly [number, number]>;
  /** Conditions on the JSON body: `{ path: 'status', equals: 'UP' }`, `{ path: 'items.length', greaterThan: 0 }`. */
  json: ReadonlyArray<JsonCondition>;
  /** An answer slower than this fails. */
  maxResponseTimeMs?: number;
}

export interface JsonCondition {
  /** Dotted path into the body: `status`, `checks.db.status`, `items.0.id`, `items.length`. */
  path: string;
  equals?: string | number | boolean | null;
  notEquals?: string | number | boolean | null;
  exists?: boolean;
  greaterThan?: number;
  lessThan?: number;
  /** A regular expression the value (as text) must match. */
  matches?: string;
}

/** A synthetic probe for one API (seed 001's Pulse), declared the way a team declares its API. */
export interface PulseDefinition {
  enabled: boolean;
  /** What to probe: `https://…` / `http://…`, or `tcp://host:port` for a connect-only probe. */
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  intervalMs: number;
  timeoutMs: number;
  expect: PulseExpectation;
}

/** Where an API's definition comes from; only `api` and `auto` can be changed through the admin API. */
export type ApiOrigin = 'config' | 'api' | 'auto';

/** An API the hub judges, identified by its basepath. */
export interface ApiDefinition {
  basepath: string;
  name?: string;
  owner?: string;
  upstream?: string;
  /** What to do when it is DOWN. */
  runbook?: string;
  labels: Record<string, string>;
  /** Sliding window length. Default 5 min. */
  windowMs: number;
  /** Success ratio at or above which it is UP. Default 0.90 (exactly 90 % is UP). */
  threshold: number;
  /** Fewer observations than this in the window: UNKNOWN. Default 5. */
  minSamples: number;
  failOn: FailOnRule;
  pulse?: PulseDefinition;
  origin: ApiOrigin;
  createdAt: number;
  updatedAt: number;
}

export const API_DEFAULTS = { windowMs: 300_000, threshold: 0.9, minSamples: 5 } as const;
export const PULSE_DEFAULTS = {
  intervalMs: 30_000,
  minIntervalMs: 1000,
  timeoutMs: 5000,
  method: 'GET',
} as const;

/** Whether an outcome is a failure under a rule. */
export function isFailure(
  rule: FailOnRule,
  statusCode: number | undefined,
  error: string | undefined,
): boolean {
  if (error !== undefined) return rule.errors;
  if (statusCode === undefined) return false;
  const ranges = rule.statusRanges;
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]!;
    if (statusCode >= range[0] && statusCode <= range[1]) return true;
  }
  return false;
}
