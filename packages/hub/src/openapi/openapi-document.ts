import type { ResponseDoc, Route } from '../http/router.js';
import { ERROR_RESPONSE } from '../http/schema/common-schemas.js';
import { collectComponents, type JsonSchema } from '../http/schema/schema.js';

export interface OpenApiOptions {
  version: string;
  /** `server.routePrefix`: the server URL every path is under. */
  routePrefix: string;
}

type Json = Record<string, unknown>;

/**
 * The hub's OpenAPI 3.1 document, generated from the route list: each route's `doc` gives its
 * parameters, body and answers, and the query parameters are the very objects the handlers read
 * through, so the document cannot describe a different API from the one served. Error answers
 * (SPEC.md §6) are added to every operation as its scope, parameters and body call for.
 *
 * @example
 * openApiDocument(hubRoutes(hub), { version: '0.1.0', routePrefix: '' }).paths['/v1/heartbeats']
 */
export function openApiDocument(routes: readonly Route[], options: OpenApiOptions): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const components = new Map<string, JsonSchema>();
  const operationIds = new Set<string>();
  for (const route of routes) {
    const path = openApiPath(route.path);
    const operation = operationOf(route, components);
    let id = operationId(route);
    while (operationIds.has(id)) id += '_';
    operationIds.add(id);
    operation.operationId = id;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Heartbeat hub',
      version: options.version,
      description:
        'Instance registry fed by heartbeats, API status from request outcomes, events, keys. Send a key as `Authorization: Bearer <key>`; each operation names the scope it needs (`x-scope`). Reads need none when the hub runs with `auth.publicRead`. Errors are `{"error": {"code", "message", "details"}}`. The hub\'s own health endpoints (`/livez`, `/readyz`, `/health`, …) sit at the root, outside this API.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.routePrefix || '/', description: 'this hub' }],
    security: [{ bearerKey: [] }],
    paths,
    components: {
      schemas: Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A hub key (`heartbeat keys create`) with the scope the operation names.',
        },
      },
    },
  };
}

/** `/v1/instances/:instanceId` → `/v1/instances/{instanceId}`; a `*rest` parameter becomes `{rest}`. */
export function openApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}');
}

function operationId(route: Route): string {
  const words = route.path
    .split(/[/:*._-]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1));
  return `${route.method.toLowerCase()}${words.join('')}`;
}

function schemaOf(schema: JsonSchema, components: Map<string, JsonSchema>): JsonSchema {
  collectComponents(schema, components);
  return schema;
}

function operationOf(route: Route, components: Map<string, JsonSchema>): Json {
  const doc = route.doc;
  if (!doc) {
    return {
      summary: `${route.method} ${route.path} (undocumented)`,
      responses: { default: errorResponse('An error', components) },
    };
  }
  const operation: Json = { summary: doc.summary };
  if (doc.description) operation.description = doc.description;
  if (doc.tags) operation.tags = [...doc.tags];
  operation['x-scope'] = route.scope;
  if (route.scope === 'public') operation.security = [];

  const parameters: Json[] = [];
  for (const match of route.path.matchAll(/([:*])([A-Za-z0-9_]+)/g)) {
    const name = match[2]!;
    const declared = doc.params?.[name];
    const rest = match[1] === '*';
    parameters.push({
      name,
      in: 'path',
      required: true,
      description:
        (declared?.description ?? name) + (rest ? ' (the rest of the path, its slashes included)' : ''),
      schema: schemaOf(declared?.schema ?? { type: 'string' }, components),
    });
  }
  for (const param of doc.query ?? []) {
    parameters.push({
      name: param.name,
      in: 'query',
      required: false,
      description: param.description,
      schema: schemaOf(param.schema, components),
      ...((param.schema as { type?: string }).type === 'array' ? { style: 'form', explode: true } : {}),
    });
  }
  if (route.keyInQuery) {
    parameters.push({
      name: 'key',
      in: 'query',
      required: false,
      description: 'the key, for clients that cannot send headers (EventSource); prefer the header',
      schema: { type: 'string' },
    });
  }
  if (parameters.length > 0) operation.parameters = parameters;

  if (doc.body) {
    operation.requestBody = {
      required: true,
      ...(doc.body.description ? { description: doc.body.description } : {}),
      content: {
        [doc.body.contentType ?? 'application/json']: { schema: schemaOf(doc.body.schema, components) },
      },
    };
  }

  const responses: Json = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = responseOf(response, components);
  }
  const add = (status: number, description: string) => {
    if (!(status in responses)) responses[status] = errorResponse(description, components);
  };
  if (parameters.length > 0 || doc.body)
    add(400, 'Invalid input: the error names the field (`details.field`)');
  if (route.scope !== 'public') {
    add(401, 'No key, or an unknown or revoked one');
    add(403, `The key lacks the \`${route.scope}\` scope`);
  }
  if (doc.body) {
    add(413, 'The body is larger than the hub accepts');
    add(415, 'The body is not JSON (or not an accepted encoding)');
  }
  add(503, 'The store is not reachable; try again');
  responses.default = errorResponse('Any other error, in the same shape', components);
  operation.responses = responses;
  return operation;
}

function responseOf(response: ResponseDoc, components: Map<string, JsonSchema>): Json {
  const out: Json = { description: response.description };
  if (response.schema) {
    out.content = {
      [response.contentType ?? 'application/json']: { schema: schemaOf(response.schema, components) },
    };
  } else if (response.contentType) {
    out.content = { [response.contentType]: {} };
  }
  if (response.headers) {
    out.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, description]) => [
        name,
        { description, schema: { type: 'string' } },
      ]),
    );
  }
  return out;
}

function errorResponse(description: string, components: Map<string, JsonSchema>): Json {
  return { description, content: { 'application/json': { schema: schemaOf(ERROR_RESPONSE, components) } } };
}
