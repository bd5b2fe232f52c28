import { HeartbeatError } from '@heartbeat/sdk';
import { validateObservations } from '../../domain/observation.js';
import type { HubContext } from '../hub-context.js';
import { readJsonBody } from '../request-body.js';
import type { Route } from '../router.js';
import { WARNINGS } from '../schema/common-schemas.js';
import { observationBody } from '../schema/ingest-schemas.js';
import { s } from '../schema/schema.js';

const ITEM_PROBLEMS = s.array(
  s.record({ index: s.integer({ minimum: 0 }), field: s.string(), message: s.string() }),
  { description: 'the first 100 rejected items: index in the request, field, why' },
);

/** At most this many observations per request. */
export const MAX_OBSERVATIONS_PER_REQUEST = 10_000;

/**
 * `POST /v1/observations` (SPEC.md §5): request outcomes, item by item — the good ones are counted
 * and stored, each bad one is reported with its index and field. Answers once the accepted ones are
 * durably stored (they survive `kill -9`).
 */
export function observationRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/observations',
      scope: 'ingest',
      doc: {
        summary: 'Push request outcomes',
        description:
          'Item by item: good items are counted and stored, each bad one is reported with its index. A 400 only when none was accepted. Answers once the accepted ones are stored.',
        tags: ['apis'],
        body: { schema: observationBody(MAX_OBSERVATIONS_PER_REQUEST) },
        responses: {
          200: {
            description: 'At least one accepted',
            schema: s.record({
              accepted: s.integer({ minimum: 0 }),
              rejected: s.integer({ minimum: 0 }),
              errors: ITEM_PROBLEMS,
              warnings: WARNINGS,
            }),
          },
        },
      },
      handle({ request }) {
        // Promise steps rather than one async function: a suspended async function keeps its
        // locals, so the parsed batch would survive every garbage collection until the commit.
        // Here only the small answer waits for it.
        return readJsonBody(request, hub.config.ingest.maxBodyBytes * 4).then((body) => {
          const { answer, stored } = countObservations(hub, body);
          return stored.then(() => ({ status: 200, body: answer }));
        });
      },
    },
  ];
}

/** Validates and counts a batch; what to answer once `stored` resolves (the accepted ones are durable). */
function countObservations(hub: HubContext, body: unknown): { answer: object; stored: Promise<void> } {
  const validated = validateObservations(body, MAX_OBSERVATIONS_PER_REQUEST, Date.now());
  const counted = hub.apis.ingest(validated.observations);
  const rejected = validated.rejected + counted.rejected;
  if (counted.accepted > 0) hub.metrics.observations.inc(['api', 'accepted'], counted.accepted);
  if (rejected > 0) hub.metrics.observations.inc(['api', 'rejected'], rejected);
  // The registry numbers its problems within the accepted list; report them by the request's index.
  const counting = counted.problems.map((problem) => ({
    ...problem,
    index: validated.indexes[problem.index] ?? problem.index,
  }));
  const errors = [...validated.problems, ...counting].sort((a, b) => a.index - b.index).slice(0, 100);
  if (counted.accepted === 0 && rejected > 0) {
    const first = errors[0];
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `no observation was accepted: ${rejected} rejected${first ? `, the first at [${first.index}].${first.field}: ${first.message}` : ''}`,
      { field: first ? `[${first.index}].${first.field}` : undefined, rejected, errors },
    );
  }
  return {
    answer: { accepted: counted.accepted, rejected, errors, warnings: validated.warnings },
    stored: counted.stored,
  };
}
