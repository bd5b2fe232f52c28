/**
 * Servers the bench did not write — the hub's own CLI, Uptime Kuma — run as they ship, each in its
 * own `node` process: started, waited for (a line of output gives the origin, a GET must answer
 * 200), measured from `/proc`, stopped by SIGTERM and killed if that hangs.
 *
 * Like `targets.ts` for the bench's own targets, nothing outlives the runner: `try/finally` stops
 * them, an `exit` and signal handler kills what is left, and each gets an IPC channel and
 * `exit-with-parent.js` so that it stops by itself when the runner goes away (even by `kill -9`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds } from './targets.js';

/** `node --import` this so that the server ends with the runner. */
export const EXIT_WITH_PARENT = fileURLToPath(new URL('./exit-with-parent.js', import.meta.url));

export interface ServerProcessSpec {
  id: string;
  /** Node flags, then the script and its arguments. */
  nodeArgs: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Where it listens: a fixed origin, or a pattern whose first group is the origin, found in its output. */
  origin: string | RegExp;
  /** A path that answers 200 once the server is ready (`/readyz`). */
  readyPath: string;
  startTimeoutMs?: number;
}

export interface ServerProcess {
  id: string;
  pid: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  cpuSeconds(): number | undefined;
  /** Resident memory now and its peak so far, in bytes, from `/proc/<pid>/status`. */
  memory(): { rssBytes: number; peakRssBytes: number } | undefined;
  /** The last 16 kB of its stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

const live = new Set<ChildProcess>();
let hooksInstalled = false;

/** Kills every server process still running (synchronously; safe in an `exit` handler). */
export function killAllServerProcesses(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

/** Has any other child (e.g. a load generator) killed with the servers, whatever happens. */
export function adoptChild(child: ChildProcess): void {
  installHooks();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllServerProcesses);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllServerProcesses();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

export async function startServerProcess(spec: ServerProcessSpec): Promise<ServerProcess> {
  installHooks();
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...spec.nodeArgs], {
    cwd: spec.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...spec.env },
  });
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString('utf8')).slice(-16_384));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const timeoutMs = spec.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let killed = false;
  const stop: ServerProcess['stop'] = async (graceMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    }
    if (child.connected) child.disconnect();
    return { ...(await exited), killed };
  };

  try {
    const origin = await new Promise<string>((resolve, reject) => {
      if (typeof spec.origin === 'string') return resolve(spec.origin);
      const pattern = spec.origin;
      const timer = setTimeout(
        () => reject(new Error(`${spec.id} did not say where it listens within ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const look = () => {
        const match = pattern.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout!.off('data', look);
          child.stderr!.off('data', look);
          resolve(match[1]);
        }
      };
      child.stdout!.on('data', look);
      child.stderr!.on('data', look);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${spec.id} exited (${signal ?? code}) before listening:\n${output}`));
      });
    });
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${spec.id} exited (${child.signalCode ?? child.exitCode}) before ready:\n${output}`);
      }
      if ((await statusOf(origin + spec.readyPath)) === 200) break;
      if (Date.now() > deadline) {
        throw new Error(
          `${spec.id}: ${spec.readyPath} did not answer 200 within ${timeoutMs} ms:\n${output}`,
        );
      }
      await sleep(100);
    }
    const pid = child.pid!;
    return {
      id: spec.id,
      pid,
      origin,
      cpuSeconds: () => processCpuSeconds(pid),
      memory: () => processMemory(pid),
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop(2000);
    throw error;
  }
}

/** Resident memory of a process now (`VmRSS`) and at its peak (`VmHWM`), in bytes; undefined without `/proc`. */
export function processMemory(pid: number): { rssBytes: number; peakRssBytes: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kb('VmRSS');
  if (!Number.isFinite(rss)) return undefined;
  return { rssBytes: rss * 1024, peakRssBytes: kb('VmHWM') * 1024 };
}

/** The status of one plain GET (0 when there is no answer). */
export function statusOf(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 2000,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** A port free on 127.0.0.1 right now, for servers that cannot be told to pick one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
