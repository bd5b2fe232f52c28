import { HeartbeatError } from '@heartbeat/sdk';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findClosedPort, startLoopbackServer } from '../../../../sdk/src/testing/services.js';
import { apiDefinition, apiEvent, instanceRecord, newEvent } from '../../testing/store-fixtures.js';
import {
  openTempPostgresStore,
  POSTGRES_URL,
  requirePostgres,
  testSchemaName,
} from '../../testing/test-stores.js';
import type { Store } from '../store.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { createPostgresStore } from './postgres-store.js';

const PASSWORD = 's3cr3t-Pa55word';

async function failureOf(promise: Promise<unknown>): Promise<HeartbeatError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(HeartbeatError);
  return thrown as HeartbeatError;
}

function openUnreachable(port: number, connectionTimeoutMs: number): Store {
  const store = createPostgresStore({
    connectionString: `postgres://heartbeat:${PASSWORD}@127.0.0.1:${port}/hubdb`,
    connectionTimeoutMs,
  });
  onTestFinished(() => store.close());
  return store;
}

describe('createPostgresStore without a server', () => {
  it('names the URL without its password as its location', () => {
    const store = createPostgresStore({
      connectionString: `postgresql://heartbeat:${PASSWORD}@db.internal:6543/hub?sslmode=require&password=${PASSWORD}`,
    });
    onTestFinished(() => store.close());
    expect(store.kind).toBe('postgres');
    expect(store.location).toBe('postgresql://heartbeat@db.internal:6543/hub?sslmode=require');
  });

  it('rejects ping, migrate and commit as UNAVAILABLE at once when nothing listens, naming host:port/db only', async () => {
    const port = await findClosedPort();
    const store = openUnreachable(port, 2000);
    const started = performance.now();
    const failures = [
      await failureOf(store.ping()),
      await failureOf(store.migrate()),
      await failureOf(
        store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [newEvent()] }),
      ),
      await failureOf(store.listEvents({ limit: 10 })),
    ];
    expect(performance.now() - started).toBeLessThan(2000);
    for (const failure of failures) {
      expect(failure.code).toBe('UNAVAILABLE');
      expect(failure.message).toMatch(
        new RegExp(`^cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/hubdb: .*ECONNREFUSED`),
      );
      expect(failure.message).not.toContain(PASSWORD);
      expect(JSON.stringify(failure.toBody())).not.toContain(PASSWORD);
    }
  });

  it('gives up after the connection timeout when the server never answers', async () => {
    const silent = await startLoopbackServer();
    onTestFinished(() => silent.close());
    const store = openUnreachable(silent.port, 300);
    const started = performance.now();
    const failure = await failureOf(store.ping());
    const elapsed = performance.now() - started;
    expect(failure.code).toBe('UNAVAILABLE');
    expect(failure.message).toContain(`127.0.0.1:${silent.port}/hubdb`);
    expect(failure.message).not.toContain(PASSWORD);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it('refuses a bad schema name and a bad URL as CONFIGURATION_INVALID, without echoing the URL', () => {
    expect(() => createPostgresStore({ connectionString: POSTGRES_URL, schema: 'Robert"; DROP' })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_INVALID' }) as Error,
    );
    const bad = `postgres://u:${PASSWORD}@[bad`;
    let thrown: unknown;
    try {
      createPostgresStore({ connectionString: bad });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    expect((thrown as Error).message).not.toContain(PASSWORD);
    expect(() => createPostgresStore({ connectionString: 'mysql://u@h/db' })).toThrow(/postgres:\/\//);
  });
});

const postgres = await requirePostgres();

describe.skipIf(!postgres)('createPostgresStore on PostgreSQL', () => {
  async function query<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      return (await client.query<Row>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  function tempStore(options: Parameters<typeof openTempPostgresStore>[0] = {}) {
    const subject = openTempPostgresStore(options);
    onTestFinished(() => subject.cleanup());
    return subject;
  }

  it('creates its tables in its own schema, and migrates once when two hubs start together', async () => {
    const subject = tempStore();
    const { store, schema } = subject;
    const other = await subject.reopen();
    await Promise.all([store.migrate(), other.migrate(), store.migrate()]);
    const tables = await query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.map((row) => row.table_name).sort()).toEqual([
      'alert_states',
      'api_buckets',
      'api_failures',
      'api_history',
      'api_keys',
      'apis',
      'changes',
      'events',
      'instances',
      'notification_deliveries',
      'probe_results',
      'replicas',
      'schema_migrations',
    ]);
    const versions = await query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations`);
    expect(versions).toEqual(POSTGRES_MIGRATIONS.map((step) => ({ version: step.version })));
  });

  it('upgrades a version-1 schema in place, keeping its data', async () => {
    const { store, schema } = tempStore();
    await query(`CREATE SCHEMA "${schema}"`);
    await query(
      `SET search_path = "${schema}";
       CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
       INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0);
       ${POSTGRES_MIGRATIONS[0]!.sql}
       INSERT INTO instances (instance_id, service, state, unconfirmed, registered_at, last_heartbeat_at,
         state_changed_at, removed_at, beats, message)
       VALUES ('x', 'orders', 'alive', false, 1, 2, 3, NULL, 4, '{"instanceId":"x","service":"orders"}');
       INSERT INTO events (at, kind, instance_id, service, data)
       VALUES (5, 'instance.registered', 'x', 'orders', '{}');`,
    );

    await store.migrate();
    expect(await store.getInstance('x')).toMatchObject({ instanceId: 'x', beats: 4 });
    await store.commit({ instances: [], events: [], apis: [apiDefinition({ basepath: '/orders' })] });
    expect(await store.listApis()).toEqual([apiDefinition({ basepath: '/orders' })]);
    // The events table gained its basepath column: old events have none, new ones keep theirs.
    const [old] = await store.listEvents({ limit: 10 });
    expect(old).toStrictEqual({
      id: 1,
      at: 5,
      kind: 'instance.registered',
      instanceId: 'x',
      service: 'orders',
      data: {},
    });
    const [added] = await store.commit({ instances: [], events: [apiEvent()] });
    expect(await store.listEvents({ basepath: '/orders', limit: 10 })).toStrictEqual([added]);
    const versions = await query<{ version: number }>(
      `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
    );
    expect(versions).toEqual(POSTGRES_MIGRATIONS.map((step) => ({ version: step.version })));
  });

  it('keeps its search_path when the URL carries its own options', async () => {
    const { store, schema } = tempStore({
      connectionString: `${POSTGRES_URL}?options=${encodeURIComponent('-c lock_timeout=5000')}`,
    });
    await store.migrate();
    await store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [] });
    expect(await query(`SELECT instance_id FROM "${schema}".instances`)).toEqual([{ instance_id: 'a' }]);
  });

  it('refuses a schema newer than it knows', async () => {
    const { store, schema } = tempStore();
    await store.migrate();
    await query(`INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES (999, 0)`);
    const failure = await failureOf(store.migrate());
    expect(failure.code).toBe('CONFIGURATION_INVALID');
    expect(failure.message).toContain('version 999');
  });

  it('stores text PostgreSQL cannot hold (U+0000, lone surrogates) as U+FFFD instead of failing the batch', async () => {
    const { store } = tempStore();
    await store.migrate();
    const odd = instanceRecord({
      instanceId: 'odd',
      message: {
        instanceId: 'odd',
        service: 'orders',
        hostName: 'a\u0000b',
        extInfo: { 'k\u0000': 'x\ud800y' },
      },
    });
    const [event] = await store.commit({
      instances: [odd, instanceRecord({ instanceId: 'fine' })],
      events: [newEvent({ data: { text: 'nul\u0000' } })],
    });
    expect((await store.getInstance('odd'))!.message).toEqual({
      instanceId: 'odd',
      service: 'orders',
      hostName: 'a\ufffdb',
      extInfo: { 'k\ufffd': 'x\ufffdy' },
    });
    expect(await store.getInstance('fine')).toBeDefined();
    expect((await store.listEvents({ limit: 1 }))[0]).toEqual({ ...event, data: { text: 'nul\ufffd' } });
  });

  it('survives an idle connection being killed, telling onError, and reconnects', async () => {
    const applicationName = testSchemaName();
    const errors: HeartbeatError[] = [];
    const { store } = tempStore({
      connectionString: `${POSTGRES_URL}?application_name=${applicationName}`,
      onError: (error) => errors.push(error),
    });
    await store.migrate();
    const killed = await query<{ killed: boolean }>(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    expect(killed).toEqual([{ killed: true }]);
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(errors[0]!.code).toBe('UNAVAILABLE');
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
