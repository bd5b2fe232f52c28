import { describeError, HeartbeatError } from '@heartbeat/sdk';
import pg from 'pg';
import type { ApiKeyRecord, Scope } from '../../auth/scopes.js';
import type { ApiDefinition, ObservationSource } from '../../domain/api.js';
import { storedEvent, type EventKind, type NewEvent, type StoredEvent } from '../../domain/events.js';
import type { HeartbeatMessage, InstanceRecord, InstanceState } from '../../domain/instance.js';
import {
  API_RETENTION,
  mergeTouches,
  type ApiBucketRecord,
  type ApiFailureRecord,
  type ApiHistoryRecord,
  type ChangeNotice,
  type ChangeRecord,
  type CommitBatch,
  type EventQuery,
  type InstanceTouch,
  type ProbeResultRecord,
  type ReplicaRecord,
  type Store,
} from '../store.js';
import { changePayload, toChange } from '../change-log.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { createPostgresNotifications } from './postgres-notifications.js';

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
  /** NOTIFY channel of this schema's change log (identifiers stop at 63 bytes). */
  const channel = `hb_changes_${schema}`.slice(0, 63);

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
    clearTimeout(reconnectTimer);
    changeListeners.clear();
    const ending = session?.client;
    session = undefined;
    await Promise.all([pool.end(), ending?.end().catch(() => {})]);
  }

  function assertOpen(): void {
    if (closed)
      throw new HeartbeatError('UNAVAILABLE', `the PostgreSQL store at ${target.location} is closed`);
  }

  async function commit(batch: CommitBatch): Promise<StoredEvent[]> {
    // One statement per table, whatever the batch size: the rows travel as one JSON document.
    const instances = batch.instances.length > 0 ? toJson(instanceRows(batch.instances)) : undefined;
    const touches = batch.instanceTouches?.length ? toJson(touchRows(batch.instanceTouches)) : undefined;
    const events = batch.events.length > 0 ? toJson(batch.events.map(eventRow)) : undefined;
    const apiWrites = apiStatements(batch);
    if (instances === undefined && touches === undefined && events === undefined && apiWrites.length === 0) {
      assertOpen();
      return [];
    }
    return transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [COMMIT_LOCK, schema]);
      if (instances !== undefined) await client.query(UPSERT_INSTANCES, [instances]);
      if (touches !== undefined) await client.query(TOUCH_INSTANCES, [touches]);
      let stored: StoredEvent[] = [];
      if (events !== undefined) {
        const { rows } = await client.query<{ id: string }>(INSERT_EVENTS, [events]);
        // The ids were drawn in `ord` order, so sorted they line up with the batch.
        const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b);
        stored = batch.events.map((event, index) => {
          const id = ids[index];
          if (id === undefined)
            throw new Error(`PostgreSQL returned ${ids.length} event ids for ${batch.events.length}`);
          return storedEvent(id, event);
        });
      }
      for (const [sql, rows] of apiWrites) await client.query(sql, [rows]);
      if (batch.replica !== undefined) {
        // Still under the commit lock: change seqs follow commit order. The notification carries the
        // seq only (payloads stop at 8000 bytes); it is delivered when the transaction commits.
        await client.query(APPEND_CHANGE, [
          batch.replica,
          Date.now(),
          toJson(changePayload(batch)),
          stored.length > 0 ? JSON.stringify(stored) : null,
          channel,
        ]);
        // (the notification: "<seq> <0|1: has events> <replica>")
      }
      return stored;
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
    if (query.basepath !== undefined) filter((p) => `basepath = ${p}`, query.basepath);
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

  function listApis(): Promise<ApiDefinition[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<{ definition: ApiDefinition }>(
        'SELECT definition FROM apis ORDER BY basepath',
      );
      return rows.map((row) => row.definition);
    });
  }

  function loadApiBuckets(since: number): Promise<ApiBucketRecord[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<BucketRow>(
        `SELECT ${BUCKET_COLUMNS} FROM api_buckets WHERE idx * bucket_ms >= $1 ORDER BY basepath, bucket_ms, idx`,
        [since],
      );
      return rows.map(toBucket);
    });
  }

  function listApiHistory(basepath: string, from: number, to: number): Promise<ApiHistoryRecord[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<HistoryRow>(
        `SELECT ${HISTORY_COLUMNS} FROM api_history
         WHERE basepath = $1 AND resolution IN ('hour', 'minute') AND start >= $2 AND start < $3
         ORDER BY start, resolution`,
        [basepath, from, to],
      );
      return rows.map(toHistory);
    });
  }

  async function listApiFailures(basepath: string, limit: number): Promise<ApiFailureRecord[]> {
    const count = Math.floor(limit);
    if (!(count > 0)) {
      assertOpen();
      return [];
    }
    return withClient(async (client) => {
      const { rows } = await client.query<FailureRow>(
        `SELECT ${FAILURE_COLUMNS} FROM api_failures WHERE basepath = $1 ORDER BY at DESC, id DESC LIMIT $2`,
        [basepath, count],
      );
      return rows.map(toFailure);
    });
  }

  async function listProbeResults(basepath: string, limit: number): Promise<ProbeResultRecord[]> {
    const count = Math.floor(limit);
    if (!(count > 0)) {
      assertOpen();
      return [];
    }
    return withClient(async (client) => {
      const { rows } = await client.query<ProbeRow>(
        `SELECT ${PROBE_COLUMNS} FROM probe_results WHERE basepath = $1 ORDER BY at DESC, id DESC LIMIT $2`,
        [basepath, count],
      );
      return rows.map(toProbeResult);
    });
  }

  function compactApiHistory(limits: CompactLimits): Promise<number> {
    return transaction(async (client) => {
      // Hubs sharing the database compact one at a time; commits go on meanwhile (the rows they
      // write are newer than those compacted).
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [COMPACT_LOCK, schema]);
      const deleted = async (sql: string, value: number): Promise<number> =>
        (await client.query(sql, [value])).rowCount ?? 0;
      let removed = 0;
      // Expired rows first: merging minutes that are about to be deleted would be wasted work.
      removed += await deleted(DELETE_OLD_HISTORY, limits.deleteBefore);
      await client.query(MERGE_MINUTES, [limits.minutesBefore]);
      removed += await deleted(DELETE_MERGED_MINUTES, limits.minutesBefore);
      removed += await deleted('DELETE FROM api_failures WHERE at < $1', limits.deleteBefore);
      removed += await deleted('DELETE FROM probe_results WHERE at < $1', limits.deleteBefore);
      removed += await deleted('DELETE FROM api_buckets WHERE idx * bucket_ms < $1', limits.bucketsBefore);
      removed += await deleted(capSql('api_failures'), API_RETENTION.failuresPerApi);
      removed += await deleted(capSql('probe_results'), API_RETENTION.probeResultsPerApi);
      return removed;
    });
  }

  // The coordination session: one dedicated connection for LISTEN and the leadership lock, so that
  // both end exactly when it does (the server releases a session lock when its connection dies).
  const changeListeners = new Set<(change?: ChangeNotice) => void>();
  let session: { client: pg.Client; leader: boolean } | undefined;
  let opening: Promise<pg.Client> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectDelay = 250;

  function sessionLost(client: pg.Client): void {
    if (session?.client !== client) return;
    session = undefined;
    client.end().catch(() => {});
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer || changeListeners.size === 0) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      openSession().catch(() => scheduleReconnect());
    }, reconnectDelay);
    reconnectTimer.unref();
    reconnectDelay = Math.min(5000, reconnectDelay * 2);
  }

  function openSession(): Promise<pg.Client> {
    if (session) return Promise.resolve(session.client);
    opening ??= (async () => {
      assertOpen();
      const client = new pg.Client({
        connectionString: target.connectionString,
        ...(target.options !== undefined && { options: target.options }),
        connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
        keepAlive: true,
        application_name: 'heartbeat-hub-coordination',
      });
      client.on('error', () => sessionLost(client));
      client.on('end', () => sessionLost(client));
      client.on('notification', (message) => {
        const notice = parseNotice(message.payload);
        for (const listener of changeListeners) listener(notice);
      });
      try {
        await client.connect();
        // A machine that vanishes sends no FIN: without these the server would keep this session, and
        // the leadership lock with it, for hours (the kernel's default keepalive). About 11 s instead.
        await client.query(
          'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3',
        );
        await client.query(`LISTEN "${channel}"`);
      } catch (thrown) {
        client.end().catch(() => {});
        throw unreachable(thrown);
      }
      if (closed) {
        await client.end().catch(() => {});
        assertOpen();
      }
      session = { client, leader: false };
      reconnectDelay = 250;
      // Whatever was committed while no connection listened: the listeners read it now.
      for (const listener of changeListeners) listener();
      return client;
    })().finally(() => {
      opening = undefined;
    });
    return opening;
  }

  async function listenForChanges(onChange: (change?: ChangeNotice) => void): Promise<() => Promise<void>> {
    assertOpen();
    changeListeners.add(onChange);
    await openSession().catch(() => scheduleReconnect());
    return () => {
      changeListeners.delete(onChange);
      return Promise.resolve();
    };
  }

  async function tryLeadership(): Promise<boolean> {
    const client = await openSession();
    const held = session;
    if (!held || held.client !== client) return false;
    try {
      if (held.leader) {
        // Still connected, so still holding it.
        await client.query('SELECT 1');
        return true;
      }
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
        [LEADER_LOCK, schema],
      );
      held.leader = rows[0]?.ok === true;
      return held.leader;
    } catch (thrown) {
      sessionLost(client);
      throw unreachable(thrown);
    }
  }

  async function listChanges(
    afterSeq: number,
    limit: number,
    eventsOnlyOf?: string,
  ): Promise<ChangeRecord[]> {
    const count = Math.floor(limit);
    if (!(count > 0)) {
      assertOpen();
      return [];
    }
    return withClient(async (client) => {
      const { rows } = await client.query<ChangeRow>(
        `SELECT seq, replica, at, CASE WHEN replica = $3 THEN NULL ELSE payload END AS payload, events
         FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [afterSeq, count, eventsOnlyOf ?? null],
      );
      return rows.map((row) =>
        toChange(Number(row.seq), row.replica, Number(row.at), row.payload, row.events),
      );
    });
  }

  function lastChangeSeq(): Promise<number> {
    return withClient(async (client) => {
      const { rows } = await client.query<{ seq: string }>(
        'SELECT COALESCE(MAX(seq), 0) AS seq FROM changes',
      );
      return Number(rows[0]?.seq ?? 0);
    });
  }

  function pruneChanges(before: number): Promise<number> {
    return withClient(async (client) => {
      const result = await client.query(
        'DELETE FROM changes WHERE at < $1 AND seq < (SELECT MAX(seq) FROM changes)',
        [before],
      );
      return result.rowCount ?? 0;
    });
  }

  function renewReplica(replica: ReplicaRecord): Promise<void> {
    return withClient(async (client) => {
      await client.query(
        `INSERT INTO replicas (${REPLICA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, version = EXCLUDED.version,
           started_at = EXCLUDED.started_at, lease_expires_at = EXCLUDED.lease_expires_at,
           leader = EXCLUDED.leader`,
        [replica.id, replica.url, replica.version, replica.startedAt, replica.leaseExpiresAt, replica.leader],
      );
    });
  }

  function listReplicas(): Promise<ReplicaRecord[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<ReplicaRow>(`SELECT ${REPLICA_COLUMNS} FROM replicas ORDER BY id`);
      return rows.map((row) => ({
        id: row.id,
        url: row.url,
        version: row.version,
        startedAt: Number(row.started_at),
        leaseExpiresAt: Number(row.lease_expires_at),
        leader: row.leader,
      }));
    });
  }

  function removeReplicas(ids: readonly string[], expiredBefore?: number): Promise<void> {
    return withClient(async (client) => {
      await client.query('DELETE FROM replicas WHERE id = ANY($1::text[]) OR lease_expires_at < $2', [
        ids,
        expiredBefore ?? -1,
      ]);
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
    ...createPostgresNotifications(withClient, transaction),
    listChanges,
    lastChangeSeq,
    pruneChanges,
    listenForChanges,
    tryLeadership,
    renewReplica,
    listReplicas,
    removeReplicas,
  };
}

/** Advisory lock classes (with the schema's hash as the second key): "hbmi", "hbcm", "hbcp". */
const MIGRATION_LOCK = 0x68626d69;
const COMMIT_LOCK = 0x6862636d;
const COMPACT_LOCK = 0x68626370;
/** "hbld": the cluster leadership, a session lock held on the coordination connection. */
const LEADER_LOCK = 0x68626c64;

const APPEND_CHANGE = `
  WITH appended AS (
    INSERT INTO changes (replica, at, payload, events) VALUES ($1, $2, $3, $4) RETURNING seq)
  SELECT pg_notify($5, seq::text || CASE WHEN $4::text IS NULL THEN ' 0 ' ELSE ' 1 ' END || $1)
  FROM appended`;

/** Reads "<seq> <0|1> <replica>"; undefined for anything else. */
function parseNotice(payload: string | undefined): ChangeNotice | undefined {
  const match = /^(\d+) ([01]) (.+)$/.exec(payload ?? '');
  if (!match) return undefined;
  return { seq: Number(match[1]), hasEvents: match[2] === '1', replica: match[3]! };
}
const UNIQUE_VIOLATION = '23505';

const INSTANCE_COLUMNS =
  'instance_id, service, state, unconfirmed, registered_at, last_heartbeat_at, state_changed_at, removed_at, beats, message';
const EVENT_COLUMNS = 'id, at, kind, instance_id, service, basepath, data';
const KEY_COLUMNS = 'id, name, scopes, secret_hash, created_at, revoked_at';
const BUCKET_COLUMNS = 'basepath, bucket_ms, idx, total, failures, traffic, pulse, otlp, latency, replica';
const REPLICA_COLUMNS = 'id, url, version, started_at, lease_expires_at, leader';
const HISTORY_COLUMNS = 'basepath, resolution, start, total, failures, traffic, pulse, otlp, p50_ms, p95_ms';
const FAILURE_COLUMNS = 'basepath, at, status_code, error, duration_ms, source';
const PROBE_COLUMNS = 'basepath, at, ok, status_code, error, duration_ms, detail';
const HOUR_MS = 3_600_000;

type CompactLimits = Parameters<Store['compactApiHistory']>[0];

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

// Only the lease columns, and the agent's times inside the message when given: no message rewrite.
const TOUCH_INSTANCES = `
  UPDATE instances SET
    last_heartbeat_at = t.last_heartbeat_at,
    beats = t.beats,
    message = CASE
      WHEN t.heartbeat_time IS NULL AND t.last_heartbeat_time IS NULL THEN instances.message
      WHEN t.last_heartbeat_time IS NULL
        THEN jsonb_set(instances.message, '{heartbeatTime}', to_jsonb(t.heartbeat_time))
      WHEN t.heartbeat_time IS NULL
        THEN jsonb_set(instances.message, '{lastHeartbeatTime}', to_jsonb(t.last_heartbeat_time))
      ELSE jsonb_set(
        jsonb_set(instances.message, '{heartbeatTime}', to_jsonb(t.heartbeat_time)),
        '{lastHeartbeatTime}', to_jsonb(t.last_heartbeat_time))
    END
  FROM json_to_recordset($1::json) AS t(
    instance_id text, last_heartbeat_at bigint, beats bigint, heartbeat_time bigint, last_heartbeat_time bigint)
  WHERE instances.instance_id = t.instance_id AND instances.beats < t.beats`;

// ORDER BY ord: the sequence is drawn row by row after the sort, so ids follow the batch order.
const INSERT_EVENTS = `
  INSERT INTO events (at, kind, instance_id, service, basepath, data)
  SELECT at, kind, instance_id, service, basepath, data
  FROM json_to_recordset($1::json) AS t(
    ord integer, at bigint, kind text, instance_id text, service text, basepath text, data jsonb)
  ORDER BY ord
  RETURNING id`;

const UPSERT_APIS = `
  INSERT INTO apis (basepath, definition, origin, created_at, updated_at)
  SELECT basepath, definition, origin, created_at, updated_at
  FROM json_to_recordset($1::json) AS t(basepath text, definition jsonb, origin text, created_at bigint, updated_at bigint)
  ON CONFLICT (basepath) DO UPDATE SET
    definition = EXCLUDED.definition, origin = EXCLUDED.origin,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`;

const UPSERT_BUCKETS = `
  INSERT INTO api_buckets (${BUCKET_COLUMNS})
  SELECT ${BUCKET_COLUMNS}
  FROM json_to_recordset($1::json) AS t(
    basepath text, bucket_ms integer, idx bigint, total bigint, failures bigint,
    traffic bigint, pulse bigint, otlp bigint, latency jsonb, replica text)
  ON CONFLICT (basepath, bucket_ms, idx, replica) DO UPDATE SET
    total = EXCLUDED.total, failures = EXCLUDED.failures, traffic = EXCLUDED.traffic,
    pulse = EXCLUDED.pulse, otlp = EXCLUDED.otlp, latency = EXCLUDED.latency`;

const UPSERT_HISTORY = `
  INSERT INTO api_history (${HISTORY_COLUMNS})
  SELECT ${HISTORY_COLUMNS}
  FROM json_to_recordset($1::json) AS t(
    basepath text, resolution text, start bigint, total bigint, failures bigint,
    traffic bigint, pulse bigint, otlp bigint, p50_ms double precision, p95_ms double precision)
  ON CONFLICT (basepath, resolution, start) DO UPDATE SET
    total = EXCLUDED.total, failures = EXCLUDED.failures, traffic = EXCLUDED.traffic,
    pulse = EXCLUDED.pulse, otlp = EXCLUDED.otlp, p50_ms = EXCLUDED.p50_ms, p95_ms = EXCLUDED.p95_ms`;

// ORDER BY ord, as for events: ids follow the batch, so equal times list newest-written first.
const INSERT_FAILURES = `
  INSERT INTO api_failures (${FAILURE_COLUMNS})
  SELECT ${FAILURE_COLUMNS}
  FROM json_to_recordset($1::json) AS t(
    ord integer, basepath text, at bigint, status_code integer, error text, duration_ms double precision, source text)
  ORDER BY ord`;

const INSERT_PROBE_RESULTS = `
  INSERT INTO probe_results (${PROBE_COLUMNS})
  SELECT ${PROBE_COLUMNS}
  FROM json_to_recordset($1::json) AS t(
    ord integer, basepath text, at bigint, ok boolean, status_code integer, error text,
    duration_ms double precision, detail text)
  ORDER BY ord`;

// One statement for five tables: every data-modifying WITH runs, read or not.
const DELETE_APIS = `
  WITH gone AS (SELECT value AS basepath FROM json_array_elements_text($1::json)),
    apis_gone AS (DELETE FROM apis WHERE basepath IN (SELECT basepath FROM gone)),
    buckets_gone AS (DELETE FROM api_buckets WHERE basepath IN (SELECT basepath FROM gone)),
    history_gone AS (DELETE FROM api_history WHERE basepath IN (SELECT basepath FROM gone)),
    failures_gone AS (DELETE FROM api_failures WHERE basepath IN (SELECT basepath FROM gone))
  DELETE FROM probe_results WHERE basepath IN (SELECT basepath FROM gone)`;

const DELETE_OLD_HISTORY = "DELETE FROM api_history WHERE resolution IN ('minute', 'hour') AND start < $1";
const DELETE_MERGED_MINUTES = "DELETE FROM api_history WHERE resolution = 'minute' AND start < $1";

/**
 * Merges minute rows before $1 into hour rows. An hour row is rebuilt from the minutes being merged
 * plus the hour row already there (from an earlier compaction of the same hour), so running it
 * twice, or on a partly merged hour, gives the same result. Sums are exact; the hour's p95 (the worst
 * minute's) and p50 (the minutes' p50s weighted by their counts) are approximations: true percentiles
 * would need the latency histograms, which only the window buckets keep.
 */
const MERGE_MINUTES = `
  INSERT INTO api_history (${HISTORY_COLUMNS})
  SELECT basepath, 'hour', hour_start, SUM(total), SUM(failures), SUM(traffic), SUM(pulse), SUM(otlp),
         SUM(p50_ms * total) / NULLIF(SUM(CASE WHEN p50_ms IS NULL THEN 0 ELSE total END), 0)::double precision,
         MAX(p95_ms)
  FROM (
    SELECT basepath, start - start % ${HOUR_MS} AS hour_start,
           total, failures, traffic, pulse, otlp, p50_ms, p95_ms
    FROM api_history
    WHERE resolution = 'minute' AND start < $1
    UNION ALL
    SELECT basepath, start, total, failures, traffic, pulse, otlp, p50_ms, p95_ms
    FROM api_history AS h
    WHERE resolution = 'hour' AND start < $1 AND EXISTS (
      SELECT 1 FROM api_history AS m
      WHERE m.basepath = h.basepath AND m.resolution = 'minute'
        AND m.start >= h.start AND m.start < h.start + ${HOUR_MS} AND m.start < $1)
  ) AS merged
  GROUP BY basepath, hour_start
  ON CONFLICT (basepath, resolution, start) DO UPDATE SET
    total = EXCLUDED.total, failures = EXCLUDED.failures, traffic = EXCLUDED.traffic,
    pulse = EXCLUDED.pulse, otlp = EXCLUDED.otlp, p50_ms = EXCLUDED.p50_ms, p95_ms = EXCLUDED.p95_ms`;

/** Deletes all but the newest $1 rows of each API. */
function capSql(table: 'api_failures' | 'probe_results'): string {
  return `
    DELETE FROM ${table} WHERE id IN (
      SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY basepath ORDER BY at DESC, id DESC) AS newest
        FROM ${table}) AS ranked
      WHERE newest > $1)`;
}

/**
 * The batch's API rows as [statement, JSON rows] pairs, in the order they run: upserts, inserts, then
 * deletions (so whatever the batch wrote for a deleted API goes too). ON CONFLICT cannot touch one
 * row twice in a statement, so a key given twice keeps its last row, as SQLite's row-by-row upsert does.
 */
function apiStatements(batch: CommitBatch): Array<[string, string]> {
  const statements: Array<[string, string]> = [];
  const add = (sql: string, rows: readonly object[]): void => {
    if (rows.length > 0) statements.push([sql, toJson(rows)]);
  };
  add(
    UPSERT_APIS,
    lastByKey(batch.apis, (api) => api.basepath).map((api) => ({
      basepath: api.basepath,
      definition: api,
      origin: api.origin,
      created_at: api.createdAt,
      updated_at: api.updatedAt,
    })),
  );
  add(
    UPSERT_BUCKETS,
    lastByKey(batch.apiBuckets, (b) => `${b.bucketMs}:${b.index}:${b.basepath}`).map((bucket) => ({
      basepath: bucket.basepath,
      bucket_ms: bucket.bucketMs,
      idx: bucket.index,
      total: bucket.total,
      failures: bucket.failures,
      traffic: bucket.bySource.traffic,
      pulse: bucket.bySource.pulse,
      otlp: bucket.bySource.otlp,
      latency: bucket.latency,
      replica: batch.replica ?? bucket.replica ?? '',
    })),
  );
  add(
    UPSERT_HISTORY,
    lastByKey(batch.apiHistory, (row) => `${row.resolution}:${row.start}:${row.basepath}`).map((row) => ({
      basepath: row.basepath,
      resolution: row.resolution,
      start: row.start,
      total: row.total,
      failures: row.failures,
      traffic: row.bySource.traffic,
      pulse: row.bySource.pulse,
      otlp: row.bySource.otlp,
      p50_ms: row.p50Ms,
      p95_ms: row.p95Ms,
    })),
  );
  add(
    INSERT_FAILURES,
    (batch.apiFailures ?? []).map((failure, ord) => ({
      ord,
      basepath: failure.basepath,
      at: failure.at,
      status_code: failure.statusCode,
      error: failure.error,
      duration_ms: failure.durationMs,
      source: failure.source,
    })),
  );
  add(
    INSERT_PROBE_RESULTS,
    (batch.probeResults ?? []).map((result, ord) => ({
      ord,
      basepath: result.basepath,
      at: result.at,
      ok: result.ok,
      status_code: result.statusCode,
      error: result.error,
      duration_ms: result.durationMs,
      detail: result.detail,
    })),
  );
  if (batch.deletedApis !== undefined && batch.deletedApis.length > 0) {
    statements.push([DELETE_APIS, toJson(batch.deletedApis)]);
  }
  return statements;
}

function lastByKey<T>(records: readonly T[] | undefined, key: (record: T) => string): T[] {
  if (records === undefined) return [];
  const byKey = new Map<string, T>();
  for (const record of records) byKey.set(key(record), record);
  return [...byKey.values()];
}

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

/** The touches as rows, the last winning when a batch names one instance twice (UPDATE … FROM would pick any). */
function touchRows(touches: readonly InstanceTouch[]): object[] {
  const byId = new Map<string, InstanceTouch>();
  for (const touch of touches) {
    const earlier = byId.get(touch.instanceId);
    byId.set(touch.instanceId, earlier ? mergeTouches(earlier, touch) : touch);
  }
  return [...byId.values()].map((touch) => ({
    instance_id: touch.instanceId,
    last_heartbeat_at: touch.lastHeartbeatAt,
    beats: touch.beats,
    heartbeat_time: touch.heartbeatTime ?? null,
    last_heartbeat_time: touch.lastHeartbeatTime ?? null,
  }));
}

function eventRow(event: NewEvent, ord: number): object {
  return {
    ord,
    at: event.at,
    kind: event.kind,
    instance_id: event.instanceId ?? null,
    service: event.service ?? null,
    basepath: event.basepath ?? null,
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
  basepath: string | null;
  data: Record<string, unknown>;
}

interface BucketRow {
  basepath: string;
  bucket_ms: number;
  idx: string;
  total: string;
  failures: string;
  traffic: string;
  pulse: string;
  otlp: string;
  latency: Array<[number, number]>;
  replica: string;
}

interface ChangeRow {
  seq: string;
  replica: string;
  at: string;
  payload: string | null;
  events: string | null;
}

interface ReplicaRow {
  id: string;
  url: string;
  version: string;
  started_at: string;
  lease_expires_at: string;
  leader: boolean;
}

interface HistoryRow {
  basepath: string;
  resolution: string;
  start: string;
  total: string;
  failures: string;
  traffic: string;
  pulse: string;
  otlp: string;
  p50_ms: number | null;
  p95_ms: number | null;
}

interface FailureRow {
  basepath: string;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  source: string;
}

interface ProbeRow {
  basepath: string;
  at: string;
  ok: boolean;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  detail: string | null;
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
  if (row.basepath !== null) event.basepath = row.basepath;
  return event;
}

function toBucket(row: BucketRow): ApiBucketRecord {
  return {
    basepath: row.basepath,
    bucketMs: row.bucket_ms,
    index: Number(row.idx),
    total: Number(row.total),
    failures: Number(row.failures),
    bySource: { traffic: Number(row.traffic), pulse: Number(row.pulse), otlp: Number(row.otlp) },
    latency: row.latency,
    ...(row.replica !== '' && { replica: row.replica }),
  };
}

function toHistory(row: HistoryRow): ApiHistoryRecord {
  return {
    basepath: row.basepath,
    start: Number(row.start),
    resolution: row.resolution as ApiHistoryRecord['resolution'],
    total: Number(row.total),
    failures: Number(row.failures),
    bySource: { traffic: Number(row.traffic), pulse: Number(row.pulse), otlp: Number(row.otlp) },
    p50Ms: row.p50_ms,
    p95Ms: row.p95_ms,
  };
}

function toFailure(row: FailureRow): ApiFailureRecord {
  return {
    basepath: row.basepath,
    at: Number(row.at),
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    source: row.source as ObservationSource,
  };
}

function toProbeResult(row: ProbeRow): ProbeResultRecord {
  return {
    basepath: row.basepath,
    at: Number(row.at),
    ok: row.ok,
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
