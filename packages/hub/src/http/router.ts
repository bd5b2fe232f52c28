import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeartbeatError } from '@heartbeat/sdk';
import type { Principal } from '../auth/api-keys.js';
import type { Scope } from '../auth/scopes.js';
import type { QueryParam } from './schema/query-param.js';
import type { JsonSchema } from './schema/schema.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route handler gets. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  principal: Principal | undefined;
}

/**
 * The `RouteContext` of one request. Its query string is parsed on first read: most requests of a
 * fleet (heartbeats, observations) have none, and no route that takes them reads it.
 */
export class RouteCall implements RouteContext {
  principal: Principal | undefined = undefined;
  #query: URLSearchParams | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly params: Record<string, string>,
    /** The URL after its `?`, or ''. */
    private readonly search: string,
  ) {}

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.search));
  }
}

/** A handler answers with a status and a JSON body, or writes the response itself (`'handled'`). */
export type RouteResult =
  | {
      status: number;
      body?: unknown;
      /** The body already serialized (cached answers); used instead of `body` when set. */
      json?: string;
      headers?: Record<string, string>;
    }
  | 'handled';

/** One documented answer of a route: JSON by default, checked against `schema` in tests. */
export interface ResponseDoc {
  description: string;
  /** The body's schema; none for a body-less answer (204, 304). */
  schema?: JsonSchema;
  /** Default `application/json`. */
  contentType?: string;
  /** Headers worth documenting, by name. */
  headers?: Record<string, string>;
}

/**
 * What a route accepts and answers, declared next to its handler: the OpenAPI document
 * (`/v1/openapi.json`) is generated from these, tests check every JSON answer against `responses`,
 * and the query parameters are read through the very objects listed in `query`.
 * Error answers (SPEC.md §6) are documented for every route; list one here only to describe it.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  tags?: readonly string[];
  /** Schemas of the path's `:name` and `*name` parameters. */
  params?: Record<string, { schema: JsonSchema; description: string }>;
  query?: ReadonlyArray<QueryParam<unknown>>;
  body?: { schema: JsonSchema; description?: string; contentType?: string };
  responses: Record<number, ResponseDoc>;
}

export interface Route {
  method: Method;
  /** `/v1/instances/:instanceId`: literal segments, `:name` parameters, and a last `*name` taking the rest of the path (with its slashes). */
  path: string;
  /** The scope a caller needs; `public` needs no key. */
  scope: Scope | 'public';
  /** Accept the key as `?key=` too (for EventSource, which cannot send headers). */
  keyInQuery?: boolean;
  /** Its OpenAPI description; a test fails for a route without one. */
  doc?: RouteDoc;
  handle(context: RouteContext): RouteResult | Promise<RouteResult>;
}

interface CompiledRoute {
  route: Route;
  segments: Array<{ literal: string } | { param: string }>;
  /** The name of a trailing `*name` segment. */
  rest: string | undefined;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/**
 * A small router: routes by segment count, literal or `:param` segments, 405 with `Allow` when only
 * the method is wrong. A route without parameters is first looked up whole, by method and path (the
 * heartbeat and observation ingest routes take every request of a fleet).
 */
export function createRouter(routes: readonly Route[]) {
  const bySize = new Map<number, CompiledRoute[]>();
  const withRest: CompiledRoute[] = [];
  /** Method → path → route, for the routes whose path has no parameter. */
  const literal = new Map<string, Map<string, Route>>();
  for (const route of routes) {
    if (!/[:*]/.test(route.path)) {
      const paths = literal.get(route.method) ?? new Map<string, Route>();
      if (!paths.has(route.path)) paths.set(route.path, route);
      literal.set(route.method, paths);
    }
    const parts = split(route.path);
    const last = parts.at(-1);
    const rest = last?.startsWith('*') ? last.slice(1) : undefined;
    const segments = (rest === undefined ? parts : parts.slice(0, -1)).map((segment) =>
      segment.startsWith(':') ? { param: segment.slice(1) } : { literal: segment },
    );
    const compiled = { route, segments, rest };
    if (rest !== undefined) {
      withRest.push(compiled);
      continue;
    }
    const list = bySize.get(segments.length) ?? [];
    list.push(compiled);
    bySize.set(segments.length, list);
  }

  return function match(method: string, path: string): RouteMatch | undefined {
    const found = literal.get(method)?.get(path);
    if (found) return { route: found, params: {} };
    const parts = split(path);
    const exact = bySize.get(parts.length);
    // Only build a combined list when a `*rest` route could also match this many segments.
    const candidates =
      withRest.length === 0
        ? exact
        : [...(exact ?? []), ...withRest.filter((c) => parts.length > c.segments.length)];
    if (!candidates || candidates.length === 0) return undefined;
    const allowed: string[] = [];
    for (const { route, segments, rest } of candidates) {
      const params: Record<string, string> = {};
      let matches = true;
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        const part = parts[i]!;
        if ('literal' in segment) {
          if (segment.literal !== part) {
            matches = false;
            break;
          }
        } else {
          try {
            params[segment.param] = decodeURIComponent(part);
          } catch {
            throw new HeartbeatError('VALIDATION_FAILED', `${segment.param} is not valid percent-encoding`, {
              field: segment.param,
            });
          }
        }
      }
      if (!matches) continue;
      if (rest !== undefined) params[rest] = `/${parts.slice(segments.length).map(decodeSegment).join('/')}`;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
      allowed.push(route.method);
    }
    if (allowed.length > 0) {
      if (allowed.includes('GET')) allowed.push('HEAD');
      throw new HeartbeatError(
        'METHOD_NOT_ALLOWED',
        `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
        {
          method,
          allowed,
        },
      );
    }
    return undefined;
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HeartbeatError('VALIDATION_FAILED', `"${segment}" is not valid percent-encoding`, {
      field: 'path',
    });
  }
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}
