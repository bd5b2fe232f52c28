import { HeartbeatError, toHeartbeatError } from '@heartbeat/sdk';
import {
  FieldError,
  lookHint,
  OTLP_DECODE_LIMITS,
  RequestBuilder,
  toProblem,
  within,
  type DecodeOtlpOptions,
} from './decode-support.js';
import type { OtlpAnyValue, OtlpKeyValue, OtlpSpan, OtlpTraceRequest } from './otlp-trace-request.js';
import {
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  WireFormatError,
  wireTypeName,
  type FieldTag,
} from './protobuf-reader.js';

// OTLP/protobuf. Field numbers from opentelemetry/proto/{collector/trace,trace,common}/v1/*.proto.

/**
 * Decodes a protobuf ExportTraceServiceRequest. See `decodeOtlpTraces` (decode-otlp.ts).
 *
 * @example
 * decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!);
 */
export function decodeOtlpProtobuf(body: Uint8Array, options: DecodeOtlpOptions = {}): OtlpTraceRequest {
  const builder = new RequestBuilder(options);
  const reader = new ProtobufReader(body);
  let field = '';
  let resourceIndex = 0;
  try {
    for (let tag = reader.next(); tag; tag = reader.next()) {
      // ExportTraceServiceRequest: 1 resource_spans.
      if (tag.field !== 1) {
        field = `field ${tag.field}`;
        reader.skip(tag.wireType);
        field = '';
        continue;
      }
      field = `resourceSpans[${resourceIndex++}]`;
      if (tag.wireType !== WIRE_LENGTH_DELIMITED) {
        reader.skip(tag.wireType);
        builder.brokenPart(field, new FieldError('', expectedMessage(tag)));
        continue;
      }
      const resource = reader.message();
      try {
        decodeResourceSpans(resource, field, builder, options);
      } catch (thrown) {
        builder.brokenPart(field, thrown);
      }
      field = '';
    }
    return builder.finish();
  } catch (thrown) {
    if (thrown instanceof HeartbeatError) throw thrown;
    if (!(thrown instanceof FieldError || thrown instanceof WireFormatError)) throw toHeartbeatError(thrown);
    const problem = toProblem(field || '(body)', thrown);
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `the body is not a protobuf ExportTraceServiceRequest: ${problem.field}: ${problem.message}${lookHint(body, 'protobuf')}`,
      { field: problem.field, problems: [problem] },
    );
  }
}

function expectWireType(tag: FieldTag, wireType: number): void {
  if (tag.wireType !== wireType)
    throw new FieldError(
      '',
      `has the ${wireTypeName(tag.wireType)} wire type; expected ${wireTypeName(wireType)}`,
    );
}

/** ResourceSpans: 1 resource (skipped), 2 scope_spans, 3 schema_url. */
function decodeResourceSpans(
  reader: ProtobufReader,
  field: string,
  builder: RequestBuilder,
  options: DecodeOtlpOptions,
): void {
  let scopeIndex = 0;
  for (let tag = reader.next(); tag; tag = reader.next()) {
    if (tag.field !== 2) {
      reader.skip(tag.wireType);
      continue;
    }
    const scopeField = `${field}.scopeSpans[${scopeIndex++}]`;
    if (tag.wireType !== WIRE_LENGTH_DELIMITED) {
      reader.skip(tag.wireType);
      builder.brokenPart(scopeField, new FieldError('', expectedMessage(tag)));
      continue;
    }
    let scope: ProtobufReader;
    try {
      scope = reader.message();
    } catch (thrown) {
      // The framing is broken here: nothing after it in this resource can be read.
      within(`scopeSpans[${scopeIndex - 1}]`, thrown);
    }
    try {
      decodeScopeSpans(scope, scopeField, builder, options);
    } catch (thrown) {
      if (thrown instanceof HeartbeatError) throw thrown;
      builder.brokenPart(scopeField, thrown);
    }
  }
}

