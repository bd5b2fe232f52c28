import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../core/duration.js';
import { describeError } from '../errors.js';
import type { Logger } from './logger.js';

/** Something to do on shutdown: stop consumers, flush buffers, say goodbye to the hub, close pools. */
export type ShutdownHook = () => unknown;

/** What a finished shutdown reports. */
export interface ShutdownOutcome {
  /** True when every hook finished in time and without error. */
  clean: boolean;
  failures: string[];
  durationMs: number;
}

export interface ShutdownSequenceOptions {
  /** Called first: readiness fails from this moment. */
  onStopping: () => void;
  /** Called last, once servers are closed. */
  onStopped: () => void;
  /** Wait after readiness fails, so load balancers and Kubernetes stop routing here. */
  delayMs: number;
  /** How long hooks and the closing of servers may take in all. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * The graceful-shutdown sequence: readiness fails at once, then the delay, then the hooks (the
 * last registered first, like a stack, within the timeout), then the servers close (in-flight
 * requests finish; connections still open at the deadline are cut). Liveness stays up throughout.
 */
export interface ShutdownSequence {
  addHook(name: string, hook: ShutdownHook): void;
  addServer(server: Server): void;
  /** Runs the sequence once; later calls return the same promise. */
  run(reason: string): Promise<ShutdownOutcome>;
  readonly started: boolean;
}

export function createShutdownSequence(options: ShutdownSequenceOptions): ShutdownSequence {
  const hooks: Array<{ name: string; hook: ShutdownHook }> = [];
  const servers = new Set<Server>();
  let running: Promise<ShutdownOutcome> | undefined;

  async function sequence(reason: string): Promise<ShutdownOutcome> {
    const startedAt = performance.now();
    const { logger } = options;
    options.onStopping();
    logger.info({ reason, delayMs: options.delayMs }, 'shutting down: readiness now fails');
    if (options.delayMs > 0) await sleep(options.delayMs);

    const deadline = performance.now() + options.timeoutMs;
    const failures: string[] = [];
    for (const { name, hook } of [...hooks].reverse()) {
      const left = deadline - performance.now();
      if (left <= 0) {
        failures.push(
          `${name}: not run, the shutdown timeout of ${formatDuration(options.timeoutMs)} had passed`,
        );
        continue;
      }
      const failure = await runWithin(hook, left);
      if (failure) failures.push(`${name}: ${failure}`);
    }
    await Promise.all(
      [...servers].map((server) => closeServer(server, Math.max(0, deadline - performance.now()))),
    );
    options.onStopped();
    const outcome = {
      clean: failures.length === 0,
      failures,
      durationMs: Math.round(performance.now() - startedAt),
    };
    if (outcome.clean) logger.info({ durationMs: outcome.durationMs }, 'shut down cleanly');
    else logger.error({ failures, durationMs: outcome.durationMs }, 'shut down with failures');
    return outcome;
  }

  return {
    addHook(name, hook) {
      hooks.push({ name, hook });
    },
    addServer(server) {
      servers.add(server);
    },
    run(reason) {
      running ??= sequence(reason);
      return running;
    },
    get started() {
      return running !== undefined;
    },
  };
}

/** Runs a hook; returns why it failed, or undefined. */
async function runWithin(hook: ShutdownHook, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not finish within ${formatDuration(ms)}`), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(hook)
        .then(
          () => undefined,
          (thrown: unknown) => describeError(thrown),
        ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops accepting connections, lets in-flight requests finish, and cuts what is left at the deadline. */
function closeServer(server: Server, withinMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    // Keep-alive connections go idle as their last response ends: reap them as they do.
    const reaper = setInterval(() => server.closeIdleConnections(), 25);
    const deadline = setTimeout(() => server.closeAllConnections(), withinMs);
    reaper.unref();
    deadline.unref();
    server.close(() => {
      clearInterval(reaper);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
