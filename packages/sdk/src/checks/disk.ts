import { statfs } from 'node:fs/promises';
import type { CheckDefinition, CheckOutcome } from '../core/check.js';
import type { CheckStatus } from '../core/status.js';
import { HeartbeatError } from '../errors.js';
import { abortError } from './shared.js';

/** Options of `diskSpaceCheck`. */
export interface DiskSpaceCheckOptions {
  /** A path on the file system to watch. Default `process.cwd()`, read when the check is created. */
  path?: string;
  /** `warning` when the free share of the file system falls below this, 0 to 1. Default 0.10. */
  warnFreeRatio?: number;
  /** `error` when the free share of the file system falls below this, 0 to 1. Default 0.05. */
  errorFreeRatio?: number;
  /** `warning` when fewer than this many bytes are free. Off by default. */
  warnFreeBytes?: number;
  /** `error` when fewer than this many bytes are free. Off by default. */
  errorFreeBytes?: number;
}

const GIB = 1024 ** 3;

/**
 * A check of the free space on the file system that holds `path`: the space available to this
 * process's user (what `df` shows as available), as a percentage of the file system's size.
 *
 * @example
 * health.addCheck({ name: 'disk', ...diskSpaceCheck({ path: '/var/lib/app', errorFreeBytes: 1024 ** 3 }) });
 */
export function diskSpaceCheck(options: DiskSpaceCheckOptions = {}): CheckDefinition {
  const path = options.path ?? process.cwd();
  if (typeof path !== 'string' || path === '') {
    throw new HeartbeatError('VALIDATION_FAILED', 'diskSpaceCheck path must be a non-empty string', {
      field: 'path',
    });
  }
  const warnFreeRatio = ratio(options.warnFreeRatio ?? 0.1, 'warnFreeRatio');
  const errorFreeRatio = ratio(options.errorFreeRatio ?? 0.05, 'errorFreeRatio');
  notAbove(errorFreeRatio, warnFreeRatio, 'errorFreeRatio', 'warnFreeRatio');
  const warnFreeBytes = bytes(options.warnFreeBytes, 'warnFreeBytes');
  const errorFreeBytes = bytes(options.errorFreeBytes, 'errorFreeBytes');
  if (warnFreeBytes !== undefined && errorFreeBytes !== undefined) {
    notAbove(errorFreeBytes, warnFreeBytes, 'errorFreeBytes', 'warnFreeBytes');
  }

  return {
    componentType: 'system',
    measurement: 'utilization',
    run: async function runDiskSpaceCheck({ signal }): Promise<CheckOutcome> {
      if (signal.aborted) throw abortError(signal, `reading the free space of ${path}`);
      const stats = await statfs(path);
      const total = stats.blocks * stats.bsize;
      // bavail, not bfree: blocks reserved for root are no use to a service that runs as a user.
      const free = stats.bavail * stats.bsize;
      if (total === 0) {
        return {
          status: 'warning',
          message: `the file system of ${path} reports a size of 0 (a pseudo file system?)`,
        };
      }
      const freeRatio = free / total;
      const freePercent = Math.round(freeRatio * 10_000) / 100;

      const reasons: string[] = [];
      let status: CheckStatus = 'ok';
      if (freeRatio < errorFreeRatio) {
        status = 'error';
        reasons.push(`below ${percent(errorFreeRatio)} free`);
      } else if (freeRatio < warnFreeRatio) {
        status = 'warning';
        reasons.push(`below ${percent(warnFreeRatio)} free`);
      }
      if (errorFreeBytes !== undefined && free < errorFreeBytes) {
        status = 'error';
        reasons.push(`below ${gib(errorFreeBytes)} free`);
      } else if (warnFreeBytes !== undefined && free < warnFreeBytes) {
        if (status === 'ok') status = 'warning';
        reasons.push(`below ${gib(warnFreeBytes)} free`);
      }

      const summary = `${gib(free)} free of ${gib(total)} (${freePercent}%) at ${path}`;
      return {
        status,
        message: reasons.length > 0 ? `${summary}: ${reasons.join('; ')}` : summary,
        observedValue: freePercent,
        observedUnit: '%',
      };
    },
  };
}

function gib(value: number): string {
  return `${(value / GIB).toFixed(value < GIB ? 3 : 1)} GiB`;
}

function percent(share: number): string {
  return `${Math.round(share * 10_000) / 100}%`;
}

function ratio(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new HeartbeatError('VALIDATION_FAILED', `diskSpaceCheck ${field} must be between 0 and 1`, {
      field,
      value,
    });
  }
  return value;
}

function bytes(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    throw new HeartbeatError('VALIDATION_FAILED', `diskSpaceCheck ${field} must be a number of bytes`, {
      field,
      value,
    });
  }
  return value;
}

function notAbove(error: number, warn: number, errorField: string, warnField: string): void {
  if (error > warn) {
    throw new HeartbeatError('VALIDATION_FAILED', `diskSpaceCheck ${errorField} is above ${warnField}`, {
      field: errorField,
      value: error,
    });
  }
}
