import { CHECK_STATUSES, HTTP_STATUS_BY_CODE } from '@heartbeat/sdk';
import { SCOPES } from '../../auth/scopes.js';
import { API_STATUSES, OBSERVATION_SOURCES } from '../../domain/api.js';
import { BASEPATH_MAX_LENGTH, BASEPATH_PATTERN } from '../../domain/basepath.js';
import { EVENT_KINDS } from '../../domain/events.js';
import { INSTANCE_STATES } from '../../domain/instance.js';
import { s } from './schema.js';

/**
 * The shapes the API answers with, shared by several routes and published once in the OpenAPI
 * document's `components.schemas`. Responses are closed (`additionalProperties: false`): a field
 * a handler adds without documenting it fails the test suite's response check.
 */

const nullableString = s.nullable(s.string());
const nullableInteger = s.nullable(s.integer());
const nullableTime = s.nullable(s.time());
const stringMap = s.map(s.string());

export const ERROR_RESPONSE = s.named(
  'Error',
  s.object(
    {
      error: s.object(
        {
          code: s.enum(Object.keys(HTTP_STATUS_BY_CODE), { description: 'a stable SNAKE_CASE code' }),
          message: s.string({ description: 'what went wrong and what to do, for people' }),
          details: s.any({ description: 'the field at fault (`field`), allowed values, problems…' }),
        },
        { required: ['code', 'message'] },
      ),
    },
    { required: ['error'], description: 'Every error (SPEC.md §6)' },
  ),
);

export const BASEPATH = s.string({
  pattern: BASEPATH_PATTERN,
  maxLength: BASEPATH_MAX_LENGTH,
  description: 'an API, by the path its URLs start with: `/orders/v1`',
});

const BY_SOURCE = s.record(
  Object.fromEntries(OBSERVATION_SOURCES.map((source) => [source, s.integer({ minimum: 0 })])),
  { description: 'samples by where they came from' },
);

export const INSTANCE = s.named(
  'Instance',
  s.record({
    instanceId: s.string(),
    service: s.string(),
    state: s.enum(INSTANCE_STATES),
    unconfirmed: s.boolean({ description: 'kept alive by self-preservation without a recent beat' }),
    status: s.nullable(s.enum(CHECK_STATUSES)),
    registeredAt: nullableTime,
    lastHeartbeatAt: nullableTime,
    stateChangedAt: nullableTime,
    leaseExpiresAt: nullableTime,
    removedAt: nullableTime,
    beats: s.integer({ minimum: 0 }),
    appName: nullableString,
    appType: nullableString,
    artifact: nullableString,
    hostName: nullableString,
    version: nullableString,
    ip: s.array(s.string()),
    processId: nullableInteger,
    interval: nullableInteger,
    heartbeatTime: nullableInteger,
    lastHeartbeatTime: nullableInteger,
    plugins: s.array(
      s.object({ name: s.string(), version: s.string(), extInfo: stringMap }, { required: ['name'] }),
    ),
    extInfo: stringMap,
    checks: s.array(
      s.object(
        { name: s.string(), status: s.enum(CHECK_STATUSES), message: s.string() },
        { required: ['name', 'status'] },
      ),
    ),
    basepaths: s.array(s.string()),
  }),
);

export const SERMANT_INSTANCE = s.named(
  'SermantInstance',
  s.record(
    {
      instanceId: s.string(),
      service: s.string(),
      appName: s.string(),
      appType: nullableString,
      artifact: nullableString,
      hostName: nullableString,
      ip: s.array(s.string()),
      processId: nullableInteger,
      version: nullableString,
      heartbeatTime: s.integer(),
      lastHeartbeatTime: nullableInteger,
      health: s.boolean({ description: 'false once lost' }),
      state: s.enum(INSTANCE_STATES),
      extInfo: stringMap,
      pluginInfoMap: s.array(s.record({ name: s.string(), version: nullableString, extInfo: stringMap })),
    },
    { description: "One instance as Sermant's own panel reads it (seed 002)" },
  ),
);

export const EVENT = s.named(
  'Event',
  s.record({
    id: s.integer({ minimum: 1 }),
    at: s.time(),
    kind: s.enum(EVENT_KINDS),
    instanceId: nullableString,
    service: nullableString,
    data: s.any({ description: 'what happened, by kind' }),
  }),
);

export const SERVICE = s.named(
  'Service',
  s.record({
    service: s.string(),
    instances: s.record({
      alive: s.integer({ minimum: 0 }),
      lost: s.integer({ minimum: 0 }),
      stopped: s.integer({ minimum: 0 }),
      total: s.integer({ minimum: 0 }),
      unconfirmed: s.integer({ minimum: 0 }),
    }),
    health: s.nullable(s.enum(CHECK_STATUSES)),
    versions: s.array(s.record({ version: s.string(), instances: s.integer({ minimum: 0 }) })),
    lastHeartbeatAt: nullableTime,
  }),
);

