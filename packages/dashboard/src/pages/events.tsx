import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorNote } from '../components/common.js';
import { EventList } from '../components/event-list.js';
import { useDebounced, useNow, useResource } from '../hooks.js';
import { setQuery, type Location } from '../router.js';
import { EVENT_KINDS, type HubEvent } from '../types.js';

const PAGE = 50;

/** The event log, newest first, filtered by kind and instance; older pages on demand. */
export function EventsPage({ location }: { location: Location }) {
  const now = useNow();
  const kind = location.query.get('kind') ?? '';
  const instanceInput = location.query.get('instanceId') ?? '';
  const instanceId = useDebounced(instanceInput.trim(), 300);
  const latest = useResource(
    () =>
      get<{ items: HubEvent[]; nextBefore: number | null }>('/v1/dashboard/events', {
        kind,
        instanceId,
        limit: PAGE,
      }),
    [kind, instanceId],
  );
  const [older, setOlder] = useState<HubEvent[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [olderError, setOlderError] = useState<string>();
  useEffect(() => {
    setOlder([]);
    setNextBefore(null);
  }, [kind, instanceId]);
  const cursor = older.length > 0 ? nextBefore : (latest.data?.nextBefore ?? null);
  const loadOlder = async () => {
    if (cursor === null) return;
    try {
      const page = await get<{ items: HubEvent[]; nextBefore: number | null }>('/v1/dashboard/events', {
        kind,
        instanceId,
        limit: PAGE,
        before: cursor,
      });
      setOlder([...older, ...page.items]);
      setNextBefore(page.nextBefore);
      setOlderError(undefined);
    } catch (error) {
      setOlderError(error instanceof Error ? error.message : String(error));
    }
  };
  const events = [...(latest.data?.items ?? []), ...older];
  return (
    <>
      <h1>Events</h1>
      <div class="toolbar">
        <label class="select">
          <span class="visually-hidden">Kind</span>
          <select value={kind} onChange={(event) => setQuery({ kind: event.currentTarget.value })}>
            <option value="">All kinds</option>
            {EVENT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label class="search">
          <span class="visually-hidden">Instance id</span>
          <input
            type="search"
            placeholder="Instance id…"
            value={instanceInput}
            onInput={(event) => setQuery({ instanceId: event.currentTarget.value })}
          />
        </label>
      </div>
      <ErrorNote error={latest.error ?? olderError} />
      {latest.data && (
        <div class="panel">
          <EventList events={events} now={now} />
        </div>
      )}
      {cursor !== null && (
        <p>
          <button type="button" onClick={() => void loadOlder()}>
            Older events
          </button>
        </p>
      )}
    </>
  );
}
