import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POSTGRES_URL, probePostgres, requireService } from '../../../sdk/src/testing/services.js';
import { startHttpReceiver, type HttpReceiver } from '../testing/http-receiver.js';
import { createTempPostgresDatabase, eventually, startTestHub, type TestHub } from '../testing/test-hub.js';
import { verifyWebhook } from './notifiers/webhook/index.js';

/**
 * Notifications through a real hub: observations and heartbeats in through the API, notifications
 * out to real receivers on loopback, the delivery log read back through the API, and a restart on
 * the same SQLite file.
 */

const API = `apis:
  - basepath: /orders/v1
    owner: team-a
    runbook: https://wiki.example/orders
    minSamples: 5
`;

function notifierYaml(receiver: HttpReceiver, extra = ''): string {
  return `notifiers:
  - name: hook
    webhook:
      url: ${receiver.url}/hook
      secret: s3cret
${extra}`;
}

const apiDownRule = (notify = '[hook]', extra = '') => `rules:
  - name: api-down
    when: [api.down]
    group: 0s
    notify: ${notify}
${extra}`;

function outcomes(hub: TestHub, basepath: string, status: number, count: number) {
  const at = Date.now();
  return hub.api('POST', '/v1/observations', {
    body: Array.from({ length: count }, (_, i) => ({
      basepath,
      statusCode: status,
      durationMs: 5,
      timestamp: at - i,
    })),
  });
}

