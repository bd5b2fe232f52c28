/**
 * Realistic heartbeat messages, as the SDK's agent sends them (SPEC.md §4): an instance id, its
 * service, version, host name, IP, process id, times and interval, the instance's own status with
 * two checks, and one plugin. Instance `i` always gets the same id, service, host and IP.
 */

const SERVICES = [
  'orders',
  'payments',
  'catalog',
  'search',
  'checkout',
  'inventory',
  'shipping',
  'accounts',
  'notifications',
  'pricing',
] as const;

export interface BeatTimes {
  heartbeatTime: number;
  lastHeartbeatTime?: number;
}

/** The message of instance `index` (0-based) for one beat. */
export function heartbeatMessage(
  index: number,
  times: BeatTimes,
  intervalMs = 30_000,
): Record<string, unknown> {
  const service = SERVICES[index % SERVICES.length]!;
  return {
    instanceId: instanceIdOf(index),
    service,
    version: `2.${index % 7}.${index % 13}`,
    hostName: `${service}-7d9f8b6c5-${index.toString(36).padStart(5, '0')}`,
    ip: [`10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`],
    processId: 1000 + (index % 30_000),
    heartbeatTime: times.heartbeatTime,
    ...(times.lastHeartbeatTime !== undefined && { lastHeartbeatTime: times.lastHeartbeatTime }),
    interval: intervalMs,
    status: 'ok',
    checks: [
      { name: 'postgres', status: 'ok' },
      { name: 'redis', status: 'ok' },
    ],
    plugins: [{ name: 'heartbeat-sdk', version: '0.1.0', extInfo: { runtime: 'node 20.20.2' } }],
  };
}

/** The instance id of instance `index`: `orders-000042`. */
export function instanceIdOf(index: number): string {
  return `${SERVICES[index % SERVICES.length]!}-${String(index).padStart(6, '0')}`;
}
