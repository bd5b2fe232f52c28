/**
 * Records for store tests: complete, valid, and easy to vary.
 *
 * @example
 * await store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [newEvent({ instanceId: 'a' })] });
 */
import type { ApiKeyRecord } from '../auth/scopes.js';
import type { NewEvent } from '../domain/events.js';
import type { HeartbeatMessage, InstanceRecord } from '../domain/instance.js';

/** A fixed epoch-ms time the fixtures are built around (2025-11-21). */
export const T0 = 1_763_700_000_000;

/** A message with every field the hub knows set, unicode and JSON-unfriendly text included. */
export function fullMessage(instanceId: string, service = 'orders'): HeartbeatMessage {
  return {
    instanceId,
    service,
    appName: 'Orders — 订单 ✓ 🚀',
    appType: 'java',
    artifact: 'orders-api',
    hostName: 'pod-äöü-7f9c',
    version: '1.2.3-rc.1+build.5',
    ip: ['10.0.0.7', '192.168.1.20', 'fe80::1%eth0'],
    processId: 4242,
    heartbeatTime: T0 - 5,
    lastHeartbeatTime: T0 - 30_005,
    interval: 30_000,
    plugins: [
      { name: 'flowcontrol', version: '2.1.0', extInfo: { rules: '{"qps":10}', 'emoji 🚦': 'on' } },
      { name: 'monitor' },
      { name: 'router', version: '1.0.0', extInfo: {} },
    ],
    extInfo: {
      zone: 'eu-west-1a',
      quoted: 'he said "hi"\n\tand left \\ there',
      rtl: 'مرحبا بالعالم',
      combining: 'e\u0301 n\u0303',
      empty: '',
    },
    status: 'warning',
    checks: [
      { name: 'db', status: 'ok' },
      { name: 'disk', status: 'warning', message: '92 % used on /var — ⚠' },
      { name: 'cache', status: 'error', message: 'ECONNREFUSED 127.0.0.1:6379' },
    ],
    basepaths: ['/orders', '/orders/v2'],
  };
}

/** An instance record; `message` defaults to the smallest valid message. */
export function instanceRecord(overrides: Partial<InstanceRecord> & { instanceId: string }): InstanceRecord {
  const service = overrides.service ?? 'orders';
  return {
    service,
    state: 'alive',
    unconfirmed: false,
    registeredAt: T0,
    lastHeartbeatAt: T0 + 1000,
    stateChangedAt: T0,
    removedAt: null,
    beats: 1,
    message: { instanceId: overrides.instanceId, service },
    ...overrides,
  };
}

/** An instance event; `data` carries nested values of every JSON type. */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    at: T0,
    kind: 'instance.lost',
    instanceId: 'orders-1',
    service: 'orders',
    data: { from: 'alive', to: 'lost', silentForMs: 60_012, evidence: { beats: [1, 2.5, null], ok: false } },
    ...overrides,
  };
}

/** An API key record (the hash is a fixed fake). */
export function apiKeyRecord(overrides: Partial<ApiKeyRecord> & { id: string }): ApiKeyRecord {
  return {
    name: `key ${overrides.id}`,
    scopes: ['read'],
    secretHash: 'a'.repeat(64),
    createdAt: T0,
    revokedAt: null,
    ...overrides,
  };
}
