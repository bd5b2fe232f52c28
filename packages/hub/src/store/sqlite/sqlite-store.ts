import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeError, HeartbeatError } from '@heartbeat/sdk';
import Database from 'better-sqlite3';
import type { ApiKeyRecord, Scope } from '../../auth/scopes.js';
import type { EventKind, StoredEvent } from '../../domain/events.js';
import type { HeartbeatMessage, InstanceRecord, InstanceState } from '../../domain/instance.js';
import type { CommitBatch, EventQuery, Store } from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

export interface SqliteStoreOptions {
  /** The database file; its directory is created when missing. `:memory:` gives a throwaway database. */
  path: string;
  /** How long a statement waits for another connection's lock before it fails. Default 5000 ms. */
  busyTimeoutMs?: number;
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
    return guard(() => work((prepared ??= prepareStatements(db))));
  }

  async function migrate(): Promise<void> {
    await guard(() => applyMigrations(db, location));
  }

  async function ping(): Promise<void> {
    await guard(() => pingStatement.get());
  }

  function close(): Promise<void> {
    if (!closed) {
      closed = true;
      db.close();
    }
    return Promise.resolve();
  }

  function commit(batch: CommitBatch): Promise<StoredEvent[]> {
    return run((s) => s.commit(batch));
  }

  function loadLiveInstances(): Promise<InstanceRecord[]> {
    return run((s) => s.liveInstances.all().map(toInstance));
  }

  function getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return run((s) => {
      const row = s.instance.get(instanceId);
      return row && toInstance(row);
    });
  }

  function pruneRemovedInstances(before: number): Promise<number> {
    return run((s) => s.pruneRemovedInstances.run(before).changes);
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
    createKey,
    getKey,
    listKeys,
    revokeKey,
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
const EVENT_COLUMNS = 'id, at, kind, instance_id, service, data';
const KEY_COLUMNS = 'id, name, scopes, secret_hash, created_at, revoked_at';

type InstanceParams = [string, string, string, number, number, number, number, number | null, number, string];
type EventParams = [number, string, string | null, string | null, string];

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
}

interface EventRow {
  id: number;
  at: number;
  kind: string;
  instance_id: string | null;
  service: string | null;
  data: string;
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

function prepareStatements(db: Database.Database) {
  const upsertInstance = db.prepare<InstanceParams>(
    `INSERT INTO instances (${INSTANCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (instance_id) DO UPDATE SET
       service = excluded.service, state = excluded.state, unconfirmed = excluded.unconfirmed,
       registered_at = excluded.registered_at, last_heartbeat_at = excluded.last_heartbeat_at,
       state_changed_at = excluded.state_changed_at, removed_at = excluded.removed_at,
       beats = excluded.beats, message = excluded.message`,
  );
  const insertEvent = db.prepare<EventParams>(
    'INSERT INTO events (at, kind, instance_id, service, data) VALUES (?, ?, ?, ?, ?)',
  );
  // listEvents builds its SQL from the filters given; a handful of shapes, each prepared once.
  const bySql = new Map<string, Database.Statement<unknown[], unknown>>();

  return {
    commit: db.transaction((batch: CommitBatch): StoredEvent[] => {
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
      }
      return batch.events.map((event) => {
        const { lastInsertRowid } = insertEvent.run(
          event.at,
          event.kind,
          event.instanceId ?? null,
          event.service ?? null,
          JSON.stringify(event.data),
        );
        return numbered(Number(lastInsertRowid), event);
      });
    }),
    liveInstances: db.prepare<[], InstanceRow>(
      `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE removed_at IS NULL ORDER BY instance_id`,
    ),
    instance: db.prepare<[string], InstanceRow>(
      `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE instance_id = ?`,
    ),
    pruneRemovedInstances: db.prepare<[number]>(
      'DELETE FROM instances WHERE removed_at IS NOT NULL AND removed_at < ?',
    ),
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

function numbered(id: number, event: CommitBatch['events'][number]): StoredEvent {
  const stored: StoredEvent = { id, at: event.at, kind: event.kind, data: event.data };
  if (event.instanceId !== undefined) stored.instanceId = event.instanceId;
  if (event.service !== undefined) stored.service = event.service;
  return stored;
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
    message: JSON.parse(row.message) as HeartbeatMessage,
  };
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
  return event;
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
