import type { StoredEvent } from '../domain/events.js';

export type EventListener = (events: readonly StoredEvent[]) => void;

/** In-process fan-out of committed events to live subscribers (the SSE streams). */
export interface EventBus {
  publish(events: readonly StoredEvent[]): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void;
  readonly subscribers: number;
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>();
  return {
    publish(events) {
      for (const listener of listeners) {
        try {
          listener(events);
        } catch {
          // A broken subscriber must not stop the others; it is the subscriber's to log.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get subscribers() {
      return listeners.size;
    },
  };
}
