import { HeartbeatError } from '@heartbeat/sdk';
import { API_STATUSES, type ApiDefinition } from '../../domain/api.js';
import { BASEPATH_MAX_LENGTH, BASEPATH_PATTERN, normalizeBasepath } from '../../domain/basepath.js';
import type { ApiView } from '../../registry/api-registry.js';
import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';
import { API_DETAIL, API_HEARTBEAT, API_SUMMARY, BASEPATH } from '../schema/common-schemas.js';
import { queryParam } from '../schema/query-param.js';
import { s } from '../schema/schema.js';
import { eventView } from '../views.js';

const DAY_MS = 86_400_000;

const BASEPATH_FILTER = queryParam.custom('basepath', BASEPATH, 'only this API', (query) => {
  const raw = query.get('basepath');
  return raw === null || raw === '' ? undefined : checkBasepath(raw, 'basepath');
});
const STATUS = queryParam.enum('status', API_STATUSES, 'only APIs with this status');
const SEARCH = queryParam.text('q', 256, 'case-insensitive text in the basepath, name or owner');
const LIMIT = queryParam.integer('limit', { min: 1, max: 1000, fallback: 100 }, 'most APIs per page');
const OFFSET = queryParam.integer(
  'offset',
  { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 },
  'how many to skip',
);
const DAYS = queryParam.integer(
  'days',
  { min: 1, max: 365, fallback: 1 },
  'days of history (per minute within `apiHistory.minuteRetention`, per hour before)',
);
/** The `*basepath` path parameter of `/v1/apis/…` routes. */
export const BASEPATH_PARAM = {
  schema: s.string({ pattern: /^\/?[A-Za-z0-9._~/-]*$/, maxLength: BASEPATH_MAX_LENGTH }),
  description: "the API's basepath without its first slash: `/v1/apis/orders/v1` is the API `/orders/v1`",
};

