import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../../testing/http-receiver.js';
import { sampleMessage } from '../../../testing/sample-message.js';
import { pagerdutyNotifier, type PagerDutyConfig } from './index.js';

const logger = pino({ level: 'silent' });

describe('PagerDuty notifier (Events API v2)', () => {
  let receiver: HttpReceiver;
  let config: PagerDutyConfig;
  beforeEach(async () => {
    receiver = await startHttpReceiver();
    receiver.answer(202);
    config = {
      routingKey: 'R0UT1NG',
      url: `${receiver.url}/v2/enqueue`,
      severity: 'critical',
      source: 'hub-eu',
    };
  });
  afterEach(() => receiver.close());

  it('triggers one event per subject with a stable dedup key, and resolves with the same key', async () => {
    const notifier = pagerdutyNotifier.create(config, { name: 'pager', logger });
    await notifier.send(sampleMessage(), AbortSignal.timeout(5000));
    // Events of one message go out a few at once: compare them in dedup-key order.
    const byKey = (a: { dedup_key: string }, b: { dedup_key: string }) =>
      b.dedup_key.localeCompare(a.dedup_key);
    const triggers = receiver.requests.map((request) => request.json).sort(byKey);
    await notifier.send(sampleMessage({ kind: 'resolve' }), AbortSignal.timeout(5000));
    const resolves = receiver.requests
      .slice(2)
      .map((request) => request.json)
      .sort(byKey);
    const events = [...triggers, ...resolves];
    expect(receiver.requests.every((request) => request.path === '/v2/enqueue')).toBe(true);
    expect(events[0]).toEqual({
      routing_key: 'R0UT1NG',
      event_action: 'trigger',
      dedup_key: 'heartbeat/api-down/api.down:/orders/v1',
      payload: {
        summary: 'API /orders/v1 is DOWN',
        source: 'hub-eu',
        severity: 'critical',
        timestamp: '2026-11-21T10:00:00.000Z',
        component: '/orders/v1',
        class: 'api.down',
        custom_details: {
          rule: 'api-down',
          since: '2026-11-21T10:00:00.000Z',
          evidence: ['success ratio 40.0% over 50 requests, 30 failed', 'last failures: 503 (traffic) at …'],
        },
      },
      links: [
        { href: 'https://hub.example/apis/orders/v1', text: 'Heartbeat dashboard' },
        { href: 'https://wiki.example/orders', text: 'Runbook' },
      ],
    });
    expect(events[1]).toMatchObject({
      event_action: 'trigger',
      dedup_key: 'heartbeat/api-down/api.down:/billing/v1',
    });
    expect(events.slice(2)).toEqual([
      {
        routing_key: 'R0UT1NG',
        event_action: 'resolve',
        dedup_key: 'heartbeat/api-down/api.down:/orders/v1',
      },
      {
        routing_key: 'R0UT1NG',
        event_action: 'resolve',
        dedup_key: 'heartbeat/api-down/api.down:/billing/v1',
      },
    ]);
  });

  it('a test triggers and resolves at once, leaving no incident open', async () => {
    const notifier = pagerdutyNotifier.create(config, { name: 'pager', logger });
    await notifier.send(
      sampleMessage({ kind: 'test', items: [], total: 0, title: 'Test' }),
      AbortSignal.timeout(5000),
    );
    const [trigger, resolve] = receiver.requests.map((request) => request.json);
    expect(trigger).toMatchObject({ event_action: 'trigger', payload: { summary: 'Test' } });
    expect(resolve).toEqual({
      routing_key: 'R0UT1NG',
      event_action: 'resolve',
      dedup_key: trigger.dedup_key,
    });
  });

  it('a refused routing key is a permanent failure', async () => {
    receiver.answer(400);
    const notifier = pagerdutyNotifier.create(config, { name: 'pager', logger });
    const failure = await notifier.send(sampleMessage(), AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect((failure as { details: unknown }).details).toMatchObject({ status: 400, permanent: true });
  });
});
