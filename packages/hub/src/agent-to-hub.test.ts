/**
 * End to end, with nothing stood in: the SDK's agent and the example service push to a real hub;
 * the hub's registry and events say what happened.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHealth, createHubAgent } from '@heartbeat/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { findClosedPort } from '../../sdk/src/testing/services.js';
import { eventually, startTestHub, type TestHub } from './testing/test-hub.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function hubWithIngestKey(
  overrides: Parameters<typeof startTestHub>[0] = {},
): Promise<{ hub: TestHub; key: string }> {
  const hub = await startTestHub(overrides);
  cleanups.push(() => hub.stop());
  const created = await hub.api('POST', '/v1/keys', { body: { name: 'agents', scopes: ['ingest'] } });
  return { hub, key: created.body.key as string };
}

describe('the SDK agent against a real hub', () => {
  it('registers with health and ext info, reports a health change, and says goodbye on shutdown', async () => {
    const { hub, key } = await hubWithIngestKey();
    let dbStatus: 'ok' | 'error' = 'ok';
    const health = createHealth({ service: { name: 'billing', version: '3.1.0' }, started: true });
    health.addCheck({
      name: 'db',
      cache: 0,
      run: () => (dbStatus === 'ok' ? undefined : { status: 'error', message: 'connection refused' }),
    });
    const agent = createHubAgent({
      hub: hub.url,
      key,
      service: 'billing',
      health,
      interval: '1s',
      plugins: [{ name: 'retry', version: '2.0.0' }],
    });
    let invoices = 0;
    agent.setExtInfo(() => ({ invoices: String(invoices) }));
    agent.start();
    cleanups.push(() => agent.stop({ goodbye: false }));

    const registered = await eventually(async () => {
      const answer = await hub.api('GET', `/v1/instances/${agent.instanceId}`);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(registered).toMatchObject({
      service: 'billing',
      state: 'alive',
      status: 'ok',
      version: '3.1.0',
      plugins: [{ name: 'retry', version: '2.0.0' }],
      extInfo: { invoices: '0' },
    });

    invoices = 7;
    dbStatus = 'error';
    const changed = await eventually(
      async () => {
        const events = await hub.api(
          'GET',
          `/v1/events?kind=instance.health_changed&instanceId=${agent.instanceId}`,
        );
        return events.body.items[0];
      },
      { timeoutMs: 4000 },
    );
    expect(changed.data).toMatchObject({
      from: 'ok',
      to: 'error',
      failing: [{ name: 'db', status: 'error', message: 'connection refused' }],
    });
    expect((await hub.api('GET', `/v1/instances/${agent.instanceId}`)).body.extInfo).toEqual({
      invoices: '7',
    });

    await health.shutdown('test');
    const stopped = await hub.api('GET', `/v1/instances/${agent.instanceId}`);
    expect(stopped.body.state).toBe('stopped');
    const lost = await hub.api('GET', '/v1/events?kind=instance.lost');
    expect(lost.body.items).toEqual([]);
  });

  it('keeps beating through a wrong key without throwing, and the hub says why', async () => {
    const { hub } = await hubWithIngestKey();
    const agent = createHubAgent({
      hub: hub.url,
      key: 'hb_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      service: 'x',
      interval: '1s',
    });
    const outcome = await agent.beatNow();
    expect(outcome).toMatchObject({ ok: false, statusCode: 401, code: 'UNAUTHENTICATED' });
    await agent.stop();
    expect((await hub.api('GET', '/v1/instances')).body.total).toBe(0);
  });
});

describe('the example service with HEARTBEAT_HUB', () => {
  it('appears in the hub with its checks, and is stopped — not lost — after SIGTERM', async () => {
    const { hub, key } = await hubWithIngestKey();
    const port = await findClosedPort();
    const main = fileURLToPath(new URL('../../../examples/service/dist/main.js', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: String(port),
        HEARTBEAT_HUB: hub.url,
        HEARTBEAT_KEY: key,
        HEARTBEAT_INTERVAL: '1s',
        DATABASE_URL: `postgres://127.0.0.1:${await findClosedPort()}/x`,
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    const instance = await eventually(
      async () => (await hub.api('GET', '/v1/instances?service=orders')).body.items[0],
      { timeoutMs: 10_000 },
    );
    expect(instance).toMatchObject({
      state: 'alive',
      status: 'error',
      appName: 'orders-example',
      basepaths: ['/orders'],
    });
    expect(instance.checks).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'db', status: 'error' })]),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await hub.api('GET', `/v1/instances/${instance.instanceId as string}`)).body.state).toBe(
      'stopped',
    );
  });
});
