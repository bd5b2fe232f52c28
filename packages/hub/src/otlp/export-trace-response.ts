import type { FieldProblem } from '../domain/validation.js';

/**
 * OTLP's ExportTraceServiceResponse. `partialSuccess` is set only when something was rejected or
 * skipped: exporters treat an empty answer as full success and log the message otherwise.
 */
export interface ExportTraceServiceResponse {
  partialSuccess?: { rejectedSpans: number; errorMessage: string };
}

const MAX_LISTED_PROBLEMS = 5;
const MAX_MESSAGE_LENGTH = 1000;

/**
 * The answer to an export: how many spans were rejected and why, in a few problems.
 *
 * @example
 * exportTraceResponse({ rejected: 0, problems: [] }); // {}
 * exportTraceResponse({ rejected: 1, problems: [{ field: '…spans[3].endTimeUnixNano', message: 'is missing' }] });
 * // { partialSuccess: { rejectedSpans: 1, errorMessage: '1 span rejected: …spans[3].endTimeUnixNano: is missing' } }
 */
export function exportTraceResponse(result: {
  rejected: number;
  problems: readonly FieldProblem[];
}): ExportTraceServiceResponse {
  const { rejected, problems } = result;
  if (rejected === 0 && problems.length === 0) return {};
  const listed = problems
    .slice(0, MAX_LISTED_PROBLEMS)
    .map(({ field, message }) => `${field}: ${message}`)
    .join('; ');
  const more =
    problems.length > MAX_LISTED_PROBLEMS ? ` (and ${problems.length - MAX_LISTED_PROBLEMS} more)` : '';
  const head =
    rejected > 0
      ? `${rejected} span${rejected === 1 ? '' : 's'} rejected`
      : 'parts of the request could not be read';
  let errorMessage = listed ? `${head}: ${listed}${more}` : head;
  if (errorMessage.length > MAX_MESSAGE_LENGTH)
    errorMessage = `${errorMessage.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
  return { partialSuccess: { rejectedSpans: rejected, errorMessage: errorMessage.toWellFormed() } };
}

/**
 * The protobuf encoding of the response (trace_service.proto): field 1 partial_success, holding
 * 1 rejected_spans (int64) and 2 error_message. An empty response is zero bytes.
 */
export function encodeExportTraceResponse(response: ExportTraceServiceResponse): Uint8Array {
  const partial = response.partialSuccess;
  if (!partial) return new Uint8Array(0);
  const inner: number[] = [];
  if (partial.rejectedSpans > 0) {
    inner.push(0x08);
    pushVarint(inner, partial.rejectedSpans);
  }
  if (partial.errorMessage) {
    const message = new TextEncoder().encode(partial.errorMessage);
    inner.push(0x12);
    pushVarint(inner, message.length);
    for (const byte of message) inner.push(byte);
  }
  if (inner.length === 0) return new Uint8Array(0);
  const outer: number[] = [0x0a];
  pushVarint(outer, inner.length);
  return Uint8Array.from([...outer, ...inner]);
}

/** A non-negative integer up to 2^53 as a varint. */
function pushVarint(bytes: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}
