import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { CheckDefinition } from '../core/check.js';
import type { Duration } from '../core/duration.js';
import { describeError, HeartbeatError } from '../errors.js';
import { abortError, elapsedMs, formatAddress, openSocket, raceAbort } from './shared.js';

/** Anything with a promise-returning `ping()`: an ioredis or node-redis client, a cluster client… */
export interface RedisPingable {
  ping(): Promise<unknown>;
}

/** `redisCheck` with a URL: each run opens its own connection, sends `PING` and closes it. */
export interface RedisUrlCheckOptions {
  /**
   * `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. A password sends `AUTH`
   * (with the user name when there is one), a path sends `SELECT db`. Default `redis://127.0.0.1:6379`.
   */
  url?: string;
  /** TLS options for `rediss://`, e.g. `{ ca }` for a private certificate authority. */
  tls?: ConnectionOptions;
  /** The check's default timeout; the connection is closed when it passes. */
  timeout?: Duration;
}

/** `redisCheck` with the service's own client: the check calls its `ping()`. */
export interface RedisClientCheckOptions {
  /** The client the service already has. */
  client: RedisPingable;
  /** The check's default timeout. */
  timeout?: Duration;
}

/** Options of `redisCheck`: a URL (or nothing, for a local Redis) or a client. */
export type RedisCheckOptions = RedisUrlCheckOptions | RedisClientCheckOptions;

/** A reply is never this long to AUTH, SELECT or PING; more means the port is not Redis. */
const MAX_REPLY_BYTES = 64 * 1024;

/**
 * A check that sends `PING` to Redis and expects `PONG`: `ok` with the time in ms (connecting, any
 * `AUTH` and `SELECT`, and `PING`), `error` with what failed, e.g. `connect ECONNREFUSED
 * 127.0.0.1:6379` or `redis at 10.0.0.5:6379 answered PING with NOAUTH Authentication required.`
 * With a URL it speaks RESP itself, so it needs no Redis client library.
 *
 * @example
 * health.addCheck({ name: 'cache', ...redisCheck({ url: process.env.REDIS_URL }), critical: false });
 *
 * @example
 * health.addCheck({ name: 'cache', ...redisCheck({ client: redis }) });
 */
export function redisCheck(options: RedisCheckOptions = {}): CheckDefinition {
  const definition =
    'client' in options && options.client !== undefined ? clientCheck(options.client) : urlCheck(options);
  if (options.timeout !== undefined) definition.timeout = options.timeout;
  return definition;
}

function clientCheck(client: RedisPingable): CheckDefinition {
  if (typeof client.ping !== 'function') {
    throw new HeartbeatError('VALIDATION_FAILED', 'redisCheck client must have a ping() method', {
      field: 'client',
    });
  }
  return {
    componentType: 'datastore',
    measurement: 'responseTime',
    run: async function runRedisClientCheck({ signal }) {
      const startedAt = performance.now();
      const pinging = Promise.resolve()
        .then(() => client.ping())
        .catch((thrown: unknown) => {
          throw new Error(`redis PING failed: ${describeError(thrown)}`, { cause: thrown });
        });
      // The client is the service's: the run can stop waiting, but the command is the client's to end.
      await raceAbort(pinging, signal, 'waiting for redis to answer PING');
      return { status: 'ok', observedValue: elapsedMs(startedAt), observedUnit: 'ms' };
    },
  };
}

interface RedisTarget {
  host: string;
  port: number;
  tls: ConnectionOptions | undefined;
  commands: string[][];
  dependency: string;
}

function urlCheck(options: RedisUrlCheckOptions): CheckDefinition {
  const target = parseRedisUrl(options.url ?? 'redis://127.0.0.1:6379', options.tls);
  const address = formatAddress(target.host, target.port);
  return {
    componentType: 'datastore',
    measurement: 'responseTime',
    dependency: target.dependency,
    run: async function runRedisCheck({ signal }) {
      const startedAt = performance.now();
      const socket = await openSocket(target, signal);
      try {
        await converse(socket, target.commands, address, signal);
      } finally {
        socket.destroy();
      }
      return { status: 'ok', observedValue: elapsedMs(startedAt), observedUnit: 'ms' };
    },
  };
}

