import { describeError, HeartbeatError } from '../errors.js';
import type { CheckOptions, CheckOutcome, CheckResult, NormalizedCheck } from './check.js';
import { formatDuration, parseDuration } from './duration.js';
import { isCheckStatus, PROBE_KINDS, type ProbeKind } from './status.js';

/** Defaults for every check; each can be overridden per check. */
export const CHECK_DEFAULTS = {
  /** kubelet's own `timeoutSeconds` default is 1 s: a slower check would fail the probe anyway. */
  timeoutMs: 1000,
  cacheMs: 1000,
  probes: ['readiness'] as ProbeKind[],
} as const;

const CHECK_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface HealthRegistryOptions {
  /** The clock, in epoch milliseconds. Tests pass a fake one. */
  now?: () => number;
}

/**
 * Holds the named checks and runs them: concurrently, each bounded by its timeout, each cached for
 * its cache period, with concurrent callers sharing one in-flight run (single-flight), and optional
 * background runs on an interval.
 */
export interface HealthRegistry {
  /** Adds a check; throws `VALIDATION_FAILED` for a bad name, a duplicate, or a bad duration or URL. */
  add(options: CheckOptions): NormalizedCheck;
  /** Removes a check and stops its background runs; false when there was none by that name. */
  remove(name: string): boolean;
  get(name: string): NormalizedCheck | undefined;
  /** Every check, in the order they were added. */
  list(): readonly NormalizedCheck[];
  /** The checks that count for a probe, in the order they were added. */
  forProbe(probe: ProbeKind): readonly NormalizedCheck[];
  /**
   * Results for the given checks, in the same order. Synchronous when every result is cached, so
   * the hot path of a health endpoint allocates no promise; otherwise a promise that settles within
   * the largest timeout among the checks that had to run.
   */
  evaluate(checks: readonly NormalizedCheck[]): CheckResult[] | Promise<CheckResult[]>;
  /** The latest finished result of a check, without running it. */
  latest(name: string): CheckResult | undefined;
  /** Stops background runs and aborts runs in flight. */
  close(): void;
}

interface CheckState {
  check: NormalizedCheck;
  last: CheckResult | undefined;
  inFlight: Promise<CheckResult> | undefined;
  /** A run that timed out but whose function has still not settled; no new run starts meanwhile. */
  straggler: { startedAt: number } | undefined;
  timer: NodeJS.Timeout | undefined;
  controller: AbortController | undefined;
}

/**
 * Creates an empty registry.
 *
 * @example
 * const registry = createHealthRegistry();
 * registry.add({ name: 'db', run: () => pool.query('select 1').then(() => undefined) });
 */
