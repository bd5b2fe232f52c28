/**
 * Uptime Kuma as the peer of the hub's ingest: its push monitor (`GET /api/push/<token>`), run from
 * a checked-out, installed and built Uptime Kuma folder that lives OUTSIDE this project and is never
 * committed. This file fetches and installs nothing; it starts what is there, on SQLite, on loopback.
 *
 * Prepare the folder once (any release that runs on Node 20; 2.5.3 was used):
 *
 *   git clone --branch 2.5.3 --depth 1 https://github.com/louislam/uptime-kuma.git /work/peers/uptime-kuma
 *   cd /work/peers/uptime-kuma && npm ci && npm run build
 *
 * Then, by hand (starts it, creates the admin user and the push monitors, checks a push, prints the
 * push URLs, and keeps it running until Ctrl-C; `--check` stops after the push):
 *
 *   npx tsc -b bench && node bench/dist/uptime-kuma.js /work/peers/uptime-kuma
 *
 * or through the benchmark: `UPTIME_KUMA_DIR=/work/peers/uptime-kuma npm run bench -- hub-ingest`.
 *
 * What it does: `DATA_DIR=<tmp>/ UPTIME_KUMA_DB_TYPE=sqlite UPTIME_KUMA_HOST=127.0.0.1
 * UPTIME_KUMA_PORT=<free port> node server/server.js` in that folder (the env var `UPTIME_KUMA_DB_TYPE`
 * skips the database-choice page and writes `db-config.json` for SQLite); once it listens, over its
 * socket.io API (with the `socket.io-client` Uptime Kuma itself ships): `setup` (the first admin
 * user), `login`, `add` 500 monitors of type `push` with known `pushToken`s (see `PUSH_MONITORS`);
 * then `GET /api/push/<token>?status=up&msg=OK&ping=` must answer `{"ok":true}`. The CLI prints
 * every push URL, one per line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, startServerProcess, type ServerProcess } from './lib/server-process.js';

/** The push token of monitor `i`: 32 characters, as Uptime Kuma makes them. */
export const pushToken = (i: number): string => `hbbench${String(i).padStart(6, '0')}pushtoken2026abcdef`;
/** The push a monitored job sends: the query string Uptime Kuma's push monitor page shows. */
export const pushPath = (i: number): string => `/api/push/${pushToken(i)}?status=up&msg=OK&ping=`;
/**
 * Push monitors created: one per monitored job, as an instance id is one per instance for the hub.
 * More than one matters: Uptime Kuma 2.5.3 loses pushes when two for the SAME monitor are handled
 * at once — `UptimeCalculator.getMinutelyStatBean` is check-then-insert, so two first pushes of a
 * minute each make a `stat_minutely` row, the second insert fails (`SQLITE_CONSTRAINT: UNIQUE
 * constraint failed: stat_minutely.monitor_id, stat_minutely.timestamp`) and the bean it keeps is
 * never stored, so every later push to that monitor answers 404 until the minute turns. With as
 * many monitors as this, sent in turn, no two pushes in flight share a monitor.
 */
export const PUSH_MONITORS = 500;

const ADMIN = { username: 'bench', password: 'Bench-Kuma-2026-11-21!' };

export interface UptimeKuma extends ServerProcess {
  version: string;
  dir: string;
  /** Its data directory (SQLite), removed by `close()`. */
  dataDir: string;
  /** The command line, for the report. */
  command: string;
  /** One push path per monitor created. */
  pushPaths: string[];
  /** Seconds that creating the monitors took. */
  setupSeconds: number;
  /** Stops Uptime Kuma and removes its data directory. */
  close(): Promise<unknown>;
}

/**
 * What is wrong with `dir` as an Uptime Kuma folder ready to run, or undefined when it is ready:
 * checked out, `npm ci` done (with its SQLite driver built), `npm run build` done.
 */
export function uptimeKumaProblem(dir: string): string | undefined {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return `${dir} has no package.json: check Uptime Kuma out there first`;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
  if (pkg.name !== 'uptime-kuma') return `${manifest} is ${pkg.name ?? 'unnamed'}, not uptime-kuma`;
  if (!existsSync(join(dir, 'node_modules', 'socket.io-client'))) return `run "npm ci" in ${dir} first`;
  if (!existsSync(join(dir, 'dist', 'index.html'))) return `run "npm run build" in ${dir} first`;
  return undefined;
}

