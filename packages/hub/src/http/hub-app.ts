import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { handleNodeRequest, HeartbeatError, toHeartbeatError, type Health } from '@heartbeat/sdk';
import type { Principal } from '../auth/api-keys.js';
import type { Scope } from '../auth/scopes.js';
import { createDashboardAssets } from './dashboard-assets.js';
import type { HubContext } from './hub-context.js';
import { RECEIVED_JSON } from './request-body.js';
import { sendError, sendJson, sendJsonText, sendNoContent } from './respond.js';
import { createRouter, RouteCall, type Route, type RouteResult } from './router.js';
import { apiAdminRoutes } from './routes/api-admin.js';
import { apiReadRoutes } from './routes/apis.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { hubStatusRoutes } from './routes/hub-status.js';
import { instanceRoutes } from './routes/instances.js';
import { tracesRoute } from '../otlp/traces-route.js';
import { keyRoutes } from './routes/keys.js';
import { notificationRoutes } from './routes/notifications.js';
import { observationRoutes } from './routes/observations.js';
import { serviceRoutes } from './routes/services.js';
import { metricsRoutes } from './routes/metrics.js';
import { badgeRoutes } from './routes/badges.js';
import { openApiRoutes } from './routes/openapi.js';

/** Every route of the hub's API, in one list. */
export function hubRoutes(hub: HubContext): Route[] {
  const routes: Route[] = [
    ...instanceRoutes(hub),
    ...serviceRoutes(hub),
    ...observationRoutes(hub),
    tracesRoute({
      resolveBasepath: (path) => hub.apis.resolveBasepath(path),
      ingest: (observations) => {
        const counted = hub.apis.ingest(observations);
        if (counted.accepted > 0) hub.metrics.observations.inc(['otlp', 'accepted'], counted.accepted);
        if (counted.rejected > 0) hub.metrics.observations.inc(['otlp', 'rejected'], counted.rejected);
        return counted.stored;
      },
      maxBodyBytes: hub.config.ingest.maxBodyBytes * 4,
    }),
    ...apiReadRoutes(hub),
    ...apiAdminRoutes(hub),
    ...eventRoutes(hub),
    ...keyRoutes(hub),
    ...notificationRoutes(hub),
    ...hubStatusRoutes(hub),
    ...dashboardRoutes(hub),
    ...metricsRoutes(hub),
    ...badgeRoutes(hub),
    ...openApiRoutes(hub, () => routes),
  ];
  return routes;
}

/**
 * The hub's request listener: its own health endpoints (through the SDK) at the root, then the
 * API under `server.routePrefix`, each route behind its scope. Errors are the JSON shape of SPEC.md §6.
 */
