import type { ServerResponse } from 'node:http';
import { HeartbeatError } from '@heartbeat/sdk';
import { EVENT_KINDS, type EventKind, type StoredEvent } from '../../domain/events.js';
import { INSTANCE_ID_PATTERN } from '../../domain/heartbeat-message.js';
import type { HubContext } from '../hub-context.js';
import { queryText } from '../query.js';
import type { Route } from '../router.js';
import { EVENT } from '../schema/common-schemas.js';
import { queryParam } from '../schema/query-param.js';
import { s } from '../schema/schema.js';
import { eventView } from '../views.js';

const KEEPALIVE_MS = 15_000;
const BACKLOG_PAGE = 1000;
/** A client that cannot keep up is cut off; it reconnects with Last-Event-ID and loses nothing. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const LIMIT = queryParam.integer('limit', { min: 1, max: 1000, fallback: 100 }, 'most events per page');
const AFTER = queryParam.integer(
  'after',
  { min: 0, max: Number.MAX_SAFE_INTEGER },
  "only events after this id: a previous page's `nextAfter`",
);
const SINCE = queryParam.time('since', 'only events at or after this time');
const KIND = queryParam.enumList('kind', EVENT_KINDS, 'only events of these kinds');
const INSTANCE = queryParam.custom(
  'instanceId',
  s.string({ pattern: INSTANCE_ID_PATTERN }),
  "only this instance's events",
  instanceFilter,
);
const LAST_EVENT_ID = queryParam.custom(
  'lastEventId',
  s.string({ pattern: /^\d+$/ }),
  'resume after this event id, for clients that cannot send the `Last-Event-ID` header',
  (query) => query.get('lastEventId'),
);

export function eventRoutes(hub: HubContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/events',
      scope: 'read',
      doc: {
        summary: 'List events',
        description: 'Instance and API events, oldest first, a page at a time.',
        tags: ['events'],
        query: [AFTER, SINCE, KIND, INSTANCE, LIMIT],
        responses: {
          200: {
            description: 'A page of events',
            schema: s.record({ items: s.array(EVENT), nextAfter: s.nullable(s.integer()) }),
          },
        },
      },
      async handle({ query }) {
        const limit = LIMIT.read(query);
        const items = await hub.store.listEvents({
          afterId: AFTER.read(query),
          since: SINCE.read(query),
          kinds: KIND.read(query),
          instanceId: INSTANCE.read(query),
          limit,
        });
        const last = items.at(-1);
        return {
          status: 200,
          body: { items: items.map(eventView), nextAfter: items.length === limit && last ? last.id : null },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/events/stream',
      scope: 'read',
      keyInQuery: true,
      doc: {
        summary: 'Stream events (Server-Sent Events)',
        description:
          'Live events as `text/event-stream` (`id`, `event` = kind, `data` = the event as JSON). With `Last-Event-ID` (header or `lastEventId`), the backlog after it first, with no gap and no duplicate. A keep-alive comment every 15 s.',
        tags: ['events'],
        query: [KIND, INSTANCE, LAST_EVENT_ID],
        responses: {
          200: {
            description: 'The stream',
            contentType: 'text/event-stream',
            schema: s.string({ description: 'SSE frames; each `data` is an Event' }),
          },
        },
      },
      async handle({ request, response, query }) {
        const kinds = KIND.read(query);
        const instanceId = INSTANCE.read(query);
        const resumeFrom = lastEventId(request.headers['last-event-id'], LAST_EVENT_ID.read(query));
        await streamEvents(hub, response, { kinds, instanceId, resumeFrom });
        return 'handled' as const;
      },
    },
  ];
}

function instanceFilter(query: URLSearchParams): string | undefined {
  const instanceId = queryText(query, 'instanceId', 128);
  if (instanceId !== undefined && !INSTANCE_ID_PATTERN.test(instanceId)) {
    throw new HeartbeatError('VALIDATION_FAILED', 'instanceId has characters no instance id can have', {
      field: 'instanceId',
    });
  }
  return instanceId;
}

function lastEventId(header: string | string[] | undefined, param: string | null): number | undefined {
  const raw = (Array.isArray(header) ? header[0] : header) ?? param ?? undefined;
  if (raw === undefined || raw === '') return undefined;
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `Last-Event-ID must be an event id (got ${JSON.stringify(raw)})`,
      {
        field: 'Last-Event-ID',
      },
    );
  }
  return id;
}

interface StreamFilter {
  kinds: EventKind[] | undefined;
  instanceId: string | undefined;
  /** Resume after this event id; undefined streams only what happens from now on. */
  resumeFrom: number | undefined;
}

/**
 * Server-Sent Events: the backlog after `Last-Event-ID` from the store, then live events, with no
 * gap and no duplicate (live events that arrive while the backlog is read are held and deduplicated
 * by id), a keep-alive comment every 15 s, and a cut-off for clients that cannot keep up.
 */
async function streamEvents(hub: HubContext, response: ServerResponse, filter: StreamFilter): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write('retry: 2000\n\n');
  const matches = (event: StoredEvent) =>
    (!filter.kinds || filter.kinds.includes(event.kind)) &&
    (!filter.instanceId || event.instanceId === filter.instanceId);
  let sentUpTo = filter.resumeFrom ?? Number.MAX_SAFE_INTEGER;
  let held: StoredEvent[] | undefined = [];
  let closed = false;

  const send = (events: readonly StoredEvent[]) => {
    for (const event of events) {
      if (event.id <= sentUpTo) continue;
      sentUpTo = event.id;
      if (!matches(event)) continue;
      response.write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(eventView(event))}\n\n`);
    }
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      hub.logger.warn(
        { buffered: response.writableLength },
        'event stream client too slow; closing it (it resumes with Last-Event-ID)',
      );
      response.destroy();
    }
  };
  const unsubscribe = hub.events.subscribe(
    (events) => {
      if (closed) return;
      if (held) held.push(...events);
      else send(events);
    },
    // The hub is stopping: end the stream so the client reconnects (to another replica, or later).
    () => response.end(),
  );
  const keepalive = setInterval(() => response.write(': keep-alive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const cleanup = () => {
    closed = true;
    clearInterval(keepalive);
    unsubscribe();
  };
  response.on('close', cleanup);

  try {
    // Subscribed first, then the position read: nothing committed in between is missed.
    if (filter.resumeFrom === undefined) sentUpTo = await hub.store.lastEventId();
    else {
      for (;;) {
        const page = await hub.store.listEvents({
          afterId: sentUpTo,
          kinds: filter.kinds,
          instanceId: filter.instanceId,
          limit: BACKLOG_PAGE,
        });
        if (closed) return;
        // Filtered pages skip ids; the cursor is the last id read, matching or not.
        const last = page.at(-1);
        send(page);
        if (last) sentUpTo = Math.max(sentUpTo, last.id);
        if (page.length < BACKLOG_PAGE) break;
      }
    }
    const pending = held;
    held = undefined;
    send(pending);
  } catch (thrown) {
    hub.logger.error({ err: String(thrown) }, 'event stream backlog failed; closing the stream');
    cleanup();
    response.destroy();
  }
}
