import type { CheckDefinition, CheckOutcome } from '../core/check.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { HeartbeatError } from '../errors.js';
import { parseHealthUrl, probeHealthUrl } from '../client/probe-health-url.js';

export interface HttpCheckOptions {
  /** The URL to GET: another service's health endpoint in any format, or any page. */
  url: string;
  /** How long the request may take; also the check's own timeout. Default: the registry's (1s). */
  timeout?: Duration;
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /**
   * The HTTP status(es) that count as an answer. Any other is an error; with one of these, an
   * answer in a known health format still says ok, warning or error, and any other body is ok.
   * Default: 200–399 unless the body says otherwise.
   */
  expectStatus?: number | readonly number[];
}

/**
 * A check that GETs a URL and reads the answer in whatever health format it speaks (see
 * `probeHealthUrl`): a downstream service's `/readyz`, `/health`, `/ops/heartbeat`, … Its observed
 * value is the response time in milliseconds; the URL is shown as its dependency.
 *
 * @example
 * health.addCheck({ name: 'payments', ...httpCheck({ url: 'http://payments:8080/readyz', timeout: '2s' }) });
 */
export function httpCheck(options: HttpCheckOptions): CheckDefinition {
  const url = parseHealthUrl(options.url).href;
  if (options.timeout !== undefined) parseDuration(options.timeout, 'timeout');
  const expected = expectedStatuses(options.expectStatus);
  const definition: CheckDefinition = {
    run: async function httpCheckRun({ signal }): Promise<CheckOutcome> {
      const result = await probeHealthUrl(url, {
        signal,
        ...(options.timeout !== undefined && { timeout: options.timeout }),
        ...(options.headers !== undefined && { headers: options.headers }),
      });
      const outcome: CheckOutcome = {
        status: result.status,
        message: result.message,
        observedValue: result.durationMs,
        observedUnit: 'ms',
      };
      if (expected === undefined || result.statusCode === undefined) return outcome;
      if (!expected.includes(result.statusCode)) {
        return {
          ...outcome,
          status: 'error',
          message: `expected HTTP ${expected.join(' or ')}, got ${result.statusCode}: ${result.message}`,
        };
      }
      // The status was expected, so only a body that speaks a health format can still fail it.
      if (result.format === 'unknown') return { ...outcome, status: 'ok' };
      return outcome;
    },
    componentType: 'component',
    measurement: 'responseTime',
    dependency: url,
  };
  if (options.timeout !== undefined) definition.timeout = options.timeout;
  return definition;
}

function expectedStatuses(expectStatus: HttpCheckOptions['expectStatus']): readonly number[] | undefined {
  if (expectStatus === undefined) return undefined;
  const list = typeof expectStatus === 'number' ? [expectStatus] : expectStatus;
  if (list.length === 0 || !list.every((code) => Number.isInteger(code) && code >= 100 && code <= 599)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      'expectStatus must be HTTP status codes between 100 and 599',
      {
        field: 'expectStatus',
        value: expectStatus,
      },
    );
  }
  return list;
}
