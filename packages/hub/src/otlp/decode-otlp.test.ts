import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { HeartbeatError } from '@heartbeat/sdk';
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson, decodeOtlpProtobuf, decodeOtlpTraces } from './decode-otlp.js';
import type { OtlpSpan, OtlpSpanEntry, OtlpTraceRequest } from './otlp-trace-request.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: spans recorded by the real SDK, and a tiny protobuf writer for hand-made bodies.

const T0 = 1_700_000_000n * 1_000_000_000n;

function recordSpans(build: (tracer: Tracer) => void): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  build(provider.getTracer('heartbeat-test', '1.0.0'));
  return exporter.getFinishedSpans();
}

/** HrTime for T0 + `ns`. */
function at(ns: bigint): [number, number] {
  const total = T0 + ns;
  return [Number(total / 1_000_000_000n), Number(total % 1_000_000_000n)];
}

function sdkSpans(): ReadableSpan[] {
  return recordSpans((tracer) => {
    const attributes: Attributes = {
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
      ratio: 0.5,
      cached: true,
      big: 2 ** 40,
      negative: -7,
      tags: ['a', 'b'],
      counts: [1, 2, 3],
    };
    const server = tracer.startSpan('GET /users/:id', {
      kind: SpanKind.SERVER,
      attributes,
      startTime: at(0n),
    });
    server.addEvent('cache hit', { key: 'user:1' }, at(1_000n));
    server.end(at(12_345_678n));
    const failed = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, startTime: at(5n) });
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'database down' });
    failed.end(at(1_000_000_005n));
    const client = tracer.startSpan('GET upstream', { kind: SpanKind.CLIENT, startTime: at(10n) });
    client.end(at(20n));
  });
}

function readSpans(request: OtlpTraceRequest): OtlpSpan[] {
  return request.spans.map((entry) => {
    if (!('span' in entry)) throw new Error(`unexpected problem: ${JSON.stringify(entry)}`);
    return entry.span;
  });
}

function problemOf(entry: OtlpSpanEntry | undefined) {
  if (!entry || !('problem' in entry)) throw new Error(`expected a problem, got ${String(entry?.field)}`);
  return entry.problem;
}

/** Catches what `run` throws, failing unless it is a HeartbeatError. */
function thrownBy(run: () => unknown): HeartbeatError {
  try {
    run();
  } catch (thrown) {
    if (thrown instanceof HeartbeatError) return thrown;
    throw new Error(`threw something else than a HeartbeatError: ${String(thrown)}`, { cause: thrown });
  }
  throw new Error('did not throw');
}

