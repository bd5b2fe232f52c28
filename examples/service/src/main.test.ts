import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findClosedPort,
  POSTGRES_URL,
  probePostgres,
  requireService,
} from '../../../packages/sdk/src/testing/services.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts the built example service on a free port and waits until it listens. */
async function startExample(env: Record<string, string>): Promise<{ base: string; child: ChildProcess }> {
  const port = await findClosedPort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`example exited with ${code}: ${output}`)));
  });
  return { base: `http://127.0.0.1:${port}`, child };
}

describe('the example service', () => {
  it('with its database unreachable: /ops/heartbeat 503 CRITICAL, /_system/check/db 500 ERROR, /readyz 503, /livez 200', async () => {
    const deadPort = await findClosedPort();
    const { base } = await startExample({
      DATABASE_URL: `postgres://orders:secret@127.0.0.1:${deadPort}/orders`,
      REDIS_URL: `redis://127.0.0.1:${await findClosedPort()}`,
    });

    const ops = await fetch(`${base}/ops/heartbeat`);
    expect(ops.status).toBe(503);
    const body = (await ops.json()) as {
      Status: string;
      Dependencies: Array<{ Status: string; URL: string }>;
    };
    expect(body.Status).toBe('ERROR');
    expect(body.Dependencies).toContainEqual(
      expect.objectContaining({ Status: 'CRITICAL', URL: `postgres://127.0.0.1:${deadPort}/orders` }),
    );

    const db = await fetch(`${base}/_system/check/db`);
    expect(db.status).toBe(500);
    expect(await db.json()).toMatchObject({
      code: 'ERROR',
      error: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });

    const ready = await fetch(`${base}/readyz?verbose`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/\[-\]db failed: .*ECONNREFUSED/);

    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/orders`)).status).toBe(200);
  });

  it('exits 0 on SIGTERM after failing readiness', async () => {
    const { child } = await startExample({
      DATABASE_URL: `postgres://127.0.0.1:${await findClosedPort()}/x`,
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

const postgresUp = await requireService('PostgreSQL', (signal) => probePostgres(POSTGRES_URL, signal));

describe.skipIf(!postgresUp)('the example service with PostgreSQL up', () => {
  it('answers /ops/heartbeat 200 OK with the database as an OK dependency', async () => {
    const { base } = await startExample({
      DATABASE_URL: POSTGRES_URL,
      REDIS_URL: `redis://127.0.0.1:${await findClosedPort()}`,
    });
    const ops = await fetch(`${base}/ops/heartbeat`);
    const body = (await ops.json()) as {
      Status: string;
      Dependencies: Array<{ Status: string; URL: string }>;
    };
    // Redis is down but not critical: the service is degraded, not failing.
    expect(ops.status).toBe(200);
    expect(body.Status).toBe('WARNING');
    expect(body.Dependencies.map((d) => d.Status).sort()).toEqual(['CRITICAL', 'OK']);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
