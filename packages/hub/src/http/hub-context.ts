import type { Logger } from '@heartbeat/sdk';
import type { KeyRing } from '../auth/api-keys.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { HubConfig } from '../config/hub-config.js';
import type { EventBus } from '../events/event-bus.js';
import type { NotificationEngine } from '../notify/engine.js';
import type { ApiRegistry } from '../registry/api-registry.js';
import type { GroupCommitter } from '../registry/group-committer.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import type { InstanceRegistry } from '../registry/instance-registry.js';
import type { Store } from '../store/store.js';
import type { Route } from './router.js';

/** What the routes work with; built once by the composition root (`server.ts`). */
export interface HubContext {
  config: HubConfig;
  store: Store;
  committer: GroupCommitter;
  registry: InstanceRegistry;
  apis: ApiRegistry;
  keys: KeyRing;
  events: EventBus;
  notifications: NotificationEngine;
  logger: Logger;
  /** Counters and histograms for `GET /metrics`; a notifier increments `metrics.notifications`. */
  metrics: HubMetrics;
  /**
   * Tests only (`startTestHub` sets it): sees every JSON answer the API sends, with the route that
   * sent it (none when no route matched), to check it against the route's documented schema.
   */
  responseCheck?: (route: Route | undefined, status: number, body: unknown, received: unknown) => void;
  startedAt: number;
  version: string;
  /** Cluster mode (PostgreSQL): this replica, once it has joined; undefined on SQLite. */
  cluster?: () => ClusterNode | undefined;
}
