import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeError, HeartbeatError } from '@heartbeat/sdk';
import Database from 'better-sqlite3';
import type { ApiKeyRecord, Scope } from '../../auth/scopes.js';
import type { ApiDefinition, ObservationSource } from '../../domain/api.js';
import { storedEvent, type EventKind, type StoredEvent } from '../../domain/events.js';
import type { HeartbeatMessage, InstanceRecord, InstanceState } from '../../domain/instance.js';
import {
  API_RETENTION,
  type ApiBucketRecord,
  type ApiFailureRecord,
  type ApiHistoryRecord,
  type ChangeRecord,
  type CommitBatch,
  type EventQuery,
  type ProbeResultRecord,
  type ReplicaRecord,
  type Store,
} from '../store.js';
import { changePayload, toChange } from '../change-log.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { createSqliteNotifications } from './sqlite-notifications.js';
import {
  createTouchJournal,
  TOUCH_JOURNAL_DEFAULTS,
  type Settle,
  type TouchJournalOptions,
} from './touch-journal.js';

export interface SqliteStoreOptions {
  /** The database file; its directory is created when missing. `:memory:` gives a throwaway database. */
  path: string;
  /** How long a statement waits for another connection's lock before it fails. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** When journaled instance touches are folded into their rows (`touch-journal.ts`); defaults there. */
  touchJournal?: Partial<TouchJournalOptions>;
}

