/**
 * @heartbeat/hub — the instance registry, API status, events and keys, over SQLite or PostgreSQL.
 */
export { startHub, HUB_VERSION } from './server.js';
export type { StartHubOptions, RunningHub } from './server.js';
export type { HubConfig } from './config/hub-config.js';
export type { Store, CommitBatch, EventQuery } from './store/store.js';
export type { InstanceRecord, HeartbeatMessage, InstanceState, PluginInfo } from './domain/instance.js';
export type { EventKind, StoredEvent } from './domain/events.js';
export type { Scope, ApiKeyRecord } from './auth/scopes.js';
export { SCOPES } from './auth/scopes.js';
export { loadHubConfig } from './config/load-hub-config.js';
export type { LoadedHubConfig } from './config/load-hub-config.js';
export { createKeyRing } from './auth/api-keys.js';
export { openStore } from './store/open-store.js';
