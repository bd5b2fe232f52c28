import { HeartbeatError } from '@heartbeat/sdk';
import { parseScopes } from '../../auth/api-keys.js';
import type { ApiKeyRecord } from '../../auth/scopes.js';
import { isPlainObject } from '../../domain/validation.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { API_KEY, API_KEY_FIELDS, WARNINGS } from '../schema/common-schemas.js';
import { s } from '../schema/schema.js';
import { SCOPES } from '../../auth/scopes.js';

export function keyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
  };
}

export function keyRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/keys',
      scope: 'admin',
      doc: {
        summary: 'List keys',
        description: 'Every key, revoked ones included; never the secret.',
        tags: ['keys'],
        responses: {
          200: {
            description: 'The keys',
            schema: s.record({ items: s.array(API_KEY), total: s.integer({ minimum: 0 }) }),
          },
        },
      },
      async handle() {
        const items = (await hub.keys.list()).map(keyView);
        return { status: 200, body: { items, total: items.length } };
      },
    },
    {
      method: 'POST',
      path: '/v1/keys',
      scope: 'admin',
      doc: {
        summary: 'Create a key',
        description: 'The secret is in the answer, once; the hub keeps only its hash.',
        tags: ['keys'],
        body: {
          schema: s.object(
            {
              name: s.string({ minLength: 1, maxLength: 128 }),
              scopes: s.anyOf([
                s.array(s.enum(SCOPES), { minItems: 1 }),
                s.string({ description: 'comma-separated: `read,ingest`' }),
              ]),
            },
            { required: ['name', 'scopes'], additional: true },
          ),
        },
        responses: {
          201: {
            description: 'Created',
            schema: s.record({
              ...API_KEY_FIELDS,
              key: s.string({ description: 'the secret: send it as `Authorization: Bearer <key>`' }),
              warnings: WARNINGS,
            }),
          },
        },
      },
      async handle({ request }) {
        const body = await readJsonBody(request, 16 * 1024);
        if (!isPlainObject(body)) {
          throw new HeartbeatError('VALIDATION_FAILED', 'send {"name": "…", "scopes": ["ingest"]}', {
            field: '(body)',
          });
        }
        const unknown = Object.keys(body).filter((key) => key !== 'name' && key !== 'scopes');
        const { record, token } = await hub.keys.create(
          typeof body.name === 'string' ? body.name : '',
          parseScopes(body.scopes),
        );
        return {
          status: 201,
          body: {
            ...keyView(record),
            key: token,
            warnings: unknown.map((key) => `${key}: unknown field, ignored`),
          },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/keys/:id',
      scope: 'admin',
      doc: {
        summary: 'Revoke a key',
        tags: ['keys'],
        params: { id: { schema: s.string(), description: 'the key id (not the secret)' } },
        responses: { 204: { description: 'Revoked' }, 404: { description: 'No active key with this id' } },
      },
      async handle({ params }) {
        const revoked = await hub.keys.revoke(params.id ?? '');
        if (!revoked)
          throw new HeartbeatError('NOT_FOUND', `no active key "${params.id ?? ''}"`, { id: params.id });
        return { status: 204 };
      },
    },
  ];
}
