/**
 * OpenTelemetry intake: `POST /v1/traces` (OTLP/HTTP, JSON or protobuf) turns SERVER spans into
 * API observations. Mount `tracesRoute(...)` among the hub's routes; the rest is exported for tests
 * and for other transports.
 */
export { tracesRoute, type TracesRouteOptions } from './traces-route.js';
export {
  OBSERVATION_ATTRIBUTE_KEYS,
  spansToObservations,
  type ResolveBasepath,
  type SpansToObservationsResult,
} from './spans-to-observations.js';
export {
  decodeOtlpJson,
  decodeOtlpProtobuf,
  decodeOtlpTraces,
  OTLP_DECODE_LIMITS,
  type DecodeOtlpOptions,
  type OtlpEncoding,
} from './decode-otlp.js';
export {
  encodeExportTraceResponse,
  exportTraceResponse,
  type ExportTraceServiceResponse,
} from './export-trace-response.js';
export { readRawBody } from '../http/read-raw-body.js';
export {
  findAttribute,
  SPAN_KIND,
  STATUS_CODE,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpSpanEntry,
  type OtlpTraceRequest,
} from './otlp-trace-request.js';
