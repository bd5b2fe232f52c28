/**
 * The shapes the `pulse` scenario uses across processes: what it needs of `packages/hub/dist/pulse`
 * (loaded at run time from the built hub, so the bench does not compile the hub's sources), and what
 * the hub stand-in (`targets/pulse-hub.ts`) reports.
 */

/** `PulseStats` of `packages/hub/src/pulse/scheduler.ts`. */
export interface PulseStatsLike {
  targets: number;
  running: number;
  queued: number;
  latenessMs: { p50: number; p99: number; max: number };
  probesPerSecond: number;
  skipped: number;
  started: number;
  completed: number;
}

export interface PulseSchedulerLike {
  sync(apis: ReadonlyArray<{ basepath: string; pulse: Record<string, unknown> }>): void;
  stop(): Promise<void>;
  stats(): PulseStatsLike;
}

interface SchedulerOptions {
  onResult(
    basepath: string,
    outcome: { ok: boolean; error?: string; detail?: string },
    startedAt: number,
  ): void;
  concurrency?: number;
  dispatcher?: { ca?: string };
}

/** What `packages/hub/dist/pulse/index.js` exports, as far as the bench uses it. */
export interface PulseModule {
  createPulseScheduler(options: SchedulerOptions): PulseSchedulerLike;
  createPulseSchedulerInWorker(options: SchedulerOptions): PulseSchedulerLike;
}

/** `GET /__pulse/stats` of the hub stand-in. */
export interface PulseHubStats {
  mode: string;
  uptimeSeconds: number;
  /** Seconds from start until every target had reported once; null until then. */
  allReportedAfterSeconds: number | null;
  /** Since the last reset: results received, and how many failed (by error or reason). */
  results: number;
  failures: number;
  errors: Record<string, number>;
  /** Since the last reset: the delay of a 10 ms timer beyond its 10 ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number; samples: number };
  rssMb: number;
  scheduler: PulseStatsLike | null;
}
