import type PG from 'pg';
import type { Pool } from 'pg';
import type { CheckDefinition } from '../core/check.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { CHECK_DEFAULTS } from '../core/registry.js';
import { describeError, HeartbeatError } from '../errors.js';
import { abortError, elapsedMs, raceAbort } from './shared.js';

/** Anything with a promise-returning `query(sql)`: a `pg.Pool`, a `pg.Client`, a Drizzle or Kysely driver pool… */
export interface PostgresQueryable {
  query(sql: string): Promise<unknown>;
}

/** What both forms of `postgresCheck` accept. */
interface PostgresCheckCommonOptions {
  /**
   * The check's default timeout. With a connection string it also bounds connecting
   * (`connectionTimeoutMillis`) and the statement on the server (`statement_timeout`), so set it
   * here rather than in `addCheck`. Default 1s.
   */
  timeout?: Duration;
  /** The statement to run. Default `SELECT 1`. */
  query?: string;
}

/** `postgresCheck` with a connection string: the check keeps its own one-connection pool. */
export interface PostgresUrlCheckOptions extends PostgresCheckCommonOptions {
  /** A `postgres://user:password@host:port/database?…` URL, as `pg` accepts it. */
  connectionString: string;
}

/** `postgresCheck` with the service's own pool: the check borrows it and never ends it. */
export interface PostgresPoolCheckOptions extends PostgresCheckCommonOptions {
  /** The pool (or client) the service already has. */
  pool: PostgresQueryable;
}

/** Options of `postgresCheck`: a connection string or a pool. */
export type PostgresCheckOptions = PostgresUrlCheckOptions | PostgresPoolCheckOptions;

/** The check that `postgresCheck` returns: a check definition plus `close()` for shutdown. */
export type PostgresCheckDefinition = CheckDefinition & {
  /** Ends the check's own pool (never a pool you passed in); later runs fail with "closed". */
  close(): Promise<void>;
};

/** Seen in `pg_stat_activity`, unless the connection string names an `application_name`. */
const APPLICATION_NAME = 'heartbeat-health-check';

/**
 * Long enough that a check run every few seconds reuses its connection, short enough that a check
 * nobody calls any more does not hold a server connection for long.
 */
const IDLE_TIMEOUT_MS = 10_000;

/**
 * A check that runs `SELECT 1` on PostgreSQL: `ok` with the round-trip time in ms, `error` with
 * what failed, e.g. `connect ECONNREFUSED 127.0.0.1:5432` or `database "shop" does not exist`.
 * With a connection string it needs the `pg` package (an optional peer dependency), loaded on the
 * first run.
 *
 * @example
 * const db = postgresCheck({ connectionString: process.env.DATABASE_URL! });
 * health.addCheck({ name: 'db', ...db, critical: true });
 * // on shutdown
 * await db.close();
 *
 * @example
 * health.addCheck({ name: 'db', ...postgresCheck({ pool }) });
 */
export function postgresCheck(options: PostgresCheckOptions): PostgresCheckDefinition {
  const timeoutMs = parseDuration(options.timeout ?? CHECK_DEFAULTS.timeoutMs, 'postgresCheck timeout');
  const sql = options.query ?? 'SELECT 1';
  if ('pool' in options && options.pool !== undefined) return poolCheck(options.pool, sql, timeoutMs);
  const { connectionString } = options as Partial<PostgresUrlCheckOptions>;
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw new HeartbeatError('VALIDATION_FAILED', 'postgresCheck needs a connectionString or a pool', {
      field: 'connectionString',
    });
  }
  return connectionStringCheck(connectionString, sql, timeoutMs);
}

function poolCheck(pool: PostgresQueryable, sql: string, timeoutMs: number): PostgresCheckDefinition {
  if (typeof pool.query !== 'function') {
    throw new HeartbeatError('VALIDATION_FAILED', 'postgresCheck pool must have a query(sql) method', {
      field: 'pool',
    });
  }
  return {
    componentType: 'datastore',
    measurement: 'responseTime',
    timeout: timeoutMs,
    run: async function runPostgresPoolCheck({ signal }) {
      const startedAt = performance.now();
      // The pool is the service's: the run can stop waiting, but the query is the pool's to end.
      await raceAbort(
        Promise.resolve().then(() => pool.query(sql)),
        signal,
        `waiting for PostgreSQL to answer ${sql}`,
      ).catch((thrown: unknown) => {
        throw failure(`${sql} failed`, thrown);
      });
      return { status: 'ok', observedValue: elapsedMs(startedAt), observedUnit: 'ms' };
    },
    close: () => Promise.resolve(),
  };
}

