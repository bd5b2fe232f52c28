import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { CheckDefinition, CheckOutcome } from '../core/check.js';
import { HeartbeatError } from '../errors.js';
import { abortError } from './shared.js';

/** Options of `eventLoopDelayCheck`. */
export interface EventLoopDelayCheckOptions {
  /** `warning` when the p99 delay reaches this many ms. Default 100. */
  warnMs?: number;
  /** `error` when the p99 delay reaches this many ms. Default 500. */
  errorMs?: number;
  /** How often the loop is sampled, in ms; a block shorter than this may go unseen. Default 20. */
  resolution?: number;
}

/** The check that `eventLoopDelayCheck` returns: a check definition plus `close()` for shutdown. */
export type EventLoopDelayCheckDefinition = CheckDefinition & {
  /** Stops sampling; later runs fail with "closed". */
  close(): void;
};

/**
 * A check of how late the event loop runs: the 99th percentile of its delay since the previous
 * run, in ms. Sampling starts on the first run, which reports `ok` while it has nothing to show; the
 * sampler is a timer that never keeps the process alive, and `close()` stops it.
 *
 * @example
 * const loop = eventLoopDelayCheck({ warnMs: 200 });
 * health.addCheck({ name: 'event-loop', ...loop, probes: ['liveness'], interval: '5s' });
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): EventLoopDelayCheckDefinition {
  const warnMs = positive(options.warnMs ?? 100, 'warnMs');
  const errorMs = positive(options.errorMs ?? 500, 'errorMs');
  const resolution = options.resolution ?? 20;
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      'eventLoopDelayCheck resolution must be a whole number of ms, at least 1',
      {
        field: 'resolution',
        value: resolution,
      },
    );
  }
  if (errorMs < warnMs) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `eventLoopDelayCheck errorMs ${errorMs} is below warnMs ${warnMs}`,
      {
        field: 'errorMs',
        value: errorMs,
      },
    );
  }
  let histogram: IntervalHistogram | undefined;
  let closed = false;

  return {
    componentType: 'system',
    measurement: 'eventLoopDelay',
    run: async function runEventLoopDelayCheck({ signal }): Promise<CheckOutcome> {
      if (closed) throw new Error('the event loop delay check was closed');
      if (!histogram) {
        histogram = monitorEventLoopDelay({ resolution });
        histogram.enable();
        return { status: 'ok', message: 'started measuring the event loop delay; the next run reports it' };
      }
      // A block that ended just before this run is only recorded when the sampler's timer next
      // fires; a zero-delay timer runs after it, so the block counts in this run, not the next.
      await nextTimerTick(signal);
      if (!histogram) throw new Error('the event loop delay check was closed');
      const samples = histogram.count;
      // Each sample is the time between two timer ticks: the resolution plus the delay.
      const p99Ms = toDelayMs(histogram.percentile(99), resolution);
      const maxMs = toDelayMs(histogram.max, resolution);
      histogram.reset();
      if (samples === 0) {
        return { status: 'ok', message: `no complete ${resolution}ms sample since the previous run` };
      }
      const status = p99Ms >= errorMs ? 'error' : p99Ms >= warnMs ? 'warning' : 'ok';
      const limit =
        status === 'error'
          ? `, at or above ${errorMs}ms`
          : status === 'warning'
            ? `, at or above ${warnMs}ms`
            : '';
      return {
        status,
        message: `event loop delay p99 ${p99Ms}ms (max ${maxMs}ms, ${samples} ${samples === 1 ? 'sample' : 'samples'} since the previous run)${limit}`,
        observedValue: p99Ms,
        observedUnit: 'ms',
      };
    },
    close: function closeEventLoopDelayCheck() {
      closed = true;
      histogram?.disable();
      histogram = undefined;
    },
  };
}

function toDelayMs(nanoseconds: number, resolution: number): number {
  return Math.max(0, Math.round((nanoseconds / 1e6 - resolution) * 100) / 100);
}

function nextTimerTick(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal, 'measuring the event loop delay'));
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}

function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `eventLoopDelayCheck ${field} must be a positive number of ms`,
      {
        field,
        value,
      },
    );
  }
  return value;
}
