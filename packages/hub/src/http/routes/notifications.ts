import { HeartbeatError } from '@heartbeat/sdk';
import type { DeliveryRecord, DeliveryStatus } from '../../store/store.js';
import type { HubContext } from '../hub-context.js';
import { queryEnum, queryInteger, queryText } from '../query.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];
const MAX_TEST_BODY_BYTES = 4096;

function iso(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

/** A delivery as the API shows it: times in ISO 8601, the message as it was sent. */
export function deliveryView(row: DeliveryRecord) {
  return {
    id: row.id,
    notifier: row.notifier,
    rule: row.rule,
    kind: row.kind,
    title: row.title,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: iso(row.createdAt),
    deliveredAt: iso(row.deliveredAt),
    nextAttemptAt: row.status === 'pending' ? iso(row.nextAttemptAt) : null,
    updatedAt: iso(row.updatedAt),
    message: row.message,
  };
}

/** `{ "notifier": "ops-hook" }`, and nothing else. */
function parseTestRequest(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HeartbeatError('VALIDATION_FAILED', 'send a JSON object like {"notifier": "ops-webhook"}', {
      field: '(body)',
    });
  }
  const unknown = Object.keys(body).filter((key) => key !== 'notifier');
  if (unknown.length > 0) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => JSON.stringify(key)).join(', ')}; send only "notifier"`,
      { field: unknown[0] },
    );
  }
  const { notifier } = body as { notifier?: unknown };
  if (typeof notifier !== 'string' || notifier.trim() === '' || notifier.length > 128) {
    throw new HeartbeatError('VALIDATION_FAILED', 'notifier must be the name of a notifier (a string)', {
      field: 'notifier',
    });
  }
  return notifier;
}

/**
 * The delivery log (`GET /v1/notifications`, newest first, paged by `before`), the configured
 * notifiers, maintenance windows, and "send test notification" (scope `admin`).
 */
export function notificationRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/notifications',
      scope: 'read',
      async handle({ query }) {
        const limit = queryInteger(query, 'limit', { min: 1, max: 500, fallback: 50 }) ?? 50;
        const status = queryEnum(query, 'status', STATUSES);
        const notifier = queryText(query, 'notifier', 128);
        const rule = queryText(query, 'rule', 128);
        const before = queryInteger(query, 'before', { min: 1, max: Number.MAX_SAFE_INTEGER });
        const rows = await hub.store.listDeliveries({
          limit: limit + 1,
          ...(status !== undefined && { status }),
          ...(notifier !== undefined && { notifier }),
          ...(rule !== undefined && { rule }),
          ...(before !== undefined && { beforeId: before }),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          status: 200,
          body: {
            deliveries: page.map(deliveryView),
            next: rows.length > limit && last !== undefined ? last.id : null,
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/notifications/test',
      scope: 'admin',
      async handle({ request }) {
        const notifier = parseTestRequest(await readJsonBody(request, MAX_TEST_BODY_BYTES));
        return { status: 200, body: await hub.notifications.sendTest(notifier) };
      },
    },
    {
      method: 'GET',
      path: '/v1/notifiers',
      scope: 'read',
      handle: () => ({ status: 200, body: { notifiers: hub.notifications.notifiers() } }),
    },
    {
      method: 'GET',
      path: '/v1/maintenance',
      scope: 'read',
      handle() {
        const { active, upcoming } = hub.notifications.maintenance();
        const view = (span: { name: string; start: number; end: number; rules: string[] }) => ({
          name: span.name,
          start: new Date(span.start).toISOString(),
          end: new Date(span.end).toISOString(),
          rules: span.rules,
        });
        return { status: 200, body: { active: active.map(view), upcoming: upcoming.map(view) } };
      },
    },
  ];
}