export function createHealthRegistry(options: HealthRegistryOptions = {}): HealthRegistry {
  const now = options.now ?? Date.now;
  const states = new Map<string, CheckState>();
  let all: NormalizedCheck[] = [];
  let byProbe = new Map<ProbeKind, NormalizedCheck[]>();
  let closed = false;

  function reindex(): void {
    all = [...states.values()].map((state) => state.check);
    byProbe = new Map(PROBE_KINDS.map((probe) => [probe, all.filter((check) => check.probes.has(probe))]));
  }

  function finish(state: CheckState, outcome: CheckOutcome, startedAt: number): CheckResult {
    const checkedAt = now();
    const result: CheckResult = {
      name: state.check.name,
      status: outcome.status,
      critical: state.check.critical,
      checkedAt,
      checkedAtIso: new Date(checkedAt).toISOString(),
      durationMs: Math.max(0, Math.round((performance.now() - startedAt) * 100) / 100),
    };
    if (outcome.message !== undefined) result.message = outcome.message;
    if (outcome.observedValue !== undefined) result.observedValue = outcome.observedValue;
    if (outcome.observedUnit !== undefined) result.observedUnit = outcome.observedUnit;
    state.last = result;
    return result;
  }

  function start(state: CheckState): Promise<CheckResult> {
    const { check } = state;
    const startedAt = performance.now();
    if (state.straggler) {
      const runningFor = formatDuration(now() - state.straggler.startedAt);
      return Promise.resolve(
        finish(
          state,
          {
            status: 'error',
            message: `still running ${runningFor} after it started (timeout ${formatDuration(check.timeoutMs)}); not started again until it ends`,
          },
          startedAt,
        ),
      );
    }
    const controller = new AbortController();
    state.controller = controller;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(() => {
        const message = `timed out after ${formatDuration(check.timeoutMs)}`;
        controller.abort(new Error(message));
        state.straggler = { startedAt: now() - check.timeoutMs };
        resolve({ status: 'error', message });
      }, check.timeoutMs);
      timer.unref();
    });
    const ran = Promise.resolve()
      .then(() => check.run({ signal: controller.signal }))
      .then(toOutcome, (thrown: unknown) => ({ status: 'error', message: describeError(thrown) }) as const);
    void ran.finally(() => {
      state.straggler = undefined;
    });
    const inFlight = Promise.race([ran, timedOut]).then((outcome) => {
      clearTimeout(timer);
      state.inFlight = undefined;
      state.controller = undefined;
      return finish(state, outcome, startedAt);
    });
    state.inFlight = inFlight;
    return inFlight;
  }

  function resultOf(state: CheckState): CheckResult | Promise<CheckResult> {
    const { last, check } = state;
    if (last && (check.intervalMs !== undefined || now() - last.checkedAt < check.cacheMs)) return last;
    return state.inFlight ?? start(state);
  }

  function scheduleBackground(state: CheckState): void {
    const intervalMs = state.check.intervalMs;
    if (intervalMs === undefined || closed) return;
    const tick = (): void => {
      void (state.inFlight ?? start(state)).then(() => {
        if (closed || states.get(state.check.name) !== state) return;
        state.timer = setTimeout(tick, intervalMs);
        state.timer.unref();
      });
    };
    tick();
  }

  function stop(state: CheckState): void {
    clearTimeout(state.timer);
    state.controller?.abort(new Error('the health registry was closed'));
  }

  return {
    add(options) {
      if (closed) throw new HeartbeatError('UNAVAILABLE', 'the health registry is closed');
      const check = normalizeCheck(options);
      if (states.has(check.name)) {
        throw new HeartbeatError('VALIDATION_FAILED', `a check named "${check.name}" already exists`, {
          field: 'name',
          value: check.name,
        });
      }
      const state: CheckState = {
        check,
        last: undefined,
        inFlight: undefined,
        straggler: undefined,
        timer: undefined,
        controller: undefined,
      };
      states.set(check.name, state);
      reindex();
      scheduleBackground(state);
      return check;
    },
    remove(name) {
      const state = states.get(name);
      if (!state) return false;
      stop(state);
      states.delete(name);
      reindex();
      return true;
    },
    get: (name) => states.get(name)?.check,
    list: () => all,
    forProbe: (probe) => byProbe.get(probe) ?? [],
    evaluate(checks) {
      const results = new Array<CheckResult | Promise<CheckResult>>(checks.length);
      let pending = false;
      for (let i = 0; i < checks.length; i++) {
        const state = states.get(checks[i]!.name);
        if (!state) throw new HeartbeatError('CHECK_NOT_FOUND', `no check named "${checks[i]!.name}"`);
        const result = resultOf(state);
        if (result instanceof Promise) pending = true;
        results[i] = result;
      }
      // Mixed on purpose: cached results are values, the rest promises; Promise.all takes both.
      // eslint-disable-next-line @typescript-eslint/await-thenable
      return pending ? Promise.all(results) : (results as CheckResult[]);
    },
    latest: (name) => states.get(name)?.last,
    close() {
      closed = true;
      for (const state of states.values()) stop(state);
    },
  };
}

