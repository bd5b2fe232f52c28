import type { CheckResult, NormalizedCheck } from '../core/check.js';
import type { ServiceInfo } from '../core/service-info.js';
import type { CheckStatus } from '../core/status.js';
import { summarizeProblems, type HealthReport } from './report.js';
import { jsonTextResponse, type HealthResponse } from './response.js';

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
 * A dependency entry only changes when its check runs again, so its JSON is kept with the result
 * it describes: a flood of probes against cached checks serializes nothing but the envelope.
 */
const dependencyJson = new WeakMap<CheckResult, string>();

function dependencyEntry(check: NormalizedCheck, result: CheckResult): string {
  let json = dependencyJson.get(result);
  if (json === undefined) {
    json = JSON.stringify({
      Status: DEPENDENCY_STATUS[result.status],
      URL: check.dependency,
      UtcDateTime: result.checkedAtIso,
      RequestDuration: result.durationMs,
    });
    dependencyJson.set(result, json);
  }
  return json;
}

/**
 * `GET /ops/heartbeat` (seed 004 `HealthResponse`): `Status` OK/WARNING with 200, ERROR with 503;
 * one `Dependencies` entry per check that declares a dependency URL, stamped with when it was checked.
 * The body is assembled from pre-serialized parts, in the seed's field order.
 */
export function renderOpsHeartbeat(
  service: ServiceInfo,
  report: HealthReport,
  requestUrl: string,
  now: number,
  requestDurationMs: number,
): HealthResponse {
  const message = report.status === 'ok' && !report.lifecycle ? undefined : summarizeProblems(report);
  let dependencies = '';
  for (const { check, result } of report.entries) {
    if (check.dependency === undefined) continue;
    dependencies +=
      dependencies === '' ? dependencyEntry(check, result) : `,${dependencyEntry(check, result)}`;
  }
  const body =
    `{"Status":"${TOP_STATUS[report.status]}"` +
    (message === undefined ? '' : `,"Message":${JSON.stringify(message)}`) +
    `,"URL":${JSON.stringify(requestUrl)},"Machine":${JSON.stringify(service.machine)}` +
    `,"UtcDateTime":"${new Date(now).toISOString()}","RequestDuration":${requestDurationMs}` +
    `,"Dependencies":[${dependencies}]}`;
  return jsonTextResponse(report.status === 'error' ? 503 : 200, body);
}
