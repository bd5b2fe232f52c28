import { nextCronTime, type CronExpression } from './cron.js';
import type { Selector, Subject } from './model.js';
import { selectorMatches } from './selector.js';

/**
 * A planned quiet time: one-off (`start`–`end`) or recurring (a cron `schedule` of start times, each
 * lasting `duration`, in `timeZone`). While one is active, the rules it names (all when none) send
 * nothing about the subjects it matches.
 */
export interface MaintenanceWindow {
  name: string;
  schedule?: CronExpression;
  /** ms; with `schedule`. */
  duration?: number;
  timeZone: string;
  /** epoch ms; one-off windows. */
  start?: number;
  end?: number;
  match: Selector;
  /** Rule names; empty: every rule. */
  rules: string[];
}

/** One occurrence of a window. */
export interface WindowSpan {
  name: string;
  start: number;
  end: number;
}

/**
 * The occurrence of `window` that covers `now`, if any.
 *
 * @example
 * activeSpan({ name: 'deploy', schedule: parseCron('0 2 * * *').cron, duration: 1_800_000, timeZone: 'UTC', … }, Date.parse('2026-11-21T02:10:00Z'))
 * // { name: 'deploy', start: Date.parse('2026-11-21T02:00:00Z'), end: Date.parse('2026-11-21T02:30:00Z') }
 */
export function activeSpan(window: MaintenanceWindow, now: number): WindowSpan | undefined {
  if (window.schedule !== undefined && window.duration !== undefined) {
    // The first start after now − duration: if it is not in the future, it covers now.
    const start = nextCronTime(window.schedule, now - window.duration + 1, window.timeZone, window.duration);
    if (start !== undefined && start <= now) {
      return { name: window.name, start, end: start + window.duration };
    }
    return undefined;
  }
  if (window.start !== undefined && window.end !== undefined && window.start <= now && now < window.end) {
    return { name: window.name, start: window.start, end: window.end };
  }
  return undefined;
}

/** The next occurrence that starts after `now` (a one-off window: only if it is still ahead). */
export function nextSpan(window: MaintenanceWindow, now: number): WindowSpan | undefined {
  if (window.schedule !== undefined && window.duration !== undefined) {
    const start = nextCronTime(window.schedule, now + 1, window.timeZone);
    return start === undefined ? undefined : { name: window.name, start, end: start + window.duration };
  }
  if (window.start !== undefined && window.end !== undefined && window.start > now) {
    return { name: window.name, start: window.start, end: window.end };
  }
  return undefined;
}

/**
 * The active window that silences `rule` for `subject` at `now`, if any.
 *
 * @example
 * if (silencingWindow(windows, 'api-down', subject, clock()) === undefined) send();
 */
export function silencingWindow(
  windows: readonly MaintenanceWindow[],
  rule: string,
  subject: Subject,
  now: number,
): MaintenanceWindow | undefined {
  return windows.find(
    (window) =>
      (window.rules.length === 0 || window.rules.includes(rule)) &&
      selectorMatches(window.match, subject) &&
      activeSpan(window, now) !== undefined,
  );
}
