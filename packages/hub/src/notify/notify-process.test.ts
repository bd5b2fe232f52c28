/**
 * Notifications across a real `kill -9` of the hub process: what was due is delivered by the next
 * process, and a trigger is not sent twice.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpReceiver } from '../testing/http-receiver.js';
import { spawnHub, type HubProcess } from '../testing/hub-process.js';
import { eventually } from '../testing/test-hub.js';

const ADMIN_KEY = 'notify-kill-test-admin-key-0123456789';
const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function track(hub: HubProcess): HubProcess {
  cleanups.push(async () => {
    if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
    await hub.exited;
  });
  return hub;
}

async function deliveries(url: string): Promise<{ kind: string; status: string; attempts: number }[]> {
  const response = await fetch(`${url}/v1/notifications`, { headers });
  return ((await response.json()) as { deliveries: { kind: string; status: string; attempts: number }[] })
    .deliveries;
}

describe('notifications and kill -9', () => {
  it('the next process delivers what was due, and sends no trigger twice', async () => {
    const receiver = await startHttpReceiver();
    cleanups.push(() => receiver.close());
    receiver.answer(503);
    const data = await mkdtemp(join(tmpdir(), 'hb-notify-kill-'));
    cleanups.push(() => rm(data, { recursive: true, force: true }));
    const config = join(data, 'hub.yaml');
    await writeFile(
      config,
      `notifiers:
  - name: hook
    webhook: { url: ${receiver.url}/hook }
rules:
  - name: api-down
    when: api.down
    group: 0s
    notify: hook
`,
    );
    const env = { HEARTBEAT_ADMIN_KEY: ADMIN_KEY };
    const first = track(await spawnHub(['--data', data, '--config', config], env));
    await eventually(async () => (await fetch(`${first.url}/readyz`)).status === 200);
    const observations = await fetch(`${first.url}/v1/observations`, {
      method: 'POST',
      headers,
      body: JSON.stringify(
        Array.from({ length: 10 }, () => ({ basepath: '/orders/v1', statusCode: 500, durationMs: 4 })),
      ),
    });
    expect(observations.status).toBe(200);
    // The receiver refuses the first attempt: the trigger is due again, in the outbox.
    await eventually(async () => (await deliveries(first.url))[0]?.attempts === 1, { timeoutMs: 10_000 });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    receiver.answer(200);
    const second = track(await spawnHub(['--data', data, '--config', config], env));
    const delivered = await eventually(
      async () => {
        const rows = await deliveries(second.url);
        return rows[0]?.status === 'delivered' ? rows : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ kind: 'trigger', status: 'delivered', attempts: 2 });
    // The stored alert state says the trigger went out: the restarted engine does not fire it again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await deliveries(second.url)).toHaveLength(1);
    expect(receiver.requests.filter((request) => request.json?.kind === 'trigger')).toHaveLength(2);
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
