/**
 * Records for store tests: complete, valid, and easy to vary.
 *
 * @example
 * await store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [newEvent({ instanceId: 'a' })] });
 */
import type { ApiKeyRecord } from '../auth/scopes.js';
import type { ApiDefinition } from '../domain/api.js';
import type { NewEvent } from '../domain/events.js';
import type { HeartbeatMessage, InstanceRecord } from '../domain/instance.js';
import type {
  ApiBucketRecord,
  ApiFailureRecord,
  ApiHistoryRecord,
  ProbeResultRecord,
} from '../store/store.js';

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

/** An `api.*` event about `/orders`: no instance or service, the API in `basepath`. */
export function apiEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    at: T0,
    kind: 'api.status_changed',
    basepath: '/orders',
    data: { from: 'UP', to: 'DOWN', successRate: 0.82, samples: 140 },
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

/** An API definition with only the required fields (the defaults of SPEC.md §5). */
export function apiDefinition(overrides: Partial<ApiDefinition> & { basepath: string }): ApiDefinition {
  return {
    labels: {},
    windowMs: 300_000,
    threshold: 0.9,
    minSamples: 5,
    failOn: { statusRanges: [[500, 599]], errors: true },
    origin: 'api',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** An API definition with every optional field set: labels, failOn ranges, Pulse with every JSON condition. */
export function fullApiDefinition(basepath: string): ApiDefinition {
  return apiDefinition({
    basepath,
    name: 'Orders — 订单 🚀',
    owner: 'team-orders@example.com',
    upstream: 'http://orders.internal:8080',
    runbook: 'https://wiki.example.com/runbooks/orders#"down"',
    labels: { env: 'prod', tier: '1', 'team/ключ': 'zäh "quoted"', empty: '' },
    windowMs: 120_000,
    threshold: 0.995,
    minSamples: 20,
    failOn: {
      statusRanges: [
        [429, 429],
        [500, 599],
      ],
      errors: false,
    },
    pulse: {
      enabled: true,
      url: 'https://orders.example.com/health?deep=1',
      method: 'POST',
      headers: { authorization: 'Bearer x', 'x-trace': '🚦' },
      body: '{"ping":true}',
      intervalMs: 15_000,
      timeoutMs: 2500,
      expect: {
        status: [
          [200, 299],
          [304, 304],
        ],
        json: [
          { path: 'status', equals: 'UP' },
          { path: 'checks.db.status', notEquals: 'DOWN' },
          { path: 'error', equals: null },
          { path: 'ready', equals: true },
          { path: 'items.length', greaterThan: 0, lessThan: 1000.5 },
          { path: 'items.0.id', exists: true },
          { path: 'version', matches: '^1\\.[0-9]+$' },
        ],
        maxResponseTimeMs: 800,
      },
    },
    origin: 'auto',
    createdAt: T0 - 86_400_000,
    updatedAt: T0 + 1,
  });
}

/** A 10-second window bucket at T0 with a small latency histogram. */
export function apiBucket(overrides: Partial<ApiBucketRecord> = {}): ApiBucketRecord {
  return {
    basepath: '/orders',
    bucketMs: 10_000,
    index: T0 / 10_000,
    total: 12,
    failures: 2,
    bySource: { traffic: 9, pulse: 2, otlp: 1 },
    latency: [
      [3, 4],
      [10, 7],
      [47, 1],
    ],
    ...overrides,
  };
}

/** A minute of history at T0. */
export function apiHistoryRow(overrides: Partial<ApiHistoryRecord> = {}): ApiHistoryRecord {
  return {
    basepath: '/orders',
    start: T0,
    resolution: 'minute',
    total: 60,
    failures: 3,
    bySource: { traffic: 50, pulse: 2, otlp: 8 },
    p50Ms: 12.5,
    p95Ms: 250.75,
    ...overrides,
  };
}

/** A failed request: a 503 from real traffic. */
export function apiFailure(overrides: Partial<ApiFailureRecord> = {}): ApiFailureRecord {
  return {
    basepath: '/orders',
    at: T0,
    statusCode: 503,
    error: null,
    durationMs: 41.5,
    source: 'traffic',
    ...overrides,
  };
}

/** A Pulse probe that failed its expectations. */
export function probeResult(overrides: Partial<ProbeResultRecord> = {}): ProbeResultRecord {
  return {
    basepath: '/orders',
    at: T0,
    ok: false,
    statusCode: 200,
    error: null,
    durationMs: 87.25,
    detail: 'body.status is "DOWN", expected "UP"',
    ...overrides,
  };
}