/** ScopeSpans: 1 scope (skipped), 2 spans, 3 schema_url. */
function decodeScopeSpans(
  reader: ProtobufReader,
  field: string,
  builder: RequestBuilder,
  options: DecodeOtlpOptions,
): void {
  let spanIndex = 0;
  for (let tag = reader.next(); tag; tag = reader.next()) {
    if (tag.field !== 2) {
      reader.skip(tag.wireType);
      continue;
    }
    const spanField = `${field}.spans[${spanIndex++}]`;
    if (tag.wireType !== WIRE_LENGTH_DELIMITED) {
      // Still one span's worth of data: skip it by its own wire type and reject just that span.
      reader.skip(tag.wireType);
      builder.invalidSpan(spanField, new FieldError('', expectedMessage(tag)));
      continue;
    }
    let spanReader: ProtobufReader;
    try {
      spanReader = reader.message();
    } catch (thrown) {
      // The span's length is broken: it is rejected, and nothing after it in this scope can be read.
      builder.invalidSpan(spanField, thrown);
      return;
    }
    let span: OtlpSpan;
    try {
      span = decodeSpan(spanReader, options);
    } catch (thrown) {
      builder.invalidSpan(spanField, thrown);
      continue;
    }
    builder.span(spanField, span);
  }
}

function expectedMessage(tag: FieldTag): string {
  return `has the ${wireTypeName(tag.wireType)} wire type; expected length-delimited`;
}

const SPAN_FIELD_NAMES: Record<number, string> = {
  1: 'traceId',
  2: 'spanId',
  5: 'name',
  6: 'kind',
  7: 'startTimeUnixNano',
  8: 'endTimeUnixNano',
  15: 'status',
};

/**
 * Span: 1 trace_id, 2 span_id, 5 name, 6 kind, 7 start_time_unix_nano, 8 end_time_unix_nano,
 * 9 attributes, 15 status; the rest (trace_state, parent, events, links, counts, flags) skipped.
 * As in proto3, a scalar sent twice keeps the last value and a repeated message merges.
 */
function decodeSpan(reader: ProtobufReader, options: DecodeOtlpOptions): OtlpSpan {
  const span: OtlpSpan = {
    traceId: '',
    spanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    status: { code: 0, message: '' },
  };
  let field = '';
  let attributeIndex = 0;
  try {
    for (let tag = reader.next(); tag; tag = reader.next()) {
      field = SPAN_FIELD_NAMES[tag.field] ?? '';
      switch (tag.field) {
        case 1:
        case 2: {
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          const id = Buffer.from(reader.bytesField().subarray(0, 32)).toString('hex');
          if (tag.field === 1) span.traceId = id;
          else span.spanId = id;
          break;
        }
        case 5:
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          span.name = reader.string();
          break;
        case 6:
          expectWireType(tag, WIRE_VARINT);
          span.kind = enumValue(reader);
          break;
        case 7:
        case 8: {
          expectWireType(tag, WIRE_FIXED64);
          const time = reader.fixed64();
          if (tag.field === 7) span.startTimeUnixNano = time;
          else span.endTimeUnixNano = time;
          break;
        }
        case 9: {
          field = `attributes[${attributeIndex++}]`;
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          const attribute = decodeKeyValue(reader.message(), options.keepAttribute, 0);
          if (attribute && span.attributes.length < OTLP_DECODE_LIMITS.maxAttributesPerSpan)
            span.attributes.push(attribute);
          break;
        }
        case 15:
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          decodeStatus(reader.message(), span.status);
          break;
        default:
          reader.skip(tag.wireType);
      }
      field = '';
    }
  } catch (thrown) {
    within(field, thrown);
  }
  return span;
}

/** An enum: int32 on the wire, negative values as 10-byte varints. */
function enumValue(reader: ProtobufReader): number {
  return reader.int32();
}

/** Status: 2 message, 3 code (1 is the deprecated code, skipped). */
function decodeStatus(reader: ProtobufReader, status: OtlpSpan['status']): void {
  let field = '';
  try {
    for (let tag = reader.next(); tag; tag = reader.next()) {
      if (tag.field === 2) {
        field = 'message';
        expectWireType(tag, WIRE_LENGTH_DELIMITED);
        status.message = reader.string();
      } else if (tag.field === 3) {
        field = 'code';
        expectWireType(tag, WIRE_VARINT);
        status.code = enumValue(reader);
      } else reader.skip(tag.wireType);
      field = '';
    }
  } catch (thrown) {
    within(field, thrown);
  }
}

/**
 * KeyValue: 1 key, 2 value. The value is decoded only when the key is kept, whichever order they
 * come in; a skipped value's bytes are still framed (so broken framing is still found).
 */
