/**
 * @heartbeat/sdk as its README shows it: `http.createServer(nodeHttpListener(health))`.
 * `ops-heartbeat` adds five checks (trivial run, 10 s cache, a dependency URL each) and marks the
 * service started, so `/ops/heartbeat` answers 200 from cached results.
 */
import { createServer } from 'node:http';
import { createHealth, nodeHttpListener } from '@heartbeat/sdk';
import { listenAndAnnounce, rowArgument } from '../lib/serve.js';
import { CHECK_CACHE_MS, CHECKS, ROWS } from './fixtures.js';

const row = rowArgument(ROWS);
const health = createHealth({ service: { name: 'bench' } });
if (row === 'ops-heartbeat') {
  for (const check of CHECKS) {
    health.addCheck({
      name: check.name,
      dependency: check.dependency,
      cache: CHECK_CACHE_MS,
      run: () => undefined,
    });
  }
  health.markStarted();
}

await listenAndAnnounce(createServer(nodeHttpListener(health)));
