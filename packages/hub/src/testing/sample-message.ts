import type { NotificationMessage } from '../notify/domain/model.js';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');

/** A realistic two-subject message, as the engine builds them. */
export function sampleMessage(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    id: `api-down/trigger/api.down:/orders/v1/${T0}`,
    kind: 'trigger',
    rule: 'api-down',
    title: '2 APIs are DOWN',
    text: '2 APIs are DOWN\n…',
    at: T0 + 60_000,
    total: 2,
    dashboardUrl: 'https://hub.example/',
    items: [
      {
        key: 'api.down:/orders/v1',
        condition: 'api.down',
        subject: { type: 'api', id: '/orders/v1', basepath: '/orders/v1', owner: 'team-a' },
        summary: 'API /orders/v1 is DOWN',
        since: T0,
        evidence: ['success ratio 40.0% over 50 requests, 30 failed', 'last failures: 503 (traffic) at …'],
        runbook: 'https://wiki.example/orders',
        url: 'https://hub.example/apis/orders/v1',
        dedupKey: 'heartbeat/api-down/api.down:/orders/v1',
      },
      {
        key: 'api.down:/billing/v1',
        condition: 'api.down',
        subject: { type: 'api', id: '/billing/v1', basepath: '/billing/v1' },
        summary: 'API /billing/v1 is DOWN',
        since: T0 + 5000,
        evidence: ['success ratio 10.0% over 20 requests, 18 failed'],
        url: 'https://hub.example/apis/billing/v1',
        dedupKey: 'heartbeat/api-down/api.down:/billing/v1',
      },
    ],
    ...overrides,
  };
}
