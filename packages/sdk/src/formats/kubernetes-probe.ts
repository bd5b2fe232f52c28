import type { CheckEntry, HealthReport } from './report.js';
import { textResponse, type HealthResponse } from './response.js';

/** The probe endpoints, named as the Kubernetes API server names its own. */
export type ProbeEndpoint = 'livez' | 'readyz' | 'startupz';

export interface ProbeRenderOptions {
  verbose: boolean;
  /** Names given in `?exclude=` that match no check: reported, as the API server does. */
  unmatchedExcludes: readonly string[];
}

/**
 * `/livez`, `/readyz`, `/startupz` in the Kubernetes API server's text conventions: `ok` when the
 * probe passes, a `[+]`/`[-]` line per check when it fails or `?verbose` is asked, 503 on failure.
 * A warning, or an error of a non-critical check, never fails a probe.
 */
export function renderProbe(
  probe: ProbeEndpoint,
  report: HealthReport,
  options: ProbeRenderOptions,
): HealthResponse {
  const passed = report.status !== 'error';
  if (passed && !options.verbose) return textResponse(200, 'ok');
  const lines: string[] = [];
  if (report.lifecycle) lines.push(`[-]${report.lifecycle.name} failed: ${report.lifecycle.message}`);
  for (const entry of report.entries) lines.push(probeLine(entry));
  if (options.unmatchedExcludes.length > 0) {
    const names = options.unmatchedExcludes.map((name) => JSON.stringify(name)).join(',');
    lines.push(`warn: some health checks cannot be excluded: no matches for ${names}`);
  }
  lines.push(`${probe} check ${passed ? 'passed' : 'failed'}`);
  return textResponse(passed ? 200 : 503, `${lines.join('\n')}\n`);
}

/** `/<probe>/<name>`: one check, `ok` or its failure line. */
export function renderProbeCheck(entry: CheckEntry, verbose: boolean): HealthResponse {
  const failed = entry.result.status === 'error';
  if (!failed && !verbose) return textResponse(200, 'ok');
  return textResponse(
    failed ? 503 : 200,
    `${probeLine({ ...entry, result: { ...entry.result, critical: true } })}\n`,
  );
}

function probeLine({ result }: CheckEntry): string {
  const reason = result.message ?? 'no reason given';
  switch (result.status) {
    case 'ok':
      return `[+]${result.name} ok`;
    case 'warning':
      return `[+]${result.name} ok (warning: ${reason})`;
    case 'error':
      return result.critical
        ? `[-]${result.name} failed: ${reason}`
        : `[+]${result.name} failed, not critical: ${reason}`;
  }
}
