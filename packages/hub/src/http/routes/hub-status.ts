import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';
import { s } from '../schema/schema.js';

/** The hub's own state, for the dashboard's overview and for operators. */
export function hubStatusRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/hub',
      scope: 'read',
      doc: {
        summary: "The hub's own state",
        description:
          'Version, uptime, store, live instance count, self-preservation, whether reads are public, the replicas.',
        tags: ['meta'],
        responses: {
          200: {
            description: 'The hub',
            schema: s.record({
              version: s.string(),
              startedAt: s.time(),
              uptimeMs: s.integer({ minimum: 0 }),
              store: s.record({
                kind: s.enum(['sqlite', 'postgres']),
                location: s.string(),
                healthy: s.boolean(),
                lastError: s.nullable(s.string()),
              }),
              instances: s.record({
                live: s.integer({ minimum: 0 }),
                validTimeMs: s.integer(),
                retentionMs: s.integer(),
              }),
              selfPreservation: s.record({
                active: s.boolean(),
                since: s.nullable(s.time()),
                unconfirmed: s.integer({ minimum: 0 }),
              }),
              auth: s.record({ publicRead: s.boolean() }),
              replicas: s.array(
                s.record({
                  id: s.string({ description: 'the replica id; `single` for a hub on SQLite' }),
                  url: s.nullable(s.string()),
                  state: s.enum(['live', 'expired']),
                  since: s.time(),
                  leader: s.boolean({ description: 'decides lease expiry, self-preservation and alerts' }),
                  version: s.string(),
                  self: s.boolean({ description: 'the replica that answered' }),
                }),
                {
                  description: 'the hub replicas sharing the store (cluster mode); on SQLite, this hub alone',
                },
              ),
            }),
          },
        },
      },
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
  if (node) return node.replicas();
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
