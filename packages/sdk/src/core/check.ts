import type { Duration } from './duration.js';
import type { CheckStatus, ProbeKind } from './status.js';

/** What a check's `run` may return. Returning nothing means `ok`. */
export interface CheckOutcome {
  status: CheckStatus;
  /** Why: shown in every format that carries text (`/readyz?verbose`, `/health` `output`, …). */
  message?: string;
  /** A measured value, e.g. a latency or a percentage (`/health` `observedValue`). */
  observedValue?: unknown;
  /** The unit of `observedValue`, e.g. `ms`, `%`, `bytes` (`/health` `observedUnit`). */
  observedUnit?: string;
}

/** What a check receives: a signal that aborts when its timeout passes or the service stops. */
export interface CheckContext {
  signal: AbortSignal;
}

/**
 * The function behind a check. It may return an outcome, return nothing (ok), or throw or reject
 * (error, with the thrown reason as the message). It is never allowed to hang a health endpoint:
 * it is cut off at its timeout.
 */
export type CheckFunction = (context: CheckContext) => CheckOutcome | void | Promise<CheckOutcome | void>;

/**
 * What a built-in check factory gives: the function and sensible defaults for how it is shown.
 * Spread it into `addCheck` and add what is yours: `{ name: 'db', ...postgresCheck(...), critical: true }`.
 */
export interface CheckDefinition {
  run: CheckFunction;
  /** `/health` component type, e.g. `datastore`, `component`, `system`. */
  componentType?: string;
  /** `/health` measurement name, e.g. `responseTime`, `utilization`. */
  measurement?: string;
  /** The dependency this check talks to (credentials are stripped before it is shown). */
  dependency?: string;
  /** A default timeout for this kind of check. */
  timeout?: Duration;
}

/** A named check, as given to `health.addCheck`. */
export interface CheckOptions extends CheckDefinition {
  /** Letters, digits, `.`, `_` and `-`; used in URLs such as `/_system/check/<name>`. */
  name: string;
  /** A failing critical check fails the aggregate; a non-critical one lowers it to `warning` at most. Default true. */
  critical?: boolean;
  /** How long a run may take before it counts as `error`. Default 1s (kubelet's own probe timeout). */
  timeout?: Duration;
  /** How long a result is reused before the check runs again. Default 1s; 0 shares only in-flight runs. */
  cache?: Duration;
  /** Run in the background on this interval and serve the latest result; off by default. */
  interval?: Duration;
  /** The probes this check counts for. Default `['readiness']`. */
  probes?: ProbeKind[];
  /** A link to what to do when this check fails. */
  runbook?: string;
  /** One line saying what the check verifies. */
  description?: string;
}

/** The result of one run of one check. A failed check is data, never an exception. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  critical: boolean;
  message?: string;
  observedValue?: unknown;
  observedUnit?: string;
  /** When the run finished (epoch ms): how fresh a cached result is. */
  checkedAt: number;
  /** The same, as ISO 8601 UTC — computed once per run, since every format shows it. */
  checkedAtIso: string;
  /** How long the run took, in milliseconds. */
  durationMs: number;
}

/** A check as the registry keeps it: every default filled in. */
export interface NormalizedCheck {
  name: string;
  run: CheckFunction;
  critical: boolean;
  timeoutMs: number;
  cacheMs: number;
  intervalMs: number | undefined;
  probes: ReadonlySet<ProbeKind>;
  componentType: string;
  measurement: string | undefined;
  dependency: string | undefined;
  runbook: string | undefined;
  description: string | undefined;
}
