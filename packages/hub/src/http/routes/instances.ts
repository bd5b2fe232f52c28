import { HeartbeatError } from '@heartbeat/sdk';
import { INSTANCE_ID_PATTERN, validateHeartbeats } from '../../domain/heartbeat-message.js';
import { INSTANCE_STATES } from '../../domain/instance.js';
import type { HubContext } from '../hub-context.js';
import { queryEnum, queryInteger, queryText } from '../query.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { instanceView } from '../views.js';

/** SPEC.md §4: heartbeats in, goodbyes, and the registry out. */
export function instanceRoutes(hub: HubContext): Route[] {
  const { registry, config } = hub;
  return [
    {
      method: 'POST',
      path: '/v1/instances/heartbeats',
      scope: 'ingest',
      async handle({ request }) {
        const body = await readJsonBody(request, config.ingest.maxBodyBytes);
        let validated;
        try {
          validated = validateHeartbeats(body, config.ingest.maxBatch);
        } catch (thrown) {
          hub.metrics.heartbeats.inc(['rejected'], Array.isArray(body) ? body.length : 1);
          throw thrown;
        }
        const { messages, warnings } = validated;
        await registry.ingest(messages);
        hub.metrics.heartbeats.inc(['accepted'], messages.length);
        return {
          status: 200,
          body: { accepted: messages.length, warnings, validTime: config.instances.validTime },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/instances/:instanceId',
      scope: 'ingest',
      async handle({ params }) {
        const instanceId = checkInstanceId(params.instanceId);
        await registry.goodbye(instanceId);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/v1/instances',
      scope: 'read',
      handle({ query }) {
        const page = registry.list({
          service: queryText(query, 'service'),
          state: queryEnum(query, 'state', INSTANCE_STATES),
          q: queryText(query, 'q'),
          limit: queryInteger(query, 'limit', { min: 1, max: 1000, fallback: 100 })!,
          cursor: queryText(query, 'cursor', 1024),
        });
        return {
          status: 200,
          body: {
            items: page.items.map((record) =>
              instanceView(record, registry.leaseExpiresAt(record.instanceId)),
            ),
            total: page.total,
            nextCursor: page.nextCursor,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/instances/:instanceId',
      scope: 'read',
      async handle({ params }) {
        const instanceId = checkInstanceId(params.instanceId);
        const record = registry.get(instanceId) ?? (await hub.store.getInstance(instanceId));
        if (!record) {
          throw new HeartbeatError('NOT_FOUND', `no instance "${instanceId}", live or in history`, {
            instanceId,
          });
        }
        return { status: 200, body: instanceView(record, registry.leaseExpiresAt(instanceId)) };
      },
    },
  ];
}

function checkInstanceId(value: string | undefined): string {
  if (value === undefined || !INSTANCE_ID_PATTERN.test(value)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `instanceId ${JSON.stringify(value)} must start with a letter or digit and use only letters, digits and . _ ~ : @ -`,
      { field: 'instanceId' },
    );
  }
  return value;
}
