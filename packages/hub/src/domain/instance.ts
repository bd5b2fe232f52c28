import type { HeartbeatMessage } from '@heartbeat/sdk';

/** Where an instance stands (SPEC.md §4). */
export type InstanceState = 'alive' | 'lost' | 'stopped';

export const INSTANCE_STATES: readonly InstanceState[] = ['alive', 'lost', 'stopped'];

/**
 * The wire format (SPEC.md §4) is the SDK agent's: one definition for the sender and the receiver.
 * The hub receives these after `validateHeartbeats` has checked every field.
 */
export type { HeartbeatMessage, PluginInfo, ReportedCheck } from '@heartbeat/sdk';

/** What the hub knows of one instance: its latest message and its lease. */
export interface InstanceRecord {
  instanceId: string;
  service: string;
  state: InstanceState;
  /**
   * True while the hub suspects itself rather than the instance: the lease ran out during
   * self-preservation, so the instance is kept `alive` but not vouched for.
   */
  unconfirmed: boolean;
  /** When the hub first heard of it (epoch ms). */
  registeredAt: number;
  /** The hub's receive time of the latest beat (epoch ms). */
  lastHeartbeatAt: number;
  /** Since when it has been in `state` (epoch ms). */
  stateChangedAt: number;
  /** When it left the live registry (retention passed); null while it is in it. Kept as history. */
  removedAt: number | null;
  /** How many beats the hub has received from it. */
  beats: number;
  /** The latest message, as received. */
  message: HeartbeatMessage;
}
