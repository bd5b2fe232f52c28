import { describeError, HeartbeatError } from '@heartbeat/sdk';
import pg from 'pg';
import type { ApiKeyRecord, Scope } from '../../auth/scopes.js';
import type { EventKind, NewEvent, StoredEvent } from '../../domain/events.js';
import type { HeartbeatMessage, InstanceRecord, InstanceState } from '../../domain/instance.js';
import type { CommitBatch, EventQuery, Store } from '../store.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; the password never appears in `location` or errors. */
  connectionString: string;
  /**
   * The schema the tables live in, created when missing and put on every connection's `search_path`.
   * Lower-case letters, digits and `_`. Default `public`.
   */
  schema?: string;
  /** Most connections the pool opens. Default 10. */
  maxConnections?: number;
  /** How long opening a connection may take before the call fails as UNAVAILABLE. Default 5000 ms. */
  connectionTimeoutMs?: number;
  /** Server-side limit on one statement, so a stuck query cannot hold a connection forever. Default 30000 ms. */
  statementTimeoutMs?: number;
  /**
   * Told about errors of idle connections (the server restarted, the network dropped). The pool
   * discards such a connection and opens a new one when needed; without this they are ignored.
   */
  onError?: (error: HeartbeatError) => void;
}

/**
 * A store on PostgreSQL, for hubs that share one database (cluster mode).
 *
 * Every commit takes a transaction-scoped advisory lock, so commits from all hubs on the same
 * schema are serialized: event ids then increase in commit order, and a reader that remembers the
 * last id it saw never misses an event committed later with a smaller id.
 *
 * @example
 * const store = createPostgresStore({ connectionString: 'postgres://hub@db.internal/heartbeat' });
 * await store.migrate();
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new HeartbeatError(
      'CONFIGURATION_INVALID',
      `the PostgreSQL schema must be lower-case letters, digits and _ (at most 63), not ${JSON.stringify(schema)}`,
    );
  }
  const target = parseTarget(options.connectionString, `-c search_path=${schema}`);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    ...(target.options !== undefined && { options: target.options }),
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    application_name: 'heartbeat-hub',
  });
  // An idle connection that breaks emits 'error' on the pool; unheard, that would end the process.
  pool.on('error', (error) => options.onError?.(unreachable(error)));
  let closed = false;

  function unreachable(thrown: unknown): HeartbeatError {
    return new HeartbeatError(
      'UNAVAILABLE',
      `cannot reach PostgreSQL at ${target.address}: ${target.redact(describeError(thrown))}`,
      undefined,
      { cause: thrown },
    );
  }

  function translate(thrown: unknown): unknown {
    if (thrown instanceof HeartbeatError) return thrown;
    return isConnectionError(thrown) ? unreachable(thrown) : thrown;
  }

  /** Lends `work` a pooled connection; any failure to get one is UNAVAILABLE. */
  async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (closed)
      throw new HeartbeatError('UNAVAILABLE', `the PostgreSQL store at ${target.location} is closed`);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (thrown) {
      throw unreachable(thrown);
    }
    // The pool listens for errors only while a connection is idle; one that breaks while lent
    // out would otherwise be an unhandled 'error' event.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (thrown) {
      if (isConnectionError(thrown)) broken = true;
      throw translate(thrown);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (thrown) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackFailure) {
          // The connection is unusable; report what broke it so it is discarded.
          throw isConnectionError(thrown) ? thrown : rollbackFailure;
        }
        throw thrown;
      }
    });
  }

  async function migrate(): Promise<void> {
    await transaction(async (client) => {
      // Two hubs starting at once: the second waits here, then finds nothing left to do.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => row.version));
      const known = POSTGRES_MIGRATIONS.at(-1)?.version ?? 0;
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new HeartbeatError(
          'CONFIGURATION_INVALID',
          `the PostgreSQL schema "${schema}" at ${target.location} has version ${newest}, newer than this hub ` +
            `knows (${known}); run a hub at least as new as the one that wrote it`,
        );
      }
      for (const step of POSTGRES_MIGRATIONS) {
        if (applied.has(step.version)) continue;
        await client.query(step.sql);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
          step.version,
          Date.now(),
        ]);
      }
    });
  }

  async function ping(): Promise<void> {
    await withClient((client) => client.query('SELECT 1'));
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await pool.end();
  }

  async function commit(batch: CommitBatch): Promise<StoredEvent[]> {
    if (batch.instances.length === 0 && batch.events.length === 0) {
      if (closed)
        throw new HeartbeatError('UNAVAILABLE', `the PostgreSQL store at ${target.location} is closed`);
      return [];
    }
    // One statement per table, whatever the batch size: the rows travel as one JSON document.
    const instances = batch.instances.length > 0 ? toJson(instanceRows(batch.instances)) : undefined;
    const events = batch.events.length > 0 ? toJson(batch.events.map(eventRow)) : undefined;
    return transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [COMMIT_LOCK, schema]);
      if (instances !== undefined) await client.query(UPSERT_INSTANCES, [instances]);
      if (events === undefined) return [];
      const { rows } = await client.query<{ id: string }>(INSERT_EVENTS, [events]);
      // The ids were drawn in `ord` order, so sorted they line up with the batch.
      const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b);
      return batch.events.map((event, index) => {
        const id = ids[index];
        if (id === undefined)
          throw new Error(`PostgreSQL returned ${ids.length} event ids for ${batch.events.length}`);
        return numbered(id, event);
      });
    });
  }

  function loadLiveInstances(): Promise<InstanceRecord[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<InstanceRow>(
        `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE removed_at IS NULL ORDER BY instance_id`,
      );
      return rows.map(toInstance);
    });
  }

  function getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return withClient(async (client) => {
      const { rows } = await client.query<InstanceRow>(
        `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE instance_id = $1`,
        [instanceId],
      );
      return rows[0] && toInstance(rows[0]);
    });
  }

  function pruneRemovedInstances(before: number): Promise<number> {
    return withClient(async (client) => {
      const result = await client.query(
        'DELETE FROM instances WHERE removed_at IS NOT NULL AND removed_at < $1',
        [before],
      );
      return result.rowCount ?? 0;
    });
  }

  async function listEvents(query: EventQuery): Promise<StoredEvent[]> {
    const limit = Math.floor(query.limit);
    if (!(limit > 0) || query.kinds?.length === 0) {
      if (closed)
        throw new HeartbeatError('UNAVAILABLE', `the PostgreSQL store at ${target.location} is closed`);
      return [];
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const filter = (clause: (placeholder: string) => string, value: unknown): void => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (query.afterId !== undefined) filter((p) => `id > ${p}`, query.afterId);
    if (query.since !== undefined) filter((p) => `at >= ${p}`, query.since);
    if (query.instanceId !== undefined) filter((p) => `instance_id = ${p}`, query.instanceId);
    if (query.kinds !== undefined) filter((p) => `kind = ANY(${p}::text[])`, query.kinds);
    params.push(limit);
    const sql =
      `SELECT ${EVENT_COLUMNS} FROM events` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY id LIMIT $${params.length}`;
    return withClient(async (client) => (await client.query<EventRow>(sql, params)).rows.map(toEvent));
  }

  function lastEventId(): Promise<number> {
    return withClient(async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT COALESCE(MAX(id), 0) AS id FROM events');
      return Number(rows[0]?.id ?? 0);
    });
  }

  function pruneEvents(before: number): Promise<number> {
    return withClient(async (client) => {
      const result = await client.query('DELETE FROM events WHERE at < $1', [before]);
      return result.rowCount ?? 0;
    });
  }

  function createKey(key: ApiKeyRecord): Promise<void> {
    return withClient(async (client) => {
      try {
        await client.query(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
          key.id,
          key.name,
          key.scopes,
          key.secretHash,
          key.createdAt,
          key.revokedAt,
        ]);
      } catch (thrown) {
        if ((thrown as { code?: unknown }).code === UNIQUE_VIOLATION) {
          throw new HeartbeatError('CONFLICT', `an API key with id "${key.id}" exists already`);
        }
        throw thrown;
      }
    });
  }

  function getKey(id: string): Promise<ApiKeyRecord | undefined> {
    return withClient(async (client) => {
      const { rows } = await client.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
      return rows[0] && toKey(rows[0]);
    });
  }

  function listKeys(): Promise<ApiKeyRecord[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<KeyRow>(
        `SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`,
      );
      return rows.map(toKey);
    });
  }

  function revokeKey(id: string, at: number): Promise<boolean> {
    return withClient(async (client) => {
      const result = await client.query(
        'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [at, id],
      );
      return (result.rowCount ?? 0) > 0;
    });
  }

  return {
    kind: 'postgres',
    location: target.location,
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

/** Advisory lock classes (with the schema's hash as the second key): "hbmi", "hbcm". */
const MIGRATION_LOCK = 0x68626d69;
const COMMIT_LOCK = 0x6862636d;
const UNIQUE_VIOLATION = '23505';

const INSTANCE_COLUMNS =
  'instance_id, service, state, unconfirmed, registered_at, last_heartbeat_at, state_changed_at, removed_at, beats, message';
const EVENT_COLUMNS = 'id, at, kind, instance_id, service, data';
const KEY_COLUMNS = 'id, name, scopes, secret_hash, created_at, revoked_at';

const UPSERT_INSTANCES = `
  INSERT INTO instances (${INSTANCE_COLUMNS})
  SELECT ${INSTANCE_COLUMNS}
  FROM json_to_recordset($1::json) AS t(
    instance_id text, service text, state text, unconfirmed boolean, registered_at bigint,
    last_heartbeat_at bigint, state_changed_at bigint, removed_at bigint, beats bigint, message jsonb)
  ON CONFLICT (instance_id) DO UPDATE SET
    service = EXCLUDED.service, state = EXCLUDED.state, unconfirmed = EXCLUDED.unconfirmed,
    registered_at = EXCLUDED.registered_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at,
    state_changed_at = EXCLUDED.state_changed_at, removed_at = EXCLUDED.removed_at,
    beats = EXCLUDED.beats, message = EXCLUDED.message`;

// ORDER BY ord: the sequence is drawn row by row after the sort, so ids follow the batch order.
const INSERT_EVENTS = `
  INSERT INTO events (at, kind, instance_id, service, data)
  SELECT at, kind, instance_id, service, data
  FROM json_to_recordset($1::json) AS t(ord integer, at bigint, kind text, instance_id text, service text, data jsonb)
  ORDER BY ord
  RETURNING id`;

/** The instances as rows, the last record winning when a batch names one instance twice. */
function instanceRows(records: readonly InstanceRecord[]): object[] {
  // ON CONFLICT cannot touch one row twice in a statement; SQLite's row-by-row upsert keeps the last.
  const byId = new Map<string, InstanceRecord>();
  for (const record of records) byId.set(record.instanceId, record);
  return [...byId.values()].map((record) => ({
    instance_id: record.instanceId,
    service: record.service,
    state: record.state,
    unconfirmed: record.unconfirmed,
    registered_at: record.registeredAt,
    last_heartbeat_at: record.lastHeartbeatAt,
    state_changed_at: record.stateChangedAt,
    removed_at: record.removedAt,
    beats: record.beats,
    message: record.message,
  }));
}

function eventRow(event: NewEvent, ord: number): object {
  return {
    ord,
    at: event.at,
    kind: event.kind,
    instance_id: event.instanceId ?? null,
    service: event.service ?? null,
    data: event.data,
  };
}

/**
 * JSON for PostgreSQL. Its text and JSONB types refuse U+0000 and lone surrogates (JSON.stringify
 * writes both as `\u` escapes), and one such character in one message would fail the whole batch,
 * so each becomes U+FFFD instead. Found by a substring test, so clean batches pay nothing more.
 */
function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  return /\\u(0000|d[89a-f])/.test(json) ? JSON.stringify(value, unstorable) : json;
}

const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function unstorable(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD');
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.some(([key]) => key.replace(UNSTORABLE, '') !== key)) {
      return Object.fromEntries(entries.map(([key, inner]) => [key.replace(UNSTORABLE, '\uFFFD'), inner]));
    }
  }
  return value;
}

function numbered(id: number, event: NewEvent): StoredEvent {
  const stored: StoredEvent = { id, at: event.at, kind: event.kind, data: event.data };
  if (event.instanceId !== undefined) stored.instanceId = event.instanceId;
  if (event.service !== undefined) stored.service = event.service;
  return stored;
}

// pg returns BIGINT as a string (it may exceed 2^53); epoch ms and ids stay far below that.
interface InstanceRow {
  instance_id: string;
  service: string;
  state: string;
  unconfirmed: boolean;
  registered_at: string;
  last_heartbeat_at: string;
  state_changed_at: string;
  removed_at: string | null;
  beats: string;
  message: HeartbeatMessage;
}

interface EventRow {
  id: string;
  at: string;
  kind: string;
  instance_id: string | null;
  service: string | null;
  data: Record<string, unknown>;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string[];
  secret_hash: string;
  created_at: string;
  revoked_at: string | null;
}

function toInstance(row: InstanceRow): InstanceRecord {
  return {
    instanceId: row.instance_id,
    service: row.service,
    state: row.state as InstanceState,
    unconfirmed: row.unconfirmed,
    registeredAt: Number(row.registered_at),
    lastHeartbeatAt: Number(row.last_heartbeat_at),
    stateChangedAt: Number(row.state_changed_at),
    removedAt: row.removed_at === null ? null : Number(row.removed_at),
    beats: Number(row.beats),
    message: row.message,
  };
}

function toEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    id: Number(row.id),
    at: Number(row.at),
    kind: row.kind as EventKind,
    data: row.data,
  };
  if (row.instance_id !== null) event.instanceId = row.instance_id;
  if (row.service !== null) event.service = row.service;
  return event;
}

function toKey(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    secretHash: row.secret_hash,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

interface Target {
  /** The URL without its password, for logs. */
  location: string;
  /** `host:port/database`, for error messages. */
  address: string;
  /** What pg is given: the URL as written, unless its own `options` had to be merged with ours. */
  connectionString: string;
  /** The `options` startup parameter, when not carried in the URL. */
  options: string | undefined;
  /** Removes the password from a text. */
  redact(text: string): string;
}

function parseTarget(connectionString: string, options: string): Target {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // Not the input in the message: it holds the password.
    throw new HeartbeatError('CONFIGURATION_INVALID', 'the PostgreSQL connection string is not a valid URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new HeartbeatError(
      'CONFIGURATION_INVALID',
      `a PostgreSQL connection string starts with postgres:// or postgresql://, not ${url.protocol}//`,
    );
  }
  const secrets = [safeDecode(url.password), url.searchParams.get('password') ?? ''].filter(Boolean);
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const port = url.port || url.searchParams.get('port') || '5432';
  const database = safeDecode(url.pathname.slice(1)) || safeDecode(url.username) || 'postgres';

  const shown = new URL(url.href);
  shown.password = '';
  shown.searchParams.delete('password');

  // pg lets the URL's parameters override the config, so options given in the URL carry ours too.
  const own = url.searchParams.get('options');
  let given = connectionString;
  if (own !== null) {
    url.searchParams.set('options', `${own} ${options}`);
    given = url.href;
  }
  return {
    location: shown.href,
    address: `${host}:${port}/${database}`,
    connectionString: given,
    options: own === null ? options : undefined,
    redact: (text) => secrets.reduce((redacted, secret) => redacted.split(secret).join('***'), text),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EPIPE',
  'ENOENT',
]);

/**
 * Whether an error means the server cannot be used at all (network, authentication, missing database,
 * shutdown) rather than that a statement failed.
 */
function isConnectionError(thrown: unknown): boolean {
  if (thrown instanceof AggregateError) return thrown.errors.some(isConnectionError);
  if (!(thrown instanceof Error)) return false;
  const code = (thrown as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code)) return true;
    // SQLSTATE classes 08 (connection), 28 (authorization), 57P (shutdown); 3D000 no such database;
    // 53300 too many connections.
    if (/^(08|28|57P)/.test(code) || code === '3D000' || code === '53300') return true;
  }
  return /timeout exceeded when trying to connect|connection terminated|connection error|not queryable/i.test(
    thrown.message,
  );
}
