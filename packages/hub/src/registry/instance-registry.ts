import { HeartbeatError, type CheckStatus, type Logger } from '@heartbeat/sdk';
import { worseStatus } from '@heartbeat/sdk';
import { DeadlineQueue } from '../domain/deadline-queue.js';
import type { NewEvent } from '../domain/events.js';
import type { HeartbeatMessage, InstanceRecord, InstanceState } from '../domain/instance.js';
import {
  applyBeat,
  expireLease,
  markUnconfirmed,
  removeInstance,
  renewInPlace,
  stopInstance,
} from '../domain/instance-transitions.js';
import { isMassSilence, type SelfPreservationPolicy } from '../domain/self-preservation.js';
import type { InstanceTouch, Store } from '../store/store.js';
import type { GroupCommitter } from './group-committer.js';

export interface InstanceRegistryOptions {
  store: Store;
  committer: GroupCommitter;
  logger: Logger;
  /** The clock, epoch ms. */
  now?: () => number;
  validTimeMs: number;
  retentionMs: number;
  selfPreservation: SelfPreservationPolicy & {
    /** Leave the mode after this long even if the silence goes on. Default 10 × validTime. */
    maxDurationMs?: number;
  };
  /**
   * Cluster mode: whether this replica decides lease expiry, retention and self-preservation now
   * (it leads). The others apply the leader's decisions (`applyReplicated`). Default: always.
   */
  decides?: () => boolean;
  /**
   * Cluster mode: how long past a lease's deadline the leader waits before declaring it lost, so
   * that a beat another replica accepted just in time has reached it (asked at each use: a replica
   * alone needs none). Default 0.
   */
  expiryGraceMs?: () => number;
}

/** What other replicas committed about instances, as read from the change log. */
export interface ReplicatedInstanceChanges {
  instances: readonly InstanceRecord[];
  instanceTouches: readonly InstanceTouch[];
  events: readonly NewEvent[];
}

export interface InstanceQuery {
  service?: string;
  state?: InstanceState;
  /** Case-insensitive substring of id, service, host, IP, version or app name. */
  q?: string;
  limit: number;
  /** Opaque position from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface InstancePage {
  items: InstanceRecord[];
  total: number;
  nextCursor: string | null;
}

export interface ServiceSummary {
  service: string;
  instances: Record<InstanceState, number> & { total: number; unconfirmed: number };
  /** Worst health reported by its alive instances; null when none reported any. */
  health: CheckStatus | null;
  versions: Array<{ version: string; instances: number }>;
  lastHeartbeatAt: number;
}

export interface SelfPreservationState {
  active: boolean;
  since: number | null;
  unconfirmed: number;
}

/**
 * The live registry of instances: exact leases (one timer on the earliest deadline, never a
 * sweep), retention, self-preservation, and persistence through the group committer. Reads are
 * served from memory; the store is the durable copy loaded at start.
 *
 * The records it hands out are its own, and a beat that only renews a lease renews its record in
 * place (`renewInPlace`): read a record now, and copy what must not change under you.
 */
export interface InstanceRegistry {
  /** Loads the live registry from the store. Alive instances get a fresh lease from now. */
  load(): Promise<void>;
  /** Applies beats received now; resolves when they are durably stored. */
  ingest(messages: readonly HeartbeatMessage[]): Promise<void>;
  /** A graceful goodbye; NOT_FOUND for an unknown instance. Resolves when stored. */
  goodbye(instanceId: string): Promise<InstanceRecord>;
  get(instanceId: string): InstanceRecord | undefined;
  /** Deadline of the current lease of an alive instance. */
  leaseExpiresAt(instanceId: string): number | undefined;
  list(query: InstanceQuery): InstancePage;
  services(): ServiceSummary[];
  all(): Iterable<InstanceRecord>;
  readonly size: number;
  readonly selfPreservation: SelfPreservationState;
  /**
   * Cluster mode: folds in what another replica committed. A record replaces the one held unless the
   * one held is newer (a later beat or state change); a touch renews a lease. A touch of an instance
   * the leader holds as lost is a beat that arrived elsewhere: the leader brings it back.
   */
  applyReplicated(changes: ReplicatedInstanceChanges): void;
  /** Stops every timer. */
  stop(): void;
}

const SELF_PRESERVATION_CHECK_MS = 1000;
/** A replica that does not lead looks again this often whether it does (leadership can move to it). */
const FOLLOWER_RECHECK_MS = 250;

