import type { StoredEvent } from '../domain/events.js';

export type EventListener = (events: readonly StoredEvent[]) => void;

/** In-process fan-out of committed events to live subscribers (the SSE streams). */
export interface EventBus {
  publish(events: readonly StoredEvent[]): void;
  /** Returns the function that unsubscribes. `onClose` is called if the bus closes first. */
  subscribe(listener: EventListener, onClose?: () => void): () => void;
  /** Tells every subscriber the bus is closing (the hub is stopping), and forgets them. */
  close(): void;
  readonly subscribers: number;
}

export function createEventBus(): EventBus {
  const listeners = new Map<EventListener, (() => void) | undefined>();
  return {
    publish(events) {
      for (const listener of listeners.keys()) {
        try {
          listener(events);
        } catch {
          // A broken subscriber must not stop the others; it is the subscriber's to log.
        }
      }
    },
    subscribe(listener, onClose) {
      listeners.set(listener, onClose);
      return () => listeners.delete(listener);
    },
    close() {
      const closing = [...listeners.values()];
      listeners.clear();
      for (const onClose of closing) onClose?.();
    },
    get subscribers() {
      return listeners.size;
    },
  };
}
