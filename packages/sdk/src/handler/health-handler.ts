import type { CheckResult, NormalizedCheck } from '../core/check.js';
import { lifecycleProblem, type LifecycleState, type LifecycleView } from '../core/lifecycle.js';
import type { HealthRegistry } from '../core/registry.js';
import type { ServiceInfo } from '../core/service-info.js';
import type { ProbeKind } from '../core/status.js';
import { HeartbeatError, toHeartbeatError } from '../errors.js';
import { renderHealthJson } from '../formats/health-json.js';
import { renderHeartbeat } from '../formats/heartbeat.js';
import { renderProbe, renderProbeCheck, type ProbeEndpoint } from '../formats/kubernetes-probe.js';
import { renderOpsHeartbeat } from '../formats/ops-heartbeat.js';
import { buildReport, type HealthReport } from '../formats/report.js';
import { errorResponse, type HealthResponse } from '../formats/response.js';
import { renderStatusDocument } from '../formats/status-document.js';
import { renderSystemCheck, renderSystemCheckResult } from '../formats/system-check.js';
import { matchRoute, type HealthEndpoint, type ResolvedRoutes } from './routes.js';

/** A request as every adapter can describe it, without building a WHATWG `Request`. */
export interface HealthRequest {
  method: string;
  /** Path and query as sent, e.g. `/readyz?verbose`. */
  url: string;
  /** Reads a request header by its lower-case name. */
  header(name: string): string | undefined;
  /** The protocol of the connection the request came in on. */
  protocol: 'http' | 'https';
  /** The URL before a framework stripped a mount path (Express `originalUrl`); used for `URL`. */
  originalUrl?: string;
}

/** Answers a health request, or returns undefined when the path is not a health route. */
export type HealthRequestHandler = (
  request: HealthRequest,
) => HealthResponse | Promise<HealthResponse> | undefined;

export interface HealthHandlerContext {
  registry: HealthRegistry;
  routes: ResolvedRoutes;
  service: ServiceInfo;
  lifecycle: () => LifecycleState;
  now: () => number;
  /** Honour `Forwarded` / `X-Forwarded-*` when building the requested URL. */
  trustProxy: boolean;
}

const ALLOW = { allow: 'GET, HEAD' };
const PROBE_OF: Readonly<Record<ProbeEndpoint, ProbeKind>> = {
  livez: 'liveness',
  readyz: 'readiness',
  startupz: 'startup',
};

/**
 * The one health handler: every endpoint of SPEC.md §3, written once; adapters only translate.
 *
 * It answers synchronously when nothing has to run (the heartbeat, or checks served from cache), so
 * the hottest paths allocate no promise.
 */
