import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeartbeatError } from '@heartbeat/sdk';
import { createPostgresStore } from './postgres/postgres-store.js';
import { createSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The database file in the data directory when no store is configured. */
export const DEFAULT_SQLITE_FILE = 'heartbeat.db';

/**
 * Opens the store a location names, not yet migrated:
 * - `postgres://…` or `postgresql://…` → PostgreSQL;
 * - nothing (or an empty string) → SQLite at `<dataDir>/heartbeat.db`;
 * - `file://…` or any other text → a SQLite file at that path, relative to the working directory.
 *
 * Nothing is opened on PostgreSQL until the first call; a SQLite file is opened (and created) here.
 *
 * @example
 * const store = openStore(process.env.HEARTBEAT_STORE, './data');
 * await store.migrate();
 */
export function openStore(location: string | undefined, dataDir: string): Store {
  const trimmed = location?.trim() ?? '';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return createPostgresStore({ connectionString: trimmed });
  }
  if (scheme !== undefined && scheme !== 'file') {
    throw new HeartbeatError(
      'CONFIGURATION_INVALID',
      `cannot store data at "${scheme}://…": use postgres://user:password@host:5432/database for PostgreSQL, ` +
        'or a file path (or nothing, for <data dir>/heartbeat.db) for SQLite',
    );
  }
  const path =
    trimmed === ''
      ? resolve(join(dataDir, DEFAULT_SQLITE_FILE))
      : scheme === 'file'
        ? fileURLToPath(trimmed)
        : trimmed === ':memory:'
          ? trimmed
          : resolve(trimmed);
  return createSqliteStore({ path });
}
