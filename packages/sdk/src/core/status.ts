/** The one status vocabulary inside the SDK (SPEC.md §2). */
export type CheckStatus = 'ok' | 'warning' | 'error';

/** The probes a check can count for. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export const CHECK_STATUSES: readonly CheckStatus[] = ['ok', 'warning', 'error'];
export const PROBE_KINDS: readonly ProbeKind[] = ['liveness', 'readiness', 'startup'];

const SEVERITY: Readonly<Record<CheckStatus, number>> = { ok: 0, warning: 1, error: 2 };

/** The worse of two statuses. */
export function worseStatus(a: CheckStatus, b: CheckStatus): CheckStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** Whether a value is one of the three statuses. */
export function isCheckStatus(value: unknown): value is CheckStatus {
  return value === 'ok' || value === 'warning' || value === 'error';
}

/**
 * What one check contributes to an aggregate: its own status, except that a non-critical check
 * can lower the overall status to `warning` at most.
 */
export function contribution(status: CheckStatus, critical: boolean): CheckStatus {
  return !critical && status === 'error' ? 'warning' : status;
}

/** The overall status of a set of results: the worst contribution, `ok` when there is none. */
export function aggregateStatus(results: Iterable<{ status: CheckStatus; critical: boolean }>): CheckStatus {
  let overall: CheckStatus = 'ok';
  for (const result of results) {
    overall = worseStatus(overall, contribution(result.status, result.critical));
    if (overall === 'error') break;
  }
  return overall;
}
