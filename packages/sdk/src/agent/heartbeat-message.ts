/**
 * The heartbeat message an agent pushes to the hub (SPEC.md §4), and the pure functions that fill
 * it in: the instance's own status from check results, and extInfo made safe to send.
 */
import type { CheckResult } from '../core/check.js';
import { aggregateStatus, isCheckStatus, type CheckStatus } from '../core/status.js';

/** A plugin (or module) the instance carries, as Sermant reports it. */
export interface PluginInfo {
  name: string;
  version?: string;
  extInfo?: Record<string, string>;
}

/** One check of the instance's own health, as the hub receives it. */
export interface ReportedCheck {
  name: string;
  status: CheckStatus;
  message?: string;
}

/** The instance's own health, as one beat carries it. */
export interface InstanceStatusReport {
  status: CheckStatus;
  checks?: ReportedCheck[];
}

/** Facts about the instance that do not change between beats. */
export interface InstanceMetadata {
  appName?: string;
  appType?: string;
  artifact?: string;
  version?: string;
  hostName?: string;
  ip?: string[];
  processId?: number;
  /** The APIs this instance serves, e.g. `['/eni/orders']`. */
  basepaths?: string[];
}

/** One heartbeat, exactly the fields of SPEC.md §4. */
export interface HeartbeatMessage extends InstanceMetadata {
  instanceId: string;
  service: string;
  /** When this beat was made (epoch ms, the agent's clock). */
  heartbeatTime?: number;
  /** When the previous beat the hub accepted was made (epoch ms). */
  lastHeartbeatTime?: number;
  /** The cadence the agent promises, in ms. */
  interval?: number;
  plugins?: PluginInfo[];
  extInfo?: Record<string, string>;
  status?: CheckStatus;
  checks?: ReportedCheck[];
}

/** Longer check messages are cut: a beat is a small snapshot, not a log. */
export const MAX_CHECK_MESSAGE_CHARS = 500;

/**
 * The instance's status from the SDK's check results, aggregated as every SDK endpoint does
 * (the worst status; a non-critical check lowers it to `warning` at most).
 *
 * @example
 * reportFromCheckResults(await health.runChecks()) // { status: 'error', checks: [{ name: 'db', status: 'error', message: '…' }] }
 */
export function reportFromCheckResults(results: readonly CheckResult[]): InstanceStatusReport {
  return {
    status: aggregateStatus(results),
    checks: results.map((result) => reportedCheck(result.name, result.status, result.message)),
  };
}

/**
 * Checks what a status source returned: a valid report, or `undefined` with the reason it is not.
 * Checks with no name or an unknown status are left out rather than failing the whole beat.
 */
export function normalizeStatusReport(value: unknown): InstanceStatusReport | string {
  if (typeof value !== 'object' || value === null) return `expected {status, checks?}, got ${typeof value}`;
  const { status, checks } = value as { status?: unknown; checks?: unknown };
  if (!isCheckStatus(status)) return `status must be ok, warning or error, got ${JSON.stringify(status)}`;
  const report: InstanceStatusReport = { status };
  if (Array.isArray(checks)) {
    report.checks = [];
    for (const check of checks as unknown[]) {
      if (typeof check !== 'object' || check === null) continue;
      const { name, status: checkStatus, message } = check as Record<string, unknown>;
      if (typeof name !== 'string' || name === '' || !isCheckStatus(checkStatus)) continue;
      report.checks.push(reportedCheck(name, checkStatus, typeof message === 'string' ? message : undefined));
    }
  }
  return report;
}

/**
 * extInfo as the hub accepts it, `{string: string}`: numbers and booleans become strings; other
 * values are dropped and named, so the caller can say so once.
 *
 * @example
 * normalizeExtInfo({ status: 'started', workers: 4, nested: {} }) // { extInfo: { status: 'started', workers: '4' }, dropped: ['nested'] }
 */
export function normalizeExtInfo(value: unknown): { extInfo: Record<string, string>; dropped: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `extInfo must be an object of strings, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  const extInfo: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry === 'string') extInfo[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean' || typeof entry === 'bigint') {
      extInfo[key] = String(entry);
    } else dropped.push(key);
  }
  return { extInfo, dropped };
}

function reportedCheck(name: string, status: CheckStatus, message: string | undefined): ReportedCheck {
  const check: ReportedCheck = { name, status };
  if (message !== undefined && message !== '') {
    check.message =
      message.length > MAX_CHECK_MESSAGE_CHARS
        ? `${message.slice(0, MAX_CHECK_MESSAGE_CHARS - 1)}…`
        : message;
  }
  return check;
}
