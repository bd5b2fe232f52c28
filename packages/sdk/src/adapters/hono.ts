import type { MiddlewareHandler } from 'hono';
import type { Health } from '../health.js';

/**
 * Hono middleware answering every health route from the WHATWG request; other requests go on.
 *
 * @example
 * app.use(heartbeatHono(health));
 */
export function heartbeatHono(health: Health): MiddlewareHandler {
  return async function heartbeatMiddleware(context, next) {
    const response = await health.fetch(context.req.raw);
    if (response) return response;
    await next();
  };
}