/**
 * The embedded store: one SQLite file, written through better-sqlite3 (synchronous, one connection,
 * so commits are naturally serialized and event ids follow commit order).
 *
 * @example
 * const store = createSqliteStore({ path: './data/heartbeat.db' });
 * await store.migrate();
 * const [event] = await store.commit({ instances: [record], events: [registered] });
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const inMemory = options.path === ':memory:';
  const location = inMemory ? options.path : resolve(options.path);
  const db = openDatabase(location, inMemory, options.busyTimeoutMs ?? 5000);
  const pingStatement = db.prepare('SELECT 1');
  let prepared: Statements | undefined;
  let closed = false;

  /** Runs `work` on the open database, turning storage failures into HeartbeatErrors. */
  function guard<T>(work: () => T): Promise<T> {
    if (closed) {
      return Promise.reject(new HeartbeatError('UNAVAILABLE', `the SQLite store at ${location} is closed`));
    }
    try {
      return Promise.resolve(work());
    } catch (thrown) {
      return Promise.reject(translateError(location, thrown));
    }
  }

  /** Runs `work` with the prepared statements, prepared on first use: the tables exist once migrated. */
  function run<T>(work: (statements: Statements) => T): Promise<T> {
    return guard(() =>
      work((prepared ??= prepareStatements(db, { ...TOUCH_JOURNAL_DEFAULTS, ...options.touchJournal }))),
    );
  }

  async function migrate(): Promise<void> {
    await guard(() => applyMigrations(db, location));
    // Touches a stopped process journaled and never folded (after `kill -9`, say): into their rows.
    await run((s) => db.transaction(() => s.touchJournal.replay())());
  }

  async function ping(): Promise<void> {
    await guard(() => pingStatement.get());
  }

  function close(): Promise<void> {
    if (!closed) {
      closed = true;
      try {
        // A clean stop leaves no journal to replay; if this fails, the next start replays it.
        if (prepared?.touchJournal.pending) prepared.foldTouches()();
      } finally {
        db.close();
      }
    }
    return Promise.resolve();
  }

  function commit(batch: CommitBatch): Promise<StoredEvent[]> {
    return run((s) => {
      const { stored, settle } = s.commit(batch);
      settle();
      return stored;
    });
  }

  /** Runs `read` on the instance rows with every journaled touch folded in. */
  function readInstances<T>(read: (statements: Statements) => T): Promise<T> {
    return run((s) => {
      if (s.touchJournal.pending) s.foldTouches()();
      return read(s);
    });
  }

  function loadLiveInstances(): Promise<InstanceRecord[]> {
    return readInstances((s) => s.liveInstances.all().map(toInstance));
  }

  function getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return readInstances((s) => {
      const row = s.instance.get(instanceId);
      return row && toInstance(row);
    });
  }

  function pruneRemovedInstances(before: number): Promise<number> {
    return run((s) => s.pruneRemoved(before));
  }

  function listEvents(query: EventQuery): Promise<StoredEvent[]> {
    return run((s) => {
      const limit = Math.floor(query.limit);
      if (!(limit > 0) || query.kinds?.length === 0) return [];
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.afterId !== undefined) {
        where.push('id > ?');
        params.push(query.afterId);
      }
      if (query.since !== undefined) {
        where.push('at >= ?');
        params.push(query.since);
      }
      if (query.instanceId !== undefined) {
        where.push('instance_id = ?');
        params.push(query.instanceId);
      }
      if (query.basepath !== undefined) {
        where.push('basepath = ?');
        params.push(query.basepath);
      }
      if (query.kinds !== undefined) {
        where.push(`kind IN (${query.kinds.map(() => '?').join(', ')})`);
        params.push(...query.kinds);
      }
      const sql =
        `SELECT ${EVENT_COLUMNS} FROM events` +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY id LIMIT ?';
      return s
        .cached<EventRow>(sql)
        .all(...params, limit)
        .map(toEvent);
    });
  }

  function lastEventId(): Promise<number> {
    return run((s) => s.lastEventId.get()?.id ?? 0);
  }

  function pruneEvents(before: number): Promise<number> {
    return run((s) => s.pruneEvents.run(before).changes);
  }

  function listApis(): Promise<ApiDefinition[]> {
    return run((s) => s.apis.all().map((row) => JSON.parse(row.definition) as ApiDefinition));
  }

  function loadApiBuckets(since: number): Promise<ApiBucketRecord[]> {
    return run((s) => s.apiBuckets.all(since).map(toBucket));
  }

  function listApiHistory(basepath: string, from: number, to: number): Promise<ApiHistoryRecord[]> {
    return run((s) => s.apiHistory.all(basepath, from, to).map(toHistory));
  }

  function listApiFailures(basepath: string, limit: number): Promise<ApiFailureRecord[]> {
    return run((s) => {
      const count = Math.floor(limit);
      // LIMIT -1 means "no limit" to SQLite; the contract says none.
      return count > 0 ? s.apiFailures.all(basepath, count).map(toFailure) : [];
    });
  }

  function listProbeResults(basepath: string, limit: number): Promise<ProbeResultRecord[]> {
    return run((s) => {
      const count = Math.floor(limit);
      return count > 0 ? s.probeResults.all(basepath, count).map(toProbeResult) : [];
    });
  }

  function compactApiHistory(limits: CompactLimits): Promise<number> {
    return run((s) => s.compact(limits));
  }

  function createKey(key: ApiKeyRecord): Promise<void> {
    return run((s) => {
      try {
        s.insertKey.run(
          key.id,
          key.name,
          JSON.stringify(key.scopes),
          key.secretHash,
          key.createdAt,
          key.revokedAt,
        );
      } catch (thrown) {
        if ((thrown as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new HeartbeatError('CONFLICT', `an API key with id "${key.id}" exists already`);
        }
        throw thrown;
      }
    });
  }

  function getKey(id: string): Promise<ApiKeyRecord | undefined> {
    return run((s) => {
      const row = s.key.get(id);
      return row && toKey(row);
    });
  }

  function listKeys(): Promise<ApiKeyRecord[]> {
    return run((s) => s.keys.all().map(toKey));
  }

  function revokeKey(id: string, at: number): Promise<boolean> {
    return run((s) => s.revokeKey.run(at, id).changes > 0);
  }

  function listChanges(afterSeq: number, limit: number, eventsOnlyOf?: string): Promise<ChangeRecord[]> {
    return run((s) => {
      const count = Math.floor(limit);
      if (!(count > 0)) return [];
      return s.changes
        .all(eventsOnlyOf ?? null, afterSeq, count)
        .map((row) => toChange(row.seq, row.replica, row.at, row.payload, row.events));
    });
  }

  function renewReplica(replica: ReplicaRecord): Promise<void> {
    return run((s) => {
      s.renewReplica.run(
        replica.id,
        replica.url,
        replica.version,
        replica.startedAt,
        replica.leaseExpiresAt,
        replica.leader ? 1 : 0,
      );
    });
  }

  function listReplicas(): Promise<ReplicaRecord[]> {
    return run((s) =>
      s.replicas.all().map((row) => ({
        id: row.id,
        url: row.url,
        version: row.version,
        startedAt: row.started_at,
        leaseExpiresAt: row.lease_expires_at,
        leader: row.leader === 1,
      })),
    );
  }

  function removeReplicas(ids: readonly string[], expiredBefore?: number): Promise<void> {
    return run((s) => {
      for (const id of ids) s.removeReplica.run(id);
      if (expiredBefore !== undefined) s.removeExpiredReplicas.run(expiredBefore);
    });
  }

  return {
    kind: 'sqlite',
    location,
    migrate,
    ping,
    close,
    commit,
    loadLiveInstances,
    getInstance,
    pruneRemovedInstances,
    listEvents,
    lastEventId,
    pruneEvents,
    listApis,
    loadApiBuckets,
    listApiHistory,
    listApiFailures,
    listProbeResults,
    compactApiHistory,
    createKey,
    getKey,
    listKeys,
    revokeKey,
    ...createSqliteNotifications(db, guard),
    listChanges,
    lastChangeSeq: () => run((s) => s.lastChangeSeq.get()?.seq ?? 0),
    pruneChanges: (before) => run((s) => s.pruneChanges.run(before).changes),
    // One hub per SQLite file: nobody else commits, and this hub always leads.
    listenForChanges: () => guard(() => () => Promise.resolve()),
    tryLeadership: () => guard(() => true),
    renewReplica,
    listReplicas,
    removeReplicas,
  };
}

