import type { ServerResponse } from 'node:http';
import { HeartbeatError, toHeartbeatError, type Logger } from '@heartbeat/sdk';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  sendJsonText(response, status, JSON.stringify(body), headers);
}

/** Sends a JSON body that is already text, with its length. */
export function sendJsonText(
  response: ServerResponse,
  status: number,
  text: string,
  headers?: Record<string, string>,
): void {
  const head: Record<string, string> = {
    'content-type': JSON_TYPE,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
  };
  response.writeHead(status, headers === undefined ? head : Object.assign(head, headers));
  response.end(text);
}

export function sendNoContent(response: ServerResponse, headers?: Record<string, string>): void {
  const head: Record<string, string> = { 'cache-control': 'no-store' };
  response.writeHead(204, headers === undefined ? head : Object.assign(head, headers));
  response.end();
}

/** Answers with the JSON error shape of SPEC.md §6; unexpected errors are logged and answered 500. */
export function sendError(
  response: ServerResponse,
  thrown: unknown,
  logger: Logger,
  context: object = {},
): void {
  const error = toHeartbeatError(thrown);
  if (error.code === 'INTERNAL')
    logger.error({ ...context, err: error.cause ?? error }, 'request failed unexpectedly');
  const headers: Record<string, string> = {};
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="heartbeat"';
  if (error.code === 'UNAVAILABLE' || error.code === 'RATE_LIMITED') headers['retry-after'] = '1';
  if (error.code === 'METHOD_NOT_ALLOWED') {
    const allowed = (error.details as { allowed?: string[] } | undefined)?.allowed;
    if (allowed) headers.allow = allowed.join(', ');
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, error.httpStatus, error.toBody(), headers);
}

export { HeartbeatError };
