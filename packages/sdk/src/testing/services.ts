/**
 * Helpers for tests that talk to real services on loopback (PostgreSQL, Redis). A test file asks
 * whether a service is there before its suite is collected:
 *
 * ```ts
 * const postgres = await requireService(
 *   `PostgreSQL at ${POSTGRES_URL}`,
 *   (signal) => probePostgres(POSTGRES_URL, signal),
 *   { hint: 'start it, or set TEST_POSTGRES_URL' },
 * );
 * describe.skipIf(!postgres)('postgresCheck against PostgreSQL', () => { ... });
 * ```
 *
 * On a developer machine a missing service skips the suite with a loud warning; in CI
 * (`CI=true`) it fails the file, so a misconfigured pipeline never goes green by skipping.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';

/** The PostgreSQL the tests use; override with `TEST_POSTGRES_URL`. Trust auth, database `test`. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis the tests use; override with `TEST_REDIS_URL`. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Resolves when the service answers; rejects with the reason it does not. Must stop when `signal` aborts. */
export type ServiceProbe = (signal: AbortSignal) => Promise<void>;

export interface RequireServiceOptions {
  /** How long the probe may take. Default 2000 ms. */
  timeoutMs?: number;
  /** What to do about it, for the warning, e.g. `start it with docker compose up redis, or set TEST_REDIS_URL`. */
  hint?: string;
}

/**
 * Whether a service a test suite needs is reachable. Resolves `true` when `probe` succeeds. When it
 * fails: in CI (`process.env.CI === 'true'`) rejects, which fails the test file; elsewhere prints a
 * loud `console.warn` and resolves `false`, for `describe.skipIf(!available)`.
 *
 * @example
 * const redis = await requireService(`Redis at ${REDIS_URL}`, (signal) => probeRedis(REDIS_URL, signal));
 * describe.skipIf(!redis)('redisCheck against Redis', () => { ... });
 */
export async function requireService(
  name: string,
  probe: ServiceProbe,
  options: RequireServiceOptions = {},
): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await Promise.race([
      probe(signal),
      new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs}ms`)), {
          once: true,
        });
      }),
    ]);
    return true;
  } catch (thrown) {
    const reason = thrown instanceof Error ? thrown.message || thrown.name : String(thrown);
    // A URL in the name may carry a password (TEST_REDIS_URL=redis://:secret@…); logs must not.
    const shown = name.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, '//$1:***@');
    if (process.env.CI === 'true') {
      throw new Error(`${shown} is required in CI but is not reachable: ${reason}`, { cause: thrown });
    }
    const line = '!'.repeat(100);
    console.warn(
      `\n${line}\n!! SKIPPING tests that need ${shown}: not reachable (${reason}).\n` +
        `!! To run them, ${options.hint ?? 'start it'}. In CI (CI=true) this fails instead.\n${line}\n`,
    );
    return false;
  }
}

/** Probes PostgreSQL: connects and runs `SELECT 1`. */
export async function probePostgres(connectionString: string, signal: AbortSignal): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  const end = (): void => void client.end().catch(() => undefined);
  signal.addEventListener('abort', end, { once: true });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    signal.removeEventListener('abort', end);
    end();
  }
}

/**
 * Probes Redis with RESP written by hand (so it does not depend on the check under test): `AUTH`
 * when the URL has a password, then `PING`, expecting `+PONG`. Plain TCP only.
 */
export function probeRedis(url: string, signal: AbortSignal): Promise<void> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  const username = decodeURIComponent(parsed.username);
  const auth = password ? (username ? ['AUTH', username, password] : ['AUTH', password]) : undefined;
  const commands = [...(auth ? [auth] : []), ['PING']]
    .map(
      (args) =>
        `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`,
    )
    .join('');
  return new Promise<void>((resolve, reject) => {
    const socket = connect({
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: Number(parsed.port || 6379),
    });
    const finish = (error?: Error): void => {
      signal.removeEventListener('abort', aborted);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const aborted = (): void => finish(new Error('aborted'));
    signal.addEventListener('abort', aborted, { once: true });
    let received = '';
    socket.on('error', finish);
    socket.on('connect', () => socket.write(commands));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (/(^|\r\n)-/.test(received)) finish(new Error(received.trim()));
      else if (received.includes('+PONG\r\n')) finish();
    });
    socket.on('close', () => finish(new Error(`connection closed; received ${JSON.stringify(received)}`)));
  });
}

/** A TCP server on 127.0.0.1, for fake services in tests. */
export interface LoopbackServer {
  server: Server;
  port: number;
  /** The connections it has accepted and that are still open. */
  sockets: ReadonlySet<Socket>;
  /** Destroys every open connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a TCP server on a free port of 127.0.0.1 that hands each connection to `onConnection`.
 *
 * @example
 * const fake = await startLoopbackServer((socket) => socket.on('data', () => socket.write('+PONG\r\n')));
 * onTestFinished(() => fake.close());
 */
export async function startLoopbackServer(
  onConnection: (socket: Socket) => void = () => undefined,
): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  const port = await listenOnLoopback(server);
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (one just released), for "connection refused" tests. */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('the server has no port'));
    });
  });
}
