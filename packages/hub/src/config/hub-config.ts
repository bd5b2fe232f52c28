import { join } from 'node:path';
import {
  checkNotificationNames,
  MAINTENANCE_SCHEMA,
  NOTIFIERS_SCHEMA,
  RULES_SCHEMA,
  type MaintenanceConfig,
  type NotifierConfig,
  type RuleConfig,
} from '../notify/config.js';
import { APIS_SCHEMA, type ApiConfig } from './api-config.js';
import {
  defaultsOf,
  field,
  optionalField,
  section,
  type CheckContext,
  type SectionNode,
} from './config-schema.js';
import { formatExactDuration, types, type ParseOutcome } from './value-types.js';

/** pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Everything the hub is configured with. Durations are milliseconds, sizes bytes. */
export interface HubConfig {
  server: {
    port: number;
    host: string;
    /** `''` or `/eni/heartbeat`: no trailing slash. */
    routePrefix: string;
    /** The address people reach the hub at, for links in notifications; unset: from host and port. */
    publicUrl?: string;
  };
  /** Directory of the embedded SQLite file. */
  data: string;
  /** `postgres://…`, or a SQLite file path; unset means `<data>/heartbeat.db` (see `hubStoreLocation`). */
  store?: string;
  instances: {
    validTime: number;
    retention: number;
    selfPreservation: { enabled: boolean; ratio: number; minInstances: number };
  };
  events: { retention: number };
  auth: { publicRead: boolean; adminKey?: string };
  ingest: { maxBodyBytes: number; maxBatch: number };
  log: { level: LogLevel; format: LogFormat };
  /** Register unknown basepaths seen in observations (origin `auto`). */
  autoRegister: boolean;
  /** How long API status history is kept: per minute, then per hour. */
  apiHistory: { minuteRetention: number; retention: number };
  /** `GET /metrics` for Prometheus (docs/metrics.md). */
  metrics: { enabled: boolean };
  /** Status badges, `GET /v1/badges/{basepath}.svg`: how long a client or CDN may keep one. */
  badges: { maxAge: number };
  /** The APIs declared in the file (`apis:`); YAML only. */
  apis: ApiConfig[];
  /** Delivery of notifications: retries and how long the delivery log is kept. */
  notifications: { maxAttempts: number; retention: number };
  /** Receivers (`notifiers:`), rules and maintenance windows; YAML only (see notify/config.ts). */
  notifiers: NotifierConfig[];
  rules: RuleConfig[];
  maintenance: MaintenanceConfig[];
}

const ROUTE_PREFIX = /^(?:\/[A-Za-z0-9._~-]+)*$/;

/** `/eni/heartbeat/` and `eni/heartbeat` both mean `/eni/heartbeat`; `/` means no prefix. */
function routePrefix(value: string): ParseOutcome<string> {
  const trimmed = value.trim().replace(/\/+$/, '');
  const prefix = trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  if (ROUTE_PREFIX.test(prefix)) return { ok: true, value: prefix };
  return {
    ok: false,
    problem: 'is not a route prefix; use path segments of letters, digits and ._~- like /eni/heartbeat',
  };
}

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** A PostgreSQL URL, or anything else as a SQLite file path. */
function storeLocation(value: string): ParseOutcome<string> {
  const scheme = URL_SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { ok: true, value };
  if ((scheme === 'postgres' || scheme === 'postgresql') && URL.canParse(value)) return { ok: true, value };
  return {
    ok: false,
    problem:
      'is not a store the hub can use; write postgres://user:password@host:5432/db, or a SQLite file path',
  };
}

