import type { ApiKeyRecord } from '../auth/scopes.js';
import type { EventKind, NewEvent, StoredEvent } from '../domain/events.js';
import type { ApiDefinition, ObservationSource } from '../domain/api.js';
import type { InstanceRecord } from '../domain/instance.js';

/**
 * One bucket of an API's sliding window (10 s or finer): what the window needs to be rebuilt after a
 * restart, so accepted observations survive `kill -9` as their effect on the window.
 */
export interface ApiBucketRecord {
  basepath: string;
  /**
   * The hub replica that counted these outcomes (cluster mode: each replica writes its own buckets,
   * so replicas never overwrite each other's counts; a bucket of the window is the sum over replicas).
   * Absent or `''` for a single hub.
   */
  replica?: string;
  /** Bucket width in ms, and the bucket's number (start = index × bucketMs). */
  bucketMs: number;
  index: number;
  total: number;
  failures: number;
  bySource: Record<ObservationSource, number>;
  /** Latency histogram as sparse `[bin, count]` pairs (bins from `domain/latency-histogram.ts`). */
  latency: Array<[number, number]>;
}

/** One minute (or, after downsampling, one hour) of an API's history. */
export interface ApiHistoryRecord {
  basepath: string;
  /** Start of the period (epoch ms). */
  start: number;
  resolution: 'minute' | 'hour';
  total: number;
  failures: number;
  bySource: Record<ObservationSource, number>;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** A failed request kept as evidence ("the last failures"). */
export interface ApiFailureRecord {
  basepath: string;
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  source: ObservationSource;
}

/** One Pulse probe, kept in the probe history. */
export interface ProbeResultRecord {
  basepath: string;
  at: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Why an answer failed its expectations, e.g. `status 503 not in 200-399`, `body.status is "DOWN", expected "UP"`. */
  detail: string | null;
}

/** How many failures and probe results `compactApiHistory` keeps per API, newest first. */
export const API_RETENTION = { failuresPerApi: 100, probeResultsPerApi: 1000 } as const;

/**
 * A beat that changed nothing but the lease: what an instance's row needs, without rewriting the
 * whole record. `heartbeatTime` / `lastHeartbeatTime`, when given, replace those fields of the
 * stored message; every other column and message field stays as it is.
 */
export interface InstanceTouch {
  instanceId: string;
  lastHeartbeatAt: number;
  beats: number;
  heartbeatTime?: number;
  lastHeartbeatTime?: number;
}

/**
 * Two touches of one instance as one: the later wins, keeping an agent time only the earlier gave
 * (applying both in order would leave exactly that).
 */
export function mergeTouches(earlier: InstanceTouch, later: InstanceTouch): InstanceTouch {
  if (later.heartbeatTime !== undefined && later.lastHeartbeatTime !== undefined) return later;
  const merged: InstanceTouch = { ...earlier };
  mergeTouchInto(merged, later);
  return merged;
}

/** `mergeTouches`, written into `earlier` (for a touch nobody else holds). */
export function mergeTouchInto(earlier: InstanceTouch, later: InstanceTouch): void {
  earlier.lastHeartbeatAt = later.lastHeartbeatAt;
  earlier.beats = later.beats;
  if (later.heartbeatTime !== undefined) earlier.heartbeatTime = later.heartbeatTime;
  if (later.lastHeartbeatTime !== undefined) earlier.lastHeartbeatTime = later.lastHeartbeatTime;
}

/** What one commit writes, atomically: instance records (upserted by id) and new events. */
export interface CommitBatch {
  instances: readonly InstanceRecord[];
  events: readonly NewEvent[];
  /**
   * Cheap updates of instances already stored, applied after `instances` (so a touch follows an
   * upsert of the same instance in the batch). A touch of an unknown instance does nothing, nor does
   * one whose `beats` is not above the stored record's (it is older than what is stored); the last
   * touch of an instance in a batch wins.
   */
  instanceTouches?: readonly InstanceTouch[];
  /** API definitions created or changed through the admin API or auto-registration (upserted by basepath). */
  apis?: readonly ApiDefinition[];
  /**
   * Basepaths of API definitions to delete, with their buckets, history, failures and probe results.
   * Applied after the batch's other rows: what the same batch writes for such a basepath is deleted too.
   */
  deletedApis?: readonly string[];
  /** Window buckets, upserted by (basepath, bucketMs, index). */
  apiBuckets?: readonly ApiBucketRecord[];
  /** History rows, upserted by (basepath, resolution, start). */
  apiHistory?: readonly ApiHistoryRecord[];
  apiFailures?: readonly ApiFailureRecord[];
  probeResults?: readonly ProbeResultRecord[];
  /**
   * Cluster mode: the replica committing. The store then also appends the batch's replicated part
   * (instances, touches, API definitions and deletions, buckets, the numbered events) to the change
   * log, in the same transaction, and tells the other replicas (`listenForChanges`).
   */
  replica?: string;
}

/** One committed batch as the other replicas read it from the change log. */
export interface ChangeRecord {
  /** Increases in commit order; a reader that remembers the last one it read misses nothing. */
  seq: number;
  replica: string;
  /** When it was committed (epoch ms, the committing replica's clock). */
  at: number;
  instances: InstanceRecord[];
  instanceTouches: InstanceTouch[];
  apis: ApiDefinition[];
  deletedApis: string[];
  apiBuckets: ApiBucketRecord[];
  events: StoredEvent[];
}

/** What a change notification says: enough to skip reading a replica's own changes without events. */
export interface ChangeNotice {
  seq: number;
  replica: string;
  hasEvents: boolean;
}

/** A hub replica registered in the store, with a lease it renews (cluster mode). */
export interface ReplicaRecord {
  id: string;
  /** Where it serves, as it reports it. */
  url: string;
  version: string;
  startedAt: number;
  /** Its lease: it counts as live until then (epoch ms). */
  leaseExpiresAt: number;
  /** Whether it held the leadership at its last renewal. */
  leader: boolean;
}

export interface EventQuery {
  /** Only events with an id above this (a stream position, as in `Last-Event-ID`). */
  afterId?: number;
  /** Only events at or after this time (epoch ms). */
  since?: number;
  /** Only events of these kinds; an empty list matches none. */
  kinds?: readonly EventKind[];
  instanceId?: string;
  /** Only `api.*` events about this basepath. */
  basepath?: string;
  /** At most this many, oldest first (by id); zero or less gives none. */
  limit: number;
}

/** Where a delivery stands: waiting (maybe to be retried), delivered, or given up on. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A notification to hand to one notifier, as the engine queues it. */
export interface NewDelivery {
  notifier: string;
  rule: string;
  /** `trigger`, `reminder`, `resolve` or `test`. */
  kind: string;
  title: string;
  /** The rendered message (JSON-serializable); the notifier formats it for its receiver. */
  message: unknown;
  createdAt: number;
  /** When it may first be attempted (epoch ms). */
  nextAttemptAt: number;
}

/** One row of the notification outbox: a delivery and its outcome so far. */
export interface DeliveryRecord extends NewDelivery {
  id: number;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  deliveredAt: number | null;
  updatedAt: number;
}

/** The stored state of one rule's alert on one condition (opaque JSON to the store). */
export interface AlertStateRecord {
  rule: string;
  key: string;
  state: unknown;
  updatedAt: number;
}

/** What the notification engine writes at once: queued deliveries with the alert states they settle. */
export interface NotificationWrite {
  deliveries?: readonly NewDelivery[];
  /** Upserted by (rule, key). */
  alerts?: readonly AlertStateRecord[];
  /** Deleted by (rule, key), after the upserts. */
  deletedAlerts?: readonly { rule: string; key: string }[];
}

/** How a delivery attempt ended. `pending` with a later `nextAttemptAt` is a retry. */
export type DeliveryOutcome =
  | { status: 'delivered'; at: number }
  | { status: 'pending'; at: number; error: string; nextAttemptAt: number }
  | { status: 'failed'; at: number; error: string };

export interface DeliveryQuery {
  status?: DeliveryStatus;
  notifier?: string;
  rule?: string;
  /** Only rows with an id below this (paging, newest first). */
  beforeId?: number;
  /** At most this many, newest (highest id) first. */
  limit: number;
}

/**
 * The notification outbox and alert states. Deliveries are claimed with a lease, so that hubs
 * sharing one database deliver each row once: a claim takes due, unleased rows in one statement
 * (PostgreSQL: `FOR UPDATE SKIP LOCKED`), and only the lease owner can record the outcome.
 */
export interface NotificationStore {
  /** Queues deliveries and stores alert states in one transaction; returns the deliveries numbered. */
  recordNotifications(write: NotificationWrite): Promise<DeliveryRecord[]>;
  /** Every stored alert state. */
  loadAlertStates(): Promise<AlertStateRecord[]>;
  /**
   * Leases up to `limit` pending deliveries due at `now` (of one notifier, when given) whose lease is
   * free or expired, to `owner` until `now + leaseMs`; oldest due first.
   */
  claimDueDeliveries(claim: {
    now: number;
    leaseMs: number;
    owner: string;
    limit: number;
    notifier?: string;
  }): Promise<DeliveryRecord[]>;
  /**
   * Records attempts' outcomes (attempts + 1 each) and frees their leases, in one transaction;
   * returns the ids recorded. A row `owner` no longer holds (its lease expired and another hub took
   * it) is left as it is and not returned.
   */
  finishDeliveries(
    owner: string,
    finished: readonly { id: number; outcome: DeliveryOutcome }[],
  ): Promise<number[]>;
  /** Gives back leased rows not attempted (a hub stopping): claimable again at once. Returns how many. */
  releaseDeliveries(owner: string, ids: readonly number[]): Promise<number>;
  /** The delivery log, newest first. */
  listDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]>;
  /** Deletes delivered and failed rows last updated before this time; returns how many. */
  pruneDeliveries(before: number): Promise<number>;
}

