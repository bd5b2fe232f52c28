/**
 * The hub's stand-in in the `pulse` scenario: one process whose event loop serves a trivial API (what
 * the hub's `GET /v1/heartbeats` would answer) while Pulse probes N targets, in this thread or in a
 * worker, as the hub would run it. It measures its own event-loop delay (`monitorEventLoopDelay`) and
 * reports it, with the scheduler's stats, on `GET /__pulse/stats`; `POST /__pulse/reset` starts a
 * measured window.
 *
 * Usage: `node pulse-hub.js <off|thread|worker> <target origin> <targets> <interval ms> <concurrency> [ca.pem]`;
 * the CA, when given, is trusted for the target's certificate.
 * Pulse comes from the built hub (`packages/hub/dist/pulse`, made by `npm run build`).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { listenAndAnnounce } from '../lib/serve.js';
import type { PulseModule, PulseHubStats, PulseSchedulerLike } from '../pulse-types.js';

const [
  mode = 'thread',
  origin = '',
  countText = '0',
  intervalText = '30000',
  concurrencyText = '64',
  caFile,
] = process.argv.slice(2);
if (!['off', 'thread', 'worker'].includes(mode) || !origin) {
  process.stderr.write(
    'usage: node pulse-hub.js <off|thread|worker> <target origin> <targets> <interval ms> <concurrency> [ca.pem]\n',
  );
  process.exit(2);
}
const count = Number(countText);
const intervalMs = Number(intervalText);
const concurrency = Number(concurrencyText);

// The delay of a 10 ms timer, less those 10 ms (as the SDK's eventLoopDelayCheck reports it).
const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();

const reported = new Set<string>();
let results = 0;
let failures = 0;
const errors: Record<string, number> = {};
let allReportedAt: number | undefined;
const startedAt = Date.now();

function onResult(basepath: string, outcome: { ok: boolean; error?: string; detail?: string }): void {
  results++;
  if (!outcome.ok) {
    failures++;
    const reason = outcome.error ?? outcome.detail ?? 'failed';
    errors[reason] = (errors[reason] ?? 0) + 1;
  }
  if (allReportedAt === undefined) {
    reported.add(basepath);
    if (reported.size >= count) {
      allReportedAt = Date.now();
      reported.clear();
    }
  }
}

let scheduler: PulseSchedulerLike | undefined;
if (mode !== 'off') {
  const pulse = (await import(
    new URL('../../../packages/hub/dist/pulse/index.js', import.meta.url).href
  )) as PulseModule;
  const options = {
    onResult,
    concurrency,
    ...(caFile && { dispatcher: { ca: readFileSync(caFile, 'utf8') } }),
  };
  scheduler =
    mode === 'worker' ? pulse.createPulseSchedulerInWorker(options) : pulse.createPulseScheduler(options);
  scheduler.sync(
    Array.from({ length: count }, (_, i) => ({
      basepath: `/bench/api-${i}/v1`,
      pulse: {
        enabled: true,
        url: `${origin}/bench/api-${i}/v1/health`,
        method: 'GET',
        headers: {},
        intervalMs,
        timeoutMs: 5000,
        expect: { status: [[200, 399]], json: [{ path: 'status', equals: 'UP' }] },
      },
    })),
  );
}

const API_BODY = JSON.stringify([
  { basepath: '/eni/echo/v1', status: 'UP' },
  { basepath: '/eni/heartbeat/v1', status: 'UP' },
]);
const ms = (nanoseconds: number): number =>
  Math.round(Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS) * 100) / 100;

const server = createServer((request, response) => {
  if (request.url === '/api') {
    response
      .writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(API_BODY)),
      })
      .end(API_BODY);
    return;
  }
  if (request.url === '/__pulse/reset' && request.method === 'POST') {
    delay.reset();
    results = 0;
    failures = 0;
    for (const key of Object.keys(errors)) delete errors[key];
    response.writeHead(204).end();
    return;
  }
  if (request.url === '/__pulse/stats') {
    const stats: PulseHubStats = {
      mode,
      uptimeSeconds: (Date.now() - startedAt) / 1000,
      allReportedAfterSeconds: allReportedAt === undefined ? null : (allReportedAt - startedAt) / 1000,
      results,
      failures,
      errors,
      eventLoopDelayMs: {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        samples: delay.count,
      },
      rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
      scheduler: scheduler?.stats() ?? null,
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  response.writeHead(404).end();
});

process.on('disconnect', () => void scheduler?.stop());
await listenAndAnnounce(server);
