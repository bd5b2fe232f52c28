import { HeartbeatError } from '../errors.js';

/** Every endpoint the SDK serves. */
export type HealthEndpoint =
  'heartbeat' | 'status' | 'systemCheck' | 'opsHeartbeat' | 'health' | 'livez' | 'readyz' | 'startupz';

/** The route of each endpoint, relative to `baseRoute`; `false` switches an endpoint off. */
export type HealthRoutes = Record<HealthEndpoint, string | false>;

export const DEFAULT_ROUTES: Readonly<HealthRoutes> = {
  heartbeat: 'heartbeat',
  status: 'status',
  systemCheck: '_system/check',
  opsHeartbeat: 'ops/heartbeat',
  health: 'health',
  livez: 'livez',
  readyz: 'readyz',
  startupz: 'startupz',
};

/** Endpoints that also answer for one named check below their route (`/readyz/db`). */
const NAMED_CHECK_ENDPOINTS: ReadonlySet<HealthEndpoint> = new Set([
  'systemCheck',
  'livez',
  'readyz',
  'startupz',
]);

export interface HealthRouteOptions {
  /** A prefix for every route, as pip-services' `base_route` (default `""`). */
  baseRoute?: string;
  /** Rename (`{ heartbeat: 'ping' }`) or switch off (`{ status: false }`) any endpoint. */
  routes?: Partial<HealthRoutes>;
}

/** The routes resolved to absolute paths, ready for matching. */
export interface ResolvedRoutes {
  exact: ReadonlyMap<string, HealthEndpoint>;
  /** Prefixes (ending in `/`) under which a check name follows. */
  named: ReadonlyArray<{ prefix: string; endpoint: HealthEndpoint }>;
  /** Every served path, for adapters that register routes one by one. */
  paths: ReadonlyArray<{ path: string; endpoint: HealthEndpoint; acceptsName: boolean }>;
}

/**
 * Joins `baseRoute` and `route` with one `/`, collapsing duplicate slashes and dropping a trailing one.
 *
 * @example
 * joinRoute('/api/', '/heartbeat') // '/api/heartbeat'
 */
export function joinRoute(baseRoute: string, route: string): string {
  const joined = `/${baseRoute}/${route}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

export function resolveRoutes(options: HealthRouteOptions = {}): ResolvedRoutes {
  const baseRoute = options.baseRoute ?? '';
  const routes = { ...DEFAULT_ROUTES, ...options.routes };
  const exact = new Map<string, HealthEndpoint>();
  const named: Array<{ prefix: string; endpoint: HealthEndpoint }> = [];
  const paths: Array<{ path: string; endpoint: HealthEndpoint; acceptsName: boolean }> = [];
  for (const [endpoint, route] of Object.entries(routes) as Array<[HealthEndpoint, string | false]>) {
    if (route === false) continue;
    if (typeof route !== 'string') {
      throw new HeartbeatError('VALIDATION_FAILED', `route for ${endpoint} must be a string or false`, {
        field: `routes.${endpoint}`,
      });
    }
    const path = joinRoute(baseRoute, route);
    const taken = exact.get(path);
    if (taken) {
      throw new HeartbeatError('VALIDATION_FAILED', `${endpoint} and ${taken} both answer on ${path}`, {
        field: `routes.${endpoint}`,
        value: path,
      });
    }
    exact.set(path, endpoint);
    const acceptsName = NAMED_CHECK_ENDPOINTS.has(endpoint);
    if (acceptsName) named.push({ prefix: path === '/' ? '/' : `${path}/`, endpoint });
    paths.push({ path, endpoint, acceptsName });
  }
  // Longest prefix first, so `/readyz/` is tried before `/`.
  named.sort((a, b) => b.prefix.length - a.prefix.length);
  return { exact, named, paths };
}

/** Finds the endpoint for a path, and the check name when one follows the route. */
export function matchRoute(
  routes: ResolvedRoutes,
  path: string,
): { endpoint: HealthEndpoint; name: string | undefined } | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const endpoint = routes.exact.get(trimmed);
  if (endpoint) return { endpoint, name: undefined };
  for (const { prefix, endpoint: candidate } of routes.named) {
    if (trimmed.startsWith(prefix) && trimmed.length > prefix.length) {
      const raw = trimmed.slice(prefix.length);
      let name: string;
      try {
        name = decodeURIComponent(raw);
      } catch {
        name = raw;
      }
      return { endpoint: candidate, name };
    }
  }
  return undefined;
}