describe('notifications through a real hub', () => {
  let receiver: HttpReceiver;
  const hubs: TestHub[] = [];
  beforeEach(async () => {
    receiver = await startHttpReceiver();
  });
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.stop();
    await receiver.close();
  });

  async function start(yaml: string, store?: string): Promise<TestHub> {
    const hub = await startTestHub({}, { yaml, ...(store !== undefined && { store }) });
    hubs.push(hub);
    return hub;
  }

  it('an API going DOWN sends a signed trigger with its evidence, runbook and page; UP again sends the resolve', async () => {
    const hub = await start(API + notifierYaml(receiver) + apiDownRule());
    expect((await outcomes(hub, '/orders/v1', 503, 10)).status).toBe(200);
    const trigger = await eventually(() => receiver.requests[0]);
    expect(
      verifyWebhook(
        's3cret',
        {
          signature: trigger.headers['x-heartbeat-signature'] as string,
          timestamp: trigger.headers['x-heartbeat-timestamp'] as string,
        },
        trigger.body,
      ),
    ).toBe(true);
    expect(trigger.json).toMatchObject({
      kind: 'trigger',
      rule: 'api-down',
      title: 'API /orders/v1 is DOWN',
      total: 1,
      items: [
        {
          summary: 'API /orders/v1 is DOWN',
          runbook: 'https://wiki.example/orders',
          url: `${hub.url}/apis/orders/v1`,
          dedupKey: 'heartbeat/api-down/api.down:/orders/v1',
          subject: { type: 'api', id: '/orders/v1', owner: 'team-a' },
        },
      ],
    });
    const evidence = (trigger.json.items[0].evidence as string[]).join('\n');
    expect(evidence).toContain('success ratio 0.0% over 10 requests, 10 failed');
    expect(evidence).toMatch(/last failures: 503 \(traffic\)/);

    await outcomes(hub, '/orders/v1', 200, 200);
    const resolve = await eventually(() => receiver.requests[1]);
    expect(resolve.json).toMatchObject({
      kind: 'resolve',
      title: 'RESOLVED: API /orders/v1 is no longer DOWN',
    });
    expect(resolve.json.items[0].evidence[0]).toBe('now UP');

    const log = await hub.api('GET', '/v1/notifications');
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toMatchObject([
      {
        notifier: 'hook',
        rule: 'api-down',
        kind: 'resolve',
        status: 'delivered',
        attempts: 1,
        lastError: null,
      },
      { notifier: 'hook', rule: 'api-down', kind: 'trigger', status: 'delivered', attempts: 1 },
    ]);
    expect(log.body.next).toBeNull();
  });

  it('`for:` damps a flap: a DOWN shorter than `for` sends nothing, one that holds fires after it', async () => {
    const hub = await start(API + notifierYaml(receiver) + apiDownRule('[hook]', '    for: 1500ms\n'));
    const status = async () => (await hub.api('GET', '/v1/apis/orders/v1')).body?.status as string;
    await outcomes(hub, '/orders/v1', 503, 10);
    await eventually(async () => (await status()) === 'DOWN');
    await outcomes(hub, '/orders/v1', 200, 200);
    await eventually(async () => (await status()) === 'UP');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(receiver.requests).toEqual([]);
    const down = Date.now();
    await outcomes(hub, '/orders/v1', 503, 100);
    const trigger = await eventually(() => receiver.requests[0], { timeoutMs: 8000 });
    expect(trigger.at - down).toBeGreaterThanOrEqual(1400);
    expect(trigger.json.kind).toBe('trigger');
  });

  it('many instances lost at once make one grouped notification, with the failing checks', async () => {
    const yaml = `instances:
  validTime: 1s
  selfPreservation: { enabled: false }
${notifierYaml(receiver)}rules:
  - name: lost
    when: instance.lost
    group: 1500ms
    notify: hook
`;
    const hub = await start(yaml);
    const beats = Array.from({ length: 12 }, (_, i) => ({
      instanceId: `orders-${String(i).padStart(2, '0')}`,
      service: 'orders',
      status: i === 0 ? 'error' : 'ok',
      checks: i === 0 ? [{ name: 'db', status: 'error', message: 'connection refused' }] : [],
    }));
    expect((await hub.beat(beats)).status).toBe(200);
    const message = await eventually(() => receiver.requests[0], { timeoutMs: 10_000 });
    // All 12 in one message, however the leases' expiry spread over the group window.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.requests).toHaveLength(1);
    expect(message.json).toMatchObject({
      kind: 'trigger',
      rule: 'lost',
      title: '12 instances are lost',
      total: 12,
    });
    const first = message.json.items.find((item: { key: string }) => item.key === 'instance.lost:orders-00');
    expect(first.evidence).toContain('check db: error — connection refused');
    expect(first.url).toBe(`${hub.url}/instances/orders-00`);
  });

  it('a receiver that hangs holds only its own slot: the others get their message at once, and it is retried', async () => {
    const slow = await startHttpReceiver();
    slow.answer('hang');
    try {
      const yaml =
        API +
        notifierYaml(
          receiver,
          `  - name: slow
    timeout: 300ms
    concurrency: 1
    webhook: { url: ${slow.url}/hook }
`,
        ) +
        apiDownRule('[slow, hook]');
      const hub = await start(yaml);
      const started = Date.now();
      const ingest = await outcomes(hub, '/orders/v1', 503, 10);
      expect(ingest.status).toBe(200);
      await eventually(() => receiver.requests[0]);
      expect(Date.now() - started).toBeLessThan(3000);
      const failed = await eventually(
        async () => {
          const log = await hub.api('GET', '/v1/notifications?notifier=slow');
          const [row] = log.body.deliveries as {
            status: string;
            attempts: number;
            lastError: string | null;
          }[];
          return row && row.attempts >= 1 ? row : undefined;
        },
        { timeoutMs: 5000 },
      );
      expect(failed).toMatchObject({ status: 'pending' });
      expect(failed.lastError).toMatch(/no answer before the timeout/);
      // The hub's own health says so (a warning: the hub itself is fine).
      const health = await fetch(`${hub.url}/health`);
      const healthText = await health.text();
      expect(healthText).toMatch(
        /attempts to slow failed in the last 15 min, last: UNAVAILABLE: POST to 127\.0\.0\.1:\d+ failed: no answer before the timeout/,
      );
      // Ingest goes on while the receiver hangs.
      const during = Date.now();
      expect((await outcomes(hub, '/orders/v1', 503, 10)).status).toBe(200);
      expect(Date.now() - during).toBeLessThan(1000);
    } finally {
      await slow.close();
    }
  });

  it('a maintenance window silences the rules it names, and is listed', async () => {
    const now = Date.now();
    const yaml =
      API +
      notifierYaml(receiver) +
      apiDownRule() +
      `maintenance:
  - name: migration
    start: ${new Date(now - 3_600_000).toISOString()}
    end: ${new Date(now + 3_600_000).toISOString()}
    rules: [api-down]
  - name: nightly
    schedule: "0 3 * * *"
    duration: 30m
    timeZone: Europe/Paris
`;
    const hub = await start(yaml);
    await outcomes(hub, '/orders/v1', 503, 10);
    await eventually(async () => (await hub.api('GET', '/v1/apis/orders/v1')).body?.status === 'DOWN');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.requests).toEqual([]);
    const windows = await hub.api('GET', '/v1/maintenance');
    expect(windows.status).toBe(200);
    expect(windows.body.active).toEqual([
      {
        name: 'migration',
        start: new Date(now - 3_600_000).toISOString(),
        end: new Date(now + 3_600_000).toISOString(),
        rules: ['api-down'],
      },
    ]);
    expect(windows.body.upcoming.map((w: { name: string }) => w.name)).toContain('nightly');
  });

  it('sends a test notification and answers with its outcome; refuses bad requests with the JSON error shape', async () => {
    const hub = await start(notifierYaml(receiver));
    const sent = await hub.api('POST', '/v1/notifications/test', { body: { notifier: 'hook' } });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ notifier: 'hook', status: 'delivered' });
    expect(receiver.requests[0]!.json).toMatchObject({
      kind: 'test',
      title: 'Test notification from Heartbeat to hook',
    });

    receiver.answer(500);
    const failing = await hub.api('POST', '/v1/notifications/test', { body: { notifier: 'hook' } });
    expect(failing.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/HTTP 500/) });

    const unknown = await hub.api('POST', '/v1/notifications/test', { body: { notifier: 'hok' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no notifier named "hok"; did you mean hook?',
    });
    for (const [body, code, status] of [
      [{ notifier: 'hook', extra: 1 }, 'VALIDATION_FAILED', 400],
      [{ notifier: 42 }, 'VALIDATION_FAILED', 400],
      [[], 'VALIDATION_FAILED', 400],
    ] as const) {
      const answer = await hub.api('POST', '/v1/notifications/test', { body });
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
    }
    const malformed = await hub.api('POST', '/v1/notifications/test', { raw: '{"notifier":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_JSON');
    const huge = await hub.api('POST', '/v1/notifications/test', {
      raw: JSON.stringify({ notifier: 'x'.repeat(10_000) }),
    });
    expect(huge.status).toBe(413);
    expect(
      (await hub.api('POST', '/v1/notifications/test', { body: { notifier: 'hook' }, key: null })).status,
    ).toBe(401);

    const badQuery = await hub.api('GET', '/v1/notifications?status=lost');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.message).toMatch(/status must be one of pending, delivered, failed/);
    expect((await hub.api('GET', '/v1/notifications?limit=0')).status).toBe(400);
    const page = await hub.api('GET', '/v1/notifications?limit=1');
    expect(page.body.deliveries).toHaveLength(1);
    expect(page.body.deliveries[0]).toMatchObject({ kind: 'test', status: 'failed', attempts: 1 });
    const rest = await hub.api('GET', `/v1/notifications?limit=1&before=${String(page.body.next)}`);
    expect(rest.body.deliveries[0]).toMatchObject({ kind: 'test', status: 'delivered' });
    const notifiers = await hub.api('GET', '/v1/notifiers');
    expect(notifiers.body.notifiers).toEqual([
      { name: 'hook', type: 'webhook', timeoutMs: 10_000, concurrency: 4, inFlight: 0 },
    ]);
  });

  it('applies changed notifiers and rules on reload, without a restart', async () => {
    const hub = await start(API);
    await outcomes(hub, '/orders/v1', 503, 10);
    await eventually(async () => (await hub.api('GET', '/v1/apis/orders/v1')).body?.status === 'DOWN');
    expect((await hub.api('GET', '/v1/notifiers')).body.notifiers).toEqual([]);
    await writeFile(hub.configFile!, API + notifierYaml(receiver) + apiDownRule());
    await hub.hub.reloadConfig();
    expect((await hub.api('GET', '/v1/notifiers')).body.notifiers).toMatchObject([
      { name: 'hook', type: 'webhook' },
    ]);
    // The API was DOWN before the rule existed: the new rule covers it at once.
    const trigger = await eventually(() => receiver.requests[0]);
    expect(trigger.json).toMatchObject({ kind: 'trigger', rule: 'api-down' });
  });

  it('a restart on the same SQLite file neither re-sends what was delivered nor forgets what is due', async () => {
    const first = await start(API + notifierYaml(receiver) + apiDownRule());
    const db = join(first.dataDir, 'heartbeat.db');
    await outcomes(first, '/orders/v1', 503, 10);
    await eventually(() => receiver.requests[0]);
    await first.hub.stop('restart');

    // The same file: the trigger is not sent again (the alert state says it fired).
    receiver.answer(500);
    const second = await start(API + notifierYaml(receiver) + apiDownRule(), db);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.requests).toHaveLength(1);
    // UP: the resolve is due, but the receiver fails; it stays queued across another restart.
    await outcomes(second, '/orders/v1', 200, 200);
    await eventually(() => receiver.requests[1]);
    await second.hub.stop('restart');
    expect(receiver.requests.map((request) => request.json.kind)).toEqual(['trigger', 'resolve']);

    receiver.answer(200);
    const third = await start(API + notifierYaml(receiver) + apiDownRule(), db);
    const log = await eventually(
      async () => {
        const answer = await third.api('GET', '/v1/notifications');
        const [row] = answer.body.deliveries as { kind: string; status: string; attempts: number }[];
        return row?.status === 'delivered' ? answer.body.deliveries : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(log[0]).toMatchObject({ kind: 'resolve', status: 'delivered' });
    expect(log[0].attempts).toBeGreaterThanOrEqual(2);
    expect(receiver.requests.filter((request) => request.json.kind === 'trigger')).toHaveLength(1);
  });
});

