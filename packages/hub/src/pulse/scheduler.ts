/**
 * The Pulse scheduler: every API with `pulse.enabled` probed on its interval.
 *
 * - **Jittered, drift-free:** a target's first start is uniform over its interval; after that it
 *   starts at first start + k × interval, whatever each probe took (next = previous scheduled start
 *   + interval, never completion + interval).
 * - **One timer:** due times sit in a min-heap; one unref'd `setTimeout` is set for the earliest.
 * - **Bounded:** at most `concurrency` probes at once, the rest wait in a FIFO queue; a target never
 *   overlaps itself (a start that finds its previous run still queued or running is skipped, and
 *   counted).
 * - **Cancellable:** `stop()` clears the timer, empties the queue and aborts in-flight probes.
 *
 * Results go to `onResult` as they come; a failed probe is a result, never an exception.
 */
import { describeError, type Logger } from '@heartbeat/sdk';
import type { ApiDefinition, PulseDefinition } from '../domain/api.js';
import { DueHeap } from './due-heap.js';
import {
  createPulseDispatcher,
  runProbe as runHttpProbe,
  type ProbeOutcome,
  type PulseDispatcherOptions,
} from './probe.js';
import { RollingHistogram, RollingRate } from './rolling-stats.js';

/** Runs one probe; must honour `signal` and should not throw (a rejection becomes an error outcome). */
export type ProbeRunner = (pulse: PulseDefinition, signal: AbortSignal) => Promise<ProbeOutcome>;

/** What `sync` needs of an API: its basepath and its pulse (an `ApiDefinition` will do). */
export type PulseTarget = Pick<ApiDefinition, 'basepath' | 'pulse'>;

export interface PulseSchedulerOptions {
  /** Called with every finished probe; `startedAt` is when it started (epoch ms, `wallClock`). */
  onResult(basepath: string, outcome: ProbeOutcome, startedAt: number): void;
  /** Probes running at once at most. Default 64. */
  concurrency?: number;
  /** The scheduling clock, in ms; monotonic by default (`performance.now()`), so a wall-clock step moves nothing. */
  now?: () => number;
  /** The clock of `startedAt` (epoch ms). Default `Date.now`. */
  wallClock?: () => number;
  /** Uniform in [0, 1), for the jitter of first starts. Default `Math.random`. */
  random?: () => number;
  logger?: Logger;
  /** Replaces the HTTP/TCP probe (tests). */
  runProbe?: ProbeRunner;
  /** For the default probe: the keep-alive pool's settings. */
  dispatcher?: PulseDispatcherOptions;
  /** For the default probe: body cap (default 64 KiB) and redirects followed (default 3). */
  maxBodyBytes?: number;
  maxRedirects?: number;
  /** How long `stop()` waits for aborted probes to settle. Default 5000 ms. */
  stopTimeoutMs?: number;
}

/** How the scheduler is doing; rates and lateness over the last minute (50–60 s). */
export interface PulseStats {
  /** Targets scheduled (APIs with `pulse.enabled`). */
  targets: number;
  /** Probes in flight. */
  running: number;
  /** Probes due but waiting for a free slot (the concurrency limit). */
  queued: number;
  /** How late probes started: actual start − scheduled start, in ms. */
  latenessMs: { p50: number; p99: number; max: number };
  /** Probes finished per second. */
  probesPerSecond: number;
  /** Since creation: starts skipped because the target's previous run had not finished (or the loop was stalled past a whole interval). */
  skipped: number;
  /** Since creation: probes started and finished. */
  started: number;
  completed: number;
}

export interface PulseScheduler {
  /**
   * Makes the probes match these APIs: starts those with `pulse.enabled` that are new, reschedules
   * those whose pulse changed (with a fresh jittered start), stops the others. Call it with the full
   * list after every change; an unchanged target keeps its schedule.
   */
  sync(apis: readonly PulseTarget[]): void;
  /** Stops for good: no new starts, queued ones dropped, running ones aborted (their results dropped). */
  stop(): Promise<void>;
  stats(): PulseStats;
}

export const PULSE_SCHEDULER_DEFAULTS = { concurrency: 64, stopTimeoutMs: 5000 } as const;

