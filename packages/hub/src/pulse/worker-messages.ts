/** What the main thread and the Pulse worker (`pulse-worker.ts`) say to each other. */
import type { ProbeOutcome } from './probe.js';
import type { PulseSchedulerOptions, PulseStats, PulseTarget } from './scheduler.js';

/** The scheduler settings the worker is started with (`workerData`): everything but callbacks and clocks. */
export type PulseWorkerData = Pick<
  PulseSchedulerOptions,
  'concurrency' | 'dispatcher' | 'maxBodyBytes' | 'maxRedirects' | 'stopTimeoutMs'
> & {
  /** How often results (and stats) are posted back, in ms. */
  batchMs: number;
};

export type ToWorker = { type: 'sync'; apis: PulseTarget[] } | { type: 'stop' };

export type FromWorker =
  | {
      type: 'results';
      /** `[basepath, outcome, startedAt]`, in the order they finished. */
      results: Array<[string, ProbeOutcome, number]>;
      stats: PulseStats;
    }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; object: object; message?: string };
