/**
 * The Pulse scheduler in a worker thread, behind the same interface as `createPulseScheduler`:
 * scheduling, connections, TLS and body reading all happen on the worker's event loop; the main
 * thread only receives finished results, in batches (every `batchMs`), and hands them to `onResult`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describeError } from '@heartbeat/sdk';
import {
  createPulseScheduler,
  PULSE_SCHEDULER_DEFAULTS,
  type PulseScheduler,
  type PulseSchedulerOptions,
  type PulseStats,
  type PulseTarget,
} from './scheduler.js';
import type { FromWorker, PulseWorkerData, ToWorker } from './worker-messages.js';

export interface PulseWorkerOptions extends Omit<
  PulseSchedulerOptions,
  'runProbe' | 'now' | 'wallClock' | 'random'
> {
  /** How often the worker posts finished results back, in ms. Default 100. */
  batchMs?: number;
  /**
   * The worker's module. Default: `pulse-worker.js` next to this file, which exists once built
   * (`dist/pulse/`). When that file is missing (the TypeScript sources run under a test runner),
   * probing runs in this thread instead, with a warning.
   */
  workerUrl?: URL;
  /** How long after an unexpected exit the worker is started again, in ms. Default 1000. */
  restartDelayMs?: number;
}

const EMPTY_STATS: PulseStats = {
  targets: 0,
  running: 0,
  queued: 0,
  latenessMs: { p50: 0, p99: 0, max: 0 },
  probesPerSecond: 0,
  skipped: 0,
  started: 0,
  completed: 0,
};

/**
 * Like `createPulseScheduler`, with the probing on a worker thread. `stats()` is the worker's latest
 * snapshot (at most `batchMs` old); results reach `onResult` up to `batchMs` after they finish. A
 * worker that dies is logged and started again (with the last `sync`), after `restartDelayMs`.
 * Without a built worker module (`workerUrl` names a missing file), it is `createPulseScheduler`.
 *
 * @example
 * const pulse = createPulseSchedulerInWorker({ onResult, logger });
 * pulse.sync(apis);
 * await pulse.stop();
 */
export function createPulseSchedulerInWorker(options: PulseWorkerOptions): PulseScheduler {
  const { logger, onResult } = options;
  const workerUrl = options.workerUrl ?? new URL('./pulse-worker.js', import.meta.url);
  if (workerUrl.protocol === 'file:' && !existsSync(fileURLToPath(workerUrl))) {
    options.logger?.warn(
      { workerUrl: workerUrl.href },
      'pulse: no built worker module (running from sources?); probing in this thread instead',
    );
    return createPulseScheduler(options);
  }
  const restartDelayMs = options.restartDelayMs ?? 1000;
  const stopTimeoutMs = options.stopTimeoutMs ?? PULSE_SCHEDULER_DEFAULTS.stopTimeoutMs;
  const workerData: PulseWorkerData = {
    batchMs: options.batchMs ?? 100,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.dispatcher !== undefined && { dispatcher: options.dispatcher }),
    ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
    ...(options.maxRedirects !== undefined && { maxRedirects: options.maxRedirects }),
    ...(options.stopTimeoutMs !== undefined && { stopTimeoutMs: options.stopTimeoutMs }),
  };

  let worker: Worker | undefined;
  let lastSync: PulseTarget[] | undefined;
  let stats: PulseStats = EMPTY_STATS;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  const send = (message: ToWorker): void => worker?.postMessage(message);

  function onMessage(message: FromWorker): void {
    if (message.type === 'log') {
      logger?.[message.level](message.object, message.message);
      return;
    }
    stats = message.stats;
    for (const [basepath, outcome, startedAt] of message.results) {
      try {
        onResult(basepath, outcome, startedAt);
      } catch (thrown) {
        logger?.error({ err: describeError(thrown), basepath }, 'pulse: onResult threw');
      }
    }
  }

  function start(): void {
    const started = new Worker(workerUrl, { workerData, name: 'heartbeat-pulse' });
    worker = started;
    // The hub's lifetime is not the worker's business: it never keeps the process alive.
    started.unref();
    started.on('message', onMessage);
    started.on('error', (error) => logger?.error({ err: describeError(error) }, 'pulse worker failed'));
    started.once('exit', (code) => {
      if (worker === started) worker = undefined;
      if (stopping) return;
      logger?.error({ code, restartInMs: restartDelayMs }, 'pulse worker exited; starting it again');
      stats = { ...stats, running: 0, queued: 0 };
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopping) return;
        start();
        if (lastSync) send({ type: 'sync', apis: lastSync });
      }, restartDelayMs);
      restartTimer.unref();
    });
  }

  start();

  return {
    sync(apis) {
      if (stopping) return;
      // Only what the worker needs crosses the thread boundary (structured clone of plain data).
      lastSync = apis.flatMap((api) =>
        api.pulse?.enabled ? [{ basepath: api.basepath, pulse: api.pulse }] : [],
      );
      send({ type: 'sync', apis: lastSync });
    },

    stop() {
      stopping ??= (async () => {
        clearTimeout(restartTimer);
        const current = worker;
        if (!current) return;
        const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
        // While stopping, the worker (unref'd so it never keeps the hub alive) must keep this
        // process alive until it has exited, or a stopping hub would end before its promise settles.
        current.ref();
        current.postMessage({ type: 'stop' } satisfies ToWorker);
        const kill = setTimeout(() => void current.terminate(), stopTimeoutMs + 1000);
        await exited;
        clearTimeout(kill);
        stats = { ...stats, targets: 0, running: 0, queued: 0 };
      })();
      return stopping;
    },

    stats: () => stats,
  };
}
