import { API_STATUSES, type ApiStatus } from '../../domain/api.js';
import { EVENT_KINDS, type StoredEvent } from '../../domain/events.js';
import { INSTANCE_ID_PATTERN } from '../../domain/heartbeat-message.js';
import { HeartbeatError } from '@heartbeat/sdk';
import type { ApiView } from '../../registry/api-registry.js';
import type { ApiHistoryRecord } from '../../store/store.js';
import type { HubContext } from '../hub-context.js';
import { queryEnum, queryEnumList, queryInteger, queryText } from '../query.js';
import type { Route } from '../router.js';
import { eventView } from '../views.js';
import { apiSummary } from './apis.js';

const HOUR_MS = 3_600_000;
const BAR_HOURS = 24;

export const API_SORT_KEYS = ['basepath', 'name', 'status', 'since', 'ratio', 'samples', 'p95'] as const;
type ApiSortKey = (typeof API_SORT_KEYS)[number];

/** Worst first: what an operator looks at first when sorting by status. */
const STATUS_RANK: Record<ApiStatus, number> = { DOWN: 0, UNKNOWN: 1, UP: 2 };

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
      async handle({ query }) {
        const status = queryEnum(query, 'status', API_STATUSES);
        const needle = queryText(query, 'q')?.toLowerCase();
        const sort = queryEnum(query, 'sort', API_SORT_KEYS) ?? 'status';
        const order = queryEnum(query, 'order', ['asc', 'desc'] as const) ?? 'asc';
        const limit = queryInteger(query, 'limit', { min: 1, max: 500, fallback: 50 })!;
        const offset = queryInteger(query, 'offset', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 })!;
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
      async handle({ query }) {
        const limit = queryInteger(query, 'limit', { min: 1, max: 500, fallback: 50 })!;
        const before = queryInteger(query, 'before', { min: 1, max: Number.MAX_SAFE_INTEGER });
        const kinds = queryEnumList(query, 'kind', EVENT_KINDS);
        const instanceId = queryText(query, 'instanceId', 128);
        if (instanceId !== undefined && !INSTANCE_ID_PATTERN.test(instanceId)) {
          throw new HeartbeatError('VALIDATION_FAILED', 'instanceId has characters no instance id can have', {
            field: 'instanceId',
          });
        }
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