function connectionStringCheck(
  connectionString: string,
  sql: string,
  timeoutMs: number,
): PostgresCheckDefinition {
  const target = describeTarget(connectionString);
  let pool: Promise<Pool> | undefined;
  let closed = false;

  function getPool(): Promise<Pool> {
    pool ??= createPool(connectionString, timeoutMs).catch((thrown: unknown) => {
      pool = undefined;
      throw thrown;
    });
    return pool;
  }

  const definition: PostgresCheckDefinition = {
    componentType: 'datastore',
    measurement: 'responseTime',
    timeout: timeoutMs,
    run: async function runPostgresCheck({ signal }) {
      if (closed) throw new Error('the PostgreSQL check was closed');
      const ready = await getPool();
      // After getPool: loading `pg` on the first run is not the database's round trip.
      const startedAt = performance.now();
      if (signal.aborted) throw abortError(signal, `connecting to ${target}`);
      const connecting = ready.connect();
      const client = await raceAbort(connecting, signal, `connecting to ${target}`, () => {
        // The pool may still hand over a client after the run gave up: destroy it on arrival.
        connecting.then(
          (late) => late.release(true),
          () => undefined,
        );
      }).catch((thrown: unknown) => {
        throw failure(`connecting to ${target}`, thrown);
      });
      let released = false;
      const release = (error?: Error): void => {
        if (released) return;
        released = true;
        client.release(error);
      };
      try {
        await raceAbort(client.query(sql), signal, `waiting for ${target} to answer ${sql}`, () => {
          // Ends the connection under the running statement; its rejection is handled by raceAbort.
          release(new Error('the health check run was aborted'));
        });
      } catch (thrown) {
        // A fresh connection next time is cheaper than trusting one that just failed.
        release(thrown instanceof Error ? thrown : new Error(describeError(thrown)));
        throw failure(`${sql} on ${target} failed`, thrown);
      }
      release();
      return { status: 'ok', observedValue: elapsedMs(startedAt), observedUnit: 'ms' };
    },
    close: async function closePostgresCheck() {
      closed = true;
      const ending = pool;
      pool = undefined;
      const created = await ending?.catch(() => undefined);
      await created?.end();
    },
  };
  const dependency = publicDependency(connectionString);
  if (dependency !== undefined) definition.dependency = dependency;
  return definition;
}

async function createPool(connectionString: string, timeoutMs: number): Promise<Pool> {
  let pg: typeof PG;
  try {
    pg = (await import('pg')).default;
  } catch (thrown) {
    throw new HeartbeatError(
      'CONFIGURATION_INVALID',
      'postgresCheck({ connectionString }) needs the "pg" package: npm install pg',
      undefined,
      { cause: thrown },
    );
  }
  const pool = new pg.Pool({
    connectionString,
    max: 1,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    // The check's pool must never be what keeps a stopping process alive.
    allowExitOnIdle: true,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    fallback_application_name: APPLICATION_NAME,
  });
  // An idle connection the server dropped: the next run reconnects or reports why it cannot.
  pool.on('error', () => undefined);
  return pool;
}

/** A human reason: PostgreSQL's own message with its SQLSTATE, a socket error as Node words it. */
function failure(doing: string, thrown: unknown): Error {
  if (thrown instanceof HeartbeatError) return thrown;
  const error = thrown as Partial<Error & { severity: string; code: string }>;
  let reason: string;
  if (thrown instanceof Error && typeof error.severity === 'string') {
    reason = `${thrown.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`;
  } else {
    reason = describeError(thrown);
    // `connect ECONNREFUSED 127.0.0.1:5999` and "gave up …" already say what was tried.
    if (/^connect |^gave up /.test(reason)) return new Error(reason, { cause: thrown });
  }
  return new Error(`${doing}: ${reason}`, { cause: thrown });
}

/** `host:port/database`, for messages: never the user name or password. */
function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return url.host ? `${url.host}${url.pathname === '/' ? '' : url.pathname}` : 'PostgreSQL';
  } catch {
    return 'PostgreSQL';
  }
}

/** The connection string as a dependency URL, without its query, which may carry `password=` or key paths. */
function publicDependency(connectionString: string): string | undefined {
  if (!URL.canParse(connectionString)) return undefined;
  const url = new URL(connectionString);
  url.search = '';
  url.hash = '';
  return url.href;
}
