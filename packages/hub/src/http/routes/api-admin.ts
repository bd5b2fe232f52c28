import { HeartbeatError } from '@heartbeat/sdk';
import { parseApiDeclaration } from '../../config/api-declaration.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { API_DEFINITION } from '../schema/common-schemas.js';
import { s } from '../schema/schema.js';
import { API_CONFIG_SCHEMA } from '../../config/api-config.js';
import { configJsonSchema } from '../../config/config-json-schema.js';
import { BASEPATH_PARAM, checkBasepath, definitionView } from './apis.js';

/**
 * An `apis:` entry of the YAML as JSON, generated from the very field table `parseApiDeclaration`
 * reads it with. Rules across fields (Pulse's `timeout` below its `interval`, `url` or `path`)
 * are checked by the hub only.
 */
const DECLARATION = configJsonSchema(API_CONFIG_SCHEMA);
const API_DECLARATION = s.named('ApiDeclaration', {
  ...DECLARATION,
  description: 'An API as an `apis:` entry of the YAML declares it (docs/hub-config.md#apis)',
});
/** The same without a required basepath: `PUT` takes it from the URL (a basepath in the body must match). */
const API_UPDATE = s.named('ApiUpdate', {
  ...DECLARATION,
  required: ((DECLARATION.required as string[] | undefined) ?? []).filter((key) => key !== 'basepath'),
  description: "An `apis:` entry; its basepath is the URL's",
});

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
      doc: {
        summary: 'Declare an API',
        description: 'In the shape of an `apis:` entry of the YAML, read by the same rules.',
        tags: ['apis'],
        body: { schema: API_DECLARATION },
        responses: {
          201: { description: 'Declared', schema: API_DEFINITION },
          409: { description: 'An API with this basepath exists' },
        },
      },
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
      doc: {
        summary: 'Change an API',
        description:
          'Replaces its definition. An API declared in the YAML cannot be changed this way (409): the file stays the one truth for it.',
        tags: ['apis'],
        params: { basepath: BASEPATH_PARAM },
        body: { schema: API_UPDATE },
        responses: {
          200: { description: 'Changed', schema: API_DEFINITION },
          404: { description: 'No API with this basepath' },
          409: { description: 'Declared in the YAML' },
        },
      },
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
      doc: {
        summary: 'Remove an API',
        description:
          'Its history stays until it ages out. A YAML-declared API cannot be removed this way (409).',
        tags: ['apis'],
        params: { basepath: BASEPATH_PARAM },
        responses: {
          204: { description: 'Removed' },
          404: { description: 'No API with this basepath' },
          409: { description: 'Declared in the YAML' },
        },
      },
      async handle({ params }) {
        await hub.apis.remove(checkBasepath(params.basepath ?? '', 'basepath'));
        return { status: 204 };
      },
    },
  ];
}
