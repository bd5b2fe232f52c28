import { HeartbeatError } from '@heartbeat/sdk';
import { CONDITIONS, type NotificationKind } from '../../notify/domain/model.js';
import { NOTIFIER_TYPES } from '../../notify/notifiers/index.js';
import type { DeliveryRecord, DeliveryStatus } from '../../store/store.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { queryParam } from '../schema/query-param.js';
import { s } from '../schema/schema.js';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];
const KINDS: readonly NotificationKind[] = ['trigger', 'reminder', 'resolve', 'test'];
const MAX_TEST_BODY_BYTES = 4096;
/** The longest notifier name the test request takes, and the `notifier` and `rule` filters. */
const NAME_MAX_LENGTH = 128;

const LIMIT = queryParam.integer('limit', { min: 1, max: 500, fallback: 50 }, 'most deliveries per page');
const STATUS = queryParam.enum('status', STATUSES, 'only deliveries with this status');
const NOTIFIER = queryParam.text('notifier', NAME_MAX_LENGTH, 'only deliveries to this notifier');
const RULE = queryParam.text('rule', NAME_MAX_LENGTH, 'only deliveries of this rule (`(test)` for tests)');
const BEFORE = queryParam.integer(
  'before',
  { min: 1, max: Number.MAX_SAFE_INTEGER },
  "only deliveries with an id below this: a previous page's `next`",
);

const SUBJECT = s.object(
  {
    type: s.enum(['api', 'instance', 'service', 'hub']),
    id: s.string({ description: 'the basepath, instance id, service name, or `hub`' }),
    service: s.string(),
    basepath: s.string(),
    owner: s.string(),
    labels: s.map(s.string()),
  },
  { required: ['type', 'id'], description: 'what a condition is about' },
);

const NOTIFICATION_MESSAGE = s.named(
  'NotificationMessage',
  s.record(
    {
      id: s.string(),
      kind: s.enum(KINDS),
      rule: s.string({ description: 'the rule, or `(test)`' }),
      title: s.string(),
      text: s.string({ description: 'the whole message as plain text' }),
      at: s.integer({ description: 'when it was rendered (epoch ms)' }),
      total: s.integer({
        minimum: 0,
        description: 'how many subjects it covers; `items` lists the first 20',
      }),
      items: s.array(
        s.object(
          {
            key: s.string(),
            condition: s.enum(CONDITIONS),
            subject: SUBJECT,
            summary: s.string({ examples: ['API /orders/v1 is DOWN'] }),
            since: s.integer({ description: 'when the condition started to hold (epoch ms)' }),
            evidence: s.array(s.string()),
            runbook: s.string(),
            url: s.string({ description: "the subject's dashboard page" }),
            dedupKey: s.string({ description: 'stable for the life of the condition' }),
          },
          { required: ['key', 'condition', 'subject', 'summary', 'since', 'evidence', 'url', 'dedupKey'] },
        ),
      ),
      dashboardUrl: s.string(),
    },
    { description: 'A rendered notification, as every notifier received it' },
  ),
);

const DELIVERY = s.named(
  'Delivery',
  s.record(
    {
      id: s.integer({ minimum: 1 }),
      notifier: s.string(),
      rule: s.string({ description: 'the rule, or `(test)`' }),
      kind: s.enum(KINDS),
      title: s.string(),
      status: s.enum(STATUSES),
      attempts: s.integer({ minimum: 0 }),
      lastError: s.nullable(s.string()),
      createdAt: s.time(),
      deliveredAt: s.nullable(s.time()),
      nextAttemptAt: s.nullable(s.time({ description: 'when it is tried next; null unless pending' })),
      updatedAt: s.time(),
      message: NOTIFICATION_MESSAGE,
    },
    { description: 'One notification to one notifier, and its outcome so far' },
  ),
);

const TEST_REQUEST = s.object(
  { notifier: s.string({ minLength: 1, maxLength: NAME_MAX_LENGTH, pattern: /\S/ }) },
  { required: ['notifier'], additional: false },
);

const TEST_OUTCOME = s.object(
  {
    delivery: s.integer({ minimum: 1, description: 'the delivery id, in `GET /v1/notifications`' }),
    notifier: s.string(),
    status: s.enum(STATUSES, { description: '`pending`: no outcome within its timeout + 5 s' }),
    error: s.string({ description: 'why it failed (or will be retried); absent once delivered' }),
  },
  { required: ['delivery', 'notifier', 'status'] },
);

const MAINTENANCE_SPAN = s.record({
  name: s.string(),
  start: s.time(),
  end: s.time(),
  rules: s.array(s.string(), { description: 'the rules it silences; empty: every rule' }),
});

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
  if (typeof notifier !== 'string' || notifier.trim() === '' || notifier.length > NAME_MAX_LENGTH) {
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
      doc: {
        summary: 'List notification deliveries',
        description:
          'The delivery log: every notification queued for a notifier (tests included) and its outcome, newest first, a page at a time.',
        tags: ['notifications'],
        query: [STATUS, NOTIFIER, RULE, BEFORE, LIMIT],
        responses: {
          200: {
            description: 'A page of deliveries',
            schema: s.record({
              deliveries: s.array(DELIVERY),
              next: s.nullable(s.integer({ minimum: 1, description: 'pass as `before` for the next page' })),
            }),
          },
        },
      },
      async handle({ query }) {
        const limit = LIMIT.read(query);
        const status = STATUS.read(query);
        const notifier = NOTIFIER.read(query);
        const rule = RULE.read(query);
        const before = BEFORE.read(query);
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
      doc: {
        summary: 'Send a test notification',
        description:
          'Queues a test message to one notifier and waits for its first attempt (at most its timeout + 5 s). Changes no alert.',
        tags: ['notifications'],
        body: { schema: TEST_REQUEST },
        responses: {
          200: { description: 'How the first attempt ended', schema: TEST_OUTCOME },
          404: { description: 'No notifier with this name' },
        },
      },
      async handle({ request }) {
        const notifier = parseTestRequest(await readJsonBody(request, MAX_TEST_BODY_BYTES));
        return { status: 200, body: await hub.notifications.sendTest(notifier) };
      },
    },
    {
      method: 'GET',
      path: '/v1/notifiers',
      scope: 'read',
      doc: {
        summary: 'List notifiers',
        description: 'The configured notifiers, with the deliveries in flight to each on this hub.',
        tags: ['notifications'],
        responses: {
          200: {
            description: 'The notifiers',
            schema: s.record({
              notifiers: s.array(
                s.record({
                  name: s.string(),
                  type: s.enum(Object.keys(NOTIFIER_TYPES)),
                  timeoutMs: s.integer({ minimum: 0 }),
                  concurrency: s.integer({ minimum: 1 }),
                  inFlight: s.integer({ minimum: 0 }),
                }),
              ),
            }),
          },
        },
      },
      handle: () => ({ status: 200, body: { notifiers: hub.notifications.notifiers() } }),
    },
    {
      method: 'GET',
      path: '/v1/maintenance',
      scope: 'read',
      doc: {
        summary: 'List maintenance windows',
        description:
          'The windows open now, and the next opening of each window, soonest first; rules they name send nothing while open.',
        tags: ['notifications'],
        responses: {
          200: {
            description: 'Active and upcoming windows',
            schema: s.record({ active: s.array(MAINTENANCE_SPAN), upcoming: s.array(MAINTENANCE_SPAN) }),
          },
        },
      },
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
