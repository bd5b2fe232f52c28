import { HeartbeatError } from '@heartbeat/sdk';
import { INSTANCE_ID_PATTERN, validateHeartbeats } from '../../domain/heartbeat-message.js';
import { INSTANCE_STATES } from '../../domain/instance.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { INSTANCE, WARNINGS } from '../schema/common-schemas.js';
import { heartbeatBody } from '../schema/ingest-schemas.js';
import { queryParam } from '../schema/query-param.js';
import { s } from '../schema/schema.js';
import { instanceView } from '../views.js';

const SERVICE = queryParam.text('service', 256, 'only instances of this service');
const STATE = queryParam.enum('state', INSTANCE_STATES, 'only instances in this state');
const SEARCH = queryParam.text(
  'q',
  256,
  'case-insensitive text in the id, service, host, IP, version or app name',
);
const LIMIT = queryParam.integer('limit', { min: 1, max: 1000, fallback: 100 }, 'most instances per page');
const CURSOR = queryParam.text('cursor', 1024, "where to go on from: a previous page's `nextCursor`");
const INSTANCE_ID = {
  schema: s.string({ pattern: INSTANCE_ID_PATTERN }),
  description: 'the instance, as its heartbeats name it',
};

/** The outcome label of `heartbeat_heartbeats_total`, made once. */
const ACCEPTED = ['accepted'] as const;
const REJECTED = ['rejected'] as const;

const MINIMAL_APPLIED = { 'preference-applied': 'return=minimal' };

/**
 * Whether a `Prefer` header (RFC 7240) asks for `return=minimal`: preferences are separated by
 * commas, their names and the value `minimal` are case-insensitive, and the value may be quoted.
 */
function prefersMinimal(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  if (header === 'return=minimal') return true;
  const preferences = Array.isArray(header) ? header.join(',') : header;
  return preferences
    .split(',')
    .some((preference) => /^\s*return\s*=\s*"?minimal"?\s*(;.*)?$/i.test(preference));
}

/**
 * The answer to accepted heartbeats, as JSON text: `{"accepted":1,"warnings":[],"validTime":60000}`.
 * Written out when there is no warning (almost every beat), rather than built and serialized.
 */
function acceptedAnswer(accepted: number, warnings: readonly string[], validTime: number): string {
  if (warnings.length > 0) return JSON.stringify({ accepted, warnings, validTime });
  return `{"accepted":${accepted},"warnings":[],"validTime":${validTime}}`;
}

/** SPEC.md §4: heartbeats in, goodbyes, and the registry out. */
export function instanceRoutes(hub: HubContext): Route[] {
  const { registry, config } = hub;
  return [
    {
      method: 'POST',
      path: '/v1/instances/heartbeats',
      scope: 'ingest',
      doc: {
        summary: 'Push heartbeats',
        description:
          'One message or a batch (at most `ingest.maxBatch`). All or nothing: every problem of every message is reported, by field. Unknown fields are ignored and named in `warnings`. Answers once the beats are stored. With `Prefer: return=minimal` (RFC 7240; the SDK agent sends it once it has had one full answer), beats accepted without a warning are answered 204 with no body.',
        tags: ['instances'],
        body: { schema: heartbeatBody(config.ingest.maxBatch) },
        responses: {
          200: {
            description: 'Accepted',
            schema: s.record({
              accepted: s.integer({ minimum: 1 }),
              warnings: WARNINGS,
              validTime: s.integer({ description: 'ms without a beat before an instance is lost' }),
            }),
          },
          204: {
            description:
              'Accepted with nothing to report, for a request with `Prefer: return=minimal` (warnings are always answered 200)',
            headers: { 'preference-applied': '`return=minimal`' },
          },
        },
      },
      handle({ request }) {
        // Promise steps rather than one async function, so the parsed body is not kept until the
        // commit (a suspended async function keeps its locals): only the small answer waits.
        return readJsonBody(request, config.ingest.maxBodyBytes).then((body) => {
          let validated;
          try {
            validated = validateHeartbeats(body, config.ingest.maxBatch);
          } catch (thrown) {
            hub.metrics.heartbeats.inc(REJECTED, Array.isArray(body) ? body.length : 1);
            throw thrown;
          }
          const accepted = validated.messages.length;
          // Nothing to report, and the agent said it needs no answer: 204, no body (RFC 7240).
          const minimal = validated.warnings.length === 0 && prefersMinimal(request.headers.prefer);
          const json = minimal
            ? ''
            : acceptedAnswer(accepted, validated.warnings, config.instances.validTime);
          return registry.ingest(validated.messages).then(() => {
            hub.metrics.heartbeats.inc(ACCEPTED, accepted);
            return minimal ? { status: 204, headers: MINIMAL_APPLIED } : { status: 200, json };
          });
        });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/instances/:instanceId',
      scope: 'ingest',
      doc: {
        summary: 'Say goodbye',
        description: 'A graceful shutdown: the instance becomes `stopped`, not `lost`, and raises no alert.',
        tags: ['instances'],
        params: { instanceId: INSTANCE_ID },
        responses: { 204: { description: 'Stopped' }, 404: { description: 'No such live instance' } },
      },
      async handle({ params }) {
        const instanceId = checkInstanceId(params.instanceId);
        await registry.goodbye(instanceId);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/v1/instances',
      scope: 'read',
      doc: {
        summary: 'List instances',
        description: 'The live registry (alive, lost, stopped), by instance id, a page at a time.',
        tags: ['instances'],
        query: [SERVICE, STATE, SEARCH, LIMIT, CURSOR],
        responses: {
          200: {
            description: 'A page of instances',
            schema: s.record({
              items: s.array(INSTANCE),
              total: s.integer({ minimum: 0 }),
              nextCursor: s.nullable(s.string()),
            }),
          },
        },
      },
      handle({ query }) {
        const page = registry.list({
          service: SERVICE.read(query),
          state: STATE.read(query),
          q: SEARCH.read(query),
          limit: LIMIT.read(query),
          cursor: CURSOR.read(query),
        });
        return {
          status: 200,
          body: {
            items: page.items.map((record) =>
              instanceView(record, registry.leaseExpiresAt(record.instanceId)),
            ),
            total: page.total,
            nextCursor: page.nextCursor,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/instances/:instanceId',
      scope: 'read',
      doc: {
        summary: 'One instance',
        description: 'From the live registry, else from history.',
        tags: ['instances'],
        params: { instanceId: INSTANCE_ID },
        responses: {
          200: { description: 'The instance', schema: INSTANCE },
          404: { description: 'Never seen, or gone from history' },
        },
      },
      async handle({ params }) {
        const instanceId = checkInstanceId(params.instanceId);
        const record = registry.get(instanceId) ?? (await hub.store.getInstance(instanceId));
        if (!record) {
          throw new HeartbeatError('NOT_FOUND', `no instance "${instanceId}", live or in history`, {
            instanceId,
          });
        }
        return { status: 200, body: instanceView(record, registry.leaseExpiresAt(instanceId)) };
      },
    },
  ];
}

function checkInstanceId(value: string | undefined): string {
  if (value === undefined || !INSTANCE_ID_PATTERN.test(value)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `instanceId ${JSON.stringify(value)} must start with a letter or digit and use only letters, digits and . _ ~ : @ -`,
      { field: 'instanceId' },
    );
  }
  return value;
}
