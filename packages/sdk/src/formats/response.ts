import type { HeartbeatError } from '../errors.js';

/** A health endpoint's answer as plain data; adapters write it to their framework's response. */
export interface HealthResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Health answers must never be served from a cache between the service and its prober. */
export const NO_STORE = 'no-cache, no-store, must-revalidate';

export function jsonResponse(
  status: number,
  value: unknown,
  contentType = 'application/json',
): HealthResponse {
  return jsonTextResponse(status, JSON.stringify(value), contentType);
}

/** A JSON answer whose body is already serialized. */
export function jsonTextResponse(
  status: number,
  json: string,
  contentType = 'application/json',
): HealthResponse {
  return {
    status,
    headers: { 'content-type': `${contentType}; charset=utf-8`, 'cache-control': NO_STORE },
    body: json,
  };
}

export function textResponse(status: number, text: string): HealthResponse {
  return {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': NO_STORE,
      'x-content-type-options': 'nosniff',
    },
    body: text,
  };
}

export function errorResponse(error: HeartbeatError, extraHeaders?: Record<string, string>): HealthResponse {
  const response = jsonResponse(error.httpStatus, error.toBody());
  if (extraHeaders) Object.assign(response.headers, extraHeaders);
  return response;
}
