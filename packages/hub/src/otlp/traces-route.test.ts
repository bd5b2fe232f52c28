import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  diag,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Tracer,
} from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPHttpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPHttpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { HeartbeatError, toHeartbeatError } from '@heartbeat/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '../domain/api.js';
import { tracesRoute, type TracesRouteOptions } from './traces-route.js';

// ---------------------------------------------------------------------------------------------
// A real node:http server on 127.0.0.1 that mounts only the traces route (no authorization).

interface TestHub {
  url: string;
  ingested: Observation[];
  requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

const hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  diag.disable();
});

/** The hub's rule: the longest registered basepath that is the path or a whole-segment prefix of it. */
function resolveBasepath(path: string): string | undefined {
  return ['/eni/echo/v1', '/eni', '/shop']
    .sort((a, b) => b.length - a.length)
    .find((base) => path === base || path.startsWith(`${base}/`));
}

async function startHub(options: Partial<TracesRouteOptions> = {}): Promise<TestHub> {
  const ingested: Observation[] = [];
  const requests: IncomingHttpHeaders[] = [];
  const route = tracesRoute({
    resolveBasepath,
    ingest: (observations) => {
      ingested.push(...observations);
      return Promise.resolve();
    },
    maxBodyBytes: 256 * 1024,
    ...options,
  });
  const server = createServer((request, response) => {
    requests.push(request.headers);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const answer = async () => {
      if (request.method !== route.method || url.pathname !== route.path)
        throw new HeartbeatError('NOT_FOUND', `nothing at ${url.pathname}`);
      const result = await route.handle({
        request,
        response,
        params: {},
        query: url.searchParams,
        principal: undefined,
      });
      if (result === 'handled') return;
      response.writeHead(result.status, { 'content-type': 'application/json', ...result.headers });
      response.end(JSON.stringify(result.body));
    };
    answer().catch((thrown: unknown) => {
      const error = toHeartbeatError(thrown);
      response.writeHead(error.httpStatus, { 'content-type': 'application/json' });
      response.end(JSON.stringify(error.toBody()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const hub: TestHub = {
    url: `http://127.0.0.1:${port}/v1/traces`,
    ingested,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  hubs.push(hub);
  return hub;
}

// ---------------------------------------------------------------------------------------------
// Spans as an instrumented service would make them.

function emitTraffic(tracer: Tracer): void {
  const server = (name: string, attributes: Attributes, error?: string) => {
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes });
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end();
  };
  server('GET /eni/echo/v1/items/:id', {
    'http.request.method': 'GET',
    'http.route': '/eni/echo/v1/items/:id',
    'url.path': '/eni/echo/v1/items/7',
    'http.response.status_code': 200,
  });
  server('POST /shop/cart', {
    'http.method': 'POST',
    'http.target': '/shop/cart?x=1',
    'http.status_code': 503,
  });
  server('GET /eni/other', { 'url.full': 'http://api.internal/eni/other/thing' }, 'upstream timed out');
  server('GET /unregistered', { 'http.route': '/unregistered', 'http.response.status_code': 200 });
  const client = tracer.startSpan('GET upstream', {
    kind: SpanKind.CLIENT,
    attributes: { 'url.full': 'http://upstream/eni/echo/v1', 'http.response.status_code': 500 },
  });
  client.end();
}

const EXPECTED_OBSERVATIONS = [
  { basepath: '/eni/echo/v1', statusCode: 200, source: 'otlp' },
  { basepath: '/shop', statusCode: 503, source: 'otlp' },
  { basepath: '/eni', error: 'upstream timed out', source: 'otlp' },
];

/** Passes spans to a real exporter and keeps what it reported. */
class RecordingExporter implements SpanExporter {
  readonly results: ExportResult[] = [];

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.results.push(result);
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const exporters = [
  {
    name: 'exporter-trace-otlp-http (JSON)',
    contentType: 'application/json',
    create: OTLPHttpJsonTraceExporter,
  },
  {
    name: 'exporter-trace-otlp-proto',
    contentType: 'application/x-protobuf',
    create: OTLPHttpProtoTraceExporter,
  },
] as const;

describe.each(exporters)('the real $name', ({ contentType, create }) => {
  it.each(['none', 'gzip'] as const)(
    'exports SERVER spans that become observations (compression %s)',
    async (compression) => {
      const hub = await startHub();
      const exporter = new RecordingExporter(new create({ url: hub.url, compression: compression as never }));
      const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
      const before = Date.now();
      emitTraffic(provider.getTracer('shop'));
      await provider.forceFlush();
      await provider.shutdown();

      expect(exporter.results).toEqual([{ code: ExportResultCode.SUCCESS }]);
      expect(hub.requests).toHaveLength(1);
      expect(hub.requests[0]!['content-type']).toBe(contentType);
      if (compression === 'gzip') expect(hub.requests[0]!['content-encoding']).toBe('gzip');
      expect(hub.ingested).toEqual(
        EXPECTED_OBSERVATIONS.map((expected) => expect.objectContaining(expected)),
      );
      for (const observation of hub.ingested) {
        expect(observation.timestamp).toBeGreaterThanOrEqual(before - 1);
        expect(observation.timestamp).toBeLessThanOrEqual(Date.now());
        expect(observation.durationMs).toBeGreaterThanOrEqual(0);
        expect(observation.durationMs).toBeLessThan(1000);
      }
    },
  );

  it('reports a rejected span as a partial success, which the exporter logs and counts as done', async () => {
    const hub = await startHub();
    const warnings: string[] = [];
    diag.setLogger(
      {
        error: () => {},
        warn: (...args: unknown[]) => warnings.push(args.map(String).join(' ')),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.WARN,
    );
    const exporter = new RecordingExporter(new create({ url: hub.url }));
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('shop');
    const span = tracer.startSpan('GET /shop', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/shop', 'http.response.status_code': 42 },
    });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    expect(exporter.results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    expect(hub.ingested).toEqual([]);
    const partial = warnings.find((warning) => warning.includes('Partial Success'));
    expect(partial).toContain('"rejectedSpans":1');
    expect(partial).toContain(
      'attributes[http.response.status_code]: must be an HTTP status from 100 to 599 (got int 42)',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The answers themselves, byte for byte.

function recordSpans(build: (tracer: Tracer) => void): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  build(provider.getTracer('shop'));
  return exporter.getFinishedSpans();
}

const goodAndBad = recordSpans((tracer) => {
  tracer
    .startSpan('ok', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/shop', 'http.response.status_code': 200 },
    })
    .end();
  tracer
    .startSpan('bad', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/shop', 'http.response.status_code': 7 },
    })
    .end();
});
const good = goodAndBad.slice(0, 1);

async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  // Copied so the bytes sit in a plain ArrayBuffer, as fetch's types want.
  const response = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers,
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

describe('POST /v1/traces answers', () => {
  it('is declared for the ingest scope', () => {
    const route = tracesRoute({ resolveBasepath, ingest: () => Promise.resolve(), maxBodyBytes: 1 });
    expect(route).toMatchObject({ method: 'POST', path: '/v1/traces', scope: 'ingest' });
  });

  it('answers full success with an empty message: zero bytes of protobuf, {} in JSON', async () => {
    const hub = await startHub();
    const protobuf = await post(hub.url, ProtobufTraceSerializer.serializeRequest(good)!, PROTOBUF);
    expect(protobuf).toMatchObject({ status: 200, type: 'application/x-protobuf' });
    expect(protobuf.bytes).toHaveLength(0);
    const json = await post(hub.url, JsonTraceSerializer.serializeRequest(good)!, JSON_TYPE);
    expect(json).toMatchObject({ status: 200, type: 'application/json' });
    expect(JSON.parse(text(json.bytes))).toEqual({});
    expect(hub.ingested).toHaveLength(2);
  });

  it('answers partial success in the encoding of the request, keeping the good spans', async () => {
    const hub = await startHub();
    const message =
      '1 span rejected: resourceSpans[0].scopeSpans[0].spans[1].attributes[http.response.status_code]: ' +
      'must be an HTTP status from 100 to 599 (got int 7)';
    const protobuf = await post(hub.url, ProtobufTraceSerializer.serializeRequest(goodAndBad)!, PROTOBUF);
    expect(protobuf.status).toBe(200);
    expect(ProtobufTraceSerializer.deserializeResponse(protobuf.bytes)).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: message },
    });
    const json = await post(hub.url, JsonTraceSerializer.serializeRequest(goodAndBad)!, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(json.status).toBe(200);
    expect(JSON.parse(text(json.bytes))).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: message },
    });
    expect(hub.ingested).toEqual([
      expect.objectContaining({ basepath: '/shop', statusCode: 200 }),
      expect.objectContaining({ basepath: '/shop', statusCode: 200 }),
    ]);
  });

  it('refuses other content types with a 415 that says what to send', async () => {
    const hub = await startHub();
    const plain = await post(hub.url, 'hello', { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(JSON.parse(text(plain.bytes))).toEqual({
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message:
          'send OTLP traces as Content-Type: application/x-protobuf or application/json, not text/plain',
        details: { contentType: 'text/plain', accepted: ['application/x-protobuf', 'application/json'] },
      },
    });
    const encoded = await post(hub.url, 'x', { ...PROTOBUF, 'content-encoding': 'zstd' });
    expect(encoded.status).toBe(415);
    expect(text(encoded.bytes)).toContain('Content-Encoding zstd is not supported');
  });

  it('answers an undecodable body with a 400 in the JSON error shape, for both encodings', async () => {
    const hub = await startHub();
    const json = await post(hub.url, '{"resourceSpans": 5}', JSON_TYPE);
    expect(json.status).toBe(400);
    expect(JSON.parse(text(json.bytes))).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { field: 'resourceSpans' } },
    });
    const notJson = await post(hub.url, '{', JSON_TYPE);
    expect(JSON.parse(text(notJson.bytes))).toMatchObject({ error: { code: 'INVALID_JSON' } });
    const protobuf = await post(hub.url, Uint8Array.from([0x0a, 0x7f]), PROTOBUF);
    expect(protobuf).toMatchObject({ status: 400, type: 'application/json' });
    expect(JSON.parse(text(protobuf.bytes))).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { field: 'resourceSpans[0]' } },
    });
    const badGzip = await post(hub.url, 'not gzip', { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    expect(text(badGzip.bytes)).toContain('could not be decompressed');
    expect(hub.ingested).toEqual([]);
  });

  it('refuses a body over the limit with a 413, compressed or not', async () => {
    const hub = await startHub({ maxBodyBytes: 1024 });
    const big = await post(hub.url, new Uint8Array(4096), PROTOBUF);
    expect(big.status).toBe(413);
    const bomb = await post(hub.url, gzipSync(new Uint8Array(1024 * 1024)), {
      ...PROTOBUF,
      'content-encoding': 'gzip',
    });
    expect(bomb.status).toBe(413);
    expect(JSON.parse(text(bomb.bytes))).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: 1024 } },
    });
  });

  it('passes on a failure to store, so exporters retry', async () => {
    const hub = await startHub({
      ingest: () => Promise.reject(new HeartbeatError('UNAVAILABLE', 'the store is not answering')),
    });
    const answer = await post(hub.url, ProtobufTraceSerializer.serializeRequest(good)!, PROTOBUF);
    expect(answer.status).toBe(503);
  });

  it('does not call ingest when no span made an observation', async () => {
    let calls = 0;
    const hub = await startHub({
      ingest: () => {
        calls++;
        return Promise.resolve();
      },
    });
    const answer = await post(hub.url, '{"resourceSpans": []}', JSON_TYPE);
    expect(answer.status).toBe(200);
    expect(calls).toBe(0);
  });
});
