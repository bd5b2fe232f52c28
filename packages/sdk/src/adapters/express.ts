import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Health } from '../health.js';
import { handleNodeRequest, toHealthRequest } from './node-http.js';

/** The slice of Express's types this adapter needs (Express is an optional peer dependency). */
type ExpressRequest = IncomingMessage & { originalUrl?: string };
type NextFunction = (error?: unknown) => void;

/**
 * Express middleware answering every health route; other requests go to `next()`. Mounted under a
 * path (`app.use('/ops', heartbeatExpress(health))`), routes are relative to that path.
 *
 * @example
 * app.use(heartbeatExpress(health));
 */
export function heartbeatExpress(health: Health) {
  return function heartbeatMiddleware(
    request: ExpressRequest,
    response: ServerResponse,
    next: NextFunction,
  ): void {
    const healthRequest = toHealthRequest(request);
    if (request.originalUrl !== undefined) healthRequest.originalUrl = request.originalUrl;
    const handled = handleNodeRequest(health, request, response, healthRequest);
    if (handled === false) next();
    else if (handled !== true) handled.catch(next);
  };
}
