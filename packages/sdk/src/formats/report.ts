import type { CheckResult, NormalizedCheck } from '../core/check.js';
import type { LifecycleProblem } from '../core/lifecycle.js';
import { aggregateStatus, worseStatus, type CheckStatus } from '../core/status.js';

/** One check with its latest result. */
export interface CheckEntry {
  check: NormalizedCheck;
  result: CheckResult;
}

/** Everything an aggregate endpoint renders: the entries, the lifecycle's verdict, the overall status. */
export interface HealthReport {
  status: CheckStatus;
  entries: CheckEntry[];
  lifecycle: LifecycleProblem | undefined;
}

/** Combines results and the lifecycle into one report (SPEC.md §2 aggregation). */
export function buildReport(
  checks: readonly NormalizedCheck[],
  results: readonly CheckResult[],
  lifecycle: LifecycleProblem | undefined,
): HealthReport {
  const entries = checks.map((check, i) => ({ check, result: results[i]! }));
  const fromChecks = aggregateStatus(results);
  return { status: lifecycle ? worseStatus(fromChecks, 'error') : fromChecks, entries, lifecycle };
}

/** One line naming what is wrong, for the `Message` / `output` fields; undefined when all is ok. */
export function summarizeProblems(report: HealthReport): string | undefined {
  const problems: string[] = [];
  if (report.lifecycle) problems.push(report.lifecycle.message);
  for (const { result } of report.entries) {
    if (result.status === 'ok') continue;
    const label = result.critical ? result.name : `${result.name} (not critical)`;
    problems.push(`${label}: ${result.status}${result.message ? ` — ${result.message}` : ''}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
