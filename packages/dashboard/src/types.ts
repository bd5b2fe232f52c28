/** The hub's answers, as the dashboard reads them (docs/hub.md). */
export type ApiStatus = 'UP' | 'DOWN' | 'UNKNOWN';
export type InstanceState = 'alive' | 'lost' | 'stopped';
export type CheckStatus = 'ok' | 'warning' | 'error';
export type Source = 'traffic' | 'pulse' | 'otlp';

export interface BarSlot {
  start: string;
  samples: number;
  failures: number;
  status: ApiStatus | null;
}

export interface ApiRow {
  basepath: string;
  name: string | null;
  owner: string | null;
  status: ApiStatus;
  since: string;
  ratio: number | null;
  samples: number;
  failures: number;
  p50Ms: number | null;
  p95Ms: number | null;
  bySource: Record<Source, number>;
  drivenBy: Source | null;
  threshold: number;
  minSamples: number;
  windowMs: number;
  origin: string;
  pulse: { enabled: boolean; url: string; intervalMs: number } | null;
  runbook: string | null;
  bar?: BarSlot[];
}

export interface ApiDetail extends ApiRow {
  definition: Record<string, unknown>;
  lastFailures: Array<{
    at: string;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    source: Source;
  }>;
  history: Array<{
    start: string;
    resolution: 'minute' | 'hour';
    samples: number;
    failures: number;
    ratio: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
  }>;
  timeline: HubEvent[];
  probes: Array<{
    at: string;
    ok: boolean;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    detail: string | null;
  }>;
}

export interface Instance {
  instanceId: string;
  service: string;
  state: InstanceState;
  unconfirmed: boolean;
  status: CheckStatus | null;
  registeredAt: string | null;
  lastHeartbeatAt: string | null;
  stateChangedAt: string | null;
  leaseExpiresAt: string | null;
  removedAt: string | null;
  beats: number;
  appName: string | null;
  appType: string | null;
  artifact: string | null;
  hostName: string | null;
  version: string | null;
  ip: string[];
  processId: number | null;
  interval: number | null;
  plugins: Array<{ name: string; version?: string | null; extInfo?: Record<string, string> }>;
  extInfo: Record<string, string>;
  checks: Array<{ name: string; status: CheckStatus; message?: string }>;
  basepaths: string[];
}

export interface ServiceSummary {
  service: string;
  instances: { alive: number; lost: number; stopped: number; total: number; unconfirmed: number };
  health: CheckStatus | null;
  versions: Array<{ version: string; instances: number }>;
  lastHeartbeatAt: string | null;
}

export interface HubEvent {
  id: number;
  at: string;
  kind: string;
  instanceId: string | null;
  service: string | null;
  data: Record<string, unknown>;
}

export interface HubState {
  version: string;
  startedAt: string;
  uptimeMs: number;
  store: { kind: string; location: string; healthy: boolean; lastError: string | null };
  instances: { live: number; validTimeMs: number; retentionMs: number };
  selfPreservation: { active: boolean; since: string | null; unconfirmed: number };
  auth: { publicRead: boolean };
  /** The replicas sharing the store (cluster mode); on SQLite, this hub alone. Absent on older hubs. */
  replicas?: Replica[];
}

export interface Replica {
  id: string;
  url: string | null;
  state: 'live' | 'expired';
  since: string;
  leader: boolean;
  version: string;
  self: boolean;
}

/** One opening of a maintenance window (`GET /v1/maintenance`); `rules` empty: every rule. */
export interface MaintenanceSpan {
  name: string;
  start: string;
  end: string;
  rules: string[];
}

export interface Maintenance {
  active: MaintenanceSpan[];
  upcoming: MaintenanceSpan[];
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One notification to one notifier (`GET /v1/notifications`); the message itself is left out. */
export interface Delivery {
  id: number;
  notifier: string;
  rule: string;
  kind: 'trigger' | 'reminder' | 'resolve' | 'test';
  title: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
  updatedAt: string;
}

export interface Notifier {
  name: string;
  type: string;
  timeoutMs: number;
  concurrency: number;
  inFlight: number;
}

/** How a test notification's first attempt ended (`POST /v1/notifications/test`). */
export interface TestOutcome {
  delivery: number;
  notifier: string;
  status: DeliveryStatus;
  error?: string;
}

export interface Overview {
  apis: Record<ApiStatus | 'total', number>;
  instances: { total: number; alive: number; lost: number; stopped: number; unconfirmed: number };
  services: number;
  servicesByState: { up: number; degraded: number; down: number; idle: number };
  applications: number;
}

export const EVENT_KINDS = [
  'instance.registered',
  'instance.lost',
  'instance.recovered',
  'instance.stopped',
  'instance.removed',
  'instance.health_changed',
  'hub.self_preservation_entered',
  'hub.self_preservation_left',
  'api.registered',
  'api.changed',
  'api.removed',
  'api.status_changed',
] as const;