export function createInstanceRegistry(options: InstanceRegistryOptions): InstanceRegistry {
  const { committer, logger, validTimeMs, retentionMs } = options;
  const now = options.now ?? Date.now;
  const policy = options.selfPreservation;
  const maxSelfPreservationMs = policy.maxDurationMs ?? 10 * validTimeMs;
  const overdueAfterMs = validTimeMs / 2;
  const decides = options.decides ?? (() => true);
  const graceMs = options.expiryGraceMs ?? (() => 0);

  const instances = new Map<string, InstanceRecord>();
  /** Alive, confirmed instances by lease deadline (lastHeartbeatAt + validTime). */
  const leases = new DeadlineQueue();
  /** Alive but unconfirmed instances, by the time they are declared lost unless the hub is still suspect. */
  const unconfirmed = new DeadlineQueue();
  /** Lost and stopped instances, by the time they leave the live registry. */
  const retention = new DeadlineQueue();
  const timers: Record<'lease' | 'unconfirmed' | 'retention', { handle?: NodeJS.Timeout; at?: number }> = {
    lease: {},
    unconfirmed: {},
    retention: {},
  };
  let selfPreservationSince: number | null = null;
  let selfPreservationTimer: NodeJS.Timeout | undefined;
  let sortedIds: string[] | undefined;
  let stopped = false;

  function persist(records: InstanceRecord[], events: NewEvent[]): Promise<void> {
    return committer.submit({ instances: records, events });
  }

  /** Keeps one timer per queue, set for its earliest deadline. */
  function arm(which: keyof typeof timers, queue: DeadlineQueue, onDue: () => void): void {
    if (stopped) return;
    const deadline = queue.nextDeadline();
    const timer = timers[which];
    if (deadline === undefined) {
      clearTimeout(timer.handle);
      timers[which] = {};
      return;
    }
    // A follower's timer only rechecks leadership; it need not follow every deadline.
    if (timer.handle && !decides()) return;
    const next = which === 'lease' ? deadline + graceMs() : deadline;
    if (timer.handle && timer.at !== undefined && timer.at <= next) return;
    clearTimeout(timer.handle);
    const handle = setTimeout(
      () => {
        timers[which] = {};
        onDue();
      },
      Math.max(0, next - now()),
    );
    handle.unref();
    timers[which] = { handle, at: next };
  }

  const armLeases = () => arm('lease', leases, onLeasesDue);
  const armUnconfirmed = () => arm('unconfirmed', unconfirmed, onUnconfirmedDue);
  const armRetention = () => arm('retention', retention, onRetentionDue);

  function census(extraOverdue = 0) {
    const at = now();
    return {
      alive: leases.size + unconfirmed.size + extraOverdue,
      overdue: leases.countBefore(at + validTimeMs - overdueAfterMs) + unconfirmed.size + extraOverdue,
    };
  }

  /** Not the leader: look again shortly, without deciding anything. */
  function recheckLater(which: keyof typeof timers, onDue: () => void): void {
    if (stopped) return;
    clearTimeout(timers[which].handle);
    const handle = setTimeout(() => {
      timers[which] = {};
      onDue();
    }, FOLLOWER_RECHECK_MS);
    handle.unref();
    timers[which] = { handle, at: now() + FOLLOWER_RECHECK_MS };
  }

  function onLeasesDue(): void {
    if (!decides()) return recheckLater('lease', onLeasesDue);
    const at = now();
    const due = leases.takeDue(at - graceMs());
    if (due.length > 0) {
      if (selfPreservationSince === null) {
        const silence = census(due.length);
        if (isMassSilence(silence, policy)) enterSelfPreservation(at, silence);
      }
      const records: InstanceRecord[] = [];
      const events: NewEvent[] = [];
      for (const id of due) {
        const record = instances.get(id);
        if (!record || record.state !== 'alive') continue;
        if (selfPreservationSince !== null) {
          const kept = markUnconfirmed(record);
          instances.set(id, kept);
          unconfirmed.set(id, at + validTimeMs);
          records.push(kept);
        } else {
          declareLost(record, at, records, events);
        }
      }
      persist(records, events).catch(logPersistFailure);
      armUnconfirmed();
      armRetention();
    }
    armLeases();
  }

  /** The lease ran out and the hub does not suspect itself: lost, and removed after retention. */
  function declareLost(
    record: InstanceRecord,
    at: number,
    records: InstanceRecord[],
    events: NewEvent[],
  ): void {
    const transition = expireLease(record, at, validTimeMs);
    instances.set(record.instanceId, transition.record);
    retention.set(record.instanceId, at + retentionMs);
    records.push(transition.record);
    events.push(...transition.events);
  }

  function onUnconfirmedDue(): void {
    if (!decides()) return recheckLater('unconfirmed', onUnconfirmedDue);
    const at = now();
    const due = unconfirmed.takeDue(at);
    const records: InstanceRecord[] = [];
    const events: NewEvent[] = [];
    for (const id of due) {
      const record = instances.get(id);
      if (!record || record.state !== 'alive') continue;
      if (selfPreservationSince !== null) {
        unconfirmed.set(id, at + validTimeMs); // still suspect: wait one more valid time
        continue;
      }
      declareLost(record, at, records, events);
    }
    if (records.length > 0) persist(records, events).catch(logPersistFailure);
    armUnconfirmed();
    armRetention();
  }

  function onRetentionDue(): void {
    if (!decides()) return recheckLater('retention', onRetentionDue);
    const at = now();
    const records: InstanceRecord[] = [];
    const events: NewEvent[] = [];
    for (const id of retention.takeDue(at)) {
      const record = instances.get(id);
      if (!record || record.state === 'alive') continue;
      const transition = removeInstance(record, at);
      instances.delete(id);
      sortedIds = undefined;
      records.push(transition.record);
      events.push(...transition.events);
    }
    if (records.length > 0) persist(records, events).catch(logPersistFailure);
    armRetention();
  }

  function enterSelfPreservation(at: number, silence: { alive: number; overdue: number }): void {
    selfPreservationSince = at;
    logger.warn(
      { alive: silence.alive, overdue: silence.overdue, ratio: policy.ratio },
      'self-preservation: most instances went silent at once; suspecting the hub or its network, not marking them lost',
    );
    const event: NewEvent = {
      at,
      kind: 'hub.self_preservation_entered',
      data: {
        alive: silence.alive,
        silent: silence.overdue,
        ratio: policy.ratio,
        minInstances: policy.minInstances,
      },
    };
    persist([], [event]).catch(logPersistFailure);
    selfPreservationTimer = setInterval(checkSelfPreservation, SELF_PRESERVATION_CHECK_MS);
    selfPreservationTimer.unref();
  }

  function checkSelfPreservation(): void {
    if (selfPreservationSince === null || !decides()) return;
    const at = now();
    const silence = census();
    const forced = at - selfPreservationSince >= maxSelfPreservationMs;
    if (isMassSilence(silence, policy) && !forced) return;
    clearInterval(selfPreservationTimer);
    selfPreservationTimer = undefined;
    const durationMs = at - selfPreservationSince;
    selfPreservationSince = null;
    logger.info(
      { durationMs, stillSilent: unconfirmed.size, forced },
      forced
        ? 'self-preservation: ended after its maximum duration; silent instances will be declared lost'
        : 'self-preservation: beats flow again; instances still silent will be declared lost one valid time after they went quiet',
    );
    const event: NewEvent = {
      at,
      kind: 'hub.self_preservation_left',
      data: { durationMs, stillSilent: unconfirmed.size, forced },
    };
    persist([], [event]).catch(logPersistFailure);
    armUnconfirmed();
  }

  function logPersistFailure(error: unknown): void {
    // The committer keeps the data queued and retries; it has logged the store failure already.
    logger.warn({ err: String(error) }, 'state change queued until the store is back');
  }

  function sorted(): string[] {
    sortedIds ??= [...instances.values()]
      .sort((a, b) =>
        a.service === b.service ? compare(a.instanceId, b.instanceId) : compare(a.service, b.service),
      )
      .map((record) => record.instanceId);
    return sortedIds;
  }

  return {
    async load() {
      const records = await options.store.loadLiveInstances();
      const at = now();
      // The retention queue needs its deadlines in order; the store returns instances by id.
      records.sort((a, b) => a.stateChangedAt - b.stateChangedAt);
      for (const record of records) {
        instances.set(record.instanceId, record);
        if (record.state === 'alive') {
          // The hub was away: nobody can be blamed for beats it did not receive. A fresh lease from now.
          leases.set(record.instanceId, Math.max(record.lastHeartbeatAt + validTimeMs, at + validTimeMs));
        } else {
          retention.set(record.instanceId, record.stateChangedAt + retentionMs);
        }
      }
      sortedIds = undefined;
      armLeases();
      armRetention();
      logger.info({ instances: records.length }, 'instance registry loaded');
    },

    ingest(messages) {
      const receivedAt = now();
      const records: InstanceRecord[] = [];
      const touches: InstanceTouch[] = [];
      const events: NewEvent[] = [];
      for (const message of messages) {
        const previous = instances.get(message.instanceId);
        if (previous !== undefined && renewInPlace(previous, message, receivedAt)) {
          // Alive and vouched for: in neither the unconfirmed nor the retention queue. The held id,
          // not the message's copy of it, goes into the lease queue.
          leases.set(previous.instanceId, receivedAt + validTimeMs);
          touches.push(touchOf(previous));
          continue;
        }
        const transition = applyBeat(previous, message, receivedAt);
        if (!previous || previous.service !== message.service) sortedIds = undefined;
        instances.set(message.instanceId, transition.record);
        unconfirmed.delete(message.instanceId);
        retention.delete(message.instanceId);
        leases.set(message.instanceId, receivedAt + validTimeMs);
        records.push(transition.record);
        for (const event of transition.events) events.push(event);
      }
      armLeases();
      return touches.length > 0
        ? committer.submit({ instances: records, instanceTouches: touches, events })
        : persist(records, events);
    },

    async goodbye(instanceId) {
      const record = instances.get(instanceId);
      if (!record) {
        throw new HeartbeatError('NOT_FOUND', `no instance "${instanceId}" in the live registry`, {
          instanceId,
        });
      }
      const transition = stopInstance(record, now());
      if (transition.events.length > 0) {
        instances.set(instanceId, transition.record);
        leases.delete(instanceId);
        unconfirmed.delete(instanceId);
        retention.set(instanceId, transition.record.stateChangedAt + retentionMs);
        armRetention();
      }
      await persist([transition.record], transition.events);
      return transition.record;
    },

    get: (instanceId) => instances.get(instanceId),

    leaseExpiresAt(instanceId) {
      return leases.deadlineOf(instanceId) ?? unconfirmed.deadlineOf(instanceId);
    },

    list(query) {
      const needle = query.q?.toLowerCase();
      const matches: InstanceRecord[] = [];
      for (const id of sorted()) {
        const record = instances.get(id);
        if (!record) continue;
        if (query.service !== undefined && record.service !== query.service) continue;
        if (query.state !== undefined && record.state !== query.state) continue;
        if (needle && !searchText(record).includes(needle)) continue;
        matches.push(record);
      }
      const start = query.cursor ? decodeCursor(query.cursor, matches) : 0;
      const items = matches.slice(start, start + query.limit);
      const last = items.at(-1);
      const nextCursor = start + query.limit < matches.length && last ? encodeCursor(last) : null;
      return { items, total: matches.length, nextCursor };
    },

    services() {
      const byService = new Map<string, ServiceSummary & { versionCounts: Map<string, number> }>();
      for (const record of instances.values()) {
        let summary = byService.get(record.service);
        if (!summary) {
          summary = {
            service: record.service,
            instances: { alive: 0, lost: 0, stopped: 0, total: 0, unconfirmed: 0 },
            health: null,
            versions: [],
            lastHeartbeatAt: 0,
            versionCounts: new Map(),
          };
          byService.set(record.service, summary);
        }
        summary.instances[record.state]++;
        summary.instances.total++;
        if (record.unconfirmed) summary.instances.unconfirmed++;
        if (record.state === 'alive' && record.message.status) {
          summary.health = summary.health
            ? worseStatus(summary.health, record.message.status)
            : record.message.status;
        }
        const version = record.message.version ?? 'unknown';
        summary.versionCounts.set(version, (summary.versionCounts.get(version) ?? 0) + 1);
        summary.lastHeartbeatAt = Math.max(summary.lastHeartbeatAt, record.lastHeartbeatAt);
      }
      return [...byService.values()]
        .sort((a, b) => compare(a.service, b.service))
        .map(({ versionCounts, ...summary }) => ({
          ...summary,
          versions: [...versionCounts]
            .map(([version, count]) => ({ version, instances: count }))
            .sort((a, b) => b.instances - a.instances || compare(a.version, b.version)),
        }));
    },

    all: () => instances.values(),

    get size() {
      return instances.size;
    },

    get selfPreservation() {
      return {
        active: selfPreservationSince !== null,
        since: selfPreservationSince,
        unconfirmed: unconfirmed.size,
      };
    },

    applyReplicated(changes) {
      const at = now();
      const records: InstanceRecord[] = [];
      const events: NewEvent[] = [];
      for (const record of changes.instances) {
        const local = instances.get(record.instanceId);
        if (local && versionOf(local) > versionOf(record)) continue;
        const id = record.instanceId;
        if (!local || local.service !== record.service || record.removedAt !== null) sortedIds = undefined;
        if (record.removedAt !== null) {
          instances.delete(id);
          leases.delete(id);
          unconfirmed.delete(id);
          retention.delete(id);
          continue;
        }
        instances.set(id, record);
        if (record.state === 'alive') {
          retention.delete(id);
          if (record.unconfirmed) {
            leases.delete(id);
            if (!unconfirmed.has(id)) unconfirmed.set(id, at + validTimeMs);
          } else {
            unconfirmed.delete(id);
            leases.set(id, record.lastHeartbeatAt + validTimeMs);
          }
        } else {
          leases.delete(id);
          unconfirmed.delete(id);
          retention.set(id, record.stateChangedAt + retentionMs);
        }
      }
      for (const touch of changes.instanceTouches) {
        const local = instances.get(touch.instanceId);
        if (!local || touch.lastHeartbeatAt < local.lastHeartbeatAt) continue;
        const message = { ...local.message };
        if (touch.heartbeatTime !== undefined) message.heartbeatTime = touch.heartbeatTime;
        if (touch.lastHeartbeatTime !== undefined) message.lastHeartbeatTime = touch.lastHeartbeatTime;
        if (local.state !== 'alive' && decides()) {
          // The other replica took it for alive and it beat: the leader decides it is back.
          const transition = applyBeat(local, message, touch.lastHeartbeatAt);
          instances.set(touch.instanceId, transition.record);
          retention.delete(touch.instanceId);
          leases.set(touch.instanceId, touch.lastHeartbeatAt + validTimeMs);
          records.push(transition.record);
          events.push(...transition.events);
          continue;
        }
        instances.set(touch.instanceId, {
          ...local,
          lastHeartbeatAt: touch.lastHeartbeatAt,
          beats: Math.max(local.beats, touch.beats),
          message,
        });
        if (local.state === 'alive' && !local.unconfirmed)
          leases.set(touch.instanceId, touch.lastHeartbeatAt + validTimeMs);
      }
      for (const event of changes.events) {
        if (event.kind === 'hub.self_preservation_entered' && selfPreservationSince === null) {
          selfPreservationSince = event.at;
          selfPreservationTimer = setInterval(checkSelfPreservation, SELF_PRESERVATION_CHECK_MS);
          selfPreservationTimer.unref();
        } else if (event.kind === 'hub.self_preservation_left' && selfPreservationSince !== null) {
          selfPreservationSince = null;
          clearInterval(selfPreservationTimer);
          selfPreservationTimer = undefined;
        }
      }
      if (records.length > 0) persist(records, events).catch(logPersistFailure);
      armLeases();
      armUnconfirmed();
      armRetention();
    },

    stop() {
      stopped = true;
      for (const timer of Object.values(timers)) clearTimeout(timer.handle);
      clearInterval(selfPreservationTimer);
    },
  };
}