export const API_HEARTBEAT = s.named(
  'ApiHeartbeat',
  s.record({ basepath: s.string(), status: s.enum(API_STATUSES) }, { description: 'As seed 001 shows it' }),
);

export const API_SUMMARY_FIELDS = {
  basepath: s.string(),
  name: nullableString,
  owner: nullableString,
  status: s.enum(API_STATUSES),
  since: s.time({ description: 'when it took this status' }),
  ratio: s.nullable(s.number({ minimum: 0, maximum: 1 })),
  samples: s.integer({ minimum: 0 }),
  failures: s.integer({ minimum: 0 }),
  p50Ms: s.nullable(s.number()),
  p95Ms: s.nullable(s.number()),
  bySource: BY_SOURCE,
  drivenBy: s.nullable(s.enum(OBSERVATION_SOURCES)),
  threshold: s.number(),
  minSamples: s.integer(),
  windowMs: s.integer(),
  origin: s.enum(['config', 'api', 'auto']),
  pulse: s.nullable(s.record({ enabled: s.boolean(), url: s.string(), intervalMs: s.integer() })),
  runbook: nullableString,
};

export const API_SUMMARY = s.named('ApiSummary', s.record(API_SUMMARY_FIELDS));

const STATUS_RANGE = s.array(s.integer({ minimum: 100, maximum: 599 }), { minItems: 2, maxItems: 2 });
const JSON_SCALAR = { type: ['string', 'number', 'boolean', 'null'] };

export const API_DEFINITION = s.named(
  'ApiDefinition',
  s.object(
    {
      basepath: s.string(),
      name: s.string(),
      owner: s.string(),
      upstream: s.string(),
      runbook: s.string(),
      labels: stringMap,
      windowMs: s.integer(),
      threshold: s.number(),
      minSamples: s.integer(),
      failOn: s.record({ statusRanges: s.array(STATUS_RANGE), errors: s.boolean() }),
      pulse: s.object(
        {
          enabled: s.boolean(),
          url: s.string(),
          method: s.string(),
          headers: stringMap,
          body: s.string(),
          intervalMs: s.integer(),
          timeoutMs: s.integer(),
          expect: s.object(
            {
              status: s.array(STATUS_RANGE),
              json: s.array(
                s.object(
                  {
                    path: s.string(),
                    equals: JSON_SCALAR,
                    notEquals: JSON_SCALAR,
                    exists: s.boolean(),
                    greaterThan: s.number(),
                    lessThan: s.number(),
                    matches: s.string(),
                  },
                  { required: ['path'] },
                ),
              ),
              maxResponseTimeMs: s.integer(),
            },
            { required: ['status', 'json'] },
          ),
        },
        { required: ['enabled', 'url', 'method', 'headers', 'intervalMs', 'timeoutMs', 'expect'] },
      ),
      origin: s.enum(['config', 'api', 'auto']),
      createdAt: s.time(),
      updatedAt: s.time(),
    },
    {
      required: [
        'basepath',
        'labels',
        'windowMs',
        'threshold',
        'minSamples',
        'failOn',
        'origin',
        'createdAt',
        'updatedAt',
      ],
      description: 'An API as the hub keeps it: durations in ms, status classes as ranges',
    },
  ),
);

export const API_DETAIL = s.named(
  'ApiDetail',
  s.record({
    ...API_SUMMARY_FIELDS,
    definition: API_DEFINITION,
    lastFailures: s.array(
      s.record({
        at: s.time(),
        statusCode: nullableInteger,
        error: nullableString,
        durationMs: s.number(),
        source: s.enum(OBSERVATION_SOURCES),
      }),
    ),
    history: s.array(
      s.record({
        start: s.time(),
        resolution: s.enum(['minute', 'hour']),
        samples: s.integer({ minimum: 0 }),
        failures: s.integer({ minimum: 0 }),
        ratio: s.nullable(s.number({ minimum: 0, maximum: 1 })),
        bySource: BY_SOURCE,
        p50Ms: s.nullable(s.number()),
        p95Ms: s.nullable(s.number()),
      }),
    ),
    timeline: s.array(EVENT),
    probes: s.array(
      s.record({
        basepath: s.string(),
        at: s.time(),
        ok: s.boolean(),
        statusCode: nullableInteger,
        error: nullableString,
        durationMs: s.number(),
        detail: nullableString,
      }),
    ),
  }),
);

export const API_KEY_FIELDS = {
  id: s.string(),
  name: s.string(),
  scopes: s.array(s.enum(SCOPES)),
  createdAt: s.time(),
  revokedAt: nullableTime,
};

export const API_KEY = s.named('ApiKey', s.record(API_KEY_FIELDS));

/** Unknown fields of a request, ignored and named so a newer client learns what an older hub skipped. */
export const WARNINGS = s.array(s.string(), {
  description: 'unknown fields, ignored: `[0].colour: unknown field, ignored`',
});
