import type { CheckStatus } from '@heartbeat/sdk';
import type { NewEvent } from './events.js';
import type { HeartbeatMessage, InstanceRecord } from './instance.js';
import { sameMessageApartFromTimes } from './same-message.js';

/** The outcome of applying something to an instance: its new record and what to record about it. */
export interface Transition {
  record: InstanceRecord;
  events: NewEvent[];
}

/**
 * A beat arrived (`receivedAt` is the hub's clock). Registers an unknown instance, brings a lost
 * one back, re-registers a stopped or removed one, and notes a change in its reported health.
 */
export function applyBeat(
  previous: InstanceRecord | undefined,
  message: HeartbeatMessage,
  receivedAt: number,
): Transition {
  const subject = { instanceId: message.instanceId, service: message.service };
  const events: NewEvent[] = [];
  const isNew = previous === undefined || previous.removedAt !== null;
  const record: InstanceRecord = {
    instanceId: message.instanceId,
    service: message.service,
    state: 'alive',
    unconfirmed: false,
    registeredAt: isNew ? receivedAt : previous.registeredAt,
    lastHeartbeatAt: receivedAt,
    stateChangedAt: previous?.state === 'alive' && !isNew ? previous.stateChangedAt : receivedAt,
    removedAt: null,
    beats: isNew ? 1 : previous.beats + 1,
    message,
  };
  if (isNew) {
    events.push({ at: receivedAt, kind: 'instance.registered', ...subject, data: registrationData(message) });
  } else if (previous.state === 'lost') {
    events.push({
      at: receivedAt,
      kind: 'instance.recovered',
      ...subject,
      data: { from: 'lost', lostForMs: receivedAt - previous.stateChangedAt, status: message.status ?? null },
    });
  } else if (previous.state === 'stopped') {
    events.push({
      at: receivedAt,
      kind: 'instance.registered',
      ...subject,
      data: { ...registrationData(message), previousState: 'stopped' },
    });
  }
  const before = isNew ? undefined : previous.message.status;
  const after = message.status;
  if (!isNew && after !== undefined && before !== after) {
    events.push({
      at: receivedAt,
      kind: 'instance.health_changed',
      ...subject,
      data: { from: before ?? null, to: after, failing: failingChecks(message) },
    });
  }
  return { record, events };
}

/**
 * Almost every beat comes from an instance alive and vouched for, and says the same as its last one
 * apart from the agent's two times. Such a beat only renews the lease: `record` is renewed **in
 * place** — its receive time, its count of beats and its message's times — and the answer is true.
 * Any other beat changes nothing here and answers false: it goes through `applyBeat`.
 *
 * In place, because a new record and message per beat, each kept until the instance's next beat,
 * made the hub's garbage collector copy every message twice: ~10 % of the hub's CPU per
 * single-heartbeat request (bench/README.md). Whoever keeps a record past the current call sees it
 * renewed; a record queued for a commit then carries its newer times, which the store would get
 * with the next commit anyway.
 *
 * A time the agent leaves out must be absent already (a renewal sets times, it never removes one).
 */
export function renewInPlace(record: InstanceRecord, message: HeartbeatMessage, receivedAt: number): boolean {
  if (record.state !== 'alive' || record.unconfirmed || record.removedAt !== null) return false;
  const held = record.message;
  if (message.heartbeatTime === undefined && held.heartbeatTime !== undefined) return false;
  if (message.lastHeartbeatTime === undefined && held.lastHeartbeatTime !== undefined) return false;
  if (!sameMessageApartFromTimes(held, message)) return false;
  record.lastHeartbeatAt = receivedAt;
  record.beats++;
  if (message.heartbeatTime !== undefined) held.heartbeatTime = message.heartbeatTime;
  if (message.lastHeartbeatTime !== undefined) held.lastHeartbeatTime = message.lastHeartbeatTime;
  return true;
}

/** The lease ran out: the instance is lost. */
export function expireLease(record: InstanceRecord, now: number, validTimeMs: number): Transition {
  return {
    record: { ...record, state: 'lost', unconfirmed: false, stateChangedAt: now },
    events: [
      {
        at: now,
        kind: 'instance.lost',
        instanceId: record.instanceId,
        service: record.service,
        data: {
          from: 'alive',
          lastHeartbeatAt: record.lastHeartbeatAt,
          silentForMs: now - record.lastHeartbeatAt,
          validTimeMs,
          ...(record.unconfirmed && { afterSelfPreservation: true }),
        },
      },
    ],
  };
}

/** The lease ran out while the hub suspects itself: kept alive, but unconfirmed. No event per instance. */
export function markUnconfirmed(record: InstanceRecord): InstanceRecord {
  return record.unconfirmed ? record : { ...record, unconfirmed: true };
}

/** The instance said goodbye on a graceful shutdown: stopped, not lost, and no alert. */
export function stopInstance(record: InstanceRecord, now: number): Transition {
  if (record.state === 'stopped') return { record, events: [] };
  return {
    record: { ...record, state: 'stopped', unconfirmed: false, stateChangedAt: now },
    events: [
      {
        at: now,
        kind: 'instance.stopped',
        instanceId: record.instanceId,
        service: record.service,
        data: { from: record.state, reason: 'goodbye' },
      },
    ],
  };
}

/** Retention passed: the instance leaves the live registry, and is kept as history. */
export function removeInstance(record: InstanceRecord, now: number): Transition {
  return {
    record: { ...record, removedAt: now },
    events: [
      {
        at: now,
        kind: 'instance.removed',
        instanceId: record.instanceId,
        service: record.service,
        data: { state: record.state, inStateForMs: now - record.stateChangedAt },
      },
    ],
  };
}

function registrationData(message: HeartbeatMessage): Record<string, unknown> {
  return {
    version: message.version ?? null,
    hostName: message.hostName ?? null,
    status: message.status ?? null,
  };
}

function failingChecks(
  message: HeartbeatMessage,
): Array<{ name: string; status: CheckStatus; message?: string }> {
  return (message.checks ?? []).filter((check) => check.status !== 'ok');
}
