import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';
import { SERMANT_INSTANCE, SERVICE } from '../schema/common-schemas.js';
import { s } from '../schema/schema.js';
import { sermantView } from '../views.js';

export function serviceRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/services',
      scope: 'read',
      doc: {
        summary: 'List services',
        description: 'Each service with its instances by state, worst reported health and versions.',
        tags: ['instances'],
        responses: {
          200: {
            description: 'Every service',
            schema: s.record({ items: s.array(SERVICE), total: s.integer({ minimum: 0 }) }),
          },
        },
      },
      handle() {
        const items = hub.registry.services().map((summary) => ({
          ...summary,
          lastHeartbeatAt: summary.lastHeartbeatAt ? new Date(summary.lastHeartbeatAt).toISOString() : null,
        }));
        return { status: 200, body: { items, total: items.length } };
      },
    },
    {
      // The shape Sermant's own backend panel reads (seed 002), so it can point at this hub.
      method: 'GET',
      path: '/sermant/getPluginsInfo',
      scope: 'read',
      doc: {
        summary: "Instances as Sermant's panel reads them",
        description: "The array Sermant's own backend panel reads (seed 002), so it can point at this hub.",
        tags: ['instances'],
        responses: { 200: { description: 'Every live instance', schema: s.array(SERMANT_INSTANCE) } },
      },
      handle() {
        return { status: 200, body: [...hub.registry.all()].map(sermantView) };
      },
    },
  ];
}
