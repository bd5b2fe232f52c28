import { decodeOtlpJson } from './decode-otlp-json.js';
import { decodeOtlpProtobuf } from './decode-otlp-protobuf.js';
import type { DecodeOtlpOptions, OtlpEncoding } from './decode-support.js';
import type { OtlpTraceRequest } from './otlp-trace-request.js';

export { decodeOtlpJson } from './decode-otlp-json.js';
export { decodeOtlpProtobuf } from './decode-otlp-protobuf.js';
export { OTLP_DECODE_LIMITS, type DecodeOtlpOptions, type OtlpEncoding } from './decode-support.js';

/**
 * Decodes an OTLP/HTTP ExportTraceServiceRequest, JSON or protobuf (already decompressed).
 *
 * A span that cannot be read becomes an entry with its problem and the others are kept; a broken
 * part around spans (a resourceSpans item that is not an object, a scopeSpans message whose bytes
 * do not parse) is listed in `problems` and skipped. Only a body that cannot be read at all — not
 * JSON, not protobuf, the wrong top-level shape, or problems and not one span — is thrown, as a
 * HeartbeatError (`INVALID_JSON` / `VALIDATION_FAILED`, 400) naming the field and, for protobuf,
 * the byte offset; more than `maxSpans` spans is `PAYLOAD_TOO_LARGE` (413). Anything else thrown
 * would be a bug, and comes out as HeartbeatError `INTERNAL`.
 *
 * @example
 * const request = decodeOtlpTraces(body, 'protobuf', { keepAttribute: (key) => key.startsWith('http.') });
 * for (const entry of request.spans) if ('span' in entry) console.log(entry.span.name);
 */
export function decodeOtlpTraces(
  body: Uint8Array,
  encoding: OtlpEncoding,
  options: DecodeOtlpOptions = {},
): OtlpTraceRequest {
  return encoding === 'json' ? decodeOtlpJson(body, options) : decodeOtlpProtobuf(body, options);
}
