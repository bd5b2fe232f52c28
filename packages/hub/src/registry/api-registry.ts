import { HeartbeatError, type Logger } from '@heartbeat/sdk';
import {
  API_DEFAULTS,
  DEFAULT_FAIL_ON,
  isFailure,
  type ApiDefinition,
  type ApiStatus,
  type Observation,
  type ObservationSource,
} from '../domain/api.js';
import { evaluateStatus, successRatio } from '../domain/api-status.js';
import type { NewEvent } from '../domain/events.js';
import { latencyBin } from '../domain/latency-histogram.js';
import { MinuteHistory } from '../domain/minute-history.js';
import type { ItemProblem } from '../domain/observation.js';
import { SlidingWindow, SOURCE_INDEX, type WindowSnapshot } from '../domain/sliding-window.js';
import type { ApiBucketRecord, ApiFailureRecord, ApiHistoryRecord, Store } from '../store/store.js';
import type { GroupCommitter, Submission } from './group-committer.js';

/** Failures kept in memory per API for "the last failures"; at most this many are stored per second. */
const RECENT_FAILURES = 20;
const FAILURES_STORED_PER_TICK = 5;
const TICK_MS = 1000;
/** Observation batches wait this long for others to share their commit (see GroupCommitter.submit). */
const INGEST_LINGER_MS = 4;

/** A recent failure, as evidence. */
export interface RecentFailure {
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  source: ObservationSource;
}

/** Everything the hub says about one API right now. */
export interface ApiView {
  definition: ApiDefinition;
  status: ApiStatus;
  /** Since when it has had this status (epoch ms). */
  since: number;
  window: WindowSnapshot;
  ratio: number | null;
  /** The source with the most outcomes in the window: what the status rests on. */
  drivenBy: ObservationSource | null;
  recentFailures: RecentFailure[];
}

export interface IngestOutcome {
  accepted: number;
  problems: ItemProblem[];
  rejected: number;
  /** Resolves when the accepted outcomes are durably stored. */
  stored: Promise<void>;
}

export interface ApiRegistryOptions {
  store: Store;
  committer: GroupCommitter;
  logger: Logger;
  now?: () => number;
  /** Whether unknown basepaths are registered on first sight (read at each use: it can be reloaded). */
  autoRegister: () => boolean;
  /** Called after any definition is added, changed or removed (Pulse re-syncs its probes). */
  onDefinitionsChanged?: (definitions: ApiDefinition[]) => void;
  /**
   * Cluster mode: this replica's id. Buckets stored by other replicas (and by earlier runs) are then
   * loaded as others' counts, and this replica's own are written under its id.
   */
  replica?: string;
  /**
   * Cluster mode: whether this replica records status changes as events now (it leads); the others
   * follow the same status silently, so each change is one event cluster-wide. Default: always.
   */
  decides?: () => boolean;
}

/** What other replicas committed about APIs, as read from the change log. */
export interface ReplicatedApiChanges {
  apis: readonly ApiDefinition[];
  deletedApis: readonly string[];
  apiBuckets: readonly ApiBucketRecord[];
}

interface ApiState {
  definition: ApiDefinition;
  /** What this hub counted (and stores). */
  window: SlidingWindow;
  /** Cluster mode: what other replicas counted, folded in from the change log. */
  remote: SlidingWindow | undefined;
  history: MinuteHistory;
  status: ApiStatus;
  since: number;
  recentFailures: RecentFailure[];
  unstoredFailures: ApiFailureRecord[];
  /** Failures sampled for storing in the current tick (at most FAILURES_STORED_PER_TICK). */
  failuresSampledThisTick: number;
}

/**
 * The APIs the hub judges (SPEC.md §5): one sliding window each, fed by observations from traffic,
 * Pulse and OpenTelemetry; status re-evaluated as outcomes arrive and as time passes; every change
 * of status an `api.status_changed` event in the same store and stream as instance events.
 */
