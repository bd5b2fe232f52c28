import { HeartbeatError, toHeartbeatError } from '@heartbeat/sdk';
import { isPlainObject, typeName } from '../domain/validation.js';
import {
  FieldError,
  lookHint,
  OTLP_DECODE_LIMITS,
  RequestBuilder,
  type DecodeOtlpOptions,
} from './decode-support.js';
import {
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpSpan,
  type OtlpTraceRequest,
} from './otlp-trace-request.js';

// OTLP/JSON: the protobuf JSON mapping with OTLP's deviations (hex ids, enums as numbers or names,
// 64-bit integers as strings or numbers). lowerCamelCase names; the original snake_case names are
// accepted too, as every protobuf JSON parser does. Unknown fields are ignored, as OTLP requires.

const utf8 = new TextDecoder('utf-8');

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest. See `decodeOtlpTraces` (decode-otlp.ts).
 *
 * @example
 * decodeOtlpJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"GET /","kind":2}]}]}]}');
 */
export function decodeOtlpJson(body: Uint8Array | string, options: DecodeOtlpOptions = {}): OtlpTraceRequest {
  const text = typeof body === 'string' ? body : utf8.decode(body);
  if (!/\S/.test(text)) {
    throw new HeartbeatError(
      'INVALID_JSON',
      'the request body is empty; send an OTLP ExportTraceServiceRequest like {"resourceSpans": [...]}',
      { field: '(body)' },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (thrown) {
    const hint = typeof body === 'string' ? '' : lookHint(body, 'json');
    throw new HeartbeatError(
      'INVALID_JSON',
      `the request body is not valid JSON: ${(thrown as Error).message}${hint}`,
      { field: '(body)' },
    );
  }
  try {
    return decodeJsonRequest(parsed, options);
  } catch (thrown) {
    throw toHeartbeatError(thrown);
  }
}

function decodeJsonRequest(value: unknown, options: DecodeOtlpOptions): OtlpTraceRequest {
  if (!isPlainObject(value)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `send an OTLP ExportTraceServiceRequest object like {"resourceSpans": [...]}, not ${typeName(value)}`,
      { field: '(body)' },
    );
  }
  const builder = new RequestBuilder(options);
  const resourceSpans = pick(value, 'resourceSpans', 'resource_spans');
  if (resourceSpans === undefined) return builder.finish();
  if (!Array.isArray(resourceSpans)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `resourceSpans must be an array of ResourceSpans, not ${typeName(resourceSpans)}`,
      { field: 'resourceSpans' },
    );
  }
  resourceSpans.forEach((resource: unknown, resourceIndex) => {
    const resourceField = `resourceSpans[${resourceIndex}]`;
    const scopeSpans = jsonList(
      builder,
      resourceField,
      resource,
      'ResourceSpans',
      'scopeSpans',
      'scope_spans',
    );
    scopeSpans?.forEach((scope: unknown, scopeIndex) => {
      const scopeField = `${resourceField}.scopeSpans[${scopeIndex}]`;
      const spans = jsonList(builder, scopeField, scope, 'ScopeSpans', 'spans', 'spans');
      spans?.forEach((span: unknown, spanIndex) => {
        const spanField = `${scopeField}.spans[${spanIndex}]`;
        let decoded: OtlpSpan;
        try {
          decoded = decodeJsonSpan(span, options);
        } catch (thrown) {
          builder.invalidSpan(spanField, thrown);
          return;
        }
        builder.span(spanField, decoded);
      });
    });
  });
  return builder.finish();
}

/** The repeated field `name` of a container message, or undefined (and a problem) when it is broken. */
function jsonList(
  builder: RequestBuilder,
  field: string,
  container: unknown,
  message: string,
  name: string,
  snakeName: string,
): unknown[] | undefined {
  if (!isPlainObject(container)) {
    builder.brokenPart(field, new FieldError('', `must be a ${message} object, not ${typeName(container)}`));
    return undefined;
  }
  const list = pick(container, name, snakeName);
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) {
    builder.brokenPart(field, new FieldError(name, `must be an array, not ${typeName(list)}`));
    return undefined;
  }
  return list as unknown[];
}

/** A field by its JSON name or its proto name; null is the default, as in proto3 JSON. */
function pick(object: Record<string, unknown>, name: string, snakeName = name): unknown {
  const value = object[name] ?? object[snakeName];
  return value === null ? undefined : value;
}

function decodeJsonSpan(value: unknown, options: DecodeOtlpOptions): OtlpSpan {
  if (!isPlainObject(value)) throw new FieldError('', `must be a Span object, not ${typeName(value)}`);
  return {
    traceId: jsonId(pick(value, 'traceId', 'trace_id'), 'traceId'),
    spanId: jsonId(pick(value, 'spanId', 'span_id'), 'spanId'),
    name: jsonString(pick(value, 'name'), 'name'),
    kind: jsonEnum(pick(value, 'kind'), 'kind', SPAN_KIND_NAMES),
    startTimeUnixNano: jsonUint64(
      pick(value, 'startTimeUnixNano', 'start_time_unix_nano'),
      'startTimeUnixNano',
    ),
    endTimeUnixNano: jsonUint64(pick(value, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano'),
    attributes: jsonAttributes(pick(value, 'attributes'), 'attributes', options.keepAttribute),
    status: jsonStatus(pick(value, 'status')),
  };
}

function jsonString(value: unknown, field: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new FieldError(field, `must be a string, not ${typeName(value)}`);
  return value;
}

/** Trace and span ids are hex in OTLP/JSON (not base64 as in plain protobuf JSON). */
function jsonId(value: unknown, field: string): string {
  const text = jsonString(value, field);
  if (text.length > 64 || !/^[0-9a-fA-F]*$/.test(text))
    throw new FieldError(field, `must be a hex string (got ${JSON.stringify(text.slice(0, 70))})`);
  return text.toLowerCase();
}

function jsonEnum(value: unknown, field: string, names: readonly string[]): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff)
    return value;
  if (typeof value === 'string') {
    const index = names.indexOf(value);
    if (index >= 0) return index;
  }
  throw new FieldError(field, `must be one of ${names.join(', ')} or its number (got ${typeName(value)})`);
}

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;
const MIN_INT64 = -0x8000_0000_0000_0000n;
const MAX_INT64 = 0x7fff_ffff_ffff_ffffn;

