import type { FieldProblem } from '../domain/validation.js';

/**
 * The parts of an OTLP ExportTraceServiceRequest the hub reads, after decoding from JSON or
 * protobuf (opentelemetry/proto/collector/trace/v1/trace_service.proto). Resources and scopes are
 * not kept: observations come from span attributes only.
 */
export interface OtlpTraceRequest {
  /** Every span, flattened out of resourceSpans → scopeSpans → spans, in order. */
  spans: OtlpSpanEntry[];
  /** Parts outside any one span that could not be read (a broken resourceSpans item…); at most 50. */
  problems: FieldProblem[];
}

/**
 * One span of the request, or why it could not be read. `field` locates it in the request, as the
 * OTLP JSON names it: `resourceSpans[0].scopeSpans[1].spans[7]`.
 */
export type OtlpSpanEntry = { field: string; span: OtlpSpan } | { field: string; problem: FieldProblem };

export interface OtlpSpan {
  /** Lowercase hex, `''` when absent. */
  traceId: string;
  spanId: string;
  name: string;
  /** A {@link SPAN_KIND} value; other numbers are kept as sent (proto3 enums are open). */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpKeyValue[];
  status: { code: number; message: string };
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

/** An attribute value: the `oneof` of AnyValue, with 64-bit integers as bigint. */
export type OtlpAnyValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'array'; value: OtlpAnyValue[] }
  | { type: 'kvlist'; value: OtlpKeyValue[] }
  | { type: 'empty' };

/** Span.SpanKind. Only SERVER spans become observations. */
export const SPAN_KIND = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

/** The enum names OTLP/JSON may use instead of numbers, indexed by value. */
export const SPAN_KIND_NAMES: readonly string[] = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];

/** Status.StatusCode. */
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export const STATUS_CODE_NAMES: readonly string[] = [
  'STATUS_CODE_UNSET',
  'STATUS_CODE_OK',
  'STATUS_CODE_ERROR',
];

/**
 * The value of a span attribute, or undefined; the first wins when a key repeats.
 *
 * @example
 * const route = findAttribute(span, 'http.route'); // { type: 'string', value: '/users/:id' }
 */
export function findAttribute(span: OtlpSpan, key: string): OtlpAnyValue | undefined {
  for (const attribute of span.attributes) if (attribute.key === key) return attribute.value;
  return undefined;
}