export interface ApiRegistry {
  /** Loads stored definitions and rebuilds windows from stored buckets. */
  load(): Promise<void>;
  /** Makes the YAML-declared APIs exactly `definitions` (origin `config`); returns what changed. */
  syncDeclared(
    definitions: readonly ApiDefinition[],
  ): Promise<{ added: number; changed: number; removed: number }>;
  create(definition: ApiDefinition): Promise<ApiDefinition>;
  update(basepath: string, definition: ApiDefinition): Promise<ApiDefinition>;
  remove(basepath: string): Promise<void>;
  /** Counts validated observations into their windows. */
  ingest(observations: readonly Observation[]): IngestOutcome;
  /** The registered basepath that is the longest prefix of a path (segment-wise), if any. */
  resolveBasepath(path: string): string | undefined;
  /** `[{basepath, status}]` sorted by basepath, as seed 001 shows it. */
  heartbeats(filter: {
    basepath?: string;
    status?: ApiStatus;
  }): Array<{ basepath: string; status: ApiStatus }>;
  view(basepath: string): ApiView | undefined;
  views(): ApiView[];
  definitions(): ApiDefinition[];
  /** Changes whenever any API's status changes or an API comes or goes: a cache key for lists. */
  readonly version: number;
  readonly size: number;
  /** Cluster mode: folds in definitions and counts another replica committed. */
  applyReplicated(changes: ReplicatedApiChanges): void;
  start(): void;
  stop(): void;
}

