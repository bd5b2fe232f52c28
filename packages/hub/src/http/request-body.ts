import type { IncomingMessage } from 'node:http';
import { HeartbeatError } from '@heartbeat/sdk';
import { readRawBody } from './read-raw-body.js';

/**
 * Where `readJsonBody` leaves the parsed body on the request, for the test suite's check that the
 * hub accepts only what its OpenAPI document allows (`testing/response-check.ts`): only on a request
 * that already has the property (the hub sets it when it checks its traffic). Otherwise the parsed
 * body is not kept for the request's whole life — a 1,000-item batch would survive garbage
 * collections it has no reason to survive.
 */
export const RECEIVED_JSON = Symbol('received JSON body');

/**
 * Reads a JSON request body with every limit a public endpoint needs: the content type must be
 * JSON (415), the encoding identity/gzip/deflate/br (415), the body — raw and decompressed, so a
 * zip bomb is cut short — at most `maxBytes` (413), and it must parse (400, with where it broke).
 */
export function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const header = request.headers['content-type'];
  const type = header === 'application/json' ? header : header?.split(';')[0]?.trim().toLowerCase();
  if (type !== undefined && type !== 'application/json' && !type.endsWith('+json')) {
    request.resume();
    return Promise.reject(
      new HeartbeatError(
        'UNSUPPORTED_MEDIA_TYPE',
        `send JSON with Content-Type: application/json, not ${type}`,
        {
          contentType: type,
        },
      ),
    );
  }
  return readRawBody(request, maxBytes).then((bytes) => parseJsonBody(request, bytes));
}

function parseJsonBody(request: IncomingMessage, bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  if (text.length === 0) {
    throw new HeartbeatError('INVALID_JSON', 'the request body is empty; send a JSON document', {
      field: '(body)',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (thrown) {
    throw new HeartbeatError(
      'INVALID_JSON',
      `the request body is not valid JSON: ${(thrown as Error).message}`,
      {
        field: '(body)',
      },
    );
  }
  if (RECEIVED_JSON in request)
    (request as IncomingMessage & { [RECEIVED_JSON]?: unknown })[RECEIVED_JSON] = parsed;
  return parsed;
}
