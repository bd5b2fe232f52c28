import { HeartbeatError } from '@heartbeat/sdk';
import type { ApiDefinition } from '../domain/api.js';
import { apiDefinitionFromConfig } from './api-config.js';
import type { ConfigProblem } from './config-problem.js';
import { resolveHubConfig } from './load-hub-config.js';

/**
 * An API declared through the admin API, in the same shape as an `apis:` entry of the YAML — read
 * by the very same field table, so the two cannot disagree on a default or a rule. (JSON is YAML.)
 * Problems come back as one `VALIDATION_FAILED` naming each field (`pulse.interval`, `failOn[1]`).
 *
 * @example
 * parseApiDeclaration({ basepath: '/orders/v1', threshold: 0.95, pulse: { url: 'http://orders/health' } }, Date.now())
 */
export function parseApiDeclaration(body: unknown, now: number): ApiDefinition {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      'send one API as a JSON object, e.g. {"basepath": "/orders/v1"}',
      {
        field: '(body)',
      },
    );
  }
  let config;
  try {
    ({ config } = resolveHubConfig({
      file: { name: 'request', text: JSON.stringify({ apis: [body] }) },
      env: {},
      flags: {},
    }));
  } catch (thrown) {
    if (!(thrown instanceof HeartbeatError)) throw thrown;
    const problems = ((thrown.details as { problems?: ConfigProblem[] } | undefined)?.problems ?? []).map(
      (problem) => ({
        field: problem.path.replace(/^apis\[0\]\.?/, '') || '(body)',
        message: problem.message,
      }),
    );
    const first = problems[0];
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      first
        ? `the API is invalid: ${first.field}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
        : thrown.message,
      { field: first?.field, problems },
    );
  }
  const declared = config.apis[0];
  if (!declared)
    throw new HeartbeatError('VALIDATION_FAILED', 'send one API as a JSON object', { field: '(body)' });
  return { ...apiDefinitionFromConfig(declared, now), origin: 'api' };
}
