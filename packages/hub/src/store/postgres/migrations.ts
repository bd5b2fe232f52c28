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
];
