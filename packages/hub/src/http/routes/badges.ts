import { createHash } from 'node:crypto';
import { HeartbeatError } from '@heartbeat/sdk';
import { BADGE_COLORS, formatPercent, renderBadge, uptimeColor, type Badge } from '../../badges/badge-svg.js';
import type { ApiStatus } from '../../domain/api.js';
import type { HubContext } from '../hub-context.js';
import { queryParam } from '../schema/query-param.js';
import { s } from '../schema/schema.js';
import type { Route } from '../router.js';
import { ERROR_RESPONSE } from '../schema/common-schemas.js';
import { checkBasepath } from './apis.js';

const PERIODS = { '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 } as const;
type Period = keyof typeof PERIODS;
const STATUS_COLORS: Record<ApiStatus, string> = {
  UP: BADGE_COLORS.brightgreen,
  DOWN: BADGE_COLORS.red,
  UNKNOWN: BADGE_COLORS.grey,
};
/** Uptime sums are read from the store at most this often per badge (status badges are never stale). */
const UPTIME_CACHE_MS = 30_000;
const UPTIME_CACHE_SIZE = 1000;

const PERIOD = queryParam.enum(
  'period',
  Object.keys(PERIODS) as Period[],
  'show the share of successful requests over this period instead of the current status',
);
const LABEL = queryParam.custom(
  'label',
  s.string({ maxLength: 64 }),
  "the badge's left-hand text; default the API's name (or basepath) for status, `uptime <period>` for uptime",
  (query) => {
    const label = query.get('label');
    if (label === null || label === '') return undefined;
    // eslint-disable-next-line no-control-regex -- control characters cannot be shown
    if (label.length > 64 || /[\u0000-\u001f\u007f]/.test(label) || !label.isWellFormed()) {
      throw new HeartbeatError('VALIDATION_FAILED', 'label must be at most 64 printable characters', {
        field: 'label',
      });
    }
    return label;
  },
);

/**
 * `GET /v1/badges/{basepath}.svg`: the API's status (or, with `?period=`, its uptime) as a
 * shields.io-style SVG for a README. A `read` route: open without a key only when
 * `auth.publicRead` is on. `?key=` is deliberately not accepted: a key pasted into a README's image
 * URL is a published key, and a CDN would serve the private badge to everyone. An unknown basepath
 * is a 404 JSON error, as everywhere in the API, so a typo shows as a broken image at once rather
 * than as a plausible grey badge. Cacheable for `badges.maxAge`, with an ETag for 304s.
 */
export function badgeRoutes(hub: HubContext): Route[] {
  const uptimes = new Map<string, { at: number; total: number; failures: number }>();

  async function uptime(basepath: string, period: Period, now: number) {
    const key = `${period}|${basepath}`;
    const cached = uptimes.get(key);
    if (cached && now - cached.at < UPTIME_CACHE_MS) return cached;
    const rows = await hub.store.listApiHistory(basepath, now - PERIODS[period], now + 60_000);
    let total = 0;
    let failures = 0;
    for (const row of rows) {
      total += row.total;
      failures += row.failures;
    }
    if (uptimes.size >= UPTIME_CACHE_SIZE) uptimes.clear();
    const entry = { at: now, total, failures };
    uptimes.set(key, entry);
    return entry;
  }

  return [
    {
      method: 'GET',
      path: '/v1/badges/*basepath',
      scope: 'read',
      doc: {
        summary: "An API's status or uptime as an SVG badge",
        description:
          'The path is the basepath followed by `.svg`: `/v1/badges/orders/v1.svg` for `/orders/v1`. Status: UP green, DOWN red, UNKNOWN grey. With `period`, the share of successful requests over that period. Readable without a key only when `auth.publicRead` is on.',
        tags: ['badges'],
        params: {
          basepath: {
            schema: s.string({ pattern: /^\/?[A-Za-z0-9._~/-]*\.svg$/ }),
            description:
              'the basepath without its first slash, then `.svg`: `orders/v1.svg` for `/orders/v1`',
          },
        },
        query: [PERIOD, LABEL],
        responses: {
          200: {
            description: 'The badge',
            schema: s.string(),
            contentType: 'image/svg+xml',
            headers: {
              ETag: 'the badge, as a strong validator',
              'Cache-Control': '`max-age` from `badges.maxAge`',
            },
          },
          304: { description: 'Unchanged since the `If-None-Match` ETag' },
          404: { description: 'No API with this basepath', schema: ERROR_RESPONSE },
        },
      },
      async handle({ params, query, request, response, principal }) {
        const rest = params.basepath ?? '';
        if (!rest.endsWith('.svg')) {
          throw new HeartbeatError('NOT_FOUND', `badges end in .svg: /v1/badges${rest}.svg`, { path: rest });
        }
        const basepath = checkBasepath(rest.slice(0, -4) || '/', 'basepath');
        const period = PERIOD.read(query);
        const label = LABEL.read(query);
        const view = hub.apis.view(basepath);
        if (!view) throw new HeartbeatError('NOT_FOUND', `no API with basepath ${basepath}`, { basepath });
        let badge: Badge;
        if (period === undefined) {
          badge = {
            label: label ?? view.definition.name ?? basepath,
            value: view.status,
            color: STATUS_COLORS[view.status],
          };
        } else {
          const counted = await uptime(basepath, period, Date.now());
          const percent =
            counted.total === 0 ? undefined : ((counted.total - counted.failures) / counted.total) * 100;
          badge = {
            label: label ?? `uptime ${period}`,
            value: percent === undefined ? 'no data' : formatPercent(percent),
            color: percent === undefined ? BADGE_COLORS.grey : uptimeColor(percent),
          };
        }
        const svg = renderBadge(badge);
        const etag = `"${createHash('sha1').update(svg).digest('base64url').slice(0, 22)}"`;
        const maxAge = Math.floor(hub.config.badges.maxAge / 1000);
        const headers = {
          etag,
          // A badge read with a key is that reader's; an open one may sit in any cache.
          'cache-control': `${principal ? 'private' : 'public'}, max-age=${maxAge}`,
          vary: 'authorization',
        };
        const match = request.headers['if-none-match'];
        if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
          response.writeHead(304, headers);
          response.end();
          return 'handled' as const;
        }
        response.writeHead(200, {
          ...headers,
          'content-type': 'image/svg+xml; charset=utf-8',
          'content-length': String(Buffer.byteLength(svg)),
        });
        response.end(svg);
        return 'handled' as const;
      },
    },
  ];
}
