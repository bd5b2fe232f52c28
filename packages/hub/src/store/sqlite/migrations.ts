/** One step of the SQLite schema; applied once, in order, each in its own transaction. */
export interface SqliteMigration {
  /** Increases by one per step; recorded in `schema_migrations`. Never renumber a released step. */
  version: number;
  description: string;
  sql: string;
}

/**
 * The SQLite schema, oldest step first. Append new steps; never edit a released one.
 *
 * Tables are STRICT, so a non-integer time is refused here as PostgreSQL's BIGINT refuses it, and
 * both backends accept the same data. `events.id` is AUTOINCREMENT so an id is never reused, even
 * after the newest events are pruned: ids are stream positions (`Last-Event-ID`).
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'instances, events, api keys',
    sql: `
      CREATE TABLE instances (
        instance_id       TEXT    NOT NULL PRIMARY KEY,
        service           TEXT    NOT NULL,
        state             TEXT    NOT NULL,
        unconfirmed       INTEGER NOT NULL CHECK (unconfirmed IN (0, 1)),
        registered_at     INTEGER NOT NULL,
        last_heartbeat_at INTEGER NOT NULL,
        state_changed_at  INTEGER NOT NULL,
        removed_at        INTEGER,
        beats             INTEGER NOT NULL,
        message           TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX instances_removed_at ON instances (removed_at) WHERE removed_at IS NOT NULL;

      CREATE TABLE events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        instance_id TEXT,
        service     TEXT,
        data        TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX events_at ON events (at);
      CREATE INDEX events_instance_id ON events (instance_id, id) WHERE instance_id IS NOT NULL;

      CREATE TABLE api_keys (
        id          TEXT    NOT NULL PRIMARY KEY,
        name        TEXT    NOT NULL,
        scopes      TEXT    NOT NULL,
        secret_hash TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'API definitions, window buckets, history, failures, probe results, event basepaths',
    // A bucket starts at idx × bucket_ms; the expression index serves loadApiBuckets and compaction,
    // which filter on exactly that expression. Durations are REAL: observations may report 12.5 ms.
    // events.basepath names the API of an `api.*` event (NULL for the others); its partial index
    // serves listEvents by basepath, oldest first, as events_instance_id does by instance.
    sql: `
      CREATE TABLE apis (
        basepath   TEXT    NOT NULL PRIMARY KEY,
        definition TEXT    NOT NULL,
        origin     TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE api_buckets (
        basepath  TEXT    NOT NULL,
        bucket_ms INTEGER NOT NULL,
        idx       INTEGER NOT NULL,
        total     INTEGER NOT NULL,
        failures  INTEGER NOT NULL,
        traffic   INTEGER NOT NULL,
        pulse     INTEGER NOT NULL,
        otlp      INTEGER NOT NULL,
        latency   TEXT    NOT NULL,
        PRIMARY KEY (basepath, bucket_ms, idx)
      ) STRICT;
      CREATE INDEX api_buckets_start ON api_buckets (idx * bucket_ms);

      CREATE TABLE api_history (
        basepath   TEXT    NOT NULL,
        resolution TEXT    NOT NULL CHECK (resolution IN ('minute', 'hour')),
        start      INTEGER NOT NULL,
        total      INTEGER NOT NULL,
        failures   INTEGER NOT NULL,
        traffic    INTEGER NOT NULL,
        pulse      INTEGER NOT NULL,
        otlp       INTEGER NOT NULL,
        p50_ms     REAL,
        p95_ms     REAL,
        PRIMARY KEY (basepath, resolution, start)
      ) STRICT;
      CREATE INDEX api_history_start ON api_history (resolution, start);

      CREATE TABLE api_failures (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        basepath    TEXT    NOT NULL,
        at          INTEGER NOT NULL,
        status_code INTEGER,
        error       TEXT,
        duration_ms REAL    NOT NULL,
        source      TEXT    NOT NULL
      ) STRICT;
      CREATE INDEX api_failures_basepath_at ON api_failures (basepath, at DESC, id DESC);

      CREATE TABLE probe_results (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        basepath    TEXT    NOT NULL,
        at          INTEGER NOT NULL,
        ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
        status_code INTEGER,
        error       TEXT,
        duration_ms REAL    NOT NULL,
        detail      TEXT
      ) STRICT;
      CREATE INDEX probe_results_basepath_at ON probe_results (basepath, at DESC, id DESC);

      ALTER TABLE events ADD COLUMN basepath TEXT;
      CREATE INDEX events_basepath ON events (basepath, id) WHERE basepath IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'notification outbox and alert states',
    // A delivery is claimed by setting a lease; the partial index serves the claim, which looks at
    // pending rows only, in the order they fall due.
    sql: `
      CREATE TABLE notification_deliveries (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at      INTEGER NOT NULL,
        notifier        TEXT    NOT NULL,
        rule            TEXT    NOT NULL,
        kind            TEXT    NOT NULL,
        title           TEXT    NOT NULL,
        message         TEXT    NOT NULL,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts        INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_owner     TEXT,
        lease_until     INTEGER,
        last_error      TEXT,
        delivered_at    INTEGER,
        updated_at      INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at, id)
        WHERE status = 'pending';

      CREATE TABLE alert_states (
        rule       TEXT    NOT NULL,
        key        TEXT    NOT NULL,
        state      TEXT    NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (rule, key)
      ) STRICT;
    `,
  },
  {
    version: 4,
    description: 'cluster mode: replicas, the change log, window buckets per replica',
    // SQLite serves one hub, but keeps the same logical schema as PostgreSQL so both pass one contract
    // suite. SQLite cannot change a primary key in place: the bucket table is rebuilt.
    sql: `
      CREATE TABLE api_buckets_rebuilt (
        basepath  TEXT    NOT NULL,
        bucket_ms INTEGER NOT NULL,
        idx       INTEGER NOT NULL,
        total     INTEGER NOT NULL,
        failures  INTEGER NOT NULL,
        traffic   INTEGER NOT NULL,
        pulse     INTEGER NOT NULL,
        otlp      INTEGER NOT NULL,
        latency   TEXT    NOT NULL,
        replica   TEXT    NOT NULL DEFAULT '',
        PRIMARY KEY (basepath, bucket_ms, idx, replica)
      ) STRICT;
      INSERT INTO api_buckets_rebuilt (basepath, bucket_ms, idx, total, failures, traffic, pulse, otlp, latency)
        SELECT basepath, bucket_ms, idx, total, failures, traffic, pulse, otlp, latency FROM api_buckets;
      DROP TABLE api_buckets;
      ALTER TABLE api_buckets_rebuilt RENAME TO api_buckets;
      CREATE INDEX api_buckets_start ON api_buckets (idx * bucket_ms);

      CREATE TABLE changes (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        replica TEXT    NOT NULL,
        at      INTEGER NOT NULL,
        payload TEXT    NOT NULL,
        events  TEXT
      ) STRICT;
      CREATE INDEX changes_at ON changes (at);

      CREATE TABLE replicas (
        id               TEXT    NOT NULL PRIMARY KEY,
        url              TEXT    NOT NULL,
        version          TEXT    NOT NULL,
        started_at       INTEGER NOT NULL,
        lease_expires_at INTEGER NOT NULL,
        leader           INTEGER NOT NULL CHECK (leader IN (0, 1))
      ) STRICT;
    `,
  },
  {
    version: 5,
    description: 'instance touch journal: one row per commit, folded into instances later (touch-journal.ts)',
    sql: `
      CREATE TABLE instance_touch_journal (
        id      INTEGER PRIMARY KEY,
        touches TEXT    NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    description:
      'instance leases in a narrow table of their own: a lease renewal rewrites a few bytes of a small hot table, never the instance row',
    // Every instance row has its lease row (written in the same transaction); the lease row's values
    // are the latest. The instance row's last_heartbeat_at and beats are as of its last full write.
    sql: `
      CREATE TABLE instance_leases (
        instance_id         TEXT    NOT NULL PRIMARY KEY,
        last_heartbeat_at   INTEGER NOT NULL,
        beats               INTEGER NOT NULL,
        heartbeat_time      INTEGER,
        last_heartbeat_time INTEGER
      ) STRICT, WITHOUT ROWID;
      INSERT INTO instance_leases (instance_id, last_heartbeat_at, beats, heartbeat_time, last_heartbeat_time)
        SELECT instance_id, last_heartbeat_at, beats,
               CAST(json_extract(message, '$.heartbeatTime') AS INTEGER),
               CAST(json_extract(message, '$.lastHeartbeatTime') AS INTEGER)
        FROM instances;
    `,
  },
];