/** Fills in every default and validates what was given. */
export function normalizeCheck(options: CheckOptions): NormalizedCheck {
  const { name } = options;
  if (typeof name !== 'string' || !CHECK_NAME_PATTERN.test(name)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `check name ${JSON.stringify(name)} must be 1 to 64 letters, digits, ".", "_" or "-"`,
      { field: 'name', value: name },
    );
  }
  if (typeof options.run !== 'function') {
    throw new HeartbeatError('VALIDATION_FAILED', `check "${name}" needs a run function`, { field: 'run' });
  }
  const probes = options.probes ?? CHECK_DEFAULTS.probes;
  for (const probe of probes) {
    if (!PROBE_KINDS.includes(probe)) {
      throw new HeartbeatError(
        'VALIDATION_FAILED',
        `check "${name}": probe "${String(probe)}" is not one of ${PROBE_KINDS.join(', ')}`,
        { field: 'probes', value: probe },
      );
    }
  }
  const timeoutMs = parseDuration(options.timeout ?? CHECK_DEFAULTS.timeoutMs, `check "${name}" timeout`);
  if (timeoutMs < 1) {
    throw new HeartbeatError('VALIDATION_FAILED', `check "${name}": timeout must be at least 1ms`, {
      field: 'timeout',
    });
  }
  const intervalMs =
    options.interval === undefined ? undefined : parseDuration(options.interval, `check "${name}" interval`);
  if (intervalMs !== undefined && intervalMs < 10) {
    throw new HeartbeatError('VALIDATION_FAILED', `check "${name}": interval must be at least 10ms`, {
      field: 'interval',
    });
  }
  return {
    name,
    run: options.run,
    critical: options.critical ?? true,
    timeoutMs,
    cacheMs: parseDuration(options.cache ?? CHECK_DEFAULTS.cacheMs, `check "${name}" cache`),
    intervalMs,
    probes: new Set(probes),
    componentType: options.componentType ?? 'component',
    measurement: options.measurement,
    dependency:
      options.dependency === undefined ? undefined : publicUrl(options.dependency, name, 'dependency'),
    runbook: options.runbook === undefined ? undefined : publicUrl(options.runbook, name, 'runbook'),
    description: options.description,
  };
}

/** A URL safe to show: validated, with any user name and password removed. */
function publicUrl(value: string, checkName: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `check "${checkName}": ${field} ${JSON.stringify(value)} is not an absolute URL`,
      { field, value },
    );
  }
  if (url.host === '' && url.protocol !== 'file:') {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `check "${checkName}": ${field} ${JSON.stringify(value)} names no host; write it like postgres://db.internal:5432`,
      { field, value },
    );
  }
  url.username = '';
  url.password = '';
  return url.href;
}

/** Accepts what a check function returned and turns it into an outcome. */
function toOutcome(value: unknown): CheckOutcome {
  if (value === undefined || value === null || value === true) return { status: 'ok' };
  if (value === false) return { status: 'error', message: 'the check returned false' };
  if (isCheckStatus(value)) return { status: value };
  if (typeof value === 'object' && isCheckStatus((value as CheckOutcome).status)) {
    const given = value as CheckOutcome;
    const outcome: CheckOutcome = { status: given.status };
    if (given.message !== undefined) outcome.message = String(given.message);
    if (given.observedValue !== undefined) outcome.observedValue = given.observedValue;
    if (given.observedUnit !== undefined) outcome.observedUnit = String(given.observedUnit);
    return outcome;
  }
  return { status: 'error', message: `the check returned ${describeValue(value)}, not an outcome` };
}

function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** Shorthands for check outcomes. */
export const ok = (message?: string, observedValue?: unknown, observedUnit?: string): CheckOutcome =>
  outcome('ok', message, observedValue, observedUnit);
export const warning = (message?: string, observedValue?: unknown, observedUnit?: string): CheckOutcome =>
  outcome('warning', message, observedValue, observedUnit);
export const error = (message?: string, observedValue?: unknown, observedUnit?: string): CheckOutcome =>
  outcome('error', message, observedValue, observedUnit);

function outcome(
  status: CheckOutcome['status'],
  message: string | undefined,
  observedValue: unknown,
  observedUnit: string | undefined,
): CheckOutcome {
  const result: CheckOutcome = { status };
  if (message !== undefined) result.message = message;
  if (observedValue !== undefined) result.observedValue = observedValue;
  if (observedUnit !== undefined) result.observedUnit = observedUnit;
  return result;
}
