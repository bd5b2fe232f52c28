import { API_STATUSES, type ApiStatus } from '../../domain/api.js';
import { EVENT_KINDS, type StoredEvent } from '../../domain/events.js';
import { INSTANCE_ID_PATTERN } from '../../domain/heartbeat-message.js';
import { INSTANCE_STATES } from '../../domain/instance.js';
import { HeartbeatError } from '@heartbeat/sdk';
import type { ApiView } from '../../registry/api-registry.js';
import type { ApiHistoryRecord } from '../../store/store.js';
import type { HubContext } from '../hub-context.js';
import { queryText } from '../query.js';
import type { Route } from '../router.js';
import { API_SUMMARY_FIELDS, EVENT } from '../schema/common-schemas.js';
import { queryParam } from '../schema/query-param.js';
import { s } from '../schema/schema.js';
import { eventView } from '../views.js';
import { apiSummary } from './apis.js';

const HOUR_MS = 3_600_000;
const BAR_HOURS = 24;

export const API_SORT_KEYS = ['basepath', 'name', 'status', 'since', 'ratio', 'samples', 'p95'] as const;
type ApiSortKey = (typeof API_SORT_KEYS)[number];

/** Worst first: what an operator looks at first when sorting by status. */
const STATUS_RANK: Record<ApiStatus, number> = { DOWN: 0, UNKNOWN: 1, UP: 2 };

const API_STATUS = queryParam.enum('status', API_STATUSES, 'only APIs with this status');
const API_SEARCH = queryParam.text('q', 256, 'case-insensitive text in the basepath or name');
const API_SORT = queryParam.enum(
  'sort',
  API_SORT_KEYS,
  'sort key (default `status`, worst first); ties by basepath, ascending; APIs without samples last',
);
const API_ORDER = queryParam.enum('order', ['asc', 'desc'] as const, 'sort order (default `asc`)');
const API_LIMIT = queryParam.integer('limit', { min: 1, max: 500, fallback: 50 }, 'most APIs per page');
const API_OFFSET = queryParam.integer(
  'offset',
  { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 },
  'how many to skip',
);
const EVENT_LIMIT = queryParam.integer('limit', { min: 1, max: 500, fallback: 50 }, 'most events per page');
const EVENT_BEFORE = queryParam.integer(
  'before',
  { min: 1, max: Number.MAX_SAFE_INTEGER },
  "only events before this id: a previous page's `nextBefore`",
);
const EVENT_KIND = queryParam.enumList('kind', EVENT_KINDS, 'only events of these kinds');
const EVENT_INSTANCE = queryParam.custom(
  'instanceId',
  s.string({ pattern: INSTANCE_ID_PATTERN, maxLength: 128 }),
  "only this instance's events",
  (query) => {
    const instanceId = queryText(query, 'instanceId', 128);
    if (instanceId !== undefined && !INSTANCE_ID_PATTERN.test(instanceId)) {
      throw new HeartbeatError('VALIDATION_FAILED', 'instanceId has characters no instance id can have', {
        field: 'instanceId',
      });
    }
    return instanceId;
  },
);

const count = s.integer({ minimum: 0 });

const OVERVIEW = s.named(
  'DashboardOverview',
  s.record({
    apis: s.record(
      { total: count, ...Object.fromEntries(API_STATUSES.map((status) => [status, count])) },
      { description: 'APIs by status' },
    ),
    instances: s.record(
      {
        total: count,
        ...Object.fromEntries(INSTANCE_STATES.map((state) => [state, count])),
        unconfirmed: s.integer({
          minimum: 0,
          description: 'alive instances kept by self-preservation without a recent beat',
        }),
      },
      { description: 'instances by state' },
    ),
    services: s.integer({ minimum: 0, description: 'distinct services with an instance' }),
    servicesByState: s.record(
      {
        up: s.integer({ minimum: 0, description: 'every instance not stopped is alive' }),
        degraded: s.integer({ minimum: 0, description: 'some alive, some lost' }),
        down: s.integer({ minimum: 0, description: 'instances lost, none alive' }),
        idle: s.integer({ minimum: 0, description: 'only stopped instances' }),
      },
      { description: 'services by the state of their instances' },
    ),
    applications: s.integer({
      minimum: 0,
      description: 'distinct applications (`appName`, else the service)',
    }),
  }),
);

const STATUS_BAR_SLOT = s.record({
  start: s.time({ description: 'the start of the hour' }),
  samples: count,
  failures: count,
  status: s.nullable(
    s.enum(API_STATUSES, { description: "what the hour's outcomes amount to under the API's rules" }),
  ),
});

