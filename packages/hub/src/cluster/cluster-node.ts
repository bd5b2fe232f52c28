import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { describeError, type Logger } from '@heartbeat/sdk';
import type { ChangeRecord, ReplicaRecord, Store } from '../store/store.js';
import { createChangeFeed, type ChangeFeed } from './change-feed.js';
import { ownerOf } from './rendezvous.js';

/** How long changes stay in the log: a replica cut off for longer must be restarted to catch up. */
export const CHANGE_RETENTION_MS = 15 * 60_000;
const HOUSEKEEPING_EVERY_MS = 60_000;

export interface ClusterNodeOptions {
  store: Store;
  logger: Logger;
  /** This replica's id (`newReplicaId()`); the group committer writes under the same id. */
  replicaId: string;
  /** Where this replica serves, as shown to operators. */
  url: string;
  version: string;
  startedAt: number;
  /**
   * A replica counts as live until this long after its last renewal; it renews four times per lease.
   * A replica that dies is dropped (its Pulse probes move) within one lease.
   */
  leaseMs: number;
  /** Each page of changes committed by any replica (this one's too), oldest first. */
  onChanges: (changes: readonly ChangeRecord[]) => void;
  /** The set of live replicas changed (Pulse re-partitions its probes). */
  onMembershipChanged?: (live: readonly string[]) => void;
  now?: () => number;
}

/** A replica as `/v1/hub` shows it. */
export interface ReplicaView {
  id: string;
  url: string;
  state: 'live' | 'expired';
  /** When it started (ISO 8601). */
  since: string;
  leader: boolean;
  version: string;
  self: boolean;
}

/**
 * This hub as one replica of a cluster on one PostgreSQL: it registers itself with a lease in the
 * store and renews it, tries for the leadership (a session advisory lock), follows the change log
 * (`change-feed.ts`), and says which Pulse targets are its own (rendezvous hashing over the live
 * replicas). PostgreSQL is the only coordination point: no replica talks to another.
 */
export interface ClusterNode {
  readonly replicaId: string;
  /** Whether this replica decides lease expiry and self-preservation now. */
  readonly isLeader: boolean;
  /** Begins following changes after `seq`, renewing, and trying for the leadership. */
  start(seq: number): Promise<void>;
  /** The ids of the live replicas (this one's included while its lease is renewed). */
  readonly live: readonly string[];
  /** Whether a key (a Pulse target's basepath) is this replica's to probe. */
  owns(key: string): boolean;
  /** Reads new changes now (after a commit of this replica's, so its events stream promptly). */
  poke(): void;
  replicas(): ReplicaView[];
  /** Why this replica cannot serve as part of the cluster right now, or undefined. */
  problem(): string | undefined;
  readonly feed: ChangeFeed;
  /** Stops renewing and following, gives the leadership up and deregisters. */
  stop(): Promise<void>;
}

/** A replica id: the host name (a pod's name) and a random suffix, new at every start. */
export function newReplicaId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 48) || 'hub';
  return `${host}-${randomBytes(3).toString('hex')}`;
}

export function createClusterNode(options: ClusterNodeOptions): ClusterNode {
  const { store, logger, replicaId, leaseMs } = options;
  const now = options.now ?? Date.now;
  const tickMs = Math.max(100, Math.min(500, Math.floor(leaseMs / 4)));
  const feed = createChangeFeed({
    store,
    logger,
    onChanges: options.onChanges,
    replica: replicaId,
    // The leader prunes changes older than CHANGE_RETENTION_MS, once a minute.
    retentionMs: CHANGE_RETENTION_MS - HOUSEKEEPING_EVERY_MS,
  });
  let leader = false;
  let known: ReplicaRecord[] = [];
  let live: string[] = [];
  let lastRenewedAt = 0;
  let lastProblem: string | undefined;
  let lastHousekeeping = 0;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;

  function setLive(next: string[]): void {
    if (next.length === live.length && next.every((id, i) => id === live[i])) return;
    const joined = next.filter((id) => !live.includes(id));
    const left = live.filter((id) => !next.includes(id));
    live = next;
    logger.info({ live, joined, left }, `cluster: ${live.length} live replica(s)`);
    options.onMembershipChanged?.(live);
  }

  function setLeader(next: boolean): void {
    if (next === leader) return;
    leader = next;
    logger.info(
      { replica: replicaId },
      leader ? 'cluster: this replica leads (decides lease expiry)' : 'cluster: this replica no longer leads',
    );
  }

  async function tick(): Promise<void> {
    const at = now();
    try {
      setLeader(await store.tryLeadership());
    } catch (thrown) {
      setLeader(false);
      lastProblem = `cannot reach the store for the leadership: ${describeError(thrown)}`;
    }
    try {
      await store.renewReplica({
        id: replicaId,
        url: options.url,
        version: options.version,
        startedAt: options.startedAt,
        leaseExpiresAt: at + leaseMs,
        leader,
      });
      lastRenewedAt = at;
      known = await store.listReplicas();
      setLive(known.filter((replica) => replica.leaseExpiresAt > now()).map((replica) => replica.id));
      lastProblem = undefined;
      if (leader && at - lastHousekeeping >= HOUSEKEEPING_EVERY_MS) {
        lastHousekeeping = at;
        await store.removeReplicas([], at - HOUSEKEEPING_EVERY_MS);
        await store.pruneChanges(at - CHANGE_RETENTION_MS);
      }
    } catch (thrown) {
      lastProblem = `cannot renew this replica's lease: ${describeError(thrown)}`;
      // The others drop this replica once its lease runs out; it must stop probing by then too.
      if (now() - lastRenewedAt >= leaseMs) setLive([]);
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().finally(() => {
        ticking = undefined;
        schedule();
      });
    }, tickMs);
    timer.unref();
  }

  return {
    replicaId,
    get isLeader() {
      return leader && !stopped;
    },
    async start(seq) {
      await feed.start(seq);
      await tick();
      schedule();
    },
    get live() {
      return live;
    },
    owns(key) {
      return ownerOf(key, live) === replicaId;
    },
    poke: () => feed.poke(),
    replicas() {
      const at = now();
      return known.map((replica) => ({
        id: replica.id,
        url: replica.url,
        state: replica.leaseExpiresAt > at ? ('live' as const) : ('expired' as const),
        since: new Date(replica.startedAt).toISOString(),
        leader: replica.id === replicaId ? leader : replica.leader && replica.leaseExpiresAt > at,
        version: replica.version,
        self: replica.id === replicaId,
      }));
    },
    problem() {
      if (lastProblem !== undefined) return lastProblem;
      if (feed.lastError !== undefined) return `cannot read the change log: ${feed.lastError}`;
      return undefined;
    },
    feed,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await feed.stop();
      leader = false;
      await store.removeReplicas([replicaId]).catch(() => {});
    },
  };
}
