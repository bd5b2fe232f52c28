import type { CheckResult } from '../core/check.js';
import type { CheckStatus } from '../core/status.js';
import { jsonResponse, type HealthResponse } from './response.js';

const CODE: Readonly<Record<CheckStatus, 'OK' | 'WARNING' | 'ERROR'>> = {
  ok: 'OK',
  warning: 'WARNING',
  error: 'ERROR',
};

/** `GET /_system/check` (seed 003): the process serves, so the API is running. */
export function renderSystemCheck(): HealthResponse {
  return jsonResponse(200, { code: 'OK', message: 'API running', ok: true });
}

/**
 * `GET /_system/check/<name>` (seed 003): 200 `{"code":"OK","ok":true}`, or 500 with
 * `{"code":"WARNING"|"ERROR","error":true}` — any warning or error is a 500, as the seed says.
 */
export function renderSystemCheckResult(result: CheckResult): HealthResponse {
  const code = CODE[result.status];
  const flag = result.status === 'ok' ? { ok: true } : { error: true };
  const message = result.message === undefined ? {} : { message: result.message };
  return jsonResponse(result.status === 'ok' ? 200 : 500, { code, ...flag, ...message });
}