function parseRedisUrl(value: string, tls: ConnectionOptions | undefined): RedisTarget {
  const invalid = (why: string): HeartbeatError =>
    new HeartbeatError('VALIDATION_FAILED', `redisCheck url: ${why}`, { field: 'url' });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('not an absolute URL; write it like redis://host:6379');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw invalid(`${url.protocol}// is not redis:// or rediss://`);
  }
  const commands: string[][] = [];
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (password) commands.push(username ? ['AUTH', username, password] : ['AUTH', password]);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d+$/.test(db)) throw invalid(`the path /${db} is not a database number`);
    commands.push(['SELECT', db]);
  }
  commands.push(['PING']);
  const dependency = new URL(url.href);
  // The registry strips the user name and password; a query string could carry secrets too.
  dependency.search = '';
  dependency.hash = '';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    tls: url.protocol === 'rediss:' ? (tls ?? {}) : undefined,
    commands,
    dependency: dependency.href,
  };
}

/** Sends every command at once (pipelined) and checks each reply in turn. */
function converse(socket: Socket, commands: string[][], address: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    let answered = 0;
    let settled = false;
    const pending = (): string => commands[answered]?.[0] ?? 'PING';
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', aborted);
      if (error) reject(error);
      else resolve();
    };
    const aborted = (): void =>
      finish(abortError(signal, `waiting for redis at ${address} to answer ${pending()}`));
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });

    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        let parsed = parseReply(buffered);
        while (parsed && answered < commands.length) {
          buffered = buffered.subarray(parsed.next);
          checkReply(pending(), parsed.reply, address);
          answered++;
          parsed = parseReply(buffered);
        }
      } catch (thrown) {
        return finish(thrown as Error);
      }
      if (answered === commands.length) finish();
      else if (buffered.length > MAX_REPLY_BYTES) {
        finish(new Error(`redis at ${address} sent more than 64 KiB without a complete reply; is it Redis?`));
      }
    });
    socket.on('error', (error) =>
      finish(new Error(`redis at ${address}: ${describeError(error)}`, { cause: error })),
    );
    socket.on('close', () =>
      finish(new Error(`redis at ${address} closed the connection before it answered ${pending()}`)),
    );
    socket.setNoDelay(true);
    socket.write(commands.map(encodeCommand).join(''));
  });
}

/** A command as a RESP array of bulk strings. */
function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

interface Reply {
  error: boolean;
  text: string | null;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;
const DOLLAR = 0x24;

/** The first RESP reply in `buffer` and where the next one starts; undefined while incomplete. */
function parseReply(buffer: Buffer): { reply: Reply; next: number } | undefined {
  if (buffer.length === 0) return undefined;
  const type = buffer[0];
  if (type !== PLUS && type !== MINUS && type !== COLON && type !== DOLLAR) {
    const start = JSON.stringify(buffer.toString('latin1', 0, 40));
    throw new Error(`the server answered ${start}, which is not a Redis reply; is it Redis?`);
  }
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd === -1) return undefined;
  const line = buffer.toString('utf8', 1, lineEnd);
  if (type !== DOLLAR) return { reply: { error: type === MINUS, text: line }, next: lineEnd + 2 };
  const length = Number(line);
  if (!Number.isInteger(length)) throw new Error(`the server sent a malformed Redis reply: $${line}`);
  if (length < 0) return { reply: { error: false, text: null }, next: lineEnd + 2 };
  const end = lineEnd + 2 + length;
  if (buffer.length < end + 2) return undefined;
  return { reply: { error: false, text: buffer.toString('utf8', lineEnd + 2, end) }, next: end + 2 };
}

function checkReply(command: string, reply: Reply, address: string): void {
  if (reply.error) throw new Error(`redis at ${address} answered ${command} with ${reply.text ?? ''}`);
  if (command === 'PING' && reply.text !== 'PONG') {
    throw new Error(`redis at ${address} answered PING with ${JSON.stringify(reply.text)}, not PONG`);
  }
}