/** What a renewal in place writes: the lease and the agent's times, not the whole record. */
function touchOf(record: InstanceRecord): InstanceTouch {
  const touch: InstanceTouch = {
    instanceId: record.instanceId,
    lastHeartbeatAt: record.lastHeartbeatAt,
    beats: record.beats,
  };
  const { heartbeatTime, lastHeartbeatTime } = record.message;
  if (heartbeatTime !== undefined) touch.heartbeatTime = heartbeatTime;
  if (lastHeartbeatTime !== undefined) touch.lastHeartbeatTime = lastHeartbeatTime;
  return touch;
}

/** How recent what a record says is: the later of its last beat and its last change of state. */
function versionOf(record: InstanceRecord): number {
  return Math.max(record.lastHeartbeatAt, record.stateChangedAt, record.removedAt ?? 0);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function searchText(record: InstanceRecord): string {
  const { message } = record;
  return [
    record.instanceId,
    record.service,
    message.hostName,
    message.version,
    message.appName,
    ...(message.ip ?? []),
  ]
    .filter(Boolean)
    .join('\u0000')
    .toLowerCase();
}

/** A cursor names the last item of a page by its sort key, so pages stay stable as others come and go. */
function encodeCursor(record: InstanceRecord): string {
  return Buffer.from(JSON.stringify([record.service, record.instanceId])).toString('base64url');
}

function decodeCursor(cursor: string, matches: readonly InstanceRecord[]): number {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || typeof key[1] !== 'string') {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      'cursor is not one this hub gave out; start again without it',
      {
        field: 'cursor',
      },
    );
  }
  const [service, instanceId] = key as [string, string];
  // First item strictly after the cursor's key.
  let low = 0;
  let high = matches.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    const item = matches[mid]!;
    const order =
      item.service === service ? compare(item.instanceId, instanceId) : compare(item.service, service);
    if (order <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