/**
 * Everything the hub keeps. One interface, one contract suite (`store.contract.ts`), run against
 * every backend: embedded SQLite (the default) and PostgreSQL. Implementations do no business
 * logic: they persist and return plain records.
 */
export interface Store extends NotificationStore {
  /** `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, safe to log (no password). */
  readonly location: string;

  /** Creates or upgrades the schema; safe to run on every start. */
  migrate(): Promise<void>;
  /** Resolves when the store answers; rejects with the reason when it does not. */
  ping(): Promise<void>;
  /** Releases the connections; safe to call twice. Any later call rejects with `UNAVAILABLE`. */
  close(): Promise<void>;

  /**
   * Writes instance records, events and the batch's API rows in one transaction, and returns the
   * events numbered. Event ids increase in commit order and are never reused, even after pruning. When
   * it resolves, the data survives a `kill -9`. A record upserted twice in one batch: the last wins.
   * Event `data` and instance `message` must be JSON-serializable; they come back as JSON parsed.
   */
  commit(batch: CommitBatch): Promise<StoredEvent[]>;
  /** Instances still in the live registry (`removedAt` null), by `instanceId` in byte order. */
  loadLiveInstances(): Promise<InstanceRecord[]>;
  /** One instance, including one removed from the live registry (history). */
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  /** Deletes removed instances whose `removedAt` is before this time; returns how many. */
  pruneRemovedInstances(before: number): Promise<number>;

  listEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** The highest event id stored, 0 when there is none (ids continue from the old high mark anyway). */
  lastEventId(): Promise<number>;
  /** Deletes events before this time; returns how many. */
  pruneEvents(before: number): Promise<number>;

  /**
   * API definitions stored by the admin API and auto-registration (not those declared in YAML), by
   * basepath in byte order.
   */
  listApis(): Promise<ApiDefinition[]>;
  /** Window buckets that start at or after `since` (epoch ms), for rebuilding windows at start. */
  loadApiBuckets(since: number): Promise<ApiBucketRecord[]>;
  /** History of one API between two times, oldest first, both resolutions. */
  listApiHistory(basepath: string, from: number, to: number): Promise<ApiHistoryRecord[]>;
  /** The latest failures of one API, newest first. */
  listApiFailures(basepath: string, limit: number): Promise<ApiFailureRecord[]>;
  /** The latest Pulse results of one API, newest first. */
  listProbeResults(basepath: string, limit: number): Promise<ProbeResultRecord[]>;
  /**
   * Keeps history bounded: merges minute rows older than `minutesBefore` into hour rows (sums, and the
   * worst p95 / count-weighted p50 of the hour), deletes history, failures and probe results older
   * than `deleteBefore`, and window buckets older than `bucketsBefore`; keeps at most the newest
   * `API_RETENTION.failuresPerApi` failures and `API_RETENTION.probeResultsPerApi` probe results per API.
   * All in one transaction. Returns the rows deleted (merged minute rows included).
   */
  compactApiHistory(limits: {
    minutesBefore: number;
    deleteBefore: number;
    bucketsBefore: number;
  }): Promise<number>;

  /**
   * Changes committed with a `replica`, after `afterSeq`, oldest first, at most `limit`. Those of the
   * replica `eventsOnlyOf` come with their events only (a replica needs nothing else of its own).
   */
  listChanges(afterSeq: number, limit: number, eventsOnlyOf?: string): Promise<ChangeRecord[]>;
  /** The highest change sequence number, 0 when there is none. */
  lastChangeSeq(): Promise<number>;
  /** Deletes changes committed before this time, keeping the newest one; returns how many. */
  pruneChanges(before: number): Promise<number>;
  /**
   * Calls `onChange` soon after any change is committed by any replica, with what the notification
   * says of it, and with nothing after the connection it listens on is lost and opened again (the
   * listener then may have missed some: read them). Resolves with the function that stops listening.
   * SQLite (one hub) never calls it.
   */
  listenForChanges(onChange: (change?: ChangeNotice) => void): Promise<() => Promise<void>>;
  /**
   * Tries to hold the cluster leadership (the replica that decides lease expiry and self-preservation)
   * and says whether this store holds it now. PostgreSQL: a session advisory lock on a dedicated
   * connection, lost when that connection is; SQLite (one hub): always true.
   */
  tryLeadership(): Promise<boolean>;
  /** Registers or renews a replica (upserted by id). */
  renewReplica(replica: ReplicaRecord): Promise<void>;
  /** Every registered replica, live or expired, by id. */
  listReplicas(): Promise<ReplicaRecord[]>;
  /** Removes a replica (it stops) and those whose lease expired before `expiredBefore`. */
  removeReplicas(ids: readonly string[], expiredBefore?: number): Promise<void>;

  /** Stores a new key; rejects with `CONFLICT` when the id is taken. */
  createKey(key: ApiKeyRecord): Promise<void>;
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, revoked ones included, oldest (`createdAt`) first. */
  listKeys(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when there is no such key or it was revoked already. */
  revokeKey(id: string, at: number): Promise<boolean>;
}
