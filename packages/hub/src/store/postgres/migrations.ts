/** One step of the PostgreSQL schema; the pending steps are applied in order, in one transaction. */
export interface PostgresMigration {
  /** Increases by one per step; recorded in `schema_migrations`. Never renumber a released step. */
  version: number;
  description: string;
  sql: string;
}

/**
 * The PostgreSQL schema, oldest step first: the same logical schema as SQLite's (`../sqlite/migrations.ts`),
 * with epoch-ms times as BIGINT, JSON as JSONB and event ids from a BIGSERIAL (never reused, so an id
 * is a stable stream position). Ids are `COLLATE "C"`: byte order, as in SQLite, so both backends
 * list in the same order and the primary-key index serves the ORDER BY. Append new steps; never edit
 * a released one.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'instances, events, api keys',
    sql: `
      CREATE TABLE instances (
        instance_id       TEXT COLLATE "C" PRIMARY KEY,
        service           TEXT    NOT NULL,
        state             TEXT    NOT NULL,
        unconfirmed       BOOLEAN NOT NULL,
        registered_at     BIGINT  NOT NULL,
        last_heartbeat_at BIGINT  NOT NULL,
        state_changed_at  BIGINT  NOT NULL,
        removed_at        BIGINT,
        beats             BIGINT  NOT NULL,
        message           JSONB   NOT NULL
      );
      CREATE INDEX instances_removed_at ON instances (removed_at) WHERE removed_at IS NOT NULL;

      CREATE TABLE events (
        id          BIGSERIAL PRIMARY KEY,
        at          BIGINT NOT NULL,
        kind        TEXT   NOT NULL,
        instance_id TEXT,
        service     TEXT,
        data        JSONB  NOT NULL
      );
      CREATE INDEX events_at ON events (at);
      CREATE INDEX events_instance_id ON events (instance_id, id) WHERE instance_id IS NOT NULL;

      CREATE TABLE api_keys (
        id          TEXT COLLATE "C" PRIMARY KEY,
        name        TEXT   NOT NULL,
        scopes      TEXT[] NOT NULL,
        secret_hash TEXT   NOT NULL,
        created_at  BIGINT NOT NULL,
        revoked_at  BIGINT
      );
    `,
  },
  {
    version: 2,
    description: 'API definitions, window buckets, history, failures, probe results, event basepaths',
    // A bucket starts at idx × bucket_ms; the expression index serves loadApiBuckets and compaction,
    // which filter on exactly that expression. History counts are BIGINT: an hour of a busy API
    // passes 2^31 requests. events.basepath names the API of an `api.*` event (NULL for the others);
    // its partial index serves listEvents by basepath, oldest first, as events_instance_id does by instance.
    sql: `
      CREATE TABLE apis (
        basepath   TEXT COLLATE "C" PRIMARY KEY,
        definition JSONB  NOT NULL,
        origin     TEXT   NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE api_buckets (
        basepath  TEXT COLLATE "C" NOT NULL,
        bucket_ms INTEGER NOT NULL,
        idx       BIGINT  NOT NULL,
        total     BIGINT  NOT NULL,
        failures  BIGINT  NOT NULL,
        traffic   BIGINT  NOT NULL,
        pulse     BIGINT  NOT NULL,
        otlp      BIGINT  NOT NULL,
        latency   JSONB   NOT NULL,
        PRIMARY KEY (basepath, bucket_ms, idx)
      );
      CREATE INDEX api_buckets_start ON api_buckets ((idx * bucket_ms));

      CREATE TABLE api_history (
        basepath   TEXT COLLATE "C" NOT NULL,
        resolution TEXT COLLATE "C" NOT NULL CHECK (resolution IN ('minute', 'hour')),
        start      BIGINT NOT NULL,
        total      BIGINT NOT NULL,
        failures   BIGINT NOT NULL,
        traffic    BIGINT NOT NULL,
        pulse      BIGINT NOT NULL,
        otlp       BIGINT NOT NULL,
        p50_ms     DOUBLE PRECISION,
        p95_ms     DOUBLE PRECISION,
        PRIMARY KEY (basepath, resolution, start)
      );
      CREATE INDEX api_history_start ON api_history (resolution, start);

      CREATE TABLE api_failures (
        id          BIGSERIAL PRIMARY KEY,
        basepath    TEXT COLLATE "C" NOT NULL,
        at          BIGINT NOT NULL,
        status_code INTEGER,
        error       TEXT,
        duration_ms DOUBLE PRECISION NOT NULL,
        source      TEXT NOT NULL
      );
      CREATE INDEX api_failures_basepath_at ON api_failures (basepath, at DESC, id DESC);

      CREATE TABLE probe_results (
        id          BIGSERIAL PRIMARY KEY,
        basepath    TEXT COLLATE "C" NOT NULL,
        at          BIGINT  NOT NULL,
        ok          BOOLEAN NOT NULL,
        status_code INTEGER,
        error       TEXT,
        duration_ms DOUBLE PRECISION NOT NULL,
        detail      TEXT
      );
      CREATE INDEX probe_results_basepath_at ON probe_results (basepath, at DESC, id DESC);

      ALTER TABLE events ADD COLUMN basepath TEXT COLLATE "C";
      CREATE INDEX events_basepath ON events (basepath, id) WHERE basepath IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'notification outbox and alert states',
    // Claims take pending rows FOR UPDATE SKIP LOCKED, in the order they fall due; the partial
    // index serves exactly that.
    sql: `
      CREATE TABLE notification_deliveries (
        id              BIGSERIAL PRIMARY KEY,
        created_at      BIGINT  NOT NULL,
        notifier        TEXT COLLATE "C" NOT NULL,
        rule            TEXT COLLATE "C" NOT NULL,
        kind            TEXT    NOT NULL,
        title           TEXT    NOT NULL,
        message         JSONB   NOT NULL,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts        INTEGER NOT NULL,
        next_attempt_at BIGINT  NOT NULL,
        lease_owner     TEXT,
        lease_until     BIGINT,
        last_error      TEXT,
        delivered_at    BIGINT,
        updated_at      BIGINT  NOT NULL
      );
      CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at, id)
        WHERE status = 'pending';

      CREATE TABLE alert_states (
        rule       TEXT COLLATE "C" NOT NULL,
        key        TEXT COLLATE "C" NOT NULL,
        state      JSONB  NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (rule, key)
      );
    `,
  },
  {
    version: 4,
    description: 'cluster mode: replicas, the change log, window buckets per replica',
    // Each replica writes its own window buckets (replica in the key), so replicas never overwrite each
    // other's counts; a single hub writes replica ''. The change log numbers committed batches in commit
    // order (commits hold an advisory lock): replicas read what others committed since their last seq.
    // Its JSON is TEXT, not JSONB: written once and read whole by clients, never queried inside.
    sql: `
      ALTER TABLE api_buckets ADD COLUMN replica TEXT COLLATE "C" NOT NULL DEFAULT '';
      ALTER TABLE api_buckets DROP CONSTRAINT api_buckets_pkey;
      ALTER TABLE api_buckets ADD PRIMARY KEY (basepath, bucket_ms, idx, replica);

      CREATE TABLE changes (
        seq     BIGSERIAL PRIMARY KEY,
        replica TEXT   NOT NULL,
        at      BIGINT NOT NULL,
        payload TEXT   NOT NULL,
        events  TEXT
      );
      CREATE INDEX changes_at ON changes (at);

      CREATE TABLE replicas (
        id               TEXT COLLATE "C" PRIMARY KEY,
        url              TEXT    NOT NULL,
        version          TEXT    NOT NULL,
        started_at       BIGINT  NOT NULL,
        lease_expires_at BIGINT  NOT NULL,
        leader           BOOLEAN NOT NULL
      );
    `,
  },
];