/** The longest delay `setTimeout` takes; a target due later is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A timer may fire a little before its time by the scheduling clock; starts this close count as due. */
const EARLY_MS = 1;

interface Target {
  basepath: string;
  pulse: PulseDefinition;
  /** The pulse as JSON, to tell a change from a repeat in `sync`. */
  fingerprint: string;
  /** Bumped on every reschedule; heap entries of an older generation are stale. */
  generation: number;
  state: 'idle' | 'queued' | 'running';
  removed: boolean;
  controller?: AbortController;
}

interface Due {
  target: Target;
  generation: number;
}

interface Queued {
  target: Target;
  scheduledAt: number;
}

/**
 * Creates a scheduler; nothing runs until `sync` gives it targets.
 *
 * @example
 * const pulse = createPulseScheduler({
 *   onResult: (basepath, outcome, startedAt) => record(basepath, outcome, startedAt),
 *   logger,
 * });
 * pulse.sync(await store.listApis());
 * // on SIGTERM:
 * await pulse.stop();
 */
export function createPulseScheduler(options: PulseSchedulerOptions): PulseScheduler {
  const concurrency = Math.max(1, options.concurrency ?? PULSE_SCHEDULER_DEFAULTS.concurrency);
  const now = options.now ?? (() => performance.now());
  const wallClock = options.wallClock ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const stopTimeoutMs = options.stopTimeoutMs ?? PULSE_SCHEDULER_DEFAULTS.stopTimeoutMs;

  let dispatcher: ReturnType<typeof createPulseDispatcher> | undefined;
  const probe: ProbeRunner =
    options.runProbe ??
    ((pulse, signal) => {
      dispatcher ??= createPulseDispatcher(options.dispatcher);
      return runHttpProbe(pulse, {
        dispatcher,
        signal,
        ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
        ...(options.maxRedirects !== undefined && { maxRedirects: options.maxRedirects }),
      });
    });

  const targets = new Map<string, Target>();
  const heap = new DueHeap<Due>();
  // A FIFO: an array read from `queueHead`, compacted now and then (shift() would be O(n) per start).
  const queue: Array<Queued | undefined> = [];
  let queueHead = 0;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  const lateness = new RollingHistogram();
  const completions = new RollingRate(now());
  let skipped = 0;
  let started = 0;
  let completed = 0;

  function schedule(target: Target, due: number): void {
    heap.push(due, { target, generation: target.generation });
  }

  /** Sets the one timer for the earliest due time, unless it is set for that already. */
  function arm(): void {
    if (stopped) return;
    const head = heap.peekDue();
    if (head === undefined) {
      disarm();
      return;
    }
    if (timer !== undefined && timerDue <= head) return;
    disarm();
    timerDue = head;
    timer = setTimeout(onTimer, Math.min(MAX_TIMER_MS, Math.max(0, head - now())));
    timer.unref();
  }

  function disarm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDue = Infinity;
  }

  function onTimer(): void {
    timer = undefined;
    timerDue = Infinity;
    const at = now();
    for (let head = heap.peekDue(); head !== undefined && head <= at + EARLY_MS; head = heap.peekDue()) {
      const { due, item } = heap.pop()!;
      const { target, generation } = item;
      if (target.removed || generation !== target.generation) continue;
      // Drift-free: the next start follows from this one's schedule, not from when it ran. A loop
      // stalled for more than an interval skips the starts it missed instead of bunching them.
      const interval = target.pulse.intervalMs;
      let next = due + interval;
      if (next <= at) {
        const missed = Math.floor((at - next) / interval) + 1;
        skipped += missed;
        next += missed * interval;
      }
      schedule(target, next);
      if (target.state !== 'idle') {
        skipped++;
        continue;
      }
      target.state = 'queued';
      queue.push({ target, scheduledAt: due });
    }
    pump();
    arm();
  }

  /** Starts queued probes, first in first out, while there is room. */
  function pump(): void {
    while (!stopped && inFlight.size < concurrency && queueHead < queue.length) {
      const next = queue[queueHead];
      queue[queueHead++] = undefined;
      if (queueHead > 1024 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
      if (next === undefined || next.target.removed) continue;
      start(next);
    }
  }

  function start({ target, scheduledAt }: Queued): void {
    const startedMono = now();
    lateness.record(Math.max(0, startedMono - scheduledAt), startedMono);
    const startedAt = wallClock();
    const controller = new AbortController();
    target.state = 'running';
    target.controller = controller;
    started++;
    const run = probe(target.pulse, controller.signal)
      .catch((thrown: unknown): ProbeOutcome => ({
        ok: false,
        error: describeError(thrown),
        durationMs: Math.round(now() - startedMono),
      }))
      .then((outcome) => {
        inFlight.delete(run);
        target.state = 'idle';
        target.controller = undefined;
        completed++;
        completions.record(now());
        if (!stopped && !target.removed && !controller.signal.aborted) {
          try {
            options.onResult(target.basepath, outcome, startedAt);
          } catch (thrown) {
            logger?.error({ err: describeError(thrown), basepath: target.basepath }, 'pulse: onResult threw');
          }
        }
        pump();
      });
    inFlight.add(run);
  }

  function remove(target: Target): void {
    target.removed = true;
    target.generation++;
    targets.delete(target.basepath);
    target.controller?.abort(new Error('pulse target removed'));
  }

  function isSchedulable(basepath: string, pulse: PulseDefinition): boolean {
    const valid =
      Number.isFinite(pulse.intervalMs) &&
      pulse.intervalMs >= 1 &&
      Number.isFinite(pulse.timeoutMs) &&
      pulse.timeoutMs > 0;
    if (!valid) {
      logger?.warn(
        { basepath, intervalMs: pulse.intervalMs, timeoutMs: pulse.timeoutMs },
        'pulse: interval and timeout must be positive; not probing this API',
      );
    }
    return valid;
  }

  return {
    sync(apis) {
      if (stopped) return;
      const wanted = new Map<string, PulseDefinition>();
      for (const api of apis) {
        if (api.pulse?.enabled && isSchedulable(api.basepath, api.pulse)) wanted.set(api.basepath, api.pulse);
        else wanted.delete(api.basepath);
      }
      for (const target of [...targets.values()]) if (!wanted.has(target.basepath)) remove(target);
      const at = now();
      for (const [basepath, pulse] of wanted) {
        const fingerprint = JSON.stringify(pulse);
        let target = targets.get(basepath);
        if (target?.fingerprint === fingerprint) continue;
        if (target) {
          // A changed pulse: its next start is jittered afresh over the (new) interval. A run of the
          // old definition still in flight finishes and reports; the new one never overlaps it.
          target.pulse = pulse;
          target.fingerprint = fingerprint;
          target.generation++;
        } else {
          target = { basepath, pulse, fingerprint, generation: 0, state: 'idle', removed: false };
          targets.set(basepath, target);
        }
        schedule(target, at + random() * pulse.intervalMs);
      }
      // Stale entries (removed or rescheduled targets) leave the heap when they come due; a long
      // run of changes could pile them up, so compact when they outnumber the live ones.
      if (heap.size > 2 * targets.size + 1024) {
        heap.retain(({ target, generation }) => !target.removed && generation === target.generation);
      }
      arm();
    },

    stop() {
      stopping ??= (async () => {
        stopped = true;
        disarm();
        heap.clear();
        queue.length = 0;
        queueHead = 0;
        for (const target of targets.values()) {
          target.controller?.abort(new Error('pulse stopped'));
          target.removed = true;
        }
        targets.clear();
        const settled = Promise.allSettled([...inFlight]);
        let timeout: NodeJS.Timeout | undefined;
        const gaveUp = await Promise.race([
          settled.then(() => false),
          new Promise<boolean>((resolve) => {
            timeout = setTimeout(() => resolve(true), stopTimeoutMs);
            timeout.unref();
          }),
        ]);
        clearTimeout(timeout);
        if (gaveUp)
          logger?.warn({ running: inFlight.size }, 'pulse: probes still running after stop; left behind');
        await dispatcher?.destroy().catch(() => undefined);
      })();
      return stopping;
    },

    stats() {
      const at = now();
      const late = lateness.snapshot(at);
      return {
        targets: targets.size,
        running: inFlight.size,
        queued: queue.length - queueHead,
        latenessMs: { p50: late.p50, p99: late.p99, max: late.max },
        probesPerSecond: completions.perSecond(at),
        skipped,
        started,
        completed,
      };
    },
  };
}
