/**
 * Servers under test, each in its own node process: started by the runner, announcing the port it
 * listens on as the first line of its stdout, stopped (or killed) by the runner, even on failure.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface TargetSpec {
  /** Short id used in tables and JSON, e.g. `sdk`. */
  id: string;
  /** What runs, in a few words, e.g. `@heartbeat/sdk nodeHttpListener`. */
  label: string;
  /** The compiled module node runs (a file path or a `file:` URL). */
  script: string | URL;
  /** Arguments after the script, e.g. the row the server is set up for. */
  args?: string[];
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

export interface RunningTarget {
  spec: TargetSpec;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** CPU seconds (user + system) the process has used so far; undefined where `/proc` is missing. */
  cpuSeconds(): number | undefined;
  /** Asks the process to exit, then kills it if it has not within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The line a target prints first on stdout: `{"port":12345}`. */
export interface Announcement {
  port: number;
}

const live = new Set<ChildProcess>();
let hooksInstalled = false;

/** Kills every target process still running (synchronously; safe in an `exit` handler). */
export function killAllTargets(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllTargets);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllTargets();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/**
 * Starts a target and resolves once it has announced its port.
 *
 * The child gets an IPC channel only so that it notices when the runner goes away (see `serve.ts`):
 * closing the channel is how `stop()` asks it to exit, and it also fires if the runner is killed.
 */
export async function startTarget(spec: TargetSpec, startTimeoutMs = 20_000): Promise<RunningTarget> {
  installHooks();
  const script = spec.script instanceof URL ? fileURLToPath(spec.script) : spec.script;
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), script, ...(spec.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...spec.env },
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));

  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const timer = setTimeout(
        () => reject(new Error(`${spec.id} did not announce its port within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          const announced = JSON.parse(line) as Partial<Announcement>;
          if (typeof announced.port !== 'number') throw new Error('no port');
          resolve(announced.port);
        } catch {
          reject(new Error(`${spec.id} announced ${JSON.stringify(line)}, not {"port":N}`));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${spec.id} exited (${signal ?? code}) before announcing its port\n${stderr}`));
      });
      child.once('error', reject);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  const pid = child.pid!;
  return {
    spec,
    pid,
    port,
    origin: `http://127.0.0.1:${port}`,
    cpuSeconds: () => processCpuSeconds(pid),
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts every target (one after the other), runs `use`, and stops them all whatever happens. */
export async function withTargets<T>(
  specs: readonly TargetSpec[],
  use: (targets: RunningTarget[]) => Promise<T>,
): Promise<T> {
  const running: RunningTarget[] = [];
  try {
    for (const spec of specs) running.push(await startTarget(spec));
    return await use(running);
  } finally {
    await Promise.all(running.map((target) => target.stop()));
  }
}

let clockTicks: number | undefined;

/**
 * CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq) or lost to the
 * hypervisor (steal), summed over cores, from `/proc/stat`; undefined elsewhere.
 */
export function machineCpuSeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(0, stat.indexOf('\n')).split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  clockTicks ??= readClockTicks();
  return (user + nice + system + irq + softirq + steal) / clockTicks;
}

/** User + system CPU seconds of a process, from `/proc/<pid>/stat` (Linux); undefined elsewhere. */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) return undefined;
  clockTicks ??= readClockTicks();
  return ticks / clockTicks;
}

function readClockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return value > 0 ? value : 100;
  } catch {
    return 100;
  }
}