/** `postgres://hub:s3cret@db/hub` → `postgres://hub:***@db/hub`. */
export function redactUrlPassword(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** Minutes are downsampled into hours that are still kept, so they cannot outlive history itself. */
function checkApiHistory(
  { minuteRetention, retention }: HubConfig['apiHistory'],
  context: CheckContext,
): void {
  if (minuteRetention <= retention) return;
  const minutes = formatExactDuration(minuteRetention);
  const all = formatExactDuration(retention);
  if (context.given('minuteRetention')) {
    context.problem(
      'minuteRetention',
      `${minutes} is longer than apiHistory.retention (${all}); lower it, or raise retention`,
    );
  } else {
    context.problem(
      'retention',
      `${all} is shorter than apiHistory.minuteRetention (${minutes}); lower minuteRetention too`,
    );
  }
}

/**
 * The hub's settings: their types, defaults, env names, flags and docs, in one table. A new
 * setting is a new entry here; the file, env and flag readers and `docs/hub-config.md` follow.
 */
const HUB_SETTINGS: SectionNode<HubConfig> = section({
  server: section({
    port: field(types.port(), {
      default: 8900,
      doc: 'TCP port the hub listens on; 0 picks a free one',
      envAliases: ['HEARTBEAT_PORT'],
      flag: 'port',
    }),
    host: field(types.string({ nonEmpty: true }), {
      default: '0.0.0.0',
      doc: 'address to listen on; `127.0.0.1` keeps the hub to this machine',
      envAliases: ['HEARTBEAT_HOST'],
      flag: 'host',
    }),
    routePrefix: field(types.string({ refine: routePrefix, description: 'route prefix' }), {
      default: '',
      doc: 'put before every route: with `/eni/heartbeat`, the API answers at `/eni/heartbeat/v1/…`',
    }),
    publicUrl: optionalField(types.url({ base: true }), {
      doc: 'where people reach the hub (its dashboard), for the links in notifications',
      defaultDoc: '`http://<host>:<port>`',
    }),
  }),
  data: field(types.string({ nonEmpty: true, description: 'directory' }), {
    default: './data',
    doc: 'directory for the embedded SQLite file',
    flag: 'data',
  }),
  store: optionalField(types.string({ nonEmpty: true, refine: storeLocation, description: 'URL or path' }), {
    doc: '`postgres://user:password@host:5432/db` for PostgreSQL, or a SQLite file path',
    defaultDoc: '`<data>/heartbeat.db`',
    flag: 'store',
    redact: redactUrlPassword,
  }),
  instances: section({
    validTime: field(types.duration({ min: '1s' }), {
      default: 60_000,
      doc: 'an instance with no heartbeat for this long becomes `lost`',
    }),
    retention: field(types.duration({ min: '1s' }), {
      default: 600_000,
      doc: 'a `lost` instance leaves the live registry after this long (history keeps it)',
    }),
    selfPreservation: section({
      enabled: field(types.boolean(), {
        default: true,
        doc: 'when many instances go silent at once, suspect the hub and keep them `alive`, `unconfirmed`',
      }),
      ratio: field(types.ratio(), {
        default: 0.5,
        doc: 'share of `alive` instances that must fall silent within one `validTime` to trigger it',
      }),
      minInstances: field(types.integer({ min: 0 }), {
        default: 10,
        doc: 'and at least this many of them',
      }),
    }),
  }),
  events: section({
    retention: field(types.duration({ min: '1m' }), {
      default: 2_592_000_000,
      doc: 'how long events are kept',
    }),
  }),
  auth: section({
    publicRead: field(types.boolean(), {
      default: false,
      doc: 'anyone may read the API without a key (ingest and admin still need one)',
    }),
    adminKey: optionalField(types.string({ nonEmpty: true }), {
      doc: 'a key with the `admin` scope, to create the first keys; keep it secret',
      defaultDoc: 'none',
      envAliases: ['HEARTBEAT_ADMIN_KEY'],
      redact: () => '***',
    }),
  }),
  ingest: section({
    maxBodyBytes: field(types.byteSize({ min: 1024 }), {
      default: 1_048_576,
      doc: 'largest request body on ingest routes; a larger one is a 413',
    }),
    maxBatch: field(types.integer({ min: 1 }), {
      default: 1000,
      doc: 'most heartbeats or observations in one request',
    }),
  }),
  log: section({
    level: field(types.oneOf(LOG_LEVELS), {
      default: 'info',
      doc: 'least severe level logged',
      envAliases: ['HEARTBEAT_LOG_LEVEL'],
      flag: 'logLevel',
    }),
    format: field(types.oneOf(LOG_FORMATS), {
      default: 'json',
      doc: '`json` lines for machines, `pretty` for people at a terminal',
    }),
  }),
  autoRegister: field(types.boolean(), {
    default: true,
    doc: 'an unknown basepath seen in observations is registered as an API (origin `auto`); `false` turns that off',
  }),
  apiHistory: section(
    {
      minuteRetention: field(types.duration({ min: '1h' }), {
        default: 86_400_000,
        doc: 'per-minute API history is kept this long, then downsampled to hours',
      }),
      retention: field(types.duration({ min: '1h' }), {
        default: 2_592_000_000,
        doc: 'API history is kept this long at all',
      }),
    },
    { check: checkApiHistory },
  ),
  metrics: section({
    enabled: field(types.boolean(), {
      default: true,
      doc: 'serve Prometheus metrics at `GET /metrics` (a `read` route: open only when `auth.publicRead` is on)',
    }),
  }),
  badges: section({
    maxAge: field(types.duration({ min: '0s' }), {
      default: 60_000,
      doc: 'how long a status badge may be cached (`Cache-Control: max-age`); badges also carry an ETag',
    }),
  }),
  apis: APIS_SCHEMA,
  notifications: section({
    maxAttempts: field(types.integer({ min: 1, max: 100 }), {
      default: 8,
      doc: 'attempts per delivery before it is given up (backoff 1s, 2s, 4s … up to 5m, with jitter)',
    }),
    retention: field(types.duration({ min: '1h' }), {
      default: 2_592_000_000,
      doc: 'how long the delivery log keeps delivered and failed notifications',
    }),
  }),
  notifiers: NOTIFIERS_SCHEMA,
  rules: RULES_SCHEMA,
  maintenance: MAINTENANCE_SCHEMA,
});

/** The settings with the rules across sections: a rule's notifiers and a window's rules must exist. */
export const HUB_CONFIG_SCHEMA: SectionNode<HubConfig> = { ...HUB_SETTINGS, check: checkNotificationNames };

/** The configuration with nothing given. */
export const DEFAULT_HUB_CONFIG: HubConfig = defaultsOf(HUB_CONFIG_SCHEMA);

/**
 * Where the hub keeps its data: `store` when given, else `heartbeat.db` in the `data` directory.
 *
 * @example
 * hubStoreLocation(DEFAULT_HUB_CONFIG) // 'data/heartbeat.db'
 */
export function hubStoreLocation(config: Pick<HubConfig, 'data' | 'store'>): string {
  return config.store ?? join(config.data, 'heartbeat.db');
}
