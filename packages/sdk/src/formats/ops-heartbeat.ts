import type { ServiceInfo } from '../core/service-info.js';
import type { CheckStatus } from '../core/status.js';
import { summarizeProblems, type HealthReport } from './report.js';
import { jsonResponse, type HealthResponse } from './response.js';

const TOP_STATUS: Readonly<Record<CheckStatus, 'OK' | 'WARNING' | 'ERROR'>> = {
  ok: 'OK',
  warning: 'WARNING',
  error: 'ERROR',
};
const DEPENDENCY_STATUS: Readonly<Record<CheckStatus, 'OK' | 'WARNING' | 'CRITICAL'>> = {
  ok: 'OK',
  warning: 'WARNING',
  error: 'CRITICAL',
};

/**
 * `GET /ops/heartbeat` (seed 004 `HealthResponse`): `Status` OK/WARNING with 200, ERROR with 503;
 * one `Dependencies` entry per check that declares a dependency URL, stamped with when it was checked.
 */
export function renderOpsHeartbeat(
  service: ServiceInfo,
  report: HealthReport,
  requestUrl: string,
  now: number,
  requestDurationMs: number,
): HealthResponse {
  const message = summarizeProblems(report);
  const body = {
    Status: TOP_STATUS[report.status],
    ...(message !== undefined && { Message: message }),
    URL: requestUrl,
    Machine: service.machine,
    UtcDateTime: new Date(now).toISOString(),
    RequestDuration: requestDurationMs,
    Dependencies: report.entries
      .filter(({ check }) => check.dependency !== undefined)
      .map(({ check, result }) => ({
        Status: DEPENDENCY_STATUS[result.status],
        URL: check.dependency,
        UtcDateTime: new Date(result.checkedAt).toISOString(),
        RequestDuration: result.durationMs,
      })),
  };
  return jsonResponse(report.status === 'error' ? 503 : 200, body);
}