/** Reading API status: seed 001's `/v1/heartbeats`, and the fuller `/v1/apis`. */
export function apiReadRoutes(hub: HubContext): Route[] {
  const heartbeatLists = new Map<string, string>();
  return [
    {
      // Exactly as seed 001 shows it: a bare array of {basepath, status}, sorted by basepath.
      method: 'GET',
      path: '/v1/heartbeats',
      scope: 'read',
      doc: {
        summary: 'API status, as seed 001 shows it',
        description:
          'A bare array of `{basepath, status}` sorted by basepath. A basepath with no match gives `[]`.',
        tags: ['apis'],
        query: [BASEPATH_FILTER, STATUS],
        responses: { 200: { description: 'Matching APIs', schema: s.array(API_HEARTBEAT) } },
      },
      handle({ query }) {
        const basepath = BASEPATH_FILTER.read(query);
        const status = STATUS.read(query);
        if (basepath !== undefined) return { status: 200, body: hub.apis.heartbeats({ basepath, status }) };
        // A status page polled by many: the serialized list is kept until a status changes.
        const key = `${hub.apis.version}|${status ?? ''}`;
        let cached = heartbeatLists.get(key);
        if (cached === undefined) {
          if (heartbeatLists.size > 8) heartbeatLists.clear();
          cached = JSON.stringify(hub.apis.heartbeats({ status }));
          heartbeatLists.set(key, cached);
        }
        return { status: 200, json: cached };
      },
    },
    {
      method: 'GET',
      path: '/v1/apis',
      scope: 'read',
      doc: {
        summary: 'List APIs',
        description: 'Status, since when, success ratio, samples and latency over the sliding window.',
        tags: ['apis'],
        query: [STATUS, SEARCH, LIMIT, OFFSET],
        responses: {
          200: {
            description: 'A page of APIs, by basepath',
            schema: s.record({
              items: s.array(API_SUMMARY),
              total: s.integer({ minimum: 0 }),
              nextOffset: s.nullable(s.integer()),
            }),
          },
        },
      },
      handle({ query }) {
        const status = STATUS.read(query);
        const needle = SEARCH.read(query)?.toLowerCase();
        const limit = LIMIT.read(query);
        const offset = OFFSET.read(query);
        const matching = hub.apis
          .views()
          .filter(
            (view) =>
              (status === undefined || view.status === status) &&
              (needle === undefined || searchText(view.definition).includes(needle)),
          );
        const items = matching.slice(offset, offset + limit).map(apiSummary);
        return {
          status: 200,
          body: {
            items,
            total: matching.length,
            nextOffset: offset + limit < matching.length ? offset + limit : null,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/apis/*basepath',
      scope: 'read',
      doc: {
        summary: 'One API',
        description: 'Its summary, definition, recent failures, history, status timeline and Pulse results.',
        tags: ['apis'],
        params: { basepath: BASEPATH_PARAM },
        query: [DAYS],
        responses: {
          200: { description: 'The API', schema: API_DETAIL },
          404: { description: 'No API with this basepath' },
        },
      },
      async handle({ params, query }) {
        const basepath = checkBasepath(params.basepath ?? '', 'basepath');
        const view = hub.apis.view(basepath);
        if (!view) throw new HeartbeatError('NOT_FOUND', `no API with basepath ${basepath}`, { basepath });
        const now = Date.now();
        const days = DAYS.read(query);
        const [history, failures, probes, timeline] = await Promise.all([
          hub.store.listApiHistory(basepath, now - days * DAY_MS, now + 60_000),
          hub.store.listApiFailures(basepath, 20),
          hub.store.listProbeResults(basepath, 50),
          hub.store.listEvents({
            kinds: ['api.status_changed'],
            basepath,
            since: now - Math.max(days, 30) * DAY_MS,
            limit: 1000,
          }),
        ]);
        return {
          status: 200,
          body: {
            ...apiSummary(view),
            definition: definitionView(view.definition),
            lastFailures: mergeFailures(view, failures),
            history: history.map((row) => ({
              start: new Date(row.start).toISOString(),
              resolution: row.resolution,
              samples: row.total,
              failures: row.failures,
              ratio: row.total === 0 ? null : (row.total - row.failures) / row.total,
              bySource: row.bySource,
              p50Ms: row.p50Ms,
              p95Ms: row.p95Ms,
            })),
            timeline: timeline.map(eventView),
            probes: probes.map((probe) => ({ ...probe, at: new Date(probe.at).toISOString() })),
          },
        };
      },
    },
  ];
}

/** One API in a list: status, since when, ratio, samples, latency, sources. */
export function apiSummary(view: ApiView) {
  const { definition, window } = view;
  return {
    basepath: definition.basepath,
    name: definition.name ?? null,
    owner: definition.owner ?? null,
    status: view.status,
    since: new Date(view.since).toISOString(),
    ratio: view.ratio,
    samples: window.total,
    failures: window.failures,
    p50Ms: window.p50Ms,
    p95Ms: window.p95Ms,
    bySource: window.bySource,
    drivenBy: view.drivenBy,
    threshold: definition.threshold,
    minSamples: definition.minSamples,
    windowMs: definition.windowMs,
    origin: definition.origin,
    pulse: definition.pulse
      ? {
          enabled: definition.pulse.enabled,
          url: definition.pulse.url,
          intervalMs: definition.pulse.intervalMs,
        }
      : null,
    runbook: definition.runbook ?? null,
  };
}

export function definitionView(definition: ApiDefinition) {
  return {
    ...definition,
    createdAt: new Date(definition.createdAt).toISOString(),
    updatedAt: new Date(definition.updatedAt).toISOString(),
  };
}

export function checkBasepath(value: string, field: string): string {
  if (value.length > BASEPATH_MAX_LENGTH || !BASEPATH_PATTERN.test(value)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `${field} must start with / and use only letters, digits and . _ ~ / - (got ${JSON.stringify(value.slice(0, 80))})`,
      { field },
    );
  }
  return normalizeBasepath(value);
}

function searchText(definition: ApiDefinition): string {
  return [definition.basepath, definition.name, definition.owner]
    .filter(Boolean)
    .join('\u0000')
    .toLowerCase();
}

/** Recent failures from memory, topped up from the store after a restart; newest first. */
function mergeFailures(
  view: ApiView,
  stored: Array<{
    at: number;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    source: string;
  }>,
) {
  const seen = new Set(view.recentFailures.map((f) => `${f.at}|${f.statusCode}|${f.error}`));
  const all = [
    ...view.recentFailures,
    ...stored.filter((f) => !seen.has(`${f.at}|${f.statusCode}|${f.error}`)),
  ];
  return all
    .sort((a, b) => b.at - a.at)
    .slice(0, 20)
    .map((f) => ({
      at: new Date(f.at).toISOString(),
      statusCode: f.statusCode,
      error: f.error,
      durationMs: f.durationMs,
      source: f.source,
    }));
}
