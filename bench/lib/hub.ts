/**
 * The hub as people run it: `node packages/cli/dist/main.js hub --host 127.0.0.1 --port 0 --data <tmp>
 * --log-level warn --log-format json`, SQLite under a fresh temporary directory, `HEARTBEAT_ADMIN_KEY`
 * as the Bearer token. Needs `npm run build` first (the bench builds only itself and the SDK).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * The built CLI (bench/dist/lib → packages/cli/dist/main.js), or `BENCH_HUB_CLI`: the `main.js` of
 * another build, e.g. of a given commit unpacked elsewhere (`git archive <commit> | tar -x -C …`).
 */
export const HUB_CLI =
  process.env.BENCH_HUB_CLI || fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));

/** The Bearer token of every request the bench sends to the hub. */
export const HUB_ADMIN_KEY = 'bench-admin-key-2026-11-21-0123456789';

export interface HubProcess extends ServerProcess {
  dataDir: string;
  /** The command line, for the report. */
  command: string;
  /** Stops the hub and removes its data directory. */
  close(): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>;
}

export async function startHubProcess(options: {
  id?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Extra `HEARTBEAT_*` settings. */
  env?: Record<string, string>;
  /** The CLI's `main.js` to run; default `HUB_CLI`. */
  cli?: string;
}): Promise<HubProcess> {
  const cli = options.cli ?? HUB_CLI;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'heartbeat-bench-hub-'));
  const args = [
    'hub',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data',
    dataDir,
    '--log-level',
    'warn',
    '--log-format',
    'json',
  ];
  const env = { HEARTBEAT_ADMIN_KEY: HUB_ADMIN_KEY, ...options.env };
  try {
    const hub = await startServerProcess({
      id: options.id ?? 'hub',
      nodeArgs: [...(options.nodeFlags ?? []), cli, ...args],
      env,
      origin: /Heartbeat hub on (http:\/\/127\.0\.0\.1:\d+)/,
      readyPath: '/readyz',
    });
    const command =
      Object.entries(env)
        .map(([name, value]) => `${name}=${name === 'HEARTBEAT_ADMIN_KEY' ? '<key>' : value}`)
        .join(' ') +
      ` node ${options.cli ?? (process.env.BENCH_HUB_CLI || 'packages/cli/dist/main.js')} ${args.join(' ').replace(dataDir, '<tmp>')}`;
    return {
      ...hub,
      dataDir,
      command,
      async close() {
        try {
          return await hub.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** A JSON request to the hub with the admin key; resolves with the status and the parsed body. */
export async function hubRequest(
  origin: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(origin + path, {
    method,
    headers: {
      authorization: `Bearer ${HUB_ADMIN_KEY}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/**
 * Which hub was measured: the commit checked out, and how many files under `packages/` differ from
 * it (the build is of the working tree). Read-only (`--no-optional-locks`); empty outside git.
 */
export function hubBuildInfo(): Record<string, string | number> {
  if (process.env.BENCH_HUB_CLI) return { hubCli: process.env.BENCH_HUB_CLI };
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const git = (...args: string[]) =>
    execFileSync('git', ['--no-optional-locks', ...args], { cwd: root, encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length;
    return { gitHead: git('rev-parse', '--short', 'HEAD'), packagesFilesChangedSinceHead: changed };
  } catch {
    return {};
  }
}
