/**
 * Throwaway stores for tests: a SQLite file in a temporary directory, or a fresh schema on the test
 * PostgreSQL. Each comes with `reopen` (a second store on the same data) and `cleanup`.
 *
 * @example
 * const postgres = await requirePostgres();
 * describe.skipIf(!postgres)('on PostgreSQL', () => {
 *   it('…', async () => {
 *     const { store, cleanup } = await openTempPostgresStore();
 *     onTestFinished(cleanup);
 *   });
 * });
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_URL, probePostgres, requireService } from '../../../sdk/src/testing/services.js';
import { createPostgresStore, type PostgresStoreOptions } from '../store/postgres/postgres-store.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { StoreUnderTest } from '../store/store.contract.js';
import type { Store } from '../store/store.js';

export { POSTGRES_URL };

/** A temporary directory and a function that deletes it. */
export async function createTempDir(prefix = 'hb-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A store under test that can always be reopened. */
export interface TempStore extends StoreUnderTest {
  reopen(): Promise<Store>;
}

/** A SQLite store on `path` (not migrated); cleanup closes every store opened and deletes the file. */
export function openTempSqliteStore(path: string): TempStore {
  const opened: Store[] = [];
  const open = (): Store => {
    const store = createSqliteStore({ path });
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    reopen: () => Promise.resolve(open()),
    async cleanup() {
      for (const store of opened) await store.close();
      await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(path + suffix, { force: true })));
    },
  };
}

/** A fresh schema name, `hb_test_<12 hex>`. */
export function testSchemaName(): string {
  return `hb_test_${randomBytes(6).toString('hex')}`;
}

/**
 * A PostgreSQL store on a fresh schema (not migrated, so not created yet); cleanup closes every
 * store opened and drops the schema.
 */
export function openTempPostgresStore(
  options: Partial<PostgresStoreOptions> = {},
): TempStore & { schema: string } {
  const connectionString = options.connectionString ?? POSTGRES_URL;
  const schema = options.schema ?? testSchemaName();
  const opened: Store[] = [];
  const open = (): Store => {
    const store = createPostgresStore({ ...options, connectionString, schema });
    opened.push(store);
    return store;
  };
  return {
    schema,
    store: open(),
    reopen: () => Promise.resolve(open()),
    async cleanup() {
      for (const store of opened) await store.close();
      await dropSchema(connectionString, schema);
    },
  };
}

/** Drops a schema and everything in it. */
export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Whether the test PostgreSQL answers: skips loudly on a developer machine, fails under CI=true.
 * Call once per file, at the top level.
 */
export function requirePostgres(): Promise<boolean> {
  return requireService(`PostgreSQL at ${POSTGRES_URL}`, (signal) => probePostgres(POSTGRES_URL, signal), {
    hint: 'start one (trust auth, database "test") or set TEST_POSTGRES_URL',
  });
}