export function createHealthHandler(context: HealthHandlerContext): HealthRequestHandler {
  const { registry, routes, service, now } = context;

  function evaluate(
    checks: readonly NormalizedCheck[],
    view: LifecycleView,
    render: (report: HealthReport) => HealthResponse,
  ): HealthResponse | Promise<HealthResponse> {
    const problem = lifecycleProblem(context.lifecycle(), view);
    const results = registry.evaluate(checks);
    const finish = (settled: CheckResult[]): HealthResponse => render(buildReport(checks, settled, problem));
    return results instanceof Promise ? results.then(finish) : finish(results);
  }

  function namedCheck(endpoint: HealthEndpoint, name: string): NormalizedCheck {
    const check = registry.get(name);
    const probe = endpoint === 'systemCheck' ? undefined : PROBE_OF[endpoint as ProbeEndpoint];
    if (check && (probe === undefined || check.probes.has(probe))) return check;
    const available = (probe ? registry.forProbe(probe) : registry.list()).map((c) => c.name);
    throw new HeartbeatError(
      'CHECK_NOT_FOUND',
      `no check named "${name}"${probe ? ` counts for ${probe}` : ''}`,
      { name, available },
    );
  }

  function answer(endpoint: HealthEndpoint, name: string | undefined, request: HealthRequest, query: string) {
    switch (endpoint) {
      case 'heartbeat':
        return renderHeartbeat(now());
      case 'systemCheck': {
        if (name === undefined) return renderSystemCheck();
        const check = namedCheck(endpoint, name);
        return evaluate([check], 'liveness', (report) => renderSystemCheckResult(report.entries[0]!.result));
      }
      case 'status':
        return evaluate(registry.list(), 'liveness', (report) =>
          renderStatusDocument(service, report, now()),
        );
      case 'health':
        return evaluate(registry.list(), 'overall', (report) => renderHealthJson(service, report, now()));
      case 'opsHeartbeat': {
        const startedAt = performance.now();
        return evaluate(registry.list(), 'overall', (report) => {
          const duration = Math.round((performance.now() - startedAt) * 1000) / 1000;
          return renderOpsHeartbeat(service, report, requestedUrl(request, context), now(), duration);
        });
      }
      case 'livez':
      case 'readyz':
      case 'startupz': {
        const params = new URLSearchParams(query);
        const verbose = isSet(params, 'verbose');
        if (name !== undefined) {
          const check = namedCheck(endpoint, name);
          return evaluate([check], 'liveness', (report) => renderProbeCheck(report.entries[0]!, verbose));
        }
        const probe = PROBE_OF[endpoint];
        const excluded = new Set(
          params
            .getAll('exclude')
            .flatMap((value) => value.split(','))
            .filter(Boolean),
        );
        const candidates = registry.forProbe(probe);
        const checks = excluded.size ? candidates.filter((check) => !excluded.has(check.name)) : candidates;
        const known = new Set(candidates.map((check) => check.name));
        const unmatchedExcludes = [...excluded].filter((excludedName) => !known.has(excludedName));
        return evaluate(checks, probe, (report) =>
          renderProbe(endpoint, report, { verbose, unmatchedExcludes }),
        );
      }
    }
  }

  return function handleHealthRequest(request) {
    const queryAt = request.url.indexOf('?');
    const path = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
    const match = matchRoute(routes, path);
    if (!match) return undefined;
    const head = request.method === 'HEAD';
    if (request.method !== 'GET' && !head) {
      return errorResponse(
        new HeartbeatError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use GET or HEAD`, {
          method: request.method,
          allowed: ['GET', 'HEAD'],
        }),
        ALLOW,
      );
    }
    let response: HealthResponse | Promise<HealthResponse>;
    try {
      response = answer(
        match.endpoint,
        match.name,
        request,
        queryAt < 0 ? '' : request.url.slice(queryAt + 1),
      );
    } catch (thrown) {
      return errorResponse(toHeartbeatError(thrown));
    }
    if (response instanceof Promise) {
      return response.then(head ? withoutBody : same, (thrown: unknown) =>
        errorResponse(toHeartbeatError(thrown)),
      );
    }
    return head ? withoutBody(response) : response;
  };
}

const same = (response: HealthResponse): HealthResponse => response;
const withoutBody = (response: HealthResponse): HealthResponse => ({ ...response, body: '' });

function isSet(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  return value !== null && value !== 'false' && value !== '0';
}

/** The absolute URL that was requested; forwarded headers count only behind a trusted proxy. */
export function requestedUrl(
  request: HealthRequest,
  context: Pick<HealthHandlerContext, 'trustProxy' | 'service'>,
): string {
  let protocol: string = request.protocol;
  let host = request.header('host');
  if (context.trustProxy) {
    const forwarded = parseForwarded(request.header('forwarded'));
    protocol = forwarded.proto ?? firstValue(request.header('x-forwarded-proto')) ?? protocol;
    host = forwarded.host ?? firstValue(request.header('x-forwarded-host')) ?? host;
  }
  if (protocol !== 'http' && protocol !== 'https') protocol = request.protocol;
  const target = request.originalUrl ?? request.url;
  // The common case needs no parser: a plain host and a path of visible ASCII are already a URI.
  if (host !== undefined && PLAIN_HOST.test(host) && PLAIN_PATH.test(target))
    return `${protocol}://${host}${target}`;
  try {
    return new URL(request.originalUrl ?? request.url, `${protocol}://${host ?? context.service.machine}`)
      .href;
  } catch {
    return new URL(request.originalUrl ?? request.url, `${protocol}://${context.service.machine}`).href;
  }
}

const PLAIN_HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

function firstValue(header: string | undefined): string | undefined {
  const first = header?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/** The first element of an RFC 7239 `Forwarded` header. */
function parseForwarded(header: string | undefined): { proto?: string; host?: string } {
  const first = header?.split(',')[0];
  if (!first) return {};
  const result: { proto?: string; host?: string } = {};
  for (const pair of first.split(';')) {
    const [key, raw] = pair.split('=');
    const value = raw?.trim().replace(/^"(.*)"$/, '$1');
    if (!key || !value) continue;
    const name = key.trim().toLowerCase();
    if (name === 'proto') result.proto = value.toLowerCase();
    if (name === 'host') result.host = value;
  }
  return result;
}
