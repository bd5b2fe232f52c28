import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';

/** The hub's own state, for the dashboard's overview and for operators. */
export function hubStatusRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/hub',
      scope: 'read',
      handle() {
        const now = Date.now();
        const selfPreservation = hub.registry.selfPreservation;
        return {
          status: 200,
          body: {
            version: hub.version,
            startedAt: new Date(hub.startedAt).toISOString(),
            uptimeMs: now - hub.startedAt,
            store: {
              kind: hub.store.kind,
              location: hub.store.location,
              healthy: hub.committer.healthy,
              lastError: hub.committer.lastError ?? null,
            },
            instances: {
              live: hub.registry.size,
              validTimeMs: hub.config.instances.validTime,
              retentionMs: hub.config.instances.retention,
            },
            selfPreservation: {
              active: selfPreservation.active,
              since: selfPreservation.since === null ? null : new Date(selfPreservation.since).toISOString(),
              unconfirmed: selfPreservation.unconfirmed,
            },
            auth: { publicRead: hub.config.auth.publicRead },
            replicas: replicasOf(hub),
          },
        };
      },
    },
  ];
}

/**
 * The hub replicas sharing the store, as `{id, url, state, since, leader}`; on SQLite, this hub alone.
 */
function replicasOf(hub: HubContext) {
  const node = hub.cluster?.();
  if (node)
    return node.replicas().map(({ id, url, state, since, leader, version, self }) => ({
      id,
      url,
      state,
      since,
      leader,
      version,
      self,
    }));
  return [
    {
      id: 'single',
      url: null,
      state: 'live',
      since: new Date(hub.startedAt).toISOString(),
      leader: true,
      version: hub.version,
      self: true,
    },
  ];
}