function openDatabase(location: string, inMemory: boolean, busyTimeoutMs: number): Database.Database {
  try {
    if (!inMemory) mkdirSync(dirname(location), { recursive: true });
    const db = new Database(location);
    // WAL: readers never block the writer, and a commit is one append to the log.
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode fsyncs at checkpoints, not at every commit. A committed transaction is in
    // the log (the OS page cache) before commit returns, so it survives a process crash or
    // `kill -9` — what the Store promises. Only an OS crash or power loss may drop the last commits;
    // FULL would cover that too, at the cost of an fsync per commit.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (thrown) {
    throw new HeartbeatError(
      'UNAVAILABLE',
      `cannot open the SQLite database at ${location}: ${describeError(thrown)}`,
      undefined,
      { cause: thrown },
    );
  }
}

/** Applies the steps not applied yet, each in its own IMMEDIATE transaction. */
function applyMigrations(db: Database.Database, location: string): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
  );
  const newest = db.prepare<[], { version: number | null }>(
    'SELECT MAX(version) AS version FROM schema_migrations',
  );
  const known = SQLITE_MIGRATIONS.at(-1)?.version ?? 0;
  const found = newest.get()?.version ?? 0;
  if (found > known) {
    throw new HeartbeatError(
      'CONFIGURATION_INVALID',
      `the SQLite database at ${location} has schema version ${found}, newer than this hub knows (${known}); ` +
        'run a hub at least as new as the one that wrote it',
    );
  }
  const applied = db.prepare<[number], { version: number }>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, number]>(
    'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
  );
  for (const step of SQLITE_MIGRATIONS) {
    // IMMEDIATE takes the write lock before the check, so two processes opening one file at once
    // apply each step once.
    db.transaction(() => {
      if (applied.get(step.version)) return;
      db.exec(step.sql);
      record.run(step.version, Date.now());
    }).immediate();
  }
}

const INSTANCE_COLUMNS =
  'instance_id, service, state, unconfirmed, registered_at, last_heartbeat_at, state_changed_at, removed_at, beats, message';
