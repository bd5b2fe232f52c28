import type { StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** An instance as the API shows it: the hub's view (state, lease, times as ISO 8601) and the agent's message. */
export function instanceView(record: InstanceRecord, leaseExpiresAt: number | undefined) {
  const { message } = record;
  return {
    instanceId: record.instanceId,
    service: record.service,
    state: record.state,
    unconfirmed: record.unconfirmed,
    status: message.status ?? null,
    registeredAt: iso(record.registeredAt),
    lastHeartbeatAt: iso(record.lastHeartbeatAt),
    stateChangedAt: iso(record.stateChangedAt),
    leaseExpiresAt: record.state === 'alive' ? iso(leaseExpiresAt) : null,
    removedAt: iso(record.removedAt),
    beats: record.beats,
    appName: message.appName ?? null,
    appType: message.appType ?? null,
    artifact: message.artifact ?? null,
    hostName: message.hostName ?? null,
    version: message.version ?? null,
    ip: message.ip ?? [],
    processId: message.processId ?? null,
    interval: message.interval ?? null,
    heartbeatTime: message.heartbeatTime ?? null,
    lastHeartbeatTime: message.lastHeartbeatTime ?? null,
    plugins: message.plugins ?? [],
    extInfo: message.extInfo ?? {},
    checks: message.checks ?? [],
    basepaths: message.basepaths ?? [],
  };
}

/**
 * The array Sermant's own panel reads from `/sermant/getPluginsInfo`: the message fields, `health`
 * (false once lost) and `pluginInfoMap` as an array of `{name, version, extInfo}`.
 */
export function sermantView(record: InstanceRecord) {
  const { message } = record;
  return {
    instanceId: record.instanceId,
    service: record.service,
    appName: message.appName ?? record.service,
    appType: message.appType ?? null,
    artifact: message.artifact ?? null,
    hostName: message.hostName ?? null,
    ip: message.ip ?? [],
    processId: message.processId ?? null,
    version: message.version ?? null,
    heartbeatTime: message.heartbeatTime ?? record.lastHeartbeatAt,
    lastHeartbeatTime: message.lastHeartbeatTime ?? null,
    health: record.state === 'alive',
    state: record.state,
    extInfo: message.extInfo ?? {},
    pluginInfoMap: (message.plugins ?? []).map((plugin) => ({
      name: plugin.name,
      version: plugin.version ?? null,
      extInfo: plugin.extInfo ?? {},
    })),
  };
}

export function eventView(event: StoredEvent) {
  return {
    id: event.id,
    at: iso(event.at),
    kind: event.kind,
    instanceId: event.instanceId ?? null,
    service: event.service ?? null,
    data: event.data,
  };
}
