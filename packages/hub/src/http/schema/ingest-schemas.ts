import { CHECK_STATUSES } from '@heartbeat/sdk';
import { OBSERVATION_SOURCES } from '../../domain/api.js';
import { BASEPATH_MAX_LENGTH, BASEPATH_PATTERN } from '../../domain/basepath.js';
import { HEARTBEAT_LIMITS as L, INSTANCE_ID_PATTERN } from '../../domain/heartbeat-message.js';
import { OBSERVATION_LIMITS as O } from '../../domain/observation.js';
import { STRING_MAP_LIMITS } from '../../domain/validation.js';
import { s, type JsonSchema } from './schema.js';

/**
 * The JSON Schemas of the two ingest bodies. Their validators (domain/heartbeat-message.ts,
 * domain/observation.ts) stay hand-written, because they are the hub's hot path and report every
 * problem by field; these schemas read the same limits, and ingest-schemas.test.ts checks on a
 * corpus of good and bad messages that schema and validator agree, both ways.
 *
 * What the validators treat as absent, `null` included, the schemas admit as `null`.
 */

/** Printable text: the validators refuse control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
// eslint-disable-next-line no-control-regex -- NUL is what PostgreSQL cannot store
const NO_NUL = /^[^\u0000]*$/;
const text = (maxLength: number, minLength = 0) => s.string({ pattern: PRINTABLE, maxLength, minLength });
const optional = (schema: JsonSchema) => s.nullable(schema);

const STRING_MAP_SCHEMA: JsonSchema = {
  ...s.map(s.string({ maxLength: STRING_MAP_LIMITS.maxValueLength, pattern: NO_NUL }), {
    description: 'free `{string: string}` pairs',
  }),
  maxProperties: STRING_MAP_LIMITS.maxKeys,
  propertyNames: { maxLength: STRING_MAP_LIMITS.maxKeyLength, pattern: '^[^\\u0000]*$' },
};

const PLUGIN = s.object(
  {
    name: text(L.pluginNameLength, 1),
    version: optional(text(L.pluginVersionLength)),
    extInfo: optional(STRING_MAP_SCHEMA),
  },
  { required: ['name'], additional: true },
);

const REPORTED_CHECK = s.object(
  {
    name: text(L.checkNameLength, 1),
    status: s.enum(CHECK_STATUSES),
    message: optional(
      s.string({
        pattern: PRINTABLE,
        description: `cut to ${L.checkMessageLength} characters, with a warning`,
      }),
    ),
  },
  { required: ['name', 'status'], additional: true },
);

const epochMs = (description: string) =>
  optional(s.integer({ minimum: 0, maximum: L.maxEpochMs, description }));

/** One heartbeat (SPEC.md §4). Unknown fields are accepted and named in the answer's `warnings`. */
export const HEARTBEAT_MESSAGE = s.named(
  'HeartbeatMessage',
  s.object(
    {
      instanceId: s.string({
        pattern: INSTANCE_ID_PATTERN,
        description: 'unique per instance; URL-safe: letters, digits and . _ ~ : @ -',
      }),
      service: text(L.serviceLength, 1),
      appName: optional(text(L.textLength)),
      appType: optional(text(L.textLength)),
      artifact: optional(text(L.textLength)),
      hostName: optional(text(L.textLength)),
      version: optional(text(L.textLength)),
      ip: optional(s.array(optional(text(L.ipLength)), { maxItems: L.ips })),
      processId: optional(s.integer({ minimum: 0, maximum: L.processIdMax })),
      heartbeatTime: epochMs("the agent's clock when it sent the beat; the hub stamps its own"),
      lastHeartbeatTime: epochMs("the agent's clock at its previous beat"),
      interval: optional(
        s.integer({
          minimum: L.intervalMin,
          maximum: L.intervalMax,
          description: 'ms between beats, as the agent promises',
        }),
      ),
      plugins: optional(s.array(PLUGIN, { maxItems: L.plugins })),
      extInfo: optional(STRING_MAP_SCHEMA),
      status: optional(s.enum(CHECK_STATUSES, { description: "the instance's own health" })),
      checks: optional(s.array(REPORTED_CHECK, { maxItems: L.checks })),
      basepaths: optional(
        s.array(s.string({ pattern: BASEPATH_PATTERN, maxLength: BASEPATH_MAX_LENGTH }), {
          maxItems: L.basepaths,
          description: 'the APIs this instance serves',
        }),
      ),
    },
    { required: ['instanceId', 'service'], additional: true },
  ),
);

/** The body of `POST /v1/instances/heartbeats`: one message, or a batch of at most `maxBatch`. */
export function heartbeatBody(maxBatch: number): JsonSchema {
  return s.anyOf([HEARTBEAT_MESSAGE, s.array(HEARTBEAT_MESSAGE, { minItems: 1, maxItems: maxBatch })]);
}

/**
 * One observation (SPEC.md §5): `statusCode` or `error`, not both. A `timestamp` text is anything
 * `Date.parse` reads (ISO 8601 is the documented form); up to a minute ahead is taken as now.
 */
export const OBSERVATION = s.named('Observation', {
  ...s.object(
    {
      basepath: s.string({ pattern: BASEPATH_PATTERN, maxLength: BASEPATH_MAX_LENGTH }),
      statusCode: optional(s.integer({ minimum: O.statusMin, maximum: O.statusMax })),
      error: optional(
        s.string({
          minLength: 1,
          maxLength: O.errorLength,
          description: 'a transport failure instead of an answer: `timeout`, `connection refused`',
        }),
      ),
      durationMs: s.number({ minimum: 0, maximum: O.maxDurationMs }),
      timestamp: optional(
        s.anyOf([
          s.number({ minimum: 0, description: 'epoch milliseconds' }),
          s.string({ maxLength: O.timestampTextLength, examples: ['2026-11-21T10:11:12.345Z'] }),
        ]),
      ),
      source: optional(s.enum(OBSERVATION_SOURCES, { description: 'default `traffic`' })),
    },
    { required: ['basepath', 'durationMs'], additional: true },
  ),
  anyOf: [
    { required: ['statusCode'], properties: { statusCode: { type: 'integer' }, error: { type: 'null' } } },
    { required: ['error'], properties: { error: { type: 'string' }, statusCode: { type: 'null' } } },
  ],
});

/** The body of `POST /v1/observations`: items are judged one by one, bad ones reported by index. */
export function observationBody(maxItems: number): JsonSchema {
  return s.array(OBSERVATION, { maxItems });
}
