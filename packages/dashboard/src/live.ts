import { useEffect, useState } from 'preact/hooks';
import { apiUrl, currentKey, get, HubError } from './api.js';
import { EVENT_KINDS } from './types.js';

export type LiveState = 'connecting' | 'live' | 'offline';

/** How long to gather a burst of events before the screens refresh: well inside the 2 s promise. */
const SETTLE_MS = 250;
/** Under a steady stream of events, refresh at most this often (each open page costs the hub a few reads). */
const MIN_REFRESH_MS = 700;
/** Refresh anyway this often: heartbeats move "last heartbeat" without any event. */
const PERIODIC_MS = 15_000;
const RETRY_MS = 2000;

let version = 0;
let state: LiveState = 'connecting';
const versionListeners = new Set<(version: number) => void>();
const stateListeners = new Set<(state: LiveState) => void>();
let source: EventSource | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let bumpTimer: ReturnType<typeof setTimeout> | undefined;
let lastEventId: string | undefined;
let lastRefreshAt = 0;
let periodic: ReturnType<typeof setInterval> | undefined;

function setState(next: LiveState): void {
  if (state === next) return;
  state = next;
  for (const listener of stateListeners) listener(state);
}

/** Every screen reloads what it shows when this number changes. */
function bump(): void {
  if (bumpTimer !== undefined) return;
  const wait = Math.max(SETTLE_MS, lastRefreshAt + MIN_REFRESH_MS - Date.now());
  bumpTimer = setTimeout(() => {
    bumpTimer = undefined;
    lastRefreshAt = Date.now();
    version++;
    for (const listener of versionListeners) listener(version);
  }, wait);
}

/**
 * Opens the hub's event stream. The browser's EventSource reconnects by itself with Last-Event-ID;
 * when it gives up (the hub answered an error while restarting, or the key was refused), a new one
 * is opened after 2 s from the last id seen, so nothing is missed.
 */
export function connectLive(): void {
  clearTimeout(retryTimer);
  periodic ??= setInterval(bump, PERIODIC_MS);
  source?.close();
  const key = currentKey();
  const url = apiUrl('/v1/events/stream', { key, lastEventId });
  const stream = new EventSource(url);
  source = stream;
  setState('connecting');
  stream.onopen = () => {
    setState('live');
    bump(); // catch up on anything that changed while disconnected
  };
  stream.onerror = () => {
    if (source !== stream) return;
    setState('offline');
    if (stream.readyState === EventSource.CLOSED) {
      retryTimer = setTimeout(() => {
        // A refused key shows the prompt (through get's 401), which reconnects once a key is saved.
        get('/v1/hub').then(connectLive, (error: unknown) => {
          if (!(error instanceof HubError && error.status === 401)) connectLive();
        });
      }, RETRY_MS);
    }
  };
  const onEvent = (message: MessageEvent<string>) => {
    if (message.lastEventId) lastEventId = message.lastEventId;
    bump();
  };
  stream.onmessage = onEvent;
  for (const kind of EVENT_KINDS) stream.addEventListener(kind, onEvent as EventListener);
}

export function useLiveVersion(): number {
  const [current, setCurrent] = useState(version);
  useEffect(() => {
    versionListeners.add(setCurrent);
    setCurrent(version); // it may have changed between the first render and now
    return () => void versionListeners.delete(setCurrent);
  }, []);
  return current;
}

export function useLiveState(): LiveState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    stateListeners.add(setCurrent);
    setCurrent(state);
    return () => void stateListeners.delete(setCurrent);
  }, []);
  return current;
}