export function uptimeKumaVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Starts Uptime Kuma from `dir` on a fresh SQLite database, creates its admin and the push monitor. */
export async function startUptimeKuma(
  dir: string,
  log: (line: string) => void = () => {},
  nodeFlags: string[] = [],
  monitors = PUSH_MONITORS,
): Promise<UptimeKuma> {
  const problem = uptimeKumaProblem(dir);
  if (problem) throw new Error(problem);
  const dataDir = mkdtempSync(join(tmpdir(), 'heartbeat-bench-kuma-'));
  const port = await freePort();
  const env = {
    DATA_DIR: `${dataDir}/`,
    UPTIME_KUMA_DB_TYPE: 'sqlite',
    UPTIME_KUMA_HOST: '127.0.0.1',
    UPTIME_KUMA_PORT: String(port),
  };
  let kuma: ServerProcess | undefined;
  try {
    log(`uptime-kuma: starting ${dir} on 127.0.0.1:${port} (first start migrates its database)`);
    kuma = await startServerProcess({
      id: 'uptime-kuma',
      nodeArgs: [...nodeFlags, 'server/server.js'],
      cwd: dir,
      env,
      // Its migration server says "Listening on" first, on the same port; the real one is tagged SERVER.
      origin: /SERVER[^\n]*Listening on:\s+(http:\/\/127\.0\.0\.1:\d+)/,
      readyPath: '/api/entry-page',
      startTimeoutMs: 120_000,
    });
    const setupStarted = performance.now();
    await createPushMonitors(dir, kuma.origin, monitors);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const pushPaths = Array.from({ length: monitors }, (_, i) => pushPath(i));
    for (const path of [pushPaths[0]!, pushPaths.at(-1)!]) {
      const answer = await fetch(kuma.origin + path);
      const body = await answer.text();
      if (answer.status !== 200 || !body.includes('"ok":true')) {
        throw new Error(`uptime-kuma: the push answered ${answer.status} ${body}`);
      }
    }
    log(
      `uptime-kuma ${uptimeKumaVersion(dir)}: admin user and ${monitors} push monitors created in ` +
        `${setupSeconds.toFixed(1)} s; e.g. ${kuma.origin}${pushPaths[0]!}`,
    );
    const running = kuma;
    return {
      ...running,
      version: uptimeKumaVersion(dir),
      dir,
      dataDir,
      pushPaths,
      setupSeconds,
      command:
        `cd ${dir} && DATA_DIR=<tmp>/ UPTIME_KUMA_DB_TYPE=sqlite UPTIME_KUMA_HOST=127.0.0.1 ` +
        `UPTIME_KUMA_PORT=<free port> node server/server.js`,
      async close() {
        try {
          return await running.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await kuma?.stop(3000);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** `setup`, `login`, then `add` push monitors, over Uptime Kuma's socket.io API, with its own socket.io-client. */
async function createPushMonitors(dir: string, origin: string, monitors: number): Promise<void> {
  const requireFromKuma = createRequire(join(dir, 'package.json'));
  const { io } = requireFromKuma('socket.io-client');
  const socket = io(origin, { transports: ['websocket'], reconnection: false, timeout: 10_000 });
  const call = (event: string, ...args: unknown[]): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`uptime-kuma: no answer to "${event}"`)), 20_000);
      socket.emit(event, ...args, (answer: unknown) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  try {
    // It registers its handlers only after sending "info" to a new connection.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('uptime-kuma: no "info" over socket.io')), 20_000);
      socket.once('info', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (error: Error) => {
        clearTimeout(timer);
        reject(new Error(`uptime-kuma: socket.io: ${error.message}`));
      });
    });
    const setup = await call('setup', ADMIN.username, ADMIN.password);
    if (!setup?.ok) throw new Error(`uptime-kuma: setup failed: ${JSON.stringify(setup)}`);
    const login = await call('login', { ...ADMIN, token: '' });
    if (!login?.ok) throw new Error(`uptime-kuma: login failed: ${JSON.stringify(login)}`);
    for (let i = 0; i < monitors; i++) {
      // The fields the "Add New Monitor" page sends for a push monitor that its `add` handler needs.
      const added = await call('add', {
        type: 'push',
        name: `heartbeat-bench-${i}`,
        pushToken: pushToken(i),
        active: true,
        interval: 60,
        retryInterval: 60,
        resendInterval: 0,
        maxretries: 0,
        upsideDown: false,
        notificationIDList: {},
        accepted_statuscodes: ['200-299'],
        kafkaProducerBrokers: [],
        kafkaProducerSaslOptions: { mechanism: 'None' },
        conditions: [],
        rabbitmqNodes: [],
      });
      if (!added?.ok)
        throw new Error(`uptime-kuma: adding push monitor ${i} failed: ${JSON.stringify(added)}`);
    }
  } finally {
    socket.close();
  }
}

// `node bench/dist/uptime-kuma.js <dir> [--check]`: start it, set it up, print the push URL.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const dir = args.find((arg) => !arg.startsWith('--')) ?? process.env.UPTIME_KUMA_DIR;
  if (!dir) {
    process.stderr.write('usage: node bench/dist/uptime-kuma.js <uptime-kuma folder> [--check]\n');
    process.exit(2);
  }
  const log = (line: string) => void process.stderr.write(`${line}\n`);
  try {
    const kuma = await startUptimeKuma(resolve(dir), log);
    // Ctrl-C ends the process through the server hooks (which kill Uptime Kuma); remove its data then too.
    process.once('exit', () => rmSync(kuma.dataDir, { recursive: true, force: true }));
    process.stdout.write(`${kuma.pushPaths.map((path) => kuma.origin + path).join('\n')}\n`);
    if (args.includes('--check')) await kuma.close();
    else log('running; Ctrl-C stops it and removes its data');
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
