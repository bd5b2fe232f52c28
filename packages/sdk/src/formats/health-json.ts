import type { ServiceInfo } from '../core/service-info.js';
import type { CheckStatus } from '../core/status.js';
import { summarizeProblems, type HealthReport } from './report.js';
import { jsonResponse, type HealthResponse } from './response.js';

const DRAFT_STATUS: Readonly<Record<CheckStatus, 'pass' | 'warn' | 'fail'>> = {
  ok: 'pass',
  warning: 'warn',
  error: 'fail',
};

/** One entry of a draft `checks` array. */
interface DraftCheck {
  componentId: string;
  componentType: string;
  observedValue?: unknown;
  observedUnit?: string;
  status: 'pass' | 'warn' | 'fail';
  affectedEndpoints?: string[];
  time: string;
  output?: string;
  links?: Record<string, string>;
}

/**
 * `GET /health` as `application/health+json` (draft-inadarei-api-health-check-06): `status`
 * pass/warn/fail (fail is 503), `checks` keyed `component:measurement`, runbooks in `links`.
 */
export function renderHealthJson(service: ServiceInfo, report: HealthReport, now: number): HealthResponse {
  const checks: Record<string, DraftCheck[]> = {};
  const links: Record<string, string> = {};
  if (report.lifecycle) {
    checks[`lifecycle:${report.lifecycle.name}`] = [
      {
        componentId: service.id,
        componentType: 'system',
        status: 'fail',
        time: new Date(now).toISOString(),
        output: report.lifecycle.message,
      },
    ];
  }
  for (const { check, result } of report.entries) {
    const key = `${check.name}:${check.measurement ?? 'responseTime'}`;
    const usesDuration = result.observedValue === undefined;
    const entry: DraftCheck = {
      componentId: check.name,
      componentType: check.componentType,
      observedValue: usesDuration ? result.durationMs : result.observedValue,
      observedUnit: usesDuration ? 'ms' : result.observedUnit,
      status: DRAFT_STATUS[result.status],
      time: result.checkedAtIso,
    };
    if (entry.observedUnit === undefined) delete entry.observedUnit;
    if (result.message !== undefined) entry.output = result.message;
    if (check.runbook !== undefined) {
      entry.links = { runbook: check.runbook };
      links[`runbook:${check.name}`] = check.runbook;
    }
    (checks[key] ??= []).push(entry);
  }
  const output = summarizeProblems(report);
  const body = {
    status: DRAFT_STATUS[report.status],
    ...(service.version !== undefined && {
      version: service.version.split('.')[0],
      releaseId: service.version,
    }),
    serviceId: service.id,
    description: service.description ?? service.name,
    ...(output !== undefined && { output }),
    checks,
    ...(Object.keys(links).length > 0 && { links }),
  };
  return jsonResponse(report.status === 'error' ? 503 : 200, body, 'application/health+json');
}
