import { HeartbeatError } from '@heartbeat/sdk';
import type { Observation } from '../domain/api.js';
import type { Route } from '../http/router.js';
import { s } from '../http/schema/schema.js';
import { decodeOtlpTraces, type OtlpEncoding } from './decode-otlp.js';
import { encodeExportTraceResponse, exportTraceResponse } from './export-trace-response.js';
import { readRawBody } from '../http/read-raw-body.js';
import {
  OBSERVATION_ATTRIBUTE_KEYS,
  spansToObservations,
  type ResolveBasepath,
} from './spans-to-observations.js';

export interface TracesRouteOptions {
  /** The longest registered basepath that prefixes a path, or undefined. */
  resolveBasepath: ResolveBasepath;
  /** Stores the observations of one request; a rejection is answered as its HeartbeatError (503…). */
  ingest(observations: Observation[]): Promise<void>;
  /** The largest body accepted, compressed or not (413 beyond). */
  maxBodyBytes: number;
  now?: () => number;
}

const MEDIA_TYPES: ReadonlyMap<string, OtlpEncoding> = new Map([
  ['application/x-protobuf', 'protobuf'],
  ['application/protobuf', 'protobuf'],
  ['application/json', 'json'],
]);

/**
 * `POST /v1/traces`: OTLP/HTTP trace export (JSON or protobuf, gzip or not), from an SDK exporter
 * or a Collector's `otlphttp` exporter; SERVER spans become observations (`spansToObservations`).
 *
 * Answers as OTLP/HTTP asks: 200 with an ExportTraceServiceResponse in the request's encoding,
 * carrying `partialSuccess` when spans were rejected, so exporters count the export as done and
 * log why some spans were not taken. Errors (400 undecodable, 413, 415, 503 when storing fails)
 * are the hub's JSON error shape (SPEC.md §6) for both encodings: OTLP suggests a protobuf
 * google.rpc.Status for protobuf requests, but exporters only read the status code of a failed
 * export, and one error shape serves people reading it with curl.
 *
 * @example
 * const route = tracesRoute({ resolveBasepath, ingest: (items) => hub.apis.ingest(items), maxBodyBytes: 4 << 20 });
 */
export function tracesRoute(options: TracesRouteOptions): Route {
  const now = options.now ?? Date.now;
  const keepAttribute = (key: string) => OBSERVATION_ATTRIBUTE_KEYS.has(key);
  return {
    method: 'POST',
    path: '/v1/traces',
    scope: 'ingest',
    doc: {
      summary: 'OTLP/HTTP trace export',
      description:
        "From an OpenTelemetry SDK exporter or a Collector (`otlphttp`): SERVER spans become observations of the API whose basepath is the longest prefix of their route. JSON or protobuf, gzip or not; the answer is in the request's encoding.",
      tags: ['apis'],
      body: {
        contentType: 'application/x-protobuf',
        description: 'An ExportTraceServiceRequest (also accepted as `application/json`, OTLP/JSON)',
        schema: s.string({ description: 'protobuf bytes' }),
      },
      responses: {
        200: {
          description: 'An ExportTraceServiceResponse; `partialSuccess` when spans were rejected',
          schema: s.object(
            {
              partialSuccess: s.record({
                rejectedSpans: s.integer({ minimum: 0 }),
                errorMessage: s.string(),
              }),
            },
            { description: 'in JSON for a JSON request; protobuf for a protobuf one' },
          ),
        },
      },
    },
    async handle({ request, response }) {
      const encoding = encodingOf(request.headers['content-type']);
      if (encoding === undefined) {
        // Drain the body so the connection can carry the 415.
        request.resume();
        throw unsupportedMediaType(request.headers['content-type']);
      }
      const body = await readRawBody(request, options.maxBodyBytes);
      const decoded = decodeOtlpTraces(body, encoding, { keepAttribute });
      const result = spansToObservations(decoded, options.resolveBasepath, now());
      if (result.observations.length > 0) await options.ingest(result.observations);
      const answer = exportTraceResponse(result);
      if (encoding === 'json') return { status: 200, body: answer };
      const bytes = encodeExportTraceResponse(answer);
      response.writeHead(200, {
        'content-type': 'application/x-protobuf',
        'content-length': String(bytes.length),
        'cache-control': 'no-store',
      });
      response.end(bytes);
      return 'handled';
    },
  };
}

/** JSON or protobuf from the Content-Type, or undefined. */
function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  return MEDIA_TYPES.get(mediaType(contentType));
}

function mediaType(contentType: string | undefined): string {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
}

function unsupportedMediaType(contentType: string | undefined): HeartbeatError {
  const type = mediaType(contentType);
  return new HeartbeatError(
    'UNSUPPORTED_MEDIA_TYPE',
    `send OTLP traces as Content-Type: application/x-protobuf or application/json${type ? `, not ${type}` : ''}`,
    { contentType: type || null, accepted: ['application/x-protobuf', 'application/json'] },
  );
}
