import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { CheckOutcome } from '../core/check.js';
import { findClosedPort, POSTGRES_URL, probePostgres, requireService } from '../testing/services.js';
import { postgresCheck, type PostgresCheckDefinition } from './postgres.js';

const postgresAvailable = await requireService(
  `PostgreSQL at ${POSTGRES_URL}`,
  (signal) => probePostgres(POSTGRES_URL, signal),
  { hint: 'start PostgreSQL (trust auth, database "test") or set TEST_POSTGRES_URL' },
);

const never = new AbortController().signal;

async function run(check: PostgresCheckDefinition, signal = never): Promise<CheckOutcome | void> {
  return check.run({ signal });
}

/** The test database's URL with one part changed. */
function withUrl(change: (url: URL) => void): string {
  const url = new URL(POSTGRES_URL);
  change(url);
  return url.href;
}

describe('postgresCheck', () => {
  it('describes itself for /health, without the query string of the connection string', () => {
    const check = postgresCheck({ connectionString: 'postgres://app:secret@db:5432/shop?sslmode=require' });
    expect(check).toMatchObject({
      componentType: 'datastore',
      measurement: 'responseTime',
      timeout: 1000,
      // The registry strips the user name and password before it shows a dependency.
      dependency: 'postgres://app:secret@db:5432/shop',
    });
    expect(postgresCheck({ connectionString: 'postgres://db/shop', timeout: '3s' }).timeout).toBe(3000);
  });

  it('needs a connection string or a pool', () => {
    expect(() => postgresCheck({ connectionString: '' })).toThrow(/needs a connectionString or a pool/);
    expect(() => postgresCheck({} as never)).toThrow(/needs a connectionString or a pool/);
    expect(() => postgresCheck({ pool: {} as never })).toThrow(/query\(sql\)/);
  });

  it('fails with the connect error when nothing listens on the port', async () => {
    const port = await findClosedPort();
    const check = postgresCheck({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` });
    onTestFinished(() => check.close());

    await expect(run(check)).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  describe('with a pool of the service', () => {
    it('is ok with the round-trip time when the query succeeds', async () => {
      const queries: string[] = [];
      const check = postgresCheck({
        pool: { query: (sql) => Promise.resolve(queries.push(sql)) },
        query: 'SELECT 2',
      });

      await expect(run(check)).resolves.toMatchObject({ status: 'ok', observedUnit: 'ms' });
      expect(queries).toEqual(['SELECT 2']);
      expect(check.dependency).toBeUndefined();
      await check.close(); // never ends a pool it does not own
    });

    it('fails with the reason the query failed', async () => {
      const check = postgresCheck({ pool: { query: () => Promise.reject(new Error('pool is draining')) } });
      await expect(run(check)).rejects.toThrow('SELECT 1 failed: pool is draining');
    });

    it('stops waiting when its signal aborts', async () => {
      const check = postgresCheck({ pool: { query: () => new Promise(() => undefined) } });
      const controller = new AbortController();
      const outcome = run(check, controller.signal);
      controller.abort(new Error('timed out after 1s'));
      await expect(outcome).rejects.toThrow(
        'gave up waiting for PostgreSQL to answer SELECT 1: timed out after 1s',
      );
    });
  });

  describe.skipIf(!postgresAvailable)('against PostgreSQL', () => {
    /** Each test tags its connections, so it can count them in pg_stat_activity. */
    function taggedUrl(): { url: string; tag: string } {
      const tag = `hb-test-${randomUUID().slice(0, 8)}`;
      return { url: withUrl((url) => url.searchParams.set('application_name', tag)), tag };
    }

    const observer = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    afterAll(() => observer.end());

    async function connectionsTagged(tag: string): Promise<number> {
      const result = await observer.query<{ count: string }>(
        'SELECT count(*) FROM pg_stat_activity WHERE application_name = $1',
        [tag],
      );
      return Number(result.rows[0]!.count);
    }

    it('is ok with the round-trip time, reusing one connection, which close() ends', async () => {
      const { url, tag } = taggedUrl();
      const check = postgresCheck({ connectionString: url });
      onTestFinished(() => check.close());

      const first = await run(check);
      const second = await run(check);

      expect(first).toMatchObject({ status: 'ok', observedUnit: 'ms' });
      expect(second).toMatchObject({ status: 'ok', observedUnit: 'ms' });
      expect((second as CheckOutcome).observedValue).toBeGreaterThan(0);
      expect(await connectionsTagged(tag)).toBe(1);

      await check.close();
      await expect.poll(() => connectionsTagged(tag)).toBe(0);
      await expect(run(check)).rejects.toThrow('the PostgreSQL check was closed');
    });

    it('fails naming the database when it does not exist', async () => {
      const check = postgresCheck({
        connectionString: withUrl((url) => (url.pathname = '/heartbeat_no_such_db')),
      });
      onTestFinished(() => check.close());

      await expect(run(check)).rejects.toThrow(
        /^connecting to [^ ]+\/heartbeat_no_such_db: database "heartbeat_no_such_db" does not exist \(SQLSTATE 3D000\)$/,
      );
    });

    it('bounds the statement on the server with its timeout', async () => {
      const check = postgresCheck({
        connectionString: POSTGRES_URL,
        timeout: 150,
        query: 'SELECT pg_sleep(2)',
      });
      onTestFinished(() => check.close());

      await expect(run(check)).rejects.toThrow(
        /canceling statement due to statement timeout \(SQLSTATE 57014\)/,
      );
    });

    it('releases the client when aborted mid-query, so close() does not wait for it', async () => {
      const { url, tag } = taggedUrl();
      const check = postgresCheck({ connectionString: url, timeout: '5s', query: 'SELECT pg_sleep(0.5)' });
      const controller = new AbortController();
      const outcome = run(check, controller.signal);
      await expect.poll(() => connectionsTagged(tag)).toBe(1);

      controller.abort(new Error('timed out after 1s'));

      await expect(outcome).rejects.toThrow(
        /gave up waiting for .* to answer SELECT pg_sleep\(0\.5\): timed out/,
      );
      const closing = performance.now();
      await check.close();
      expect(performance.now() - closing).toBeLessThan(250);
    });

    it('destroys a connection that arrives after the run was aborted', async () => {
      const { url, tag } = taggedUrl();
      const check = postgresCheck({ connectionString: url });
      onTestFinished(() => check.close());
      const controller = new AbortController();
      const outcome = run(check, controller.signal);
      await Promise.resolve(); // the pool has started connecting
      controller.abort(new Error('timed out after 1s'));

      await expect(outcome).rejects.toThrow(/gave up connecting to .*: timed out after 1s/);
      // The pool is not left holding the late client: the next run gets a fresh one at once.
      await expect(run(check)).resolves.toMatchObject({ status: 'ok' });
      await check.close();
      await expect.poll(() => connectionsTagged(tag)).toBe(0);
    });

    it('uses a pg.Pool of the service', async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
      onTestFinished(() => pool.end());
      await expect(run(postgresCheck({ pool }))).resolves.toMatchObject({ status: 'ok', observedUnit: 'ms' });
    });
  });
});
