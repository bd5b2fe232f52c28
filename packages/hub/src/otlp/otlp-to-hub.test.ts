/**
 * The real OpenTelemetry JS exporters sending to a real hub, through its keys: spans from a service
 * become observations of the API whose basepath is the longest registered prefix of their route.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPHttpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPHttpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN_KEY, type TestHub } from '../testing/test-hub.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.stop()));
});

/** Remembers every export result of the exporter it wraps. */
function recording(inner: SpanExporter): SpanExporter & { results: ExportResult[] } {
  const results: ExportResult[] = [];
  return {
    results,
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        results.push(result);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

describe.each([
  ['exporter-trace-otlp-http (JSON)', OTLPHttpJsonTraceExporter],
  ['exporter-trace-otlp-proto', OTLPHttpProtoTraceExporter],
] as const)('the real %s sending to a hub', (_name, Exporter) => {
  it('turns server spans into observations of the longest registered basepath', async () => {
    const hub = await startTestHub(
      {},
      {
        yaml: 'apis:\n  - basepath: /shop\n    minSamples: 3\n  - basepath: /shop/orders/v1\n    minSamples: 3\n',
      },
    );
    hubs.push(hub);
    const exporter = recording(
      new Exporter({ url: `${hub.url}/v1/traces`, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }),
    );
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('shop');
    for (let i = 0; i < 4; i++) {
      tracer
        .startSpan('GET /shop/orders/v1/:id', {
          kind: SpanKind.SERVER,
          attributes: { 'http.route': '/shop/orders/v1/:id', 'http.response.status_code': 200 },
        })
        .end();
    }
    const broken = tracer.startSpan('GET /shop/cart', {
      kind: SpanKind.SERVER,
      attributes: { 'url.path': '/shop/cart' },
    });
    broken.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream reset' });
    broken.end();
    tracer
      .startSpan('GET /shop/cart', {
        kind: SpanKind.SERVER,
        attributes: { 'url.path': '/shop/cart', 'http.response.status_code': 502 },
      })
      .end();
    tracer
      .startSpan('GET /shop/cart', {
        kind: SpanKind.SERVER,
        attributes: { 'url.path': '/shop/cart', 'http.response.status_code': 200 },
      })
      .end();
    tracer
      .startSpan('call payments', {
        kind: SpanKind.CLIENT,
        attributes: { 'url.path': '/shop/cart', 'http.response.status_code': 500 },
      })
      .end();
    await provider.forceFlush();
    await provider.shutdown();

    expect(exporter.results.every((result) => result.code === ExportResultCode.SUCCESS)).toBe(true);
    const heartbeats = await hub.api('GET', '/v1/heartbeats');
    expect(heartbeats.body).toEqual([
      { basepath: '/shop', status: 'DOWN' },
      { basepath: '/shop/orders/v1', status: 'UP' },
    ]);
    const shop = await hub.api('GET', '/v1/apis/shop');
    expect(shop.body).toMatchObject({
      samples: 3,
      failures: 2,
      bySource: { traffic: 0, pulse: 0, otlp: 3 },
      drivenBy: 'otlp',
    });
  });

  it('is refused without a key, so the exporter reports failure', async () => {
    const hub = await startTestHub();
    hubs.push(hub);
    const exporter = recording(new Exporter({ url: `${hub.url}/v1/traces` }));
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider
      .getTracer('x')
      .startSpan('GET /a', {
        kind: SpanKind.SERVER,
        attributes: { 'url.path': '/a', 'http.response.status_code': 200 },
      })
      .end();
    // The exporter reports the refusal (401) as a failed export; the flush rejects with it.
    await expect(provider.forceFlush()).rejects.toEqual([expect.objectContaining({ code: 401 })]);
    await provider.shutdown();
    expect(exporter.results.map((result) => result.code)).toEqual([ExportResultCode.FAILED]);
  });
});
