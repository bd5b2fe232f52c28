import type { CheckStatus } from '@heartbeat/sdk';

/** Where an instance stands (SPEC.md §4). */
export type InstanceState = 'alive' | 'lost' | 'stopped';

export const INSTANCE_STATES: readonly InstanceState[] = ['alive', 'lost', 'stopped'];

/** A plugin an instance carries, as Sermant reports it. */
export interface PluginInfo {
  name: string;
  version?: string;
  extInfo?: Record<string, string>;
}

/** One check of the instance's own health, as its SDK reported it. */
export interface ReportedCheck {
  name: string;
  status: CheckStatus;
  message?: string;
}

/** A heartbeat message as an agent pushes it (SPEC.md §4), after validation. */
export interface HeartbeatMessage {
  instanceId: string;
  service: string;
  appName?: string;
  appType?: string;
  artifact?: string;
  hostName?: string;
  version?: string;
  ip?: string[];
  processId?: number;
  /** Epoch ms, as the agent's clock said; the hub keeps its own receive time too. */
  heartbeatTime?: number;
  lastHeartbeatTime?: number;
  /** The cadence the agent promises, in ms. */
  interval?: number;
  plugins?: PluginInfo[];
  extInfo?: Record<string, string>;
  status?: CheckStatus;
  checks?: ReportedCheck[];
  basepaths?: string[];
}

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