function decodeKeyValue(
  reader: ProtobufReader,
  keep: ((key: string) => boolean) | undefined,
  depth: number,
): OtlpKeyValue | undefined {
  let key = '';
  let value: ProtobufReader | undefined;
  let field = '';
  try {
    for (let tag = reader.next(); tag; tag = reader.next()) {
      if (tag.field === 1) {
        field = 'key';
        expectWireType(tag, WIRE_LENGTH_DELIMITED);
        key = reader.string();
      } else if (tag.field === 2) {
        field = 'value';
        expectWireType(tag, WIRE_LENGTH_DELIMITED);
        value = reader.message();
      } else reader.skip(tag.wireType);
      field = '';
    }
  } catch (thrown) {
    within(field, thrown);
  }
  if (keep && !keep(key)) return undefined;
  try {
    return { key, value: value ? decodeAnyValue(value, depth) : { type: 'empty' } };
  } catch (thrown) {
    within('value', thrown);
  }
}

const ANY_VALUE_FIELD_NAMES: Record<number, string> = {
  1: 'stringValue',
  2: 'boolValue',
  3: 'intValue',
  4: 'doubleValue',
  5: 'arrayValue',
  6: 'kvlistValue',
  7: 'bytesValue',
};

/** AnyValue, a oneof: 1 string, 2 bool, 3 int64, 4 double, 5 ArrayValue, 6 KeyValueList, 7 bytes. Last wins. */
function decodeAnyValue(reader: ProtobufReader, depth: number): OtlpAnyValue {
  let result: OtlpAnyValue = { type: 'empty' };
  let field = '';
  try {
    for (let tag = reader.next(); tag; tag = reader.next()) {
      field = ANY_VALUE_FIELD_NAMES[tag.field] ?? '';
      switch (tag.field) {
        case 1:
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          result = { type: 'string', value: reader.string() };
          break;
        case 2:
          expectWireType(tag, WIRE_VARINT);
          result = { type: 'bool', value: reader.bool() };
          break;
        case 3:
          expectWireType(tag, WIRE_VARINT);
          result = { type: 'int', value: reader.int64() };
          break;
        case 4:
          expectWireType(tag, WIRE_FIXED64);
          result = { type: 'double', value: reader.double() };
          break;
        case 7:
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          result = { type: 'bytes', value: reader.bytesField().slice() };
          break;
        case 5:
        case 6:
          expectWireType(tag, WIRE_LENGTH_DELIMITED);
          if (depth >= OTLP_DECODE_LIMITS.maxValueDepth)
            throw new FieldError('', `nests deeper than ${OTLP_DECODE_LIMITS.maxValueDepth} levels`);
          result =
            tag.field === 5
              ? { type: 'array', value: decodeValues(reader.message(), depth + 1) }
              : { type: 'kvlist', value: decodeKeyValues(reader.message(), depth + 1) };
          break;
        default:
          reader.skip(tag.wireType);
      }
      field = '';
    }
  } catch (thrown) {
    within(field, thrown);
  }
  return result;
}

/** ArrayValue: 1 repeated AnyValue. */
function decodeValues(reader: ProtobufReader, depth: number): OtlpAnyValue[] {
  const values: OtlpAnyValue[] = [];
  for (let tag = reader.next(); tag; tag = reader.next()) {
    if (tag.field !== 1) {
      reader.skip(tag.wireType);
      continue;
    }
    const index = values.length;
    try {
      expectWireType(tag, WIRE_LENGTH_DELIMITED);
      values.push(decodeAnyValue(reader.message(), depth));
    } catch (thrown) {
      within(`values[${index}]`, thrown);
    }
  }
  return values;
}

/** KeyValueList: 1 repeated KeyValue. */
function decodeKeyValues(reader: ProtobufReader, depth: number): OtlpKeyValue[] {
  const values: OtlpKeyValue[] = [];
  for (let tag = reader.next(); tag; tag = reader.next()) {
    if (tag.field !== 1) {
      reader.skip(tag.wireType);
      continue;
    }
    const index = values.length;
    try {
      expectWireType(tag, WIRE_LENGTH_DELIMITED);
      const value = decodeKeyValue(reader.message(), undefined, depth);
      if (value) values.push(value);
    } catch (thrown) {
      within(`values[${index}]`, thrown);
    }
  }
  return values;
}