/** An instance row with its lease (migration 6): the lease row's values are the latest. */
const INSTANCE_WITH_LEASE = `SELECT i.instance_id, i.service, i.state, i.unconfirmed, i.registered_at,
    coalesce(l.last_heartbeat_at, i.last_heartbeat_at) AS last_heartbeat_at, i.state_changed_at, i.removed_at,
    coalesce(l.beats, i.beats) AS beats, i.message, l.heartbeat_time, l.last_heartbeat_time
  FROM instances i LEFT JOIN instance_leases l ON l.instance_id = i.instance_id`;
const EVENT_COLUMNS = 'id, at, kind, instance_id, service, basepath, data';
const KEY_COLUMNS = 'id, name, scopes, secret_hash, created_at, revoked_at';
const BUCKET_COLUMNS = 'basepath, bucket_ms, idx, total, failures, traffic, pulse, otlp, latency, replica';
const REPLICA_COLUMNS = 'id, url, version, started_at, lease_expires_at, leader';
const HISTORY_COLUMNS = 'basepath, resolution, start, total, failures, traffic, pulse, otlp, p50_ms, p95_ms';
const FAILURE_COLUMNS = 'basepath, at, status_code, error, duration_ms, source';
const PROBE_COLUMNS = 'basepath, at, ok, status_code, error, duration_ms, detail';
const HOUR_MS = 3_600_000;

type CompactLimits = Parameters<Store['compactApiHistory']>[0];

type InstanceParams = [string, string, string, number, number, number, number, number | null, number, string];
type EventParams = [number, string, string | null, string | null, string | null, string];

interface InstanceRow {
  instance_id: string;
  service: string;
  state: string;
  unconfirmed: number;
  registered_at: number;
  last_heartbeat_at: number;
  state_changed_at: number;
  removed_at: number | null;
  beats: number;
  message: string;
  heartbeat_time: number | null;
  last_heartbeat_time: number | null;
}

interface EventRow {
  id: number;
  at: number;
  kind: string;
  instance_id: string | null;
  service: string | null;
  basepath: string | null;
  data: string;
}

interface ChangeRow {
  seq: number;
  replica: string;
  at: number;
  payload: string | null;
  events: string | null;
}

interface ReplicaRow {
  id: string;
  url: string;
  version: string;
  started_at: number;
  lease_expires_at: number;
  leader: number;
}

interface ApiRow {
  definition: string;
}

interface BucketRow {
  basepath: string;
  bucket_ms: number;
  idx: number;
  total: number;
  failures: number;
  traffic: number;
  pulse: number;
  otlp: number;
  latency: string;
  replica: string;
}

