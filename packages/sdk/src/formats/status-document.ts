import type { ServiceInfo } from '../core/service-info.js';
import type { HealthReport } from './report.js';
import { jsonResponse, type HealthResponse } from './response.js';

/**
 * `GET /status` (seed 000's sibling, pip-services `StatusRestService`): who this is, since when,
 * and its components (the checks) with their latest status. Always 200: it describes, it does not judge.
 */
export function renderStatusDocument(
  service: ServiceInfo,
  report: HealthReport,
  now: number,
): HealthResponse {
  return jsonResponse(200, {
    id: service.id,
    name: service.name,
    description: service.description ?? null,
    start_time: new Date(service.startedAt).toISOString(),
    current_time: new Date(now).toISOString(),
    uptime: now - service.startedAt,
    properties: { ...service.properties, ...(service.version ? { version: service.version } : {}) },
    components: report.entries.map(({ check, result }) => ({
      name: check.name,
      status: result.status,
      critical: check.critical,
      ...(result.message !== undefined && { message: result.message }),
      checked_at: result.checkedAtIso,
      duration_ms: result.durationMs,
      ...(check.dependency !== undefined && { dependency: check.dependency }),
      ...(check.runbook !== undefined && { runbook: check.runbook }),
    })),
  });
}