const postgresUp = await requireService('PostgreSQL', (signal) => probePostgres(POSTGRES_URL, signal));

describe.skipIf(!postgresUp)('notifications through a real hub on PostgreSQL', () => {
  it('sends the trigger and the resolve once each, with the outbox and alert states in PostgreSQL', async () => {
    const receiver = await startHttpReceiver();
    const database = await createTempPostgresDatabase(POSTGRES_URL);
    const hub = await startTestHub(
      {},
      { yaml: API + notifierYaml(receiver) + apiDownRule(), store: database.url },
    );
    try {
      await outcomes(hub, '/orders/v1', 503, 10);
      await eventually(() => receiver.requests[0]);
      await outcomes(hub, '/orders/v1', 200, 200);
      await eventually(() => receiver.requests[1]);
      expect(receiver.requests.map((request) => request.json.kind)).toEqual(['trigger', 'resolve']);
      const log = await eventually(async () => {
        const answer = await hub.api('GET', '/v1/notifications?status=delivered');
        return answer.body.deliveries.length === 2 ? answer.body.deliveries : undefined;
      });
      expect(log[1].message).toMatchObject({ kind: 'trigger', items: [{ key: 'api.down:/orders/v1' }] });
    } finally {
      await hub.stop();
      await receiver.close();
      await database.drop();
    }
  });
});