const pb = {
  varint(value: bigint | number): number[] {
    let rest = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (rest >= 0x80n) {
      out.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    out.push(Number(rest));
    return out;
  },
  tag: (field: number, wireType: number) => pb.varint((field << 3) | wireType),
  uint: (field: number, value: bigint | number) => [...pb.tag(field, 0), ...pb.varint(value)],
  message: (field: number, content: number[]) => [
    ...pb.tag(field, 2),
    ...pb.varint(content.length),
    ...content,
  ],
  string: (field: number, text: string) => pb.message(field, [...Buffer.from(text)]),
  fixed64(field: number, value: bigint): number[] {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(value);
    return [...pb.tag(field, 1), ...buffer];
  },
  double(field: number, value: number): number[] {
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    return [...pb.tag(field, 1), ...buffer];
  },
  attribute: (key: string, anyValue: number[]) =>
    pb.message(9, [...pb.string(1, key), ...pb.message(2, anyValue)]),
  /** A request of one resource and one scope holding these span messages. */
  request: (...spans: number[][]) =>
    Uint8Array.from(
      pb.message(
        1,
        pb.message(
          2,
          spans.flatMap((span) => pb.message(2, span)),
        ),
      ),
    ),
};

const goodSpan = [
  ...pb.string(5, 'GET /'),
  ...pb.uint(6, 2),
  ...pb.fixed64(7, T0),
  ...pb.fixed64(8, T0 + 1_000_000n),
];

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------

describe('decoding what the OpenTelemetry JS exporters send', () => {
  const spans = sdkSpans();
  const protobuf = ProtobufTraceSerializer.serializeRequest(spans)!;
  const json = JsonTraceSerializer.serializeRequest(spans)!;

  it('reads every field the hub uses from protobuf', () => {
    const request = decodeOtlpProtobuf(protobuf);
    expect(request.problems).toEqual([]);
    const [server, failed, client] = readSpans(request);
    expect(request.spans[0]!.field).toBe('resourceSpans[0].scopeSpans[0].spans[0]');
    expect(server).toMatchObject({
      name: 'GET /users/:id',
      kind: 2,
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 12_345_678n,
      status: { code: 0, message: '' },
    });
    expect(server!.traceId).toBe(spans[0]!.spanContext().traceId);
    expect(server!.spanId).toBe(spans[0]!.spanContext().spanId);
    expect(server!.attributes).toEqual([
      { key: 'http.request.method', value: { type: 'string', value: 'GET' } },
      { key: 'http.route', value: { type: 'string', value: '/users/:id' } },
      { key: 'http.response.status_code', value: { type: 'int', value: 200n } },
      { key: 'ratio', value: { type: 'double', value: 0.5 } },
      { key: 'cached', value: { type: 'bool', value: true } },
      { key: 'big', value: { type: 'int', value: 2n ** 40n } },
      { key: 'negative', value: { type: 'int', value: -7n } },
      {
        key: 'tags',
        value: {
          type: 'array',
          value: [
            { type: 'string', value: 'a' },
            { type: 'string', value: 'b' },
          ],
        },
      },
      {
        key: 'counts',
        value: {
          type: 'array',
          value: [
            { type: 'int', value: 1n },
            { type: 'int', value: 2n },
            { type: 'int', value: 3n },
          ],
        },
      },
    ]);
    expect(failed).toMatchObject({ kind: 2, status: { code: 2, message: 'database down' } });
    expect(client).toMatchObject({ kind: 3, startTimeUnixNano: T0 + 10n, endTimeUnixNano: T0 + 20n });
  });

  it('reads the same from OTLP/JSON', () => {
    expect(decodeOtlpJson(json)).toEqual(decodeOtlpProtobuf(protobuf));
    expect(decodeOtlpTraces(json, 'json')).toEqual(decodeOtlpTraces(protobuf, 'protobuf'));
  });

  it('keeps only the attributes asked for', () => {
    const keepAttribute = (key: string) => key.startsWith('http.');
    for (const request of [
      decodeOtlpProtobuf(protobuf, { keepAttribute }),
      decodeOtlpJson(json, { keepAttribute }),
    ]) {
      expect(readSpans(request)[0]!.attributes.map(({ key }) => key)).toEqual([
        'http.request.method',
        'http.route',
        'http.response.status_code',
      ]);
    }
  });

  it('accepts an empty request in both encodings', () => {
    expect(decodeOtlpProtobuf(new Uint8Array(0))).toEqual({ spans: [], problems: [] });
    expect(decodeOtlpJson('{}')).toEqual({ spans: [], problems: [] });
    expect(decodeOtlpJson('{"resourceSpans":[]}')).toEqual({ spans: [], problems: [] });
  });
});

describe('OTLP/JSON mapping', () => {
  const wrap = (...spans: unknown[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

  it('takes times as strings or numbers, enums as names or numbers, every AnyValue member', () => {
    const body = wrap({
      traceId: '5B8EFFF798038103D269B633813FC60C',
      spanId: 'EEE19B7EC3C1B174',
      name: 'GET /users/:id',
      kind: 'SPAN_KIND_SERVER',
      startTimeUnixNano: 1_700_000_000_000_000_000,
      endTimeUnixNano: '1700000000250000000',
      attributes: [
        { key: 's', value: { stringValue: 'x' } },
        { key: 'i', value: { intValue: '-9223372036854775808' } },
        { key: 'i2', value: { intValue: 42 } },
        { key: 'd', value: { doubleValue: 'NaN' } },
        { key: 'd2', value: { doubleValue: 1.5 } },
        { key: 'd3', value: { doubleValue: '1e3' } },
        { key: 'd4', value: { doubleValue: '-Infinity' } },
        { key: 'b', value: { boolValue: false } },
        { key: 'bytes', value: { bytesValue: 'AQID' } },
        { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, {}] } } },
        { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
        { key: 'empty', value: {} },
        { key: 'no value' },
        { key: 'null member', value: { stringValue: null, intValue: 3 } },
      ],
      status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
    });
    const [span] = readSpans(decodeOtlpJson(body));
    expect(span).toEqual({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      name: 'GET /users/:id',
      kind: 2,
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      endTimeUnixNano: 1_700_000_000_250_000_000n,
      attributes: [
        { key: 's', value: { type: 'string', value: 'x' } },
        { key: 'i', value: { type: 'int', value: -(2n ** 63n) } },
        { key: 'i2', value: { type: 'int', value: 42n } },
        { key: 'd', value: { type: 'double', value: NaN } },
        { key: 'd2', value: { type: 'double', value: 1.5 } },
        { key: 'd3', value: { type: 'double', value: 1000 } },
        { key: 'd4', value: { type: 'double', value: -Infinity } },
        { key: 'b', value: { type: 'bool', value: false } },
        { key: 'bytes', value: { type: 'bytes', value: Uint8Array.from([1, 2, 3]) } },
        {
          key: 'arr',
          value: {
            type: 'array',
            value: [{ type: 'string', value: 'a' }, { type: 'int', value: 1n }, { type: 'empty' }],
          },
        },
        { key: 'kv', value: { type: 'kvlist', value: [{ key: 'k', value: { type: 'bool', value: true } }] } },
        { key: 'empty', value: { type: 'empty' } },
        { key: 'no value', value: { type: 'empty' } },
        { key: 'null member', value: { type: 'int', value: 3n } },
      ],
      status: { code: 2, message: 'boom' },
    });
  });

  it('accepts the proto field names (snake_case) too, and ignores unknown fields', () => {
    const body = JSON.stringify({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
          scope_spans: [
            {
              spans: [
                {
                  kind: 2,
                  start_time_unix_nano: '1',
                  end_time_unix_nano: '2',
                  attributes: [{ key: 'k', value: { string_value: 'v' } }],
                  somethingNew: { nested: true },
                },
              ],
            },
          ],
        },
      ],
      extra: 1,
    });
    const [span] = readSpans(decodeOtlpJson(body));
    expect(span).toMatchObject({ kind: 2, startTimeUnixNano: 1n, endTimeUnixNano: 2n });
    expect(span!.attributes).toEqual([{ key: 'k', value: { type: 'string', value: 'v' } }]);
  });

  it('rejects a broken span, names the field, and keeps its neighbours', () => {
    const good = { name: 'ok', kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2' };
    const cases: Array<[unknown, string, RegExp]> = [
      [7, '', /must be a Span object, not number 7/],
      [{ kind: 'SERVER' }, '.kind', /must be one of SPAN_KIND_UNSPECIFIED, .* or its number/],
      [{ kind: 2.5 }, '.kind', /or its number/],
      [{ startTimeUnixNano: -1 }, '.startTimeUnixNano', /nanoseconds since the epoch/],
      [{ startTimeUnixNano: '1.5' }, '.startTimeUnixNano', /string of digits/],
      [{ endTimeUnixNano: '99999999999999999999' }, '.endTimeUnixNano', /nanoseconds/],
      [{ name: 5 }, '.name', /must be a string, not number 5/],
      [{ traceId: 'not hex' }, '.traceId', /must be a hex string/],
      [{ attributes: {} }, '.attributes', /must be an array of KeyValue/],
      [{ attributes: [5] }, '.attributes[0]', /must be a KeyValue object/],
      [{ attributes: [{ key: 1 }] }, '.attributes[0].key', /must be a string/],
      [{ attributes: [{ key: 'a', value: 'x' }] }, '.attributes[0].value', /must be an AnyValue object/],
      [
        { attributes: [{ key: 'a', value: { stringValue: 1 } }] },
        '.attributes[0].value.stringValue',
        /must be a string/,
      ],
      [{ attributes: [{ key: 'a', value: { intValue: '1.5' } }] }, '.attributes[0].value.intValue', /64-bit/],
      [{ attributes: [{ key: 'a', value: { intValue: 1.5 } }] }, '.attributes[0].value.intValue', /64-bit/],
      [
        { attributes: [{ key: 'a', value: { intValue: '9223372036854775808' } }] },
        '.attributes[0].value.intValue',
        /64-bit/,
      ],
      [
        { attributes: [{ key: 'a', value: { doubleValue: 'x' } }] },
        '.attributes[0].value.doubleValue',
        /number/,
      ],
      [
        { attributes: [{ key: 'a', value: { boolValue: 'yes' } }] },
        '.attributes[0].value.boolValue',
        /true or false/,
      ],
      [
        { attributes: [{ key: 'a', value: { bytesValue: '***' } }] },
        '.attributes[0].value.bytesValue',
        /base64/,
      ],
      [
        { attributes: [{ key: 'a', value: { stringValue: 'x', intValue: 1 } }] },
        '.attributes[0].value',
        /one of its members, not stringValue and intValue/,
      ],
      [
        { attributes: [{ key: 'a', value: { arrayValue: { values: 'x' } } }] },
        '.attributes[0].value.arrayValue.values',
        /must be an array of AnyValue/,
      ],
      [
        { attributes: [{ key: 'a', value: { arrayValue: { values: [{ boolValue: 1 }] } } }] },
        '.attributes[0].value.arrayValue.values[0].boolValue',
        /true or false/,
      ],
      [
        { attributes: [{ key: 'a', value: { kvlistValue: { values: [{ key: 'k', value: 3 }] } } }] },
        '.attributes[0].value.kvlistValue.values[0].value',
        /AnyValue object/,
      ],
      [{ status: 'x' }, '.status', /must be a Status object/],
      [{ status: { code: 'BAD' } }, '.status.code', /STATUS_CODE_UNSET/],
      [{ status: { message: 1 } }, '.status.message', /must be a string/],
    ];
    for (const [bad, field, message] of cases) {
      const request = decodeOtlpJson(wrap(good, bad, good));
      expect(request.spans).toHaveLength(3);
      expect(readSpans({ spans: [request.spans[0]!, request.spans[2]!], problems: [] })).toHaveLength(2);
      const problem = problemOf(request.spans[1]);
      expect(problem.field).toBe(`resourceSpans[0].scopeSpans[0].spans[1]${field}`);
      expect(problem.message).toMatch(message);
    }
  });

  it('refuses values nested deeper than 8 levels, without walking the rest', () => {
    // Built as text: JSON.stringify itself would overflow the stack on 10 000 levels.
    const levels = 10_000;
    const value = `${'{"arrayValue":{"values":['.repeat(levels)}{"stringValue":"bottom"}${']}}'.repeat(levels)}`;
    const request = decodeOtlpJson(wrap({ attributes: [{ key: 'deep', value: 0 }] }).replace('0', value));
    const problem = problemOf(request.spans[0]);
    expect(problem.message).toBe('nests deeper than 8 levels');
    expect(problem.field).toMatch(
      /^resourceSpans\[0]\.scopeSpans\[0]\.spans\[0]\.attributes\[0]\.value(\.arrayValue\.values\[0])+\.arrayValue$/,
    );
  });

  it('skips a broken part around spans and keeps the rest', () => {
    const good = { kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2' };
    const body = JSON.stringify({
      resourceSpans: [null, { scopeSpans: 'x' }, { scopeSpans: [{ spans: {} }, 3, { spans: [good] }] }],
    });
    const request = decodeOtlpJson(body);
    expect(readSpans(request)).toHaveLength(1);
    expect(request.spans[0]!.field).toBe('resourceSpans[2].scopeSpans[2].spans[0]');
    expect(request.problems).toEqual([
      { field: 'resourceSpans[0]', message: 'must be a ResourceSpans object, not null' },
      { field: 'resourceSpans[1].scopeSpans', message: 'must be an array, not string "x"' },
      { field: 'resourceSpans[2].scopeSpans[0].spans', message: 'must be an array, not an object' },
      { field: 'resourceSpans[2].scopeSpans[1]', message: 'must be a ScopeSpans object, not number 3' },
    ]);
  });

  it('refuses a body that is not an OTLP request at all, naming where', () => {
    const cases: Array<[string, string, string, RegExp]> = [
      ['', 'INVALID_JSON', '(body)', /empty/],
      ['   ', 'INVALID_JSON', '(body)', /empty/],
      ['{"resourceSpans": [', 'INVALID_JSON', '(body)', /not valid JSON/],
      ['[]', 'VALIDATION_FAILED', '(body)', /ExportTraceServiceRequest object .*not an array/],
      ['"x"', 'VALIDATION_FAILED', '(body)', /not string "x"/],
      ['{"resourceSpans": {}}', 'VALIDATION_FAILED', 'resourceSpans', /must be an array of ResourceSpans/],
      [
        '{"resourceSpans": [1, 2]}',
        'VALIDATION_FAILED',
        'resourceSpans[0]',
        /resourceSpans\[0]: must be a ResourceSpans object, not number 1 \(and 1 more\)/,
      ],
    ];
    for (const [body, code, field, message] of cases) {
      const error = thrownBy(() => decodeOtlpJson(body));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect((error.details as { field: string }).field).toBe(field);
    }
    const gzipped = thrownBy(() => decodeOtlpJson(gzipSync('{}')));
    expect(gzipped.message).toMatch(/looks gzip-compressed, so send it with Content-Encoding: gzip/);
    const protobuf = thrownBy(() => decodeOtlpJson(pb.request(goodSpan)));
    expect(protobuf.message).toMatch(/looks like protobuf/);
  });

  it('never throws anything but a HeartbeatError, whatever replaces any part of a valid request', () => {
    const original = JSON.parse(
      new TextDecoder().decode(JsonTraceSerializer.serializeRequest(sdkSpans())),
    ) as unknown;
    const replacements: unknown[] = [null, 0, -1, 1.5, 'x', '', true, [], {}, [null], { values: 1 }, 1e300];
    const random = seededRandom(7);
    for (let round = 0; round < 2000; round++) {
      const copy = structuredClone(original);
      const nodes: Array<[Record<string, unknown> | unknown[], string | number]> = [];
      const walk = (node: unknown) => {
        if (Array.isArray(node)) {
          node.forEach((item, index) => {
            nodes.push([node, index]);
            walk(item);
          });
        } else if (node && typeof node === 'object') {
          for (const [key, item] of Object.entries(node)) {
            nodes.push([node as Record<string, unknown>, key]);
            walk(item);
          }
        }
      };
      walk(copy);
      const [parent, key] = nodes[Math.floor(random() * nodes.length)]!;
      (parent as Record<string | number, unknown>)[key] =
        replacements[Math.floor(random() * replacements.length)];
      try {
        decodeOtlpJson(JSON.stringify(copy));
      } catch (thrown) {
        expect(thrown).toBeInstanceOf(HeartbeatError);
        expect(['VALIDATION_FAILED', 'INVALID_JSON']).toContain((thrown as HeartbeatError).code);
      }
    }
  });
});

describe('OTLP/protobuf wire format', () => {
  it('reads hand-made messages: every AnyValue member, unknown fields, negative enums', () => {
    const body = pb.request([
      ...pb.uint(99, 5), // unknown varint field
      ...pb.string(5, 'custom'),
      ...pb.uint(6, -1), // an int32 enum of -1: a 10-byte varint
      ...pb.fixed64(7, T0),
      ...pb.fixed64(8, T0 + 2n),
      ...pb.attribute('s', pb.string(1, 'x')),
      ...pb.attribute('b', pb.uint(2, 1)),
      ...pb.attribute('i', pb.uint(3, -5)),
      ...pb.attribute('d', pb.double(4, 2.5)),
      ...pb.attribute('arr', pb.message(5, [...pb.message(1, pb.string(1, 'a')), ...pb.message(1, [])])),
      ...pb.attribute(
        'kv',
        pb.message(6, pb.message(1, [...pb.string(1, 'k'), ...pb.message(2, pb.uint(3, 1))])),
      ),
      ...pb.attribute('bytes', pb.message(7, [1, 2, 3])),
      // The value before the key, and a oneof sent twice (the last wins).
      ...pb.message(9, [
        ...pb.message(2, [...pb.string(1, 'first'), ...pb.uint(3, 2)]),
        ...pb.string(1, 'late key'),
      ]),
      ...pb.message(15, [...pb.uint(1, 9), ...pb.string(2, 'bad'), ...pb.uint(3, 2)]),
      ...pb.tag(16, 5),
      0xff,
      0,
      0,
      0, // flags, fixed32
    ]);
    const [span] = readSpans(decodeOtlpProtobuf(body));
    expect(span).toEqual({
      traceId: '',
      spanId: '',
      name: 'custom',
      kind: -1,
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 2n,
      attributes: [
        { key: 's', value: { type: 'string', value: 'x' } },
        { key: 'b', value: { type: 'bool', value: true } },
        { key: 'i', value: { type: 'int', value: -5n } },
        { key: 'd', value: { type: 'double', value: 2.5 } },
        { key: 'arr', value: { type: 'array', value: [{ type: 'string', value: 'a' }, { type: 'empty' }] } },
        { key: 'kv', value: { type: 'kvlist', value: [{ key: 'k', value: { type: 'int', value: 1n } }] } },
        { key: 'bytes', value: { type: 'bytes', value: Uint8Array.from([1, 2, 3]) } },
        { key: 'late key', value: { type: 'int', value: 2n } },
      ],
      status: { code: 2, message: 'bad' },
    });
  });

  it('rejects a span with a wrong wire type or a bad length, names the field, keeps its neighbours', () => {
    const cases: Array<[number[], string, RegExp]> = [
      [pb.uint(5, 1), '.name', /has the varint wire type; expected length-delimited/],
      [pb.string(6, 'SERVER'), '.kind', /has the length-delimited wire type; expected varint/],
      [pb.uint(7, 1), '.startTimeUnixNano', /expected fixed64/],
      [pb.message(15, pb.string(3, 'x')), '.status.code', /expected varint/],
      [pb.attribute('a', pb.uint(1, 1)), '.attributes[0].value.stringValue', /expected length-delimited/],
      [pb.message(9, pb.uint(1, 1)), '.attributes[0].key', /expected length-delimited/],
      [
        [...pb.tag(9, 2), 0xff, 0xff, 0xff, 0xff, 0x0f],
        '.attributes[0]',
        /length of 4294967295 bytes runs past/,
      ],
      [[...pb.tag(9, 2), 0x80], '.attributes[0]', /varint is cut off/],
      [[...pb.tag(8, 1), 1, 2], '.endTimeUnixNano', /8-byte value is cut off/],
      [[...pb.tag(12, 3)], '', /start-group wire type/],
      [
        pb.attribute('a', pb.message(5, pb.message(1, pb.uint(4, 1)))),
        '.attributes[0].value.arrayValue.values[0].doubleValue',
        /expected fixed64/,
      ],
    ];
    for (const [bad, field, message] of cases) {
      const request = decodeOtlpProtobuf(pb.request(goodSpan, bad, goodSpan));
      expect(request.spans).toHaveLength(3);
      expect('span' in request.spans[0]! && 'span' in request.spans[2]!).toBe(true);
      const problem = problemOf(request.spans[1]);
      expect(problem.field).toBe(`resourceSpans[0].scopeSpans[0].spans[1]${field}`);
      expect(problem.message).toMatch(message);
    }
  });

  it('rejects a span sent with a wrong wire type, and reads on', () => {
    const scope = [...pb.message(2, goodSpan), ...pb.uint(2, 7), ...pb.message(2, goodSpan)];
    const request = decodeOtlpProtobuf(Uint8Array.from(pb.message(1, pb.message(2, scope))));
    expect(request.spans.map((entry) => 'span' in entry)).toEqual([true, false, true]);
    expect(problemOf(request.spans[1])).toEqual({
      field: 'resourceSpans[0].scopeSpans[0].spans[1]',
      message: 'has the varint wire type; expected length-delimited',
    });
  });

  it('refuses values nested deeper than 8 levels', () => {
    let value = pb.string(1, 'bottom');
    for (let level = 0; level < 500; level++) value = pb.message(5, pb.message(1, value));
    const problem = problemOf(decodeOtlpProtobuf(pb.request(pb.attribute('deep', value))).spans[0]);
    expect(problem.message).toBe('nests deeper than 8 levels');
    expect(problem.field).toMatch(/\.attributes\[0]\.value(\.arrayValue\.values\[0])+\.arrayValue$/);
  });

  it('does not decode the values of attributes it was not asked for', () => {
    const body = pb.request([
      ...goodSpan,
      ...pb.attribute('junk', pb.uint(1, 1)),
      ...pb.attribute('http.route', pb.string(1, '/')),
    ]);
    expect('problem' in decodeOtlpProtobuf(body).spans[0]!).toBe(true);
    const [span] = readSpans(decodeOtlpProtobuf(body, { keepAttribute: (key) => key === 'http.route' }));
    expect(span!.attributes).toEqual([{ key: 'http.route', value: { type: 'string', value: '/' } }]);
  });

  it('skips a broken resourceSpans or scopeSpans and keeps the spans of the others', () => {
    const goodResource = pb.message(1, pb.message(2, pb.message(2, goodSpan)));
    // A span whose length runs past its scope: rejected, and the scope ends there.
    const brokenSpan = pb.message(1, [
      ...pb.message(2, [0x12, 0x05, 0x01]),
      ...pb.message(2, pb.message(2, goodSpan)),
    ]);
    // A scope whose length runs past its resource: nothing to count, listed as a problem.
    const brokenScope = pb.message(1, [0x12, 0x05, 0x01]);
    const wrongType = pb.uint(1, 3);
    const request = decodeOtlpProtobuf(
      Uint8Array.from([...goodResource, ...brokenSpan, ...brokenScope, ...wrongType]),
    );
    expect(request.spans.map((entry) => [entry.field, 'span' in entry])).toEqual([
      ['resourceSpans[0].scopeSpans[0].spans[0]', true],
      ['resourceSpans[1].scopeSpans[0].spans[0]', false],
      ['resourceSpans[1].scopeSpans[1].spans[0]', true],
    ]);
    expect(problemOf(request.spans[1]).message).toBe(
      'a length of 5 bytes runs past the end of its message (1 bytes left) (at byte 38)',
    );
    expect(request.problems).toEqual([
      {
        field: 'resourceSpans[2].scopeSpans[0]',
        message: 'a length of 5 bytes runs past the end of its message (1 bytes left) (at byte 74)',
      },
      { field: 'resourceSpans[3]', message: 'has the varint wire type; expected length-delimited' },
    ]);
  });

  it('refuses a body that is not protobuf, naming the place and giving a hint', () => {
    const cases: Array<[Uint8Array, string, RegExp]> = [
      [Buffer.from('{"resourceSpans": []}'), '(body)', /start-group wire type.*looks like JSON/],
      [gzipSync(pb.request(goodSpan)), '(body)', /looks gzip-compressed/],
      [
        Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        'resourceSpans[0]',
        /4294967295 bytes runs past/,
      ],
      [Uint8Array.from([0x0a]), 'resourceSpans[0]', /varint is cut off/],
      [Uint8Array.from([0x00]), '(body)', /field number 0/],
      [Uint8Array.from([0x0a, 0x01, 0x00]), 'resourceSpans[0]', /field number 0/],
      [Uint8Array.from([0x0a, 0x02, 0x12, 0x01]), 'resourceSpans[0].scopeSpans[0]', /runs past the end/],
    ];
    for (const [body, field, message] of cases) {
      const error = thrownBy(() => decodeOtlpProtobuf(body));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toMatch(message);
      expect((error.details as { field: string }).field).toBe(field);
    }
  });

  it('refuses more spans than allowed with a 413', () => {
    const error = thrownBy(() =>
      decodeOtlpProtobuf(pb.request(goodSpan, goodSpan, goodSpan), { maxSpans: 2 }),
    );
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.httpStatus).toBe(413);
    const json = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{}, {}, {}] }] }] });
    expect(thrownBy(() => decodeOtlpJson(json, { maxSpans: 2 })).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses every truncation of a real export with a 400', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
    for (let length = 1; length < body.length; length++) {
      const error = thrownBy(() => decodeOtlpProtobuf(body.subarray(0, length)));
      expect(error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('never throws anything but a HeartbeatError on corrupted bytes', () => {
    const original = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
    const random = seededRandom(42);
    let decoded = 0;
    for (let round = 0; round < 5000; round++) {
      const body = Uint8Array.from(original);
      const flips = 1 + Math.floor(random() * 4);
      for (let flip = 0; flip < flips; flip++)
        body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      try {
        decodeOtlpProtobuf(body);
        decoded++;
      } catch (thrown) {
        expect(thrown).toBeInstanceOf(HeartbeatError);
        expect((thrown as HeartbeatError).code).toBe('VALIDATION_FAILED');
      }
    }
    // Most corruptions land inside a span and spare the rest of the request.
    expect(decoded).toBeGreaterThan(1000);
  });
});
