import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Health, HealthRequest, HealthResponse } from '../health.js';

/** Describes a node:http request to the health handler. */
export function toHealthRequest(request: IncomingMessage): HealthRequest {
  const { headers } = request;
  return {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    header(name) {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    protocol: (request.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http',
  };
}

/** Writes a health answer to a node:http response, with its length (no chunked framing). */
export function writeHealthResponse(response: ServerResponse, answer: HealthResponse): void {
  if (answer.body !== '') answer.headers['content-length'] = String(Buffer.byteLength(answer.body));
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}

/**
 * Answers the request if it is a health route. Returns false (synchronously) when it is not, so the
 * caller can route it on; true or a promise of true when it was answered.
 */
export function handleNodeRequest(
  health: Health,
  request: IncomingMessage,
  response: ServerResponse,
  healthRequest: HealthRequest = toHealthRequest(request),
): boolean | Promise<boolean> {
  const answer = health.handle(healthRequest);
  if (answer === undefined) return false;
  if (answer instanceof Promise) {
    return answer.then((settled) => {
      writeHealthResponse(response, settled);
      return true;
    });
  }
  writeHealthResponse(response, answer);
  return true;
}

/**
 * A node:http request listener that answers health routes and hands every other request to `next`
 * (by default a JSON 404).
 *
 * @example
 * http.createServer(nodeHttpListener(health, (req, res) => app(req, res))).listen(8080);
 */
export function nodeHttpListener(health: Health, next: RequestListener = notFound): RequestListener {
  return function heartbeatListener(request, response) {
    const handled = handleNodeRequest(health, request, response);
    if (handled === false) void next(request, response);
  };
}

function notFound(request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
  response.end(
    JSON.stringify({ error: { code: 'NOT_FOUND', message: `nothing is served at ${request.url ?? '/'}` } }),
  );
}