/** fixed64 nanoseconds: a decimal string (what exporters send) or a number. */
function jsonUint64(value: unknown, field: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    const parsed = BigInt(value);
    if (parsed <= MAX_UINT64) return parsed;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 64) {
    return BigInt(value);
  }
  throw new FieldError(
    field,
    `must be nanoseconds since the epoch, as a string of digits or a whole number (got ${typeName(value)})`,
  );
}

function jsonInt64(value: unknown, field: string): bigint {
  let parsed: bigint | undefined;
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) parsed = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value)) parsed = BigInt(value);
  if (parsed === undefined || parsed < MIN_INT64 || parsed > MAX_INT64)
    throw new FieldError(field, `must be a 64-bit integer, as a string or a number (got ${typeName(value)})`);
  return parsed;
}

function jsonDouble(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return Number(value);
  throw new FieldError(field, `must be a number (got ${typeName(value)})`);
}

function jsonBytes(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value))
    throw new FieldError(field, `must be base64 text (got ${typeName(value)})`);
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function jsonStatus(value: unknown): OtlpSpan['status'] {
  if (value === undefined) return { code: 0, message: '' };
  if (!isPlainObject(value))
    throw new FieldError('status', `must be a Status object, not ${typeName(value)}`);
  return {
    code: jsonEnum(pick(value, 'code'), 'status.code', STATUS_CODE_NAMES),
    message: jsonString(pick(value, 'message'), 'status.message'),
  };
}

function jsonAttributes(
  value: unknown,
  field: string,
  keep: ((key: string) => boolean) | undefined,
  depth = 0,
): OtlpKeyValue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new FieldError(field, `must be an array of KeyValue, not ${typeName(value)}`);
  const attributes: OtlpKeyValue[] = [];
  value.forEach((item: unknown, index) => {
    const itemField = `${field}[${index}]`;
    if (!isPlainObject(item))
      throw new FieldError(
        itemField,
        `must be a KeyValue object like {"key": "…", "value": {…}}, not ${typeName(item)}`,
      );
    const key = jsonString(pick(item, 'key'), `${itemField}.key`);
    if (keep && !keep(key)) return;
    if (attributes.length >= OTLP_DECODE_LIMITS.maxAttributesPerSpan) return;
    attributes.push({ key, value: jsonAnyValue(pick(item, 'value'), `${itemField}.value`, depth) });
  });
  return attributes;
}

/** The members of AnyValue's oneof: JSON name, proto name, and what it holds. */
const ANY_VALUE_MEMBERS = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
] as const;

function jsonAnyValue(value: unknown, field: string, depth: number): OtlpAnyValue {
  if (value === undefined) return { type: 'empty' };
  if (!isPlainObject(value))
    throw new FieldError(
      field,
      `must be an AnyValue object like {"stringValue": "…"}, not ${typeName(value)}`,
    );
  const set = ANY_VALUE_MEMBERS.filter(([name, snake]) => pick(value, name, snake) !== undefined);
  if (set.length > 1)
    throw new FieldError(
      field,
      `must set one of its members, not ${set.map(([name]) => name).join(' and ')}`,
    );
  const member = set[0];
  if (member === undefined) return { type: 'empty' };
  const [name, snake] = member;
  const inner = pick(value, name, snake);
  const innerField = `${field}.${name}`;
  switch (name) {
    case 'stringValue':
      if (typeof inner !== 'string')
        throw new FieldError(innerField, `must be a string, not ${typeName(inner)}`);
      return { type: 'string', value: inner };
    case 'boolValue':
      if (typeof inner !== 'boolean')
        throw new FieldError(innerField, `must be true or false, not ${typeName(inner)}`);
      return { type: 'bool', value: inner };
    case 'intValue':
      return { type: 'int', value: jsonInt64(inner, innerField) };
    case 'doubleValue':
      return { type: 'double', value: jsonDouble(inner, innerField) };
    case 'bytesValue':
      return { type: 'bytes', value: jsonBytes(inner, innerField) };
    case 'arrayValue':
    case 'kvlistValue': {
      if (depth >= OTLP_DECODE_LIMITS.maxValueDepth)
        throw new FieldError(innerField, `nests deeper than ${OTLP_DECODE_LIMITS.maxValueDepth} levels`);
      if (!isPlainObject(inner))
        throw new FieldError(innerField, `must be an object like {"values": [...]}, not ${typeName(inner)}`);
      const values = pick(inner, 'values');
      if (name === 'kvlistValue')
        return {
          type: 'kvlist',
          value: jsonAttributes(values, `${innerField}.values`, undefined, depth + 1),
        };
      if (values === undefined) return { type: 'array', value: [] };
      if (!Array.isArray(values))
        throw new FieldError(`${innerField}.values`, `must be an array of AnyValue, not ${typeName(values)}`);
      return {
        type: 'array',
        value: values.map((item: unknown, index) =>
          jsonAnyValue(item, `${innerField}.values[${index}]`, depth + 1),
        ),
      };
    }
  }
}