export function createHubListener(hub: HubContext, health: Health): RequestListener {
  const match = createRouter(hubRoutes(hub));
  const prefix = hub.config.server.routePrefix.replace(/\/+$/, '');
  // The dashboard's pages and assets at / (outside the prefix, like the hub's own health endpoints).
  const dashboard = createDashboardAssets({ apiPrefix: prefix });

  /** The last `Authorization` header read and its key: an agent sends the same one with every beat. */
  let lastAuthorization: { header: string; token: string | undefined } | undefined;

  /** The key of an `Authorization: Bearer <key>` header; undefined when the header is not that. */
  function bearerToken(header: string): string | undefined {
    if (lastAuthorization?.header === header) return lastAuthorization.token;
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    lastAuthorization = { header, token };
    return token;
  }

  /** The caller's principal; a promise only when the key must be looked up (not verified in the last 10 s). */
  function authorize(
    request: IncomingMessage,
    route: Route,
    call: RouteCall,
  ): Principal | undefined | Promise<Principal | undefined> {
    if (route.scope === 'public') return undefined;
    const header = request.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) {
      token = bearerToken(header);
      if (token === undefined)
        throw new HeartbeatError('UNAUTHENTICATED', 'send the key as "Authorization: Bearer <key>"');
    } else if (route.keyInQuery) {
      token = call.query.get('key') ?? undefined;
    }
    // Read per request: auth.publicRead can be changed by a configuration reload.
    const { publicRead } = hub.config.auth;
    if (token === undefined) {
      if (route.scope === 'read' && publicRead) return undefined;
      throw new HeartbeatError(
        'UNAUTHENTICATED',
        `this needs a key with the ${route.scope} scope: send "Authorization: Bearer <key>"`,
        {
          scope: route.scope,
        },
      );
    }
    const { scope } = route;
    const known = hub.keys.verifiedRecently(token);
    if (known) return permit(known, scope, publicRead);
    return hub.keys.authenticate(token).then((principal) => permit(principal, scope, publicRead));
  }

  /** The principal if its key is known and has the scope (or the route is a read and reads are public). */
  function permit(principal: Principal | undefined, scope: Scope, publicRead: boolean): Principal {
    if (!principal) {
      throw new HeartbeatError(
        'UNAUTHENTICATED',
        'the key is unknown or revoked; create one with `heartbeat keys create`',
      );
    }
    if (!principal.scopes.has(scope) && !(scope === 'read' && publicRead)) {
      throw new HeartbeatError('FORBIDDEN', `the key "${principal.name}" lacks the ${scope} scope`, {
        scope,
        has: [...principal.scopes],
      });
    }
    return principal;
  }

  /** Counts an answered request by its route's template (never the URL: that would be unbounded). */
  function count(request: IncomingMessage, response: ServerResponse, route: Route | undefined): void {
    hub.metrics.httpRequests.inc([
      request.method ?? 'GET',
      route?.path ?? '(unmatched)',
      String(response.statusCode),
    ]);
  }

  /**
   * Answers one request that is not a health check — a dashboard file or an API call, errors
   * included — and counts it. Never rejects.
   */
  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let route: Route | undefined;
    try {
      const url = request.url ?? '/';
      const queryAt = url.indexOf('?');
      let path = queryAt < 0 ? url : url.slice(0, queryAt);
      if (dashboard.serve(request, response, path)) return;
      if (prefix) {
        if (path !== prefix && !path.startsWith(`${prefix}/`)) throw notFound(path);
        path = path.slice(prefix.length) || '/';
      }
      const found = match(request.method ?? 'GET', path);
      if (!found) throw notFound(path);
      route = found.route;
      if (hub.responseCheck)
        (request as IncomingMessage & { [RECEIVED_JSON]?: unknown })[RECEIVED_JSON] = undefined;
      const call = new RouteCall(request, response, found.params, queryAt < 0 ? '' : url.slice(queryAt + 1));
      const authorized = authorize(request, route, call);
      call.principal = authorized instanceof Promise ? await authorized : authorized;
      const result: RouteResult = await route.handle(call);
      if (result === 'handled') return;
      if (hub.responseCheck) {
        hub.responseCheck(
          route,
          result.status,
          result.json !== undefined ? (JSON.parse(result.json) as unknown) : result.body,
          (request as IncomingMessage & { [RECEIVED_JSON]?: unknown })[RECEIVED_JSON],
        );
      }
      if (result.status === 204) sendNoContent(response, result.headers);
      else if (result.json !== undefined) sendJsonText(response, result.status, result.json, result.headers);
      else sendJson(response, result.status, result.body, result.headers);
    } catch (thrown) {
      if (hub.responseCheck && !response.headersSent) {
        const error = toHeartbeatError(thrown);
        hub.responseCheck(route, error.httpStatus, error.toBody(), undefined);
      }
      sendError(response, thrown, hub.logger, { method: request.method, url: request.url });
    } finally {
      count(request, response, route);
    }
  }

  // The hub's own health routes (/livez, /readyz, /ops/heartbeat, …) are never under the API's /v1/.
  const apiRoot = `${prefix}/v1/`;

  return function hubListener(request, response) {
    if (request.url?.startsWith(apiRoot)) {
      void serve(request, response);
      return;
    }
    const handled = handleNodeRequest(health, request, response);
    if (handled !== false) {
      if (handled !== true) handled.catch((thrown: unknown) => sendError(response, thrown, hub.logger));
      return;
    }
    void serve(request, response);
  };
}

function notFound(path: string): HeartbeatError {
  return new HeartbeatError('NOT_FOUND', `nothing is served at ${path}; the API lives under /v1/`, { path });
}