export function createApiRegistry(options: ApiRegistryOptions): ApiRegistry {
  const { committer, logger } = options;
  const now = options.now ?? Date.now;
  const apis = new Map<string, ApiState>();
  /** APIs with counts not yet written; the committer collects them once per commit. */
  const dirty = new Set<ApiState>();
  /** APIs whose minute history changed since it was last written. */
  const historyDirty = new Set<string>();
  committer.addCollector(() => {
    if (dirty.size === 0) return {};
    const collected = changes(dirty);
    dirty.clear();
    return collected;
  });
  let sorted: string[] | undefined;
  let version = 0;
  let tick: NodeJS.Timeout | undefined;
  const decides = options.decides ?? (() => true);
  /** Cluster mode: the latest counts seen of each other replica's bucket, to fold in only what is new. */
  const remoteSeen = new Map<string, ApiBucketRecord>();

  function countsOf(state: ApiState, at: number): { total: number; failures: number } {
    const own = state.window.counts(at);
    if (!state.remote) return own;
    const other = state.remote.counts(at);
    return { total: own.total + other.total, failures: own.failures + other.failures };
  }

  /** Folds in a bucket of another replica: only what it counted since the last time it was seen. */
  function foldRemote(bucket: ApiBucketRecord): ApiState | undefined {
    const state = apis.get(bucket.basepath);
    if (!state || state.window.bucketMs !== bucket.bucketMs) return undefined;
    const key = `${bucket.replica ?? ''}|${bucket.basepath}|${bucket.bucketMs}|${bucket.index}`;
    const seen = remoteSeen.get(key);
    remoteSeen.set(key, bucket);
    const delta = seen ? bucketDelta(bucket, seen) : bucket;
    if (delta.total === 0) return undefined;
    state.remote ??= new SlidingWindow(state.definition.windowMs, state.window.bucketMs);
    state.remote.merge(delta);
    state.history.restoreBucket(bucket.index * bucket.bucketMs, delta, true);
    historyDirty.add(bucket.basepath);
    return state;
  }

  function stateFor(definition: ApiDefinition, at: number): ApiState {
    return {
      definition,
      window: new SlidingWindow(definition.windowMs),
      remote: undefined,
      history: new MinuteHistory(),
      status: 'UNKNOWN',
      since: at,
      recentFailures: [],
      unstoredFailures: [],
      failuresSampledThisTick: 0,
    };
  }

  function put(state: ApiState): void {
    if (!apis.has(state.definition.basepath)) sorted = undefined;
    version++;
    apis.set(state.definition.basepath, state);
    definitionsChanged();
  }

  function forget(basepath: string): void {
    version++;
    apis.delete(basepath);
    sorted = undefined;
    definitionsChanged();
  }

  /** Coalesced: a batch that registers ten thousand APIs notifies once. */
  let notifyScheduled = false;
  function definitionsChanged(): void {
    if (!options.onDefinitionsChanged || notifyScheduled) return;
    notifyScheduled = true;
    setImmediate(() => {
      notifyScheduled = false;
      options.onDefinitionsChanged?.([...apis.values()].map((state) => state.definition));
    });
  }

  /** Replaces a definition, keeping the window when its length did not change. */
  function redefine(state: ApiState, definition: ApiDefinition, at: number): ApiState {
    const next =
      state.definition.windowMs === definition.windowMs
        ? { ...state, definition }
        : { ...stateFor(definition, at), status: state.status, since: state.since };
    put(next);
    return next;
  }

  function registrationEvent(
    kind: 'api.registered' | 'api.changed' | 'api.removed',
    definition: ApiDefinition,
    at: number,
  ): NewEvent {
    return {
      at,
      kind,
      basepath: definition.basepath,
      data: {
        basepath: definition.basepath,
        origin: definition.origin,
        name: definition.name ?? null,
        pulse: definition.pulse?.enabled ?? false,
      },
    };
  }

  /** Re-evaluates an API; returns the transition event if its status changed. */
  function evaluate(state: ApiState, at: number): NewEvent | undefined {
    const { total, failures } = countsOf(state, at);
    const status = evaluateStatus(total, failures, state.definition);
    if (status === state.status) return undefined;
    const from = state.status;
    version++;
    state.status = status;
    state.since = at;
    // In a cluster every replica follows the status; the leader alone records the change.
    if (!decides()) return undefined;
    const snapshot = state.window.snapshot(at, state.remote);
    return {
      at,
      kind: 'api.status_changed',
      basepath: state.definition.basepath,
      data: {
        basepath: state.definition.basepath,
        from,
        to: status,
        ratio: successRatio(total, failures),
        samples: total,
        failures,
        threshold: state.definition.threshold,
        minSamples: state.definition.minSamples,
        windowMs: state.definition.windowMs,
        bySource: snapshot.bySource,
        drivenBy: drivenBy(snapshot),
        lastFailures: state.recentFailures.slice(-3),
      },
    };
  }

  /** Window buckets and failures changed in these APIs since last written: what durability needs. */
  function changes(states: Iterable<ApiState>): Required<Pick<Submission, 'apiBuckets' | 'apiFailures'>> {
    const apiBuckets: ApiBucketRecord[] = [];
    const apiFailures: ApiFailureRecord[] = [];
    for (const state of states) {
      const { basepath } = state.definition;
      for (const bucket of state.window.takeChanged())
        apiBuckets.push({ basepath, bucketMs: state.window.bucketMs, ...bucket });
      apiFailures.push(...state.unstoredFailures);
      state.unstoredFailures = [];
    }
    return { apiBuckets, apiFailures };
  }

  /**
   * Minute rows changed since last written — once a second, not once per commit: minutes inside the
   * window are rebuilt from the stored buckets after a restart, so nothing depends on writing them sooner.
   */
  function historyChanges(): ApiHistoryRecord[] {
    const rows: ApiHistoryRecord[] = [];
    for (const basepath of historyDirty) {
      const state = apis.get(basepath);
      if (!state) continue;
      for (const row of state.history.takeChanged()) rows.push({ basepath, resolution: 'minute', ...row });
    }
    historyDirty.clear();
    return rows;
  }

  function onTick(): void {
    const at = now();
    const events: NewEvent[] = [];
    for (const state of apis.values()) {
      state.failuresSampledThisTick = 0;
      const event = evaluate(state, at);
      if (event) events.push(event);
      state.history.forget(at - state.definition.windowMs - 60_000);
    }
    if (remoteSeen.size > 0) {
      const longest = Math.max(
        API_DEFAULTS.windowMs,
        ...[...apis.values()].map((s) => s.definition.windowMs),
      );
      for (const [key, bucket] of remoteSeen)
        if ((bucket.index + 1) * bucket.bucketMs < at - longest - 60_000) remoteSeen.delete(key);
    }
    if (events.length > 0) {
      committer
        .submit({ events })
        .catch((error: unknown) =>
          logger.warn({ err: String(error) }, 'API status change queued until the store is back'),
        );
    }
  }

  return {
    async load() {
      const at = now();
      for (const definition of await options.store.listApis()) {
        if (!apis.has(definition.basepath)) put(stateFor(definition, at));
      }
      const longest = Math.max(
        API_DEFAULTS.windowMs,
        ...[...apis.values()].map((s) => s.definition.windowMs),
      );
      // One minute more than the longest window, so the oldest minute's history is whole again.
      for (const bucket of await options.store.loadApiBuckets(at - longest - 60_000)) {
        if (options.replica !== undefined) {
          // Cluster mode: nothing stored is this (new) replica's own; it is all others' counts.
          foldRemote(bucket);
          continue;
        }
        const state = apis.get(bucket.basepath);
        if (!state || state.window.bucketMs !== bucket.bucketMs) continue;
        state.window.restore(bucket);
        state.history.restoreBucket(bucket.index * bucket.bucketMs, bucket);
      }
      for (const state of apis.values()) {
        const { total, failures } = countsOf(state, at);
        state.status = evaluateStatus(total, failures, state.definition);
        state.window.takeChanged();
        state.history.takeChanged();
      }
      logger.info({ apis: apis.size }, 'API registry loaded');
    },

    async syncDeclared(definitions) {
      const at = now();
      const wanted = new Map(definitions.map((d) => [d.basepath, d]));
      const events: NewEvent[] = [];
      const upserts: ApiDefinition[] = [];
      const deleted: string[] = [];
      for (const [basepath, state] of apis) {
        if (state.definition.origin === 'config' && !wanted.has(basepath)) {
          forget(basepath);
          deleted.push(basepath);
          events.push(registrationEvent('api.removed', state.definition, at));
        }
      }
      let added = 0;
      let changed = 0;
      for (const definition of definitions) {
        const existing = apis.get(definition.basepath);
        if (!existing) {
          put(stateFor(definition, at));
          upserts.push(definition);
          events.push(registrationEvent('api.registered', definition, at));
          added++;
        } else if (
          JSON.stringify(withoutTimes(existing.definition)) !== JSON.stringify(withoutTimes(definition))
        ) {
          // A YAML declaration also takes over an API registered automatically or through the API,
          // keeping its window and history.
          const next = { ...definition, createdAt: existing.definition.createdAt };
          redefine(existing, next, at);
          upserts.push(next);
          events.push(registrationEvent('api.changed', next, at));
          changed++;
        }
      }
      if (events.length > 0) {
        // Every replica reads the same YAML and writes the same rows; the leader alone records events.
        await committer.submit({ events: decides() ? events : [], apis: upserts, deletedApis: deleted });
      }
      return { added, changed, removed: deleted.length };
    },

    async create(definition) {
      if (apis.has(definition.basepath)) {
        throw new HeartbeatError(
          'CONFLICT',
          `an API with basepath ${definition.basepath} exists already; change it with PUT`,
          {
            basepath: definition.basepath,
          },
        );
      }
      put(stateFor(definition, now()));
      await committer.submit({
        apis: [definition],
        events: [registrationEvent('api.registered', definition, now())],
      });
      return definition;
    },

    async update(basepath, definition) {
      const state = apis.get(basepath);
      if (!state) throw new HeartbeatError('NOT_FOUND', `no API with basepath ${basepath}`, { basepath });
      declaredElsewhere(state.definition);
      const next = {
        ...definition,
        basepath,
        origin: 'api' as const,
        createdAt: state.definition.createdAt,
        updatedAt: now(),
      };
      redefine(state, next, now());
      await committer.submit({ apis: [next], events: [registrationEvent('api.changed', next, now())] });
      return next;
    },

    async remove(basepath) {
      const state = apis.get(basepath);
      if (!state) throw new HeartbeatError('NOT_FOUND', `no API with basepath ${basepath}`, { basepath });
      declaredElsewhere(state.definition);
      forget(basepath);
      await committer.submit({
        deletedApis: [basepath],
        events: [registrationEvent('api.removed', state.definition, now())],
      });
    },

    ingest(observations) {
      const at = now();
      const touched = new Set<ApiState>();
      const registered: ApiDefinition[] = [];
      const events: NewEvent[] = [];
      const problems: ItemProblem[] = [];
      let rejected = 0;
      let accepted = 0;
      const autoRegister = options.autoRegister();
      for (let index = 0; index < observations.length; index++) {
        const observation = observations[index]!;
        let state = apis.get(observation.basepath);
        if (!state) {
          if (!autoRegister) {
            rejected++;
            if (problems.length < 100) {
              problems.push({
                index,
                field: 'basepath',
                message: `no API ${observation.basepath} is declared, and autoRegister is off`,
              });
            }
            continue;
          }
          const definition = autoDefinition(observation.basepath, at);
          state = stateFor(definition, at);
          put(state);
          registered.push(definition);
          // Two replicas may see a new basepath at once: the leader records it (also when it learns
          // of it from another replica), so it is registered once.
          if (decides()) events.push(registrationEvent('api.registered', definition, at));
        }
        const { statusCode, error } = observation;
        const failure = isFailure(state.definition.failOn, statusCode, error);
        const source = SOURCE_INDEX[observation.source];
        const bin = latencyBin(observation.durationMs);
        if (!state.window.add(observation.timestamp, failure, observation.durationMs, source, bin)) {
          rejected++;
          if (problems.length < 100) {
            problems.push({
              index,
              field: 'timestamp',
              message: `is older than the ${state.definition.windowMs / 1000}s window of ${observation.basepath}; not counted`,
            });
          }
          continue;
        }
        state.history.add(observation.timestamp, failure, observation.durationMs, source, bin);
        if (failure) recordFailure(state, observation);
        touched.add(state);
        accepted++;
      }
      for (const state of touched) {
        const event = evaluate(state, at);
        if (event) events.push(event);
      }
      for (const state of touched) {
        dirty.add(state);
        historyDirty.add(state.definition.basepath);
      }
      // The counts themselves are collected when the commit is formed; this submission makes sure
      // one happens, and answers when it has.
      const stored =
        touched.size === 0 && events.length === 0 && registered.length === 0
          ? Promise.resolve()
          : committer.submit({ apis: registered, events }, { lingerMs: INGEST_LINGER_MS });
      return { accepted, problems, rejected, stored };
    },

    resolveBasepath(path) {
      let candidate = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
      for (;;) {
        if (apis.has(candidate)) return candidate;
        if (candidate === '/' || candidate === '') return undefined;
        const cut = candidate.lastIndexOf('/');
        candidate = cut <= 0 ? '/' : candidate.slice(0, cut);
      }
    },

    heartbeats(filter) {
      if (filter.basepath !== undefined) {
        const state = apis.get(filter.basepath);
        if (!state || (filter.status !== undefined && state.status !== filter.status)) return [];
        return [{ basepath: state.definition.basepath, status: state.status }];
      }
      sorted ??= [...apis.keys()].sort();
      const out: Array<{ basepath: string; status: ApiStatus }> = [];
      for (const basepath of sorted) {
        const state = apis.get(basepath)!;
        if (filter.status === undefined || state.status === filter.status)
          out.push({ basepath, status: state.status });
      }
      return out;
    },

    view(basepath) {
      const state = apis.get(basepath);
      return state && viewOf(state, now());
    },

    views() {
      const at = now();
      sorted ??= [...apis.keys()].sort();
      return sorted.map((basepath) => viewOf(apis.get(basepath)!, at));
    },

    definitions: () => [...apis.values()].map((state) => state.definition),

    applyReplicated(changes) {
      const at = now();
      const events: NewEvent[] = [];
      for (const definition of changes.apis) {
        const existing = apis.get(definition.basepath);
        if (!existing) {
          put(stateFor(definition, at));
          if (definition.origin === 'auto' && decides())
            events.push(registrationEvent('api.registered', definition, at));
        } else if (JSON.stringify(existing.definition) !== JSON.stringify(definition))
          redefine(existing, definition, at);
      }
      for (const basepath of changes.deletedApis) if (apis.has(basepath)) forget(basepath);
      const touched = new Set<ApiState>();
      for (const bucket of changes.apiBuckets) {
        const state = foldRemote(bucket);
        if (state) touched.add(state);
      }
      for (const state of touched) {
        const event = evaluate(state, at);
        if (event) events.push(event);
      }
      if (events.length > 0) {
        committer
          .submit({ events })
          .catch((error: unknown) =>
            logger.warn({ err: String(error) }, 'API status change queued until the store is back'),
          );
      }
    },

    get size() {
      return apis.size;
    },

    get version() {
      return version;
    },

    start() {
      tick ??= setInterval(() => {
        onTick();
        const apiHistory = historyChanges();
        if (dirty.size > 0 || apiHistory.length > 0) committer.submit({ apiHistory }).catch(() => {});
      }, TICK_MS);
      tick.unref();
    },

    stop() {
      clearInterval(tick);
      tick = undefined;
    },
  };

  function recordFailure(state: ApiState, observation: Observation): void {
    const failure: RecentFailure = {
      at: observation.timestamp,
      statusCode: observation.statusCode ?? null,
      error: observation.error ?? null,
      durationMs: observation.durationMs,
      source: observation.source,
    };
    state.recentFailures.push(failure);
    if (state.recentFailures.length > RECENT_FAILURES) state.recentFailures.shift();
    // A failure storm must not become a write storm: a sample is stored, the counts carry the rest.
    // Counted per tick, not per commit: under load every commit would otherwise add its own sample.
    if (state.failuresSampledThisTick < FAILURES_STORED_PER_TICK) {
      state.failuresSampledThisTick++;
      state.unstoredFailures.push({ basepath: state.definition.basepath, ...failure });
    }
  }
}

