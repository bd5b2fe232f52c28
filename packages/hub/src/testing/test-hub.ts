import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { HubConfig } from '../config/hub-config.js';
import { loadHubConfig } from '../config/load-hub-config.js';
import { startHub, type RunningHub } from '../server.js';
import { checkResponse } from './response-check.js';

/** The admin key every test hub accepts. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

type Overrides = {
  [K in keyof HubConfig]?: HubConfig[K] extends object ? Partial<HubConfig[K]> : HubConfig[K];
};

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface TestHub {
  hub: RunningHub;
  url: string;
  dataDir: string;
  /** The YAML file, when the hub was started with one. */
  configFile: string | undefined;
  /** Calls the API; `key` defaults to the admin key (pass null for none). */
  api(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      raw?: string | Buffer;
      key?: string | null;
      headers?: Record<string, string>;
      gzip?: boolean;
    },
  ): Promise<ApiAnswer>;
  beat(messages: unknown, key?: string | null): Promise<ApiAnswer>;
  /** Answers that did not match their route's documented schema (`stop()` fails when any did). */
  readonly undocumented: string[];
  stop(): Promise<void>;
}

/** Starts a real hub on 127.0.0.1 with a fresh SQLite file (or the given store), quiet logs. */
export async function startTestHub(
  overrides: Overrides = {},
  options: { store?: string; yaml?: string } = {},
): Promise<TestHub> {
  const dataDir = await mkdtemp(join(tmpdir(), 'heartbeat-hub-test-'));
  const flags = { port: 0, host: '127.0.0.1', data: dataDir };
  let configFile: string | undefined;
  if (options.yaml !== undefined) {
    configFile = join(dataDir, 'hub.yaml');
    await writeFile(configFile, options.yaml);
  }
  const { config } = await loadHubConfig({ flags, env: {}, configFile });
  for (const [key, value] of Object.entries(overrides)) {
    const target = config[key as keyof HubConfig];
    if (value && typeof value === 'object' && target && typeof target === 'object')
      Object.assign(target, value);
    else (config as unknown as Record<string, unknown>)[key] = value;
  }
  if (options.store) config.store = options.store;
  config.auth.adminKey ??= TEST_ADMIN_KEY;
  const logger = pino({ level: process.env.HUB_TEST_LOG ?? 'silent' });
  const configSource = configFile ? { file: configFile, flags, env: {} } : undefined;
  const hub = await startHub({ config, logger, configSource, onBootstrapKey: () => {} });
  // Every answer of every test is checked against the OpenAPI document's schema for it.
  const undocumented: string[] = [];
  hub.context.responseCheck = (route, status, body, received) => {
    let problem: string | undefined;
    try {
      problem = checkResponse(route, status, body, received);
    } catch (thrown) {
      // A schema that does not compile: reported like a mismatch, never a crashed request.
      problem = `${route?.method ?? ''} ${route?.path ?? '(no route)'}: its schema fails: ${String(thrown)}`;
    }
    if (problem !== undefined && undocumented.length < 20) undocumented.push(problem);
  };
  await hub.ready;
  const url = hub.url;

  async function api(
    method: string,
    path: string,
    { body, raw, key = TEST_ADMIN_KEY, headers = {}, gzip = false }: Parameters<TestHub['api']>[2] = {},
  ): Promise<ApiAnswer> {
    const sent = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const payload = gzip && sent !== undefined ? gzipSync(sent) : sent;
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(sent !== undefined && { 'content-type': 'application/json' }),
        ...(gzip && { 'content-encoding': 'gzip' }),
        ...(key !== null && { authorization: `Bearer ${key}` }),
        ...headers,
      },
      body: typeof payload === 'string' || payload === undefined ? payload : new Uint8Array(payload),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  return {
    hub,
    url,
    dataDir,
    configFile,
    api,
    beat: (messages, key) => api('POST', '/v1/instances/heartbeats', { body: messages, key }),
    undocumented,
    async stop() {
      await hub.stop('test done');
      await rm(dataDir, { recursive: true, force: true });
      if (undocumented.length > 0) {
        throw new Error(
          `the hub answered outside its OpenAPI document (http/schema, route docs):\n${undocumented.join('\n')}`,
        );
      }
    },
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 5000, everyMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs}ms${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A fresh PostgreSQL database for one test (created, and dropped by `drop`), so a hub under test
 * runs against the real server with nothing left behind.
 */
export async function createTempPostgresDatabase(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `hb_test_${Math.random().toString(16).slice(2, 14)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
