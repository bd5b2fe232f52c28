import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';
import { sermantView } from '../views.js';

export function serviceRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/services',
      scope: 'read',
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
      handle() {
        return { status: 200, body: [...hub.registry.all()].map(sermantView) };
      },
    },
  ];
}
