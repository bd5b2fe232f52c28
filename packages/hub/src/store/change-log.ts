import type { StoredEvent } from '../domain/events.js';
import type { ChangeRecord, CommitBatch } from './store.js';

/**
 * What the change log keeps of a committed batch besides its events: the part other replicas fold
 * into memory. Stored as text (JSON), apart from the events, so a replica reading its own changes
 * (for their events only) never transfers or parses the rest.
 */
export type ChangePayload = Omit<ChangeRecord, 'seq' | 'replica' | 'at' | 'events'>;

/**
 * The replicated part of a batch. History, failures and probe results are not in it: replicas read
 * those from the store when asked.
 */
export function changePayload(batch: CommitBatch): ChangePayload {
  return {
    instances: [...batch.instances],
    instanceTouches: [...(batch.instanceTouches ?? [])],
    apis: [...(batch.apis ?? [])],
    deletedApis: [...(batch.deletedApis ?? [])],
    apiBuckets: (batch.apiBuckets ?? []).map((bucket) => ({ ...bucket, replica: batch.replica ?? '' })),
  };
}

/** A change row read back; `payload` null when it was left out (`listChanges`' `eventsOnlyOf`). */
export function toChange(
  seq: number,
  replica: string,
  at: number,
  payload: string | null,
  events: string | null,
): ChangeRecord {
  const parsed = payload === null ? undefined : (JSON.parse(payload) as Partial<ChangePayload>);
  return {
    seq,
    replica,
    at,
    instances: parsed?.instances ?? [],
    instanceTouches: parsed?.instanceTouches ?? [],
    apis: parsed?.apis ?? [],
    deletedApis: parsed?.deletedApis ?? [],
    apiBuckets: parsed?.apiBuckets ?? [],
    events: events === null ? [] : (JSON.parse(events) as StoredEvent[]),
  };
}
