import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `heartbeat` command; tests that run it as a process need `npm run build` first. */
export const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url));

export interface HubProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/** Runs `heartbeat hub …` as a real process and waits until it listens. */
export async function spawnHub(args: string[], env: Record<string, string> = {}): Promise<HubProcess> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run "npm run build" first`);
  const child = spawn(
    process.execPath,
    [CLI_MAIN, 'hub', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start within 15s:\n${output}`)), 15_000);
    const look = () => {
      const match = /Heartbeat hub on (http:\/\/[^\s]+) /.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${String(code)}) before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}
