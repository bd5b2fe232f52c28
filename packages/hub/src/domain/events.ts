/** Every transition the hub records (SPEC.md §4; API transitions join later). */
export type EventKind =
  | 'instance.registered'
  | 'instance.lost'
  | 'instance.recovered'
  | 'instance.stopped'
  | 'instance.removed'
  | 'instance.health_changed'
  | 'hub.self_preservation_entered'
  | 'hub.self_preservation_left'
  | 'api.registered'
  | 'api.changed'
  | 'api.removed'
  | 'api.status_changed';

export const EVENT_KINDS: readonly EventKind[] = [
  'instance.registered',
  'instance.lost',
  'instance.recovered',
  'instance.stopped',
  'instance.removed',
  'instance.health_changed',
  'hub.self_preservation_entered',
  'hub.self_preservation_left',
  'api.registered',
  'api.changed',
  'api.removed',
  'api.status_changed',
];

/** An event before the store has numbered it. */
export interface NewEvent {
  /** When it happened (epoch ms). */
  at: number;
  kind: EventKind;
  instanceId?: string;
  service?: string;
  /** The API an `api.*` event is about. */
  basepath?: string;
  /** What changed and the evidence, e.g. `{ from: 'alive', to: 'lost', silentForMs: 60012 }`. */
  data: Record<string, unknown>;
}

/** An event as stored: numbered in the order it was written, which is the order of the stream. */
export interface StoredEvent extends NewEvent {
  id: number;
}

/** The stored form of an event, once the store has given it its id. */
export function storedEvent(id: number, event: NewEvent): StoredEvent {
  const stored: StoredEvent = { id, at: event.at, kind: event.kind, data: event.data };
  if (event.instanceId !== undefined) stored.instanceId = event.instanceId;
  if (event.service !== undefined) stored.service = event.service;
  if (event.basepath !== undefined) stored.basepath = event.basepath;
  return stored;
}
