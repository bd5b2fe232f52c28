import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findClosedPort, requireService } from '../../../sdk/src/testing/services.js';

const run = promisify(execFile);

/** Debian's `prometheus` package: the server and promtool. */
export const PROMETHEUS_BIN = process.env.TEST_PROMETHEUS_BIN ?? 'prometheus';
export const PROMTOOL_BIN = process.env.TEST_PROMTOOL_BIN ?? 'promtool';

/** Whether the Prometheus binaries are there: skips loudly outside CI, fails in CI (`requireService`). */
export function requirePrometheus(): Promise<boolean> {
  return requireService(
    'Prometheus (the prometheus and promtool binaries)',
    async () => {
      await run(PROMETHEUS_BIN, ['--version']);
      await run(PROMTOOL_BIN, ['--version']);
    },
    { hint: "install Debian's package: apt-get install prometheus", timeoutMs: 10_000 },
  );
}

export interface RunningPrometheus {
  url: string;
  /** One instant query through `/api/v1/query`: the result vector. */
  query(expression: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus server on loopback scraping `target` (host:port) every second, with its own
 * config and TSDB in a temporary directory; never the system service.
 */
export async function startPrometheus(options: {
  target: string;
  metricsPath?: string;
  /** A key sent as `Authorization: Bearer`, through `authorization.credentials_file` as an operator would. */
  bearerToken?: string;
}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'heartbeat-prometheus-'));
  const port = await findClosedPort();
  const lines = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    '  - job_name: heartbeat',
    `    metrics_path: ${options.metricsPath ?? '/metrics'}`,
    '    static_configs:',
    `      - targets: ['${options.target}']`,
  ];
  if (options.bearerToken !== undefined) {
    await writeFile(join(dir, 'key'), options.bearerToken);
    lines.push('    authorization:', '      type: Bearer', `      credentials_file: ${join(dir, 'key')}`);
  }
  await writeFile(join(dir, 'prometheus.yml'), `${lines.join('\n')}\n`);
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited at start:\n${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready within 30s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    async query(expression) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success') throw new Error(`query ${expression} failed: ${body.error}`);
      return body.data?.result ?? [];
    },
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `promtool check metrics` on exposition text: its exit code and what it printed. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return promtool(['check', 'metrics'], text);
}

/** Runs promtool with `args` (and `input` on stdin): its exit code and what it printed. */
export function promtool(args: string[], input = ''): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(input);
  });
}
