import { HeartbeatError } from '@heartbeat/sdk';
import { parseApiDeclaration } from '../../config/api-declaration.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { checkBasepath, definitionView } from './apis.js';

const MAX_DECLARATION_BYTES = 64 * 1024;

/**
 * Changing APIs through the API (scope `admin`), in the shape of an `apis:` YAML entry. An API
 * declared in the hub's YAML cannot be changed this way (409): the file stays the one truth for it.
 */
export function apiAdminRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/apis',
      scope: 'admin',
      async handle({ request }) {
        const definition = parseApiDeclaration(
          await readJsonBody(request, MAX_DECLARATION_BYTES),
          Date.now(),
        );
        return { status: 201, body: definitionView(await hub.apis.create(definition)) };
      },
    },
    {
      method: 'PUT',
      path: '/v1/apis/*basepath',
      scope: 'admin',
      async handle({ request, params }) {
        const basepath = checkBasepath(params.basepath ?? '', 'basepath');
        const body = await readJsonBody(request, MAX_DECLARATION_BYTES);
        const withBasepath =
          typeof body === 'object' && body !== null && !Array.isArray(body) ? { basepath, ...body } : body;
        const definition = parseApiDeclaration(withBasepath, Date.now());
        if (definition.basepath !== basepath) {
          throw new HeartbeatError(
            'VALIDATION_FAILED',
            `the body's basepath ${definition.basepath} is not the URL's ${basepath}`,
            {
              field: 'basepath',
            },
          );
        }
        return { status: 200, body: definitionView(await hub.apis.update(basepath, definition)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/apis/*basepath',
      scope: 'admin',
      async handle({ params }) {
        await hub.apis.remove(checkBasepath(params.basepath ?? '', 'basepath'));
        return { status: 204 };
      },
    },
  ];
}
