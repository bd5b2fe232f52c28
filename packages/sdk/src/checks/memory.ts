import { getHeapStatistics } from 'node:v8';
import type { CheckDefinition, CheckOutcome } from '../core/check.js';
import type { CheckStatus } from '../core/status.js';
import { HeartbeatError } from '../errors.js';

/** Options of `memoryCheck`. */
export interface MemoryCheckOptions {
  /** `warning` when the V8 heap in use reaches this share of its limit, 0 to 1. Default 0.85. */
  heapWarnRatio?: number;
  /** `error` when the V8 heap in use reaches this share of its limit, 0 to 1. Default 0.95. */
  heapErrorRatio?: number;
  /** `warning` when the process's resident set size reaches this many bytes. Off by default. */
  rssWarnBytes?: number;
  /** `error` when the process's resident set size reaches this many bytes. Off by default. */
  rssErrorBytes?: number;
}

const MIB = 1024 * 1024;

/**
 * A check of the process's memory: the V8 heap in use against its limit (`--max-old-space-size`),
 * and optionally the resident set size (set that near a container's memory limit). Reports the heap
 * in use as a percentage of the limit.
 *
 * @example
 * health.addCheck({ name: 'memory', ...memoryCheck({ rssWarnBytes: 400 * 1024 ** 2 }), critical: false });
 */
export function memoryCheck(options: MemoryCheckOptions = {}): CheckDefinition {
  const heapWarnRatio = ratio(options.heapWarnRatio ?? 0.85, 'heapWarnRatio');
  const heapErrorRatio = ratio(options.heapErrorRatio ?? 0.95, 'heapErrorRatio');
  notBelow(heapErrorRatio, heapWarnRatio, 'heapErrorRatio', 'heapWarnRatio');
  const rssWarnBytes = bytes(options.rssWarnBytes, 'rssWarnBytes');
  const rssErrorBytes = bytes(options.rssErrorBytes, 'rssErrorBytes');
  if (rssWarnBytes !== undefined && rssErrorBytes !== undefined) {
    notBelow(rssErrorBytes, rssWarnBytes, 'rssErrorBytes', 'rssWarnBytes');
  }

  return {
    componentType: 'system',
    measurement: 'utilization',
    run: function runMemoryCheck(): CheckOutcome {
      const heap = getHeapStatistics();
      const rss = process.memoryUsage.rss();
      const heapRatio = heap.used_heap_size / heap.heap_size_limit;
      const heapPercent = Math.round(heapRatio * 10_000) / 100;

      const reasons: string[] = [];
      let status: CheckStatus = 'ok';
      if (heapRatio >= heapErrorRatio) {
        status = 'error';
        reasons.push(`heap at or above ${percent(heapErrorRatio)} of its limit`);
      } else if (heapRatio >= heapWarnRatio) {
        status = 'warning';
        reasons.push(`heap at or above ${percent(heapWarnRatio)} of its limit`);
      }
      if (rssErrorBytes !== undefined && rss >= rssErrorBytes) {
        status = 'error';
        reasons.push(`RSS at or above ${mib(rssErrorBytes)}`);
      } else if (rssWarnBytes !== undefined && rss >= rssWarnBytes) {
        if (status === 'ok') status = 'warning';
        reasons.push(`RSS at or above ${mib(rssWarnBytes)}`);
      }

      const summary = `heap ${mib(heap.used_heap_size)} used of ${mib(heap.heap_size_limit)} (${heapPercent}%), RSS ${mib(rss)}`;
      return {
        status,
        message: reasons.length > 0 ? `${summary}: ${reasons.join('; ')}` : summary,
        observedValue: heapPercent,
        observedUnit: '%',
      };
    },
  };
}

function mib(value: number): string {
  return `${(value / MIB).toFixed(1)} MiB`;
}

function percent(share: number): string {
  return `${Math.round(share * 10_000) / 100}%`;
}

function ratio(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new HeartbeatError('VALIDATION_FAILED', `memoryCheck ${field} must be between 0 and 1`, {
      field,
      value,
    });
  }
  return value;
}

function bytes(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    throw new HeartbeatError('VALIDATION_FAILED', `memoryCheck ${field} must be a number of bytes`, {
      field,
      value,
    });
  }
  return value;
}

function notBelow(error: number, warn: number, errorField: string, warnField: string): void {
  if (error < warn) {
    throw new HeartbeatError('VALIDATION_FAILED', `memoryCheck ${errorField} is below ${warnField}`, {
      field: errorField,
      value: error,
    });
  }
}
