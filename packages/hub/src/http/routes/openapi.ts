import { openApiDocument } from '../../openapi/openapi-document.js';
import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';
import { s } from '../schema/schema.js';

/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 document of every route in `routes` (and of itself),
 * generated once, on first request, from the routes' own declarations. Public: it describes the
 * API, not its data, and tools fetch it before they have a key.
 */
export function openApiRoutes(hub: HubContext, routes: () => readonly Route[]): Route[] {
  let cached: string | undefined;
  return [
    {
      method: 'GET',
      path: '/v1/openapi.json',
      scope: 'public',
      doc: {
        summary: 'This OpenAPI document',
        description: 'Generated from the schemas the routes validate with; open to all (it holds no data).',
        tags: ['meta'],
        responses: {
          200: { description: 'The OpenAPI 3.1 document', schema: s.object({}, { additional: true }) },
        },
      },
      handle() {
        cached ??= JSON.stringify(
          openApiDocument(routes(), { version: hub.version, routePrefix: hub.config.server.routePrefix }),
        );
        return { status: 200, json: cached, headers: { 'cache-control': 'public, max-age=300' } };
      },
    },
  ];
}
