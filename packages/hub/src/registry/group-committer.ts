import { describeError, HeartbeatError, type Logger } from '@heartbeat/sdk';
import type { ApiDefinition } from '../domain/api.js';
import type { NewEvent, StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';
import {
  mergeTouches,
  type ApiBucketRecord,
  type ApiFailureRecord,
  type ApiHistoryRecord,
  type CommitBatch,
  type InstanceTouch,
  type ProbeResultRecord,
  type Store,
} from '../store/store.js';

/** What a submitter hands over: any part of a commit. */
export type Submission = Partial<CommitBatch>;

export interface GroupCommitterOptions {
  store: Store;
  logger: Logger;
  /** Called with every committed batch of events, in commit order. */
  onCommitted: (events: StoredEvent[]) => void;
  /** Told how long each commit took, and whether it committed (the hub's commit-duration metric). */
  onCommitTimed?: (durationMs: number, committed: boolean) => void;
  /** Backoff between retries while the store fails. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Events kept for retry while the store is down; the oldest are dropped past this. */
  maxPendingEvents?: number;
  /**
   * Cluster mode: this replica's id. Each commit that changes what replicas hold in memory is then
   * also appended to the store's change log (`CommitBatch.replica`), in the same transaction.
   */
  replica?: string;
}

/**
 * Something that has changes to write, asked once per commit rather than told once per request:
 * a flood of requests touching the same records builds each record once.
 */
export type ChangeCollector = () => Submission;

/**
 * Group commit: writes submitted in the same turn of the event loop (or while a commit is under
 * way) go to the store in ONE transaction, and each submitter is answered only when that
 * transaction has committed — so a 2xx means the data survives a `kill -9`, and the store is not
 * hit once per heartbeat.
 *
 * When the store fails, the submitters of that batch get `UNAVAILABLE` (503), the data stays queued
 * (the latest record per instance wins), and commits are retried with backoff until the store is
 * back. Nothing accepted into the queue is thrown away, except events beyond `maxPendingEvents`.
 */
export interface GroupCommitter {
  /**
   * Queues writes; resolves once they are committed. `lingerMs` lets the commit wait that long for
   * more submissions to share it (bulk ingest: each commit rewrites the window buckets it touched,
   * so fewer, larger commits write less per observation). The shortest linger asked for wins.
   */
  submit(submission: Submission, options?: { lingerMs?: number }): Promise<void>;
  /** Adds a collector asked for its changes as each commit is formed. */
  addCollector(collector: ChangeCollector): void;
  /** Commits whatever is queued now; rejects if the store fails. */
  flush(): Promise<void>;
  /** False from a failed commit until the next successful one. */
  readonly healthy: boolean;
  readonly lastError: string | undefined;
  /** Stops retrying (after a last flush attempt by the caller). */
  close(): void;
}

/** The promise every submitter of one batch waits on: one per commit, not one per request. */
interface Ticket {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newTicket(): Ticket {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

export function createGroupCommitter(options: GroupCommitterOptions): GroupCommitter {
  const { store, logger } = options;
  const retryMinMs = options.retryMinMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const maxPendingEvents = options.maxPendingEvents ?? 100_000;
  let pending = emptyPending();
  /** The ticket of the writes queued since the last commit began; undefined while nobody waits. */
  let waiting: Ticket | undefined;
  let scheduled = false;
  let running: Promise<void> | undefined;
  let healthy = true;
  let lastError: string | undefined;
  let retryDelay = retryMinMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const collectors: ChangeCollector[] = [];

  let lingerTimer: NodeJS.Timeout | undefined;
  let lingerUntil = Infinity;

  function schedule(lingerMs = 0): void {
    if (running || retryTimer) return;
    if (lingerMs > 0) {
      const until = performance.now() + lingerMs;
      if (scheduled || until >= lingerUntil) return;
      clearTimeout(lingerTimer);
      lingerUntil = until;
      lingerTimer = setTimeout(fire, lingerMs);
      return;
    }
    if (scheduled) return;
    clearTimeout(lingerTimer);
    lingerUntil = Infinity;
    scheduled = true;
    setImmediate(fire);
  }

  function fire(): void {
    scheduled = false;
    clearTimeout(lingerTimer);
    lingerTimer = undefined;
    lingerUntil = Infinity;
    void run();
  }

  async function run(): Promise<void> {
    if (running) return running;
    for (const collect of collectors) add(pending, collect());
    if (isEmpty(pending)) {
      waiting?.resolve();
      waiting = undefined;
      return;
    }
    const taken = pending;
    const batch = toBatch(taken, options.replica);
    const batchTicket = waiting;
    pending = emptyPending();
    waiting = undefined;
    running = (async () => {
      const startedAt = performance.now();
      try {
        const stored = await store.commit(batch);
        options.onCommitTimed?.(performance.now() - startedAt, true);
        if (!healthy) logger.info({ store: store.location }, 'store is back: writes commit again');
        healthy = true;
        lastError = undefined;
        retryDelay = retryMinMs;
        batchTicket?.resolve();
        if (stored.length > 0) options.onCommitted(stored);
      } catch (thrown) {
        options.onCommitTimed?.(performance.now() - startedAt, false);
        requeue(taken);
        const reason = describeError(thrown);
        if (healthy)
          logger.error({ store: store.location, err: reason }, 'store write failed; retrying with backoff');
        healthy = false;
        lastError = reason;
        const error = new HeartbeatError(
          'UNAVAILABLE',
          `the hub cannot write to its store right now (${reason}); retry shortly`,
          { retryAfterMs: retryDelay },
        );
        batchTicket?.reject(error);
        scheduleRetry();
      } finally {
        running = undefined;
      }
    })();
    await running;
    if (!retryTimer && (!isEmpty(pending) || waiting !== undefined)) schedule();
  }

  function requeue(failed: Pending): void {
    // Newer data queued meanwhile wins over the failed batch's.
    const newer = pending;
    pending = failed;
    merge(pending, newer);
    if (pending.events.length > maxPendingEvents) {
      const dropped = pending.events.length - maxPendingEvents;
      pending.events = pending.events.slice(dropped);
      logger.error({ dropped }, 'store down too long: oldest pending events dropped');
    }
  }

  function scheduleRetry(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void run();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryMaxMs, retryDelay * 2);
  }

  return {
    addCollector(collector) {
      collectors.push(collector);
    },
    submit(submission, submitOptions) {
      add(pending, submission);
      if (!healthy) {
        // Fail fast while the store is down: the data stays queued for the retry.
        return Promise.reject(
          new HeartbeatError(
            'UNAVAILABLE',
            `the hub cannot write to its store right now (${lastError ?? 'unknown'}); retry shortly`,
          ),
        );
      }
      waiting ??= newTicket();
      schedule(submitOptions?.lingerMs);
      return waiting.promise;
    },
    flush() {
      waiting ??= newTicket();
      const { promise } = waiting;
      void (running ?? Promise.resolve()).then(() => run());
      return promise;
    },
    get healthy() {
      return healthy;
    },
    get lastError() {
      return lastError;
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(lingerTimer);
      retryTimer = undefined;
    },
  };
}

/**
 * Queued writes, merged so that the latest version of each record wins. An instance is in at most
 * one of `instances` and `touches`: an upsert supersedes the touches queued before it, and a touch
 * queued after an upsert is folded into the queued record.
 */
interface Pending {
  instances: Map<string, InstanceRecord>;
  touches: Map<string, InstanceTouch>;
  events: NewEvent[];
  apis: Map<string, ApiDefinition>;
  deletedApis: Set<string>;
  apiBuckets: Map<string, ApiBucketRecord>;
  apiHistory: Map<string, ApiHistoryRecord>;
  apiFailures: ApiFailureRecord[];
  probeResults: ProbeResultRecord[];
}

function emptyPending(): Pending {
  return {
    instances: new Map(),
    touches: new Map(),
    events: [],
    apis: new Map(),
    deletedApis: new Set(),
    apiBuckets: new Map(),
    apiHistory: new Map(),
    apiFailures: [],
    probeResults: [],
  };
}

function isEmpty(p: Pending): boolean {
  return (
    p.instances.size === 0 &&
    p.touches.size === 0 &&
    p.events.length === 0 &&
    p.apis.size === 0 &&
    p.deletedApis.size === 0 &&
    p.apiBuckets.size === 0 &&
    p.apiHistory.size === 0 &&
    p.apiFailures.length === 0 &&
    p.probeResults.length === 0
  );
}

/** Adds a submission: its instance records first, then its touches (the order a commit applies them). */
function add(p: Pending, s: Submission): void {
  for (const record of s.instances ?? []) {
    // The full record carries everything the earlier touches would write, newer.
    p.touches.delete(record.instanceId);
    p.instances.set(record.instanceId, record);
  }
  for (const touch of s.instanceTouches ?? []) {
    const queued = p.instances.get(touch.instanceId);
    if (queued) {
      p.instances.set(touch.instanceId, touched(queued, touch));
    } else {
      const earlier = p.touches.get(touch.instanceId);
      p.touches.set(touch.instanceId, earlier ? mergeTouches(earlier, touch) : touch);
    }
  }
  for (const event of s.events ?? []) p.events.push(event);
  for (const api of s.apis ?? []) {
    p.deletedApis.delete(api.basepath);
    p.apis.set(api.basepath, api);
  }
  for (const basepath of s.deletedApis ?? []) {
    p.apis.delete(basepath);
    p.deletedApis.add(basepath);
  }
  for (const bucket of s.apiBuckets ?? [])
    p.apiBuckets.set(`${bucket.basepath}|${bucket.bucketMs}|${bucket.index}`, bucket);
  for (const row of s.apiHistory ?? [])
    p.apiHistory.set(`${row.basepath}|${row.resolution}|${row.start}`, row);
  for (const failure of s.apiFailures ?? []) p.apiFailures.push(failure);
  for (const result of s.probeResults ?? []) p.probeResults.push(result);
}

/** Adds `newer` into `into`, newer versions winning. */
function merge(into: Pending, newer: Pending): void {
  add(into, {
    instances: [...newer.instances.values()],
    instanceTouches: [...newer.touches.values()],
    events: newer.events,
    apis: [...newer.apis.values()],
    deletedApis: [...newer.deletedApis],
    apiBuckets: [...newer.apiBuckets.values()],
    apiHistory: [...newer.apiHistory.values()],
    apiFailures: newer.apiFailures,
    probeResults: newer.probeResults,
  });
}

function toBatch(p: Pending, replica: string | undefined): CommitBatch {
  const replicated =
    p.instances.size > 0 ||
    p.touches.size > 0 ||
    p.events.length > 0 ||
    p.apis.size > 0 ||
    p.deletedApis.size > 0 ||
    p.apiBuckets.size > 0;
  return {
    ...(replica !== undefined && replicated && { replica }),
    instances: [...p.instances.values()],
    instanceTouches: [...p.touches.values()],
    events: p.events,
    apis: [...p.apis.values()],
    deletedApis: [...p.deletedApis],
    apiBuckets: [...p.apiBuckets.values()],
    apiHistory: [...p.apiHistory.values()],
    apiFailures: p.apiFailures,
    probeResults: p.probeResults,
  };
}

/** A queued record with a later touch applied, as the store would apply it; the record itself is not changed. */
function touched(record: InstanceRecord, touch: InstanceTouch): InstanceRecord {
  const message = { ...record.message };
  if (touch.heartbeatTime !== undefined) message.heartbeatTime = touch.heartbeatTime;
  if (touch.lastHeartbeatTime !== undefined) message.lastHeartbeatTime = touch.lastHeartbeatTime;
  return { ...record, lastHeartbeatAt: touch.lastHeartbeatAt, beats: touch.beats, message };
}