const DASHBOARD_API = s.named(
  'DashboardApi',
  s.record({
    ...API_SUMMARY_FIELDS,
    bar: s.array(STATUS_BAR_SLOT, {
      minItems: BAR_HOURS,
      maxItems: BAR_HOURS,
      description: 'the last 24 hours, oldest first, one slot per hour; `status` null without samples',
    }),
  }),
);

/**
 * What the dashboard reads in one request per screen, beyond the resource routes: the counts of the
 * overview, an API table sorted on the server with each row's 24-hour status bar, and the event log
 * newest first.
 */
export function dashboardRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/dashboard/overview',
      scope: 'read',
      doc: {
        summary: 'Dashboard overview counts',
        description:
          'APIs by status, instances by state, services (and how many are up, degraded, down or idle) and applications, in one request.',
        tags: ['dashboard'],
        responses: { 200: { description: 'The counts', schema: OVERVIEW } },
      },
      handle() {
        const apis: Record<ApiStatus | 'total', number> = { total: 0, UP: 0, DOWN: 0, UNKNOWN: 0 };
        for (const { status } of hub.apis.heartbeats({})) {
          apis[status]++;
          apis.total++;
        }
        const instances = { total: 0, alive: 0, lost: 0, stopped: 0, unconfirmed: 0 };
        // Per service: how many alive and lost, to say which services are whole, degraded or down.
        const services = new Map<string, { alive: number; lost: number }>();
        const applications = new Set<string>();
        for (const record of hub.registry.all()) {
          instances.total++;
          instances[record.state]++;
          if (record.unconfirmed) instances.unconfirmed++;
          let service = services.get(record.service);
          if (!service) services.set(record.service, (service = { alive: 0, lost: 0 }));
          if (record.state === 'alive') service.alive++;
          else if (record.state === 'lost') service.lost++;
          applications.add(record.message.appName ?? record.service);
        }
        return {
          status: 200,
          body: {
            apis,
            instances,
            services: services.size,
            servicesByState: servicesByState(services.values()),
            applications: applications.size,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/dashboard/apis',
      scope: 'read',
      doc: {
        summary: 'Dashboard API table',
        description:
          'APIs filtered, sorted on the server and paged, each with its summary and a 24-hour status bar from its history.',
        tags: ['dashboard'],
        query: [API_STATUS, API_SEARCH, API_SORT, API_ORDER, API_LIMIT, API_OFFSET],
        responses: {
          200: {
            description: 'A page of APIs',
            schema: s.record({
              items: s.array(DASHBOARD_API),
              total: s.integer({ minimum: 0, description: 'how many match, on every page' }),
              nextOffset: s.nullable(s.integer({ minimum: 0 })),
            }),
          },
        },
      },
      async handle({ query }) {
        const status = API_STATUS.read(query);
        const needle = API_SEARCH.read(query)?.toLowerCase();
        const sort = API_SORT.read(query) ?? 'status';
        const order = API_ORDER.read(query) ?? 'asc';
        const limit = API_LIMIT.read(query);
        const offset = API_OFFSET.read(query);
        const matching = hub.apis
          .views()
          .filter(
            (view) =>
              (status === undefined || view.status === status) &&
              (needle === undefined ||
                view.definition.basepath.toLowerCase().includes(needle) ||
                (view.definition.name?.toLowerCase().includes(needle) ?? false)),
          );
        const compare = comparator(sort, order === 'asc' ? 1 : -1);
        // Ties always by basepath, ascending, whatever the order: pages stay stable.
        matching.sort((a, b) => compare(a, b) || byBasepath(a, b));
        const page = matching.slice(offset, offset + limit);
        const now = Date.now();
        const from = now - (now % HOUR_MS) - (BAR_HOURS - 1) * HOUR_MS;
        const histories = await Promise.all(
          page.map((view) => hub.store.listApiHistory(view.definition.basepath, from, now + 60_000)),
        );
        return {
          status: 200,
          body: {
            items: page.map((view, i) => ({
              ...apiSummary(view),
              bar: statusBar(view, histories[i]!, from),
            })),
            total: matching.length,
            nextOffset: offset + limit < matching.length ? offset + limit : null,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/dashboard/events',
      scope: 'read',
      doc: {
        summary: 'Dashboard event log',
        description: 'Instance and API events, newest first, a page at a time going back.',
        tags: ['dashboard'],
        query: [EVENT_BEFORE, EVENT_KIND, EVENT_INSTANCE, EVENT_LIMIT],
        responses: {
          200: {
            description: 'A page of events, newest first',
            schema: s.record({
              items: s.array(EVENT),
              nextBefore: s.nullable(
                s.integer({ minimum: 1, description: 'pass as `before` for the next (older) page' }),
              ),
            }),
          },
        },
      },
      async handle({ query }) {
        const limit = EVENT_LIMIT.read(query);
        const before = EVENT_BEFORE.read(query);
        const kinds = EVENT_KIND.read(query);
        const instanceId = EVENT_INSTANCE.read(query);
        const { items, more } = await latestEvents(hub, { limit, before, kinds, instanceId });
        const last = items.at(-1);
        return {
          status: 200,
          body: { items: items.map(eventView), nextBefore: more && last ? last.id : null },
        };
      },
    },
  ];
}

/**
 * `up`: every instance that has not said goodbye is alive; `degraded`: some alive, some lost;
 * `down`: instances lost and none alive; `idle`: only stopped instances.
 */
function servicesByState(services: Iterable<{ alive: number; lost: number }>) {
  const counts = { up: 0, degraded: 0, down: 0, idle: 0 };
  for (const { alive, lost } of services) {
    if (alive > 0) counts[lost > 0 ? 'degraded' : 'up']++;
    else counts[lost > 0 ? 'down' : 'idle']++;
  }
  return counts;
}

function byBasepath(a: ApiView, b: ApiView): number {
  const x = a.definition.basepath;
  const y = b.definition.basepath;
  return x < y ? -1 : x > y ? 1 : 0;
}

function comparator(sort: ApiSortKey, direction: 1 | -1): (a: ApiView, b: ApiView) => number {
  // Missing values (no samples yet) sort last in either order.
  const numeric = (pick: (view: ApiView) => number | null) => (a: ApiView, b: ApiView) => {
    const x = pick(a);
    const y = pick(b);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return x < y ? -direction : direction;
  };
  switch (sort) {
    case 'basepath':
      return (a, b) => direction * byBasepath(a, b);
    case 'name':
      return (a, b) => direction * (a.definition.name ?? '').localeCompare(b.definition.name ?? '');
    case 'status':
      return (a, b) => direction * (STATUS_RANK[a.status] - STATUS_RANK[b.status]);
    case 'since':
      return numeric((view) => view.since);
    case 'ratio':
      return numeric((view) => view.ratio);
    case 'samples':
      return numeric((view) => view.window.total);
    case 'p95':
      return numeric((view) => view.window.p95Ms);
  }
}

/** One slot per hour of the last 24: outcomes, failures and the status they amount to under the API's rules. */
function statusBar(view: ApiView, history: readonly ApiHistoryRecord[], from: number) {
  const slots = Array.from({ length: BAR_HOURS }, (_, i) => ({
    samples: 0,
    failures: 0,
    start: from + i * HOUR_MS,
  }));
  for (const row of history) {
    const slot = slots[Math.floor((row.start - from) / HOUR_MS)];
    if (!slot) continue;
    slot.samples += row.total;
    slot.failures += row.failures;
  }
  const { threshold, minSamples } = view.definition;
  return slots.map(({ start, samples, failures }) => ({
    start: new Date(start).toISOString(),
    samples,
    failures,
    status:
      samples === 0
        ? null
        : samples < minSamples
          ? 'UNKNOWN'
          : (samples - failures) / samples >= threshold
            ? 'UP'
            : 'DOWN',
  }));
}

/**
 * The newest events first, below `before`: the store reads oldest first from a position, so read
 * windows of ids backwards, each at most as many rows as ids in it, widening until enough match.
 */
async function latestEvents(
  hub: HubContext,
  filter: { limit: number; before?: number; kinds?: StoredEvent['kind'][]; instanceId?: string },
): Promise<{ items: StoredEvent[]; more: boolean }> {
  let high = (filter.before ?? (await hub.store.lastEventId()) + 1) - 1;
  let width = Math.max(filter.limit * 2, 256);
  const found: StoredEvent[] = [];
  let scanned = 0;
  while (found.length < filter.limit && high > 0 && scanned < 2_000_000) {
    const low = Math.max(0, high - width);
    const rows = await hub.store.listEvents({
      afterId: low,
      kinds: filter.kinds,
      instanceId: filter.instanceId,
      limit: high - low,
    });
    for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.id <= high) found.push(rows[i]!);
    scanned += high - low;
    high = low;
    width *= 4;
  }
  return { items: found.slice(0, filter.limit), more: found.length > filter.limit || high > 0 };
}
