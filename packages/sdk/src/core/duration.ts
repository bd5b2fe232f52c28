import { HeartbeatError } from '../errors.js';

/** A duration: milliseconds as a number, or a string such as `500ms`, `30s`, `5m`, `1h`, `1d`. */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/**
 * Parses a duration into whole milliseconds.
 *
 * @example
 * parseDuration('30s') // 30000
 * parseDuration(250)   // 250
 */
export function parseDuration(value: Duration, field = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new HeartbeatError(
        'VALIDATION_FAILED',
        `${field} must be a non-negative number of milliseconds`,
        {
          field,
          value,
        },
      );
    }
    return Math.round(value);
  }
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `${field} "${value}" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d`,
      { field, value },
    );
  }
  const [, amount, unit = 'ms'] = match;
  return Math.round(Number(amount) * (UNIT_MS[unit] ?? 1));
}

/** Formats milliseconds the way people write durations: `750ms`, `30s`, `5m`, `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
}
