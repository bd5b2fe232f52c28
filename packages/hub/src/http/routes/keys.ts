import { HeartbeatError } from '@heartbeat/sdk';
import { parseScopes } from '../../auth/api-keys.js';
import type { ApiKeyRecord } from '../../auth/scopes.js';
import { isPlainObject } from '../../domain/validation.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';

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
      async handle() {
        const items = (await hub.keys.list()).map(keyView);
        return { status: 200, body: { items, total: items.length } };
      },
    },
    {
      method: 'POST',
      path: '/v1/keys',
      scope: 'admin',
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
      async handle({ params }) {
        const revoked = await hub.keys.revoke(params.id ?? '');
        if (!revoked)
          throw new HeartbeatError('NOT_FOUND', `no active key "${params.id ?? ''}"`, { id: params.id });
        return { status: 204 };
      },
    },
  ];
}
