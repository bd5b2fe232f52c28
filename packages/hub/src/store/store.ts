import type { ApiKeyRecord } from '../auth/scopes.js';
import type { EventKind, NewEvent, StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';

/** What one commit writes, atomically: instance records (upserted by id) and new events. */
export interface CommitBatch {
  instances: readonly InstanceRecord[];
  events: readonly NewEvent[];
}

export interface EventQuery {
  /** Only events with an id above this (a stream position, as in `Last-Event-ID`). */
  afterId?: number;
  /** Only events at or after this time (epoch ms). */
  since?: number;
  /** Only events of these kinds; an empty list matches none. */
  kinds?: readonly EventKind[];
  instanceId?: string;
  /** At most this many, oldest first (by id); zero or less gives none. */
  limit: number;
}

/**
 * Everything the hub keeps. One interface, one contract suite (`store.contract.ts`), run against
 * every backend: embedded SQLite (the default) and PostgreSQL. Implementations do no business
 * logic: they persist and return plain records.
 */
export interface Store {
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
   * Writes instance records and events in one transaction, and returns the events numbered.
   * Event ids increase in commit order and are never reused, even after pruning. When it
   * resolves, the data survives a `kill -9`. A record upserted twice in one batch: the last wins.
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

  /** Stores a new key; rejects with `CONFLICT` when the id is taken. */
  createKey(key: ApiKeyRecord): Promise<void>;
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, revoked ones included, oldest (`createdAt`) first. */
  listKeys(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when there is no such key or it was revoked already. */
  revokeKey(id: string, at: number): Promise<boolean>;
}
