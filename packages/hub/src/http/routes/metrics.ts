import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { EXPOSITION_CONTENT_TYPE } from '../../metrics/exposition.js';
import { renderMetrics } from '../../metrics/render-metrics.js';
import type { HubContext } from '../hub-context.js';
import type { Route } from '../router.js';

const gzipAsync = promisify(gzip);
/** Below this, compressing costs more than it saves. */
const GZIP_FROM_BYTES = 4096;

/**
 * `GET /metrics` in the Prometheus text format (docs/metrics.md). A `read` route like the others:
 * open when `auth.publicRead` is on, else Prometheus sends a key (`authorization: credentials_file`).
 * Compressed off the main thread when the scraper accepts gzip, as Prometheus does.
 */
export function metricsRoutes(hub: HubContext): Route[] {
  if (!hub.config.metrics.enabled) return [];
  return [
    {
      method: 'GET',
      path: '/metrics',
      scope: 'read',
      doc: {
        summary: 'Prometheus metrics',
        description:
          'API status, instances by state, ingest, probe and notification counters, probe latency and process metrics, in the Prometheus text exposition format 0.0.4. See docs/metrics.md.',
        tags: ['metrics'],
        responses: { 200: { description: 'The metrics', contentType: EXPOSITION_CONTENT_TYPE } },
      },
      async handle({ request, response }) {
        const text = await renderMetrics(hub);
        const headers: Record<string, string> = {
          'content-type': EXPOSITION_CONTENT_TYPE,
          'cache-control': 'no-store',
          vary: 'accept-encoding',
        };
        const accepts = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
        let body: string | Buffer = text;
        if (accepts && text.length >= GZIP_FROM_BYTES) {
          // Level 1: a third of the CPU of the default for 14 % more bytes (bench/README.md, metrics-scrape).
          body = await gzipAsync(text, { level: 1 });
          headers['content-encoding'] = 'gzip';
        }
        headers['content-length'] = String(Buffer.byteLength(body));
        response.writeHead(200, headers);
        response.end(body);
        return 'handled' as const;
      },
    },
  ];
}
