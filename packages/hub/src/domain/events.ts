/** Every transition the hub records (SPEC.md §4; API transitions join later). */
export type EventKind =
  | 'instance.registered'
  | 'instance.lost'
  | 'instance.recovered'
  | 'instance.stopped'
  | 'instance.removed'
  | 'instance.health_changed'
  | 'hub.self_preservation_entered'
  | 'hub.self_preservation_left';

export const EVENT_KINDS: readonly EventKind[] = [
  'instance.registered',
  'instance.lost',
  'instance.recovered',
  'instance.stopped',
  'instance.removed',
  'instance.health_changed',
  'hub.self_preservation_entered',
  'hub.self_preservation_left',
];

/** An event before the store has numbered it. */
export interface NewEvent {
  /** When it happened (epoch ms). */
  at: number;
  kind: EventKind;
  instanceId?: string;
  service?: string;
  /** What changed and the evidence, e.g. `{ from: 'alive', to: 'lost', silentForMs: 60012 }`. */
  data: Record<string, unknown>;
}

/** An event as stored: numbered in the order it was written, which is the order of the stream. */
export interface StoredEvent extends NewEvent {
  id: number;
}
