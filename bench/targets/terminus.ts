/**
 * `@godaddy/terminus` doing the same job: its health checks on a node:http server.
 *
 * - `heartbeat`: `'/heartbeat': async () => new Date().toISOString()`; terminus wraps the value as
 *   `{"status":"ok","info":…,"details":…}` (its `verbatim` mode cannot carry a bare string).
 * - `ops-heartbeat`: awaits five cached check functions in parallel and returns the SDK's body
 *   shape; `verbatim` merges it into terminus' `{"status":"ok"}`.
 *
 * Both send the SDK's `cache-control` header too, so every target sends the same headers.
 */
import { createServer } from 'node:http';
import { createTerminus, type HealthCheckMap } from '@godaddy/terminus';
import { listenAndAnnounce, rowArgument } from '../lib/serve.js';
import { CHECKS, JSON_HEADERS, MACHINE, ROWS, cachedDependency, type DependencyEntry } from './fixtures.js';

const row = rowArgument(ROWS);
let url = '';

/** A check as terminus users write them: an async function, its result cached. */
const checks: Array<() => Promise<DependencyEntry>> = CHECKS.map((check) => {
  const entry = cachedDependency(check.dependency);
  // eslint-disable-next-line @typescript-eslint/require-await -- written as terminus users write checks
  return async () => entry(Date.now());
});

const healthChecks: HealthCheckMap =
  row === 'heartbeat'
    ? {
        // eslint-disable-next-line @typescript-eslint/require-await -- the check as terminus documents it
        '/heartbeat': async () => new Date().toISOString(),
      }
    : {
        verbatim: true,
        '/ops/heartbeat': async () => {
          const startedAt = performance.now();
          const Dependencies = await Promise.all(checks.map((check) => check()));
          return {
            Status: 'OK',
            URL: url,
            Machine: MACHINE,
            UtcDateTime: new Date().toISOString(),
            RequestDuration: Math.round((performance.now() - startedAt) * 1000) / 1000,
            Dependencies,
          };
        },
      };

const server = createServer((_request, response) => {
  response.writeHead(404, JSON_HEADERS);
  response.end('{"error":"not found"}');
});
createTerminus(server, {
  healthChecks,
  headers: { 'cache-control': JSON_HEADERS['cache-control']! },
  signals: [],
});
const port = await listenAndAnnounce(server);
url = `http://127.0.0.1:${port}/ops/heartbeat`;
