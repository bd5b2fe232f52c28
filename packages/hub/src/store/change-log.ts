import type { StoredEvent } from '../domain/events.js';
import type { ChangeRecord, CommitBatch } from './store.js';

/** What the change log keeps of a committed batch: the part other replicas fold into memory. */
export type ChangePayload = Omit<ChangeRecord, 'seq' | 'replica' | 'at'>;

/**
 * The replicated part of a batch, with its events as numbered by the commit. History, failures and
 * probe results are not in it: replicas read those from the store when asked.
 */
export function changePayload(batch: CommitBatch, events: readonly StoredEvent[]): ChangePayload {
  return {
    instances: [...batch.instances],
    instanceTouches: [...(batch.instanceTouches ?? [])],
    apis: [...(batch.apis ?? [])],
    deletedApis: [...(batch.deletedApis ?? [])],
    apiBuckets: (batch.apiBuckets ?? []).map((bucket) => ({ ...bucket, replica: batch.replica ?? '' })),
    events: [...events],
  };
}

/** A change row read back. */
export function toChange(seq: number, replica: string, at: number, payload: ChangePayload): ChangeRecord {
  return {
    seq,
    replica,
    at,
    instances: payload.instances ?? [],
    instanceTouches: payload.instanceTouches ?? [],
    apis: payload.apis ?? [],
    deletedApis: payload.deletedApis ?? [],
    apiBuckets: payload.apiBuckets ?? [],
    events: payload.events ?? [],
  };
}