interface HistoryRow {
  basepath: string;
  resolution: string;
  start: number;
  total: number;
  failures: number;
  traffic: number;
  pulse: number;
  otlp: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

interface FailureRow {
  basepath: string;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  source: string;
}

interface ProbeRow {
  basepath: string;
  at: number;
  ok: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  detail: string | null;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database, touchJournalOptions: TouchJournalOptions) {
  const upsertInstance = db.prepare<InstanceParams>(
    `INSERT INTO instances (${INSTANCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (instance_id) DO UPDATE SET
       service = excluded.service, state = excluded.state, unconfirmed = excluded.unconfirmed,
       registered_at = excluded.registered_at, last_heartbeat_at = excluded.last_heartbeat_at,
       state_changed_at = excluded.state_changed_at, removed_at = excluded.removed_at,
       beats = excluded.beats, message = excluded.message`,
  );
  const upsertLease = db.prepare<[string, number, number, number | null, number | null]>(
    `INSERT INTO instance_leases (instance_id, last_heartbeat_at, beats, heartbeat_time, last_heartbeat_time)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (instance_id) DO UPDATE SET
       last_heartbeat_at = excluded.last_heartbeat_at, beats = excluded.beats,
       heartbeat_time = excluded.heartbeat_time, last_heartbeat_time = excluded.last_heartbeat_time`,
  );
  const insertChange = db.prepare<[string, number, string, string | null]>(
    'INSERT INTO changes (replica, at, payload, events) VALUES (?, ?, ?, ?)',
  );
  const insertEvent = db.prepare<EventParams>(
    'INSERT INTO events (at, kind, instance_id, service, basepath, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const upsertApi = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO apis (basepath, definition, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (basepath) DO UPDATE SET
       definition = excluded.definition, origin = excluded.origin,
       created_at = excluded.created_at, updated_at = excluded.updated_at`,
  );
  const upsertBucket = db.prepare<
    [string, number, number, number, number, number, number, number, string, string]
  >(
    `INSERT INTO api_buckets (${BUCKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (basepath, bucket_ms, idx, replica) DO UPDATE SET
       total = excluded.total, failures = excluded.failures, traffic = excluded.traffic,
       pulse = excluded.pulse, otlp = excluded.otlp, latency = excluded.latency`,
  );
  const upsertHistory = db.prepare<
    [string, string, number, number, number, number, number, number, number | null, number | null]
  >(
    `INSERT INTO api_history (${HISTORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (basepath, resolution, start) DO UPDATE SET
       total = excluded.total, failures = excluded.failures, traffic = excluded.traffic,
       pulse = excluded.pulse, otlp = excluded.otlp, p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms`,
  );
  const insertFailure = db.prepare<[string, number, number | null, string | null, number, string]>(
    `INSERT INTO api_failures (${FAILURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insertProbeResult = db.prepare<
    [string, number, number, number | null, string | null, number, string | null]
  >(`INSERT INTO probe_results (${PROBE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const deleteApi = ['apis', 'api_buckets', 'api_history', 'api_failures', 'probe_results'].map((table) =>
    db.prepare<[string]>(`DELETE FROM ${table} WHERE basepath = ?`),
  );

  const compactSteps = prepareCompaction(db);

  // listEvents builds its SQL from the filters given; a handful of shapes, each prepared once.
  const bySql = new Map<string, Database.Statement<unknown[], unknown>>();

  function writeApiRows(batch: CommitBatch): void {
    for (const api of batch.apis ?? []) {
      upsertApi.run(api.basepath, JSON.stringify(api), api.origin, api.createdAt, api.updatedAt);
    }
    for (const bucket of batch.apiBuckets ?? []) {
      upsertBucket.run(
        bucket.basepath,
        bucket.bucketMs,
        bucket.index,
        bucket.total,
        bucket.failures,
        bucket.bySource.traffic,
        bucket.bySource.pulse,
        bucket.bySource.otlp,
        JSON.stringify(bucket.latency),
        batch.replica ?? bucket.replica ?? '',
      );
    }
    for (const row of batch.apiHistory ?? []) {
      upsertHistory.run(
        row.basepath,
        row.resolution,
        row.start,
        row.total,
        row.failures,
        row.bySource.traffic,
        row.bySource.pulse,
        row.bySource.otlp,
        row.p50Ms,
        row.p95Ms,
      );
    }
    for (const failure of batch.apiFailures ?? []) {
      insertFailure.run(
        failure.basepath,
        failure.at,
        failure.statusCode,
        failure.error,
        failure.durationMs,
        failure.source,
      );
    }
    for (const result of batch.probeResults ?? []) {
      insertProbeResult.run(
        result.basepath,
        result.at,
        result.ok ? 1 : 0,
        result.statusCode,
        result.error,
        result.durationMs,
        result.detail,
      );
    }
    // Last, so that whatever this batch wrote for a deleted API goes too.
    for (const basepath of batch.deletedApis ?? []) {
      for (const statement of deleteApi) statement.run(basepath);
    }
  }

  const touchJournal = createTouchJournal(db, touchJournalOptions);
  const removedBefore = 'removed_at IS NOT NULL AND removed_at < ?';
  const pruneRemovedLeases = db.prepare<[number]>(
    `DELETE FROM instance_leases WHERE instance_id IN (SELECT instance_id FROM instances WHERE ${removedBefore})`,
  );
  const pruneRemovedInstances = db.prepare<[number]>(`DELETE FROM instances WHERE ${removedBefore}`);

  return {
    touchJournal,
    /** The commit's transaction; run the returned `settle` once it has committed. */
    commit: db.transaction((batch: CommitBatch): { stored: StoredEvent[]; settle: Settle } => {
      for (const record of batch.instances) {
        upsertInstance.run(
          record.instanceId,
          record.service,
          record.state,
          record.unconfirmed ? 1 : 0,
          record.registeredAt,
          record.lastHeartbeatAt,
          record.stateChangedAt,
          record.removedAt,
          record.beats,
          JSON.stringify(record.message),
        );
        upsertLease.run(
          record.instanceId,
          record.lastHeartbeatAt,
          record.beats,
          record.message.heartbeatTime ?? null,
          record.message.lastHeartbeatTime ?? null,
        );
      }
      const settle = touchJournal.write(batch.instanceTouches ?? [], batch.instances);
      const stored = batch.events.map((event) => {
        const { lastInsertRowid } = insertEvent.run(
          event.at,
          event.kind,
          event.instanceId ?? null,
          event.service ?? null,
          event.basepath ?? null,
          JSON.stringify(event.data),
        );
        return storedEvent(Number(lastInsertRowid), event);
      });
      writeApiRows(batch);
      if (batch.replica !== undefined) {
        insertChange.run(
          batch.replica,
          Date.now(),
          JSON.stringify(changePayload(batch)),
          stored.length > 0 ? JSON.stringify(stored) : null,
        );
      }
      return { stored, settle };
    }),
    /** Deletes the instances removed before `before`, with their leases; returns how many. */
    pruneRemoved: db.transaction((before: number): number => {
      pruneRemovedLeases.run(before);
      return pruneRemovedInstances.run(before).changes;
    }),
    /** Folds the touch journal into the lease rows; run the returned `settle` once committed. */
    foldTouches: db.transaction((): Settle => touchJournal.fold()),
    changes: db.prepare<[string | null, number, number], ChangeRow>(
      `SELECT seq, replica, at, CASE WHEN replica = ? THEN NULL ELSE payload END AS payload, events
       FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    lastChangeSeq: db.prepare<[], { seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM changes'),
    pruneChanges: db.prepare<[number]>(
      'DELETE FROM changes WHERE at < ? AND seq < (SELECT MAX(seq) FROM changes)',
    ),
    renewReplica: db.prepare<[string, string, string, number, number, number]>(
      `INSERT INTO replicas (${REPLICA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, version = excluded.version,
         started_at = excluded.started_at, lease_expires_at = excluded.lease_expires_at, leader = excluded.leader`,
    ),
    replicas: db.prepare<[], ReplicaRow>(`SELECT ${REPLICA_COLUMNS} FROM replicas ORDER BY id`),
    removeReplica: db.prepare<[string]>('DELETE FROM replicas WHERE id = ?'),
    removeExpiredReplicas: db.prepare<[number]>('DELETE FROM replicas WHERE lease_expires_at < ?'),
    liveInstances: db.prepare<[], InstanceRow>(
      `${INSTANCE_WITH_LEASE} WHERE i.removed_at IS NULL ORDER BY i.instance_id`,
    ),
    instance: db.prepare<[string], InstanceRow>(`${INSTANCE_WITH_LEASE} WHERE i.instance_id = ?`),
    lastEventId: db.prepare<[], { id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM events'),
    pruneEvents: db.prepare<[number]>('DELETE FROM events WHERE at < ?'),
    insertKey: db.prepare<[string, string, string, string, number, number | null]>(
      `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    key: db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`),
    keys: db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`),
    revokeKey: db.prepare<[number, string]>(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    apis: db.prepare<[], ApiRow>('SELECT definition FROM apis ORDER BY basepath'),
    apiBuckets: db.prepare<[number], BucketRow>(
      `SELECT ${BUCKET_COLUMNS} FROM api_buckets WHERE idx * bucket_ms >= ? ORDER BY basepath, bucket_ms, idx`,
    ),
    apiHistory: db.prepare<[string, number, number], HistoryRow>(
      `SELECT ${HISTORY_COLUMNS} FROM api_history
       WHERE basepath = ? AND resolution IN ('hour', 'minute') AND start >= ? AND start < ?
       ORDER BY start, resolution`,
    ),
    apiFailures: db.prepare<[string, number], FailureRow>(
      `SELECT ${FAILURE_COLUMNS} FROM api_failures WHERE basepath = ? ORDER BY at DESC, id DESC LIMIT ?`,
    ),
    probeResults: db.prepare<[string, number], ProbeRow>(
      `SELECT ${PROBE_COLUMNS} FROM probe_results WHERE basepath = ? ORDER BY at DESC, id DESC LIMIT ?`,
    ),
    compact: db.transaction((limits: CompactLimits): number => {
      let removed = 0;
      // Expired rows first: merging minutes that are about to be deleted would be wasted work.
      removed += compactSteps.deleteHistory.run(limits.deleteBefore).changes;
      compactSteps.mergeMinutes.run({ before: limits.minutesBefore });
      removed += compactSteps.deleteMinutes.run(limits.minutesBefore).changes;
      removed += compactSteps.deleteFailures.run(limits.deleteBefore).changes;
      removed += compactSteps.deleteProbeResults.run(limits.deleteBefore).changes;
      removed += compactSteps.deleteBuckets.run(limits.bucketsBefore).changes;
      removed += compactSteps.capFailures.run(API_RETENTION.failuresPerApi).changes;
      removed += compactSteps.capProbeResults.run(API_RETENTION.probeResultsPerApi).changes;
      return removed;
    }),
    cached<Row>(sql: string): Database.Statement<unknown[], Row> {
      let statement = bySql.get(sql);
      if (!statement) {
        statement = db.prepare<unknown[], unknown>(sql);
        bySql.set(sql, statement);
      }
      return statement as Database.Statement<unknown[], Row>;
    },
  };
}

/**
 * The statements of `compactApiHistory`. An hour row is rebuilt from the minutes being merged plus
 * the hour row already there (from an earlier compaction of the same hour), so running it twice, or
 * on a partly merged hour, gives the same result. Sums are exact; the hour's p95 (the worst minute's)
 * and p50 (the minutes' p50s weighted by their counts) are approximations: true percentiles would
 * need the latency histograms, which only the window buckets keep.
 */
function prepareCompaction(db: Database.Database) {
  const cap = (table: string) =>
    db.prepare<[number]>(
      `DELETE FROM ${table} WHERE id IN (
         SELECT id FROM (
           SELECT id, ROW_NUMBER() OVER (PARTITION BY basepath ORDER BY at DESC, id DESC) AS newest
           FROM ${table})
         WHERE newest > ?)`,
    );
  return {
    deleteHistory: db.prepare<[number]>(
      "DELETE FROM api_history WHERE resolution IN ('minute', 'hour') AND start < ?",
    ),
    // WHERE true: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT to parse it unambiguously.
    mergeMinutes: db.prepare<[{ before: number }]>(
      `INSERT INTO api_history (${HISTORY_COLUMNS})
       SELECT basepath, 'hour', hour_start, SUM(total), SUM(failures), SUM(traffic), SUM(pulse), SUM(otlp),
              SUM(p50_ms * total) / NULLIF(SUM(CASE WHEN p50_ms IS NULL THEN 0 ELSE total END), 0),
              MAX(p95_ms)
       FROM (
         SELECT basepath, start - start % ${HOUR_MS} AS hour_start,
                total, failures, traffic, pulse, otlp, p50_ms, p95_ms
         FROM api_history
         WHERE resolution = 'minute' AND start < @before
         UNION ALL
         SELECT basepath, start, total, failures, traffic, pulse, otlp, p50_ms, p95_ms
         FROM api_history AS h
         WHERE resolution = 'hour' AND start < @before AND EXISTS (
           SELECT 1 FROM api_history AS m
           WHERE m.basepath = h.basepath AND m.resolution = 'minute'
             AND m.start >= h.start AND m.start < h.start + ${HOUR_MS} AND m.start < @before)
       )
       WHERE true
       GROUP BY basepath, hour_start
       ON CONFLICT (basepath, resolution, start) DO UPDATE SET
         total = excluded.total, failures = excluded.failures, traffic = excluded.traffic,
         pulse = excluded.pulse, otlp = excluded.otlp, p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms`,
    ),
    deleteMinutes: db.prepare<[number]>("DELETE FROM api_history WHERE resolution = 'minute' AND start < ?"),
    deleteFailures: db.prepare<[number]>('DELETE FROM api_failures WHERE at < ?'),
    deleteProbeResults: db.prepare<[number]>('DELETE FROM probe_results WHERE at < ?'),
    deleteBuckets: db.prepare<[number]>('DELETE FROM api_buckets WHERE idx * bucket_ms < ?'),
    capFailures: cap('api_failures'),
    capProbeResults: cap('probe_results'),
  };
}

function toInstance(row: InstanceRow): InstanceRecord {
  return {
    instanceId: row.instance_id,
    service: row.service,
    state: row.state as InstanceState,
    unconfirmed: row.unconfirmed === 1,
    registeredAt: row.registered_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    stateChangedAt: row.state_changed_at,
    removedAt: row.removed_at,
    beats: row.beats,
    message: withAgentTimes(JSON.parse(row.message) as HeartbeatMessage, row),
  };
}

/** The agent's times of the latest beat, when the lease row has them, are newer than the message's. */
function withAgentTimes(message: HeartbeatMessage, row: InstanceRow): HeartbeatMessage {
  if (row.heartbeat_time !== null) message.heartbeatTime = row.heartbeat_time;
  if (row.last_heartbeat_time !== null) message.lastHeartbeatTime = row.last_heartbeat_time;
  return message;
}

function toEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    id: row.id,
    at: row.at,
    kind: row.kind as EventKind,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
  if (row.instance_id !== null) event.instanceId = row.instance_id;
  if (row.service !== null) event.service = row.service;
  if (row.basepath !== null) event.basepath = row.basepath;
  return event;
}

function toBucket(row: BucketRow): ApiBucketRecord {
  return {
    basepath: row.basepath,
    bucketMs: row.bucket_ms,
    index: row.idx,
    total: row.total,
    failures: row.failures,
    bySource: { traffic: row.traffic, pulse: row.pulse, otlp: row.otlp },
    latency: JSON.parse(row.latency) as Array<[number, number]>,
    ...(row.replica !== '' && { replica: row.replica }),
  };
}

function toHistory(row: HistoryRow): ApiHistoryRecord {
  return {
    basepath: row.basepath,
    start: row.start,
    resolution: row.resolution as ApiHistoryRecord['resolution'],
    total: row.total,
    failures: row.failures,
    bySource: { traffic: row.traffic, pulse: row.pulse, otlp: row.otlp },
    p50Ms: row.p50_ms,
    p95Ms: row.p95_ms,
  };
}

function toFailure(row: FailureRow): ApiFailureRecord {
  return {
    basepath: row.basepath,
    at: row.at,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    source: row.source as ObservationSource,
  };
}

function toProbeResult(row: ProbeRow): ProbeResultRecord {
  return {
    basepath: row.basepath,
    at: row.at,
    ok: row.ok === 1,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    detail: row.detail,
  };
}

function toKey(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** SQLite result codes that mean the file cannot be used now, rather than a bad request. */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;

function translateError(location: string, thrown: unknown): Error {
  if (thrown instanceof HeartbeatError) return thrown;
  const code = (thrown as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new HeartbeatError(
      'UNAVAILABLE',
      `the SQLite database at ${location} is unavailable: ${describeError(thrown)}`,
      undefined,
      { cause: thrown },
    );
  }
  return thrown instanceof Error ? thrown : new Error(describeError(thrown), { cause: thrown });
}