function viewOf(state: ApiState, at: number): ApiView {
  const window = state.window.snapshot(at, state.remote);
  return {
    definition: state.definition,
    status: state.status,
    since: state.since,
    window,
    ratio: successRatio(window.total, window.failures),
    drivenBy: drivenBy(window),
    recentFailures: [...state.recentFailures].reverse(),
  };
}

/** What `later` counted beyond `earlier` (two versions of one replica's bucket; counts only grow). */
function bucketDelta(later: ApiBucketRecord, earlier: ApiBucketRecord): ApiBucketRecord {
  const before = new Map(earlier.latency);
  const latency: Array<[number, number]> = [];
  for (const [bin, count] of later.latency) {
    const added = count - (before.get(bin) ?? 0);
    if (added > 0) latency.push([bin, added]);
  }
  return {
    ...later,
    total: Math.max(0, later.total - earlier.total),
    failures: Math.max(0, later.failures - earlier.failures),
    bySource: {
      traffic: Math.max(0, later.bySource.traffic - earlier.bySource.traffic),
      pulse: Math.max(0, later.bySource.pulse - earlier.bySource.pulse),
      otlp: Math.max(0, later.bySource.otlp - earlier.bySource.otlp),
    },
    latency,
  };
}

function drivenBy(snapshot: WindowSnapshot): ObservationSource | null {
  let best: ObservationSource | null = null;
  let most = 0;
  for (const source of ['traffic', 'pulse', 'otlp'] as const) {
    if (snapshot.bySource[source] > most) {
      most = snapshot.bySource[source];
      best = source;
    }
  }
  return best;
}

/** An API seen first in an observation: the defaults of SPEC.md §5. */
export function autoDefinition(basepath: string, at: number): ApiDefinition {
  return {
    basepath,
    labels: {},
    windowMs: API_DEFAULTS.windowMs,
    threshold: API_DEFAULTS.threshold,
    minSamples: API_DEFAULTS.minSamples,
    failOn: DEFAULT_FAIL_ON,
    origin: 'auto',
    createdAt: at,
    updatedAt: at,
  };
}

function declaredElsewhere(definition: ApiDefinition): void {
  if (definition.origin === 'config') {
    throw new HeartbeatError(
      'CONFLICT',
      `the API ${definition.basepath} is declared in the hub's YAML configuration; change it there (the file is reloaded on save)`,
      { basepath: definition.basepath, origin: 'config' },
    );
  }
}

function withoutTimes(definition: ApiDefinition): Omit<ApiDefinition, 'createdAt' | 'updatedAt'> {
  const { createdAt: _created, updatedAt: _updated, ...rest } = definition;
  return rest;
}
