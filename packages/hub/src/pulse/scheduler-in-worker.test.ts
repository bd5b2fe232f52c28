import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { PulseDefinition } from '../domain/api.js';
import type { ProbeOutcome } from './probe.js';
import { createPulseSchedulerInWorker } from './scheduler-in-worker.js';

// The worker runs JavaScript: the built `dist/pulse/pulse-worker.js` (`npm run build`, which `npm test` does first).
const WORKER_URL = new URL('../../dist/pulse/pulse-worker.js', import.meta.url);
const built = existsSync(WORKER_URL);
if (!built) {
  const message = `${WORKER_URL.pathname} is missing: run "npm run build" first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`!! SKIPPING the Pulse worker tests: ${message}`);
}

const pulse = (url: string, intervalMs = 50): PulseDefinition => ({
  enabled: true,
  url,
  method: 'GET',
  headers: {},
  intervalMs,
  timeoutMs: 1000,
  expect: { status: [[200, 399]], json: [{ path: 'status', equals: 'UP' }] },
});

describe.skipIf(!built)('createPulseSchedulerInWorker', () => {
  it('probes on a worker thread and hands results back in batches; stop ends the thread', async () => {
    const server = createServer((request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: request.url === '/down' ? 'DOWN' : 'UP' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const results: Array<{ basepath: string; outcome: ProbeOutcome; startedAt: number; at: number }> = [];
    const scheduler = createPulseSchedulerInWorker({
      workerUrl: WORKER_URL,
      batchMs: 100,
      onResult: (basepath, outcome, startedAt) =>
        results.push({ basepath, outcome, startedAt, at: Date.now() }),
    });
    onTestFinished(() => scheduler.stop());
    const began = Date.now();
    scheduler.sync([
      ...Array.from({ length: 20 }, (_, i) => ({ basepath: `/up${i}`, pulse: pulse(`${origin}/up`) })),
      { basepath: '/down', pulse: pulse(`${origin}/down`) },
      { basepath: '/off', pulse: { ...pulse(`${origin}/up`), enabled: false } },
    ]);
    await vi.waitFor(
      () => expect(results.filter((r) => r.basepath === '/down').length).toBeGreaterThanOrEqual(5),
      {
        timeout: 5000,
      },
    );

    expect(results.every((r) => r.startedAt >= began)).toBe(true);
    expect(results.find((r) => r.basepath === '/down')!.outcome).toMatchObject({
      ok: false,
      statusCode: 200,
      detail: 'body.status is "DOWN", expected "UP"',
    });
    expect(results.filter((r) => r.basepath.startsWith('/up')).every((r) => r.outcome.ok)).toBe(true);
    expect(results.some((r) => r.basepath === '/off')).toBe(false);
    // Batches: results arrive together, a batch at a time, not one message per result.
    expect(new Set(results.map((r) => r.at)).size).toBeLessThan(results.length / 3);
    expect(scheduler.stats()).toMatchObject({ targets: 21 });
    expect(scheduler.stats().probesPerSecond).toBeGreaterThan(0);

    // Removing targets reaches the worker too.
    scheduler.sync([{ basepath: '/down', pulse: pulse(`${origin}/down`) }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const count = results.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(results.slice(count).every((r) => r.basepath === '/down')).toBe(true);
    expect(scheduler.stats().targets).toBe(1);

    const stopping = Date.now();
    await scheduler.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    const final = results.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(results.length).toBe(final);
    expect(scheduler.stats()).toMatchObject({ targets: 0, running: 0 });
  });

  it('starts a worker that died again, with the last sync, and logs it', async () => {
    const error = vi.fn();
    // A worker that exits at once stands in for one that crashed.
    const crashing = new URL('data:text/javascript,process.exit(3)');
    const scheduler = createPulseSchedulerInWorker({
      workerUrl: crashing,
      restartDelayMs: 50,
      onResult: () => undefined,
      logger: { info: vi.fn(), warn: vi.fn(), error },
    });
    scheduler.sync([]);
    await vi.waitFor(() => expect(error.mock.calls.length).toBeGreaterThanOrEqual(2), { timeout: 3000 });
    expect(error).toHaveBeenCalledWith(
      { code: 3, restartInMs: 50 },
      'pulse worker exited; starting it again',
    );
    await scheduler.stop();
    const calls = error.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(error.mock.calls.length).toBe(calls);
  });
});

describe('createPulseSchedulerInWorker without a built worker module', () => {
  it('probes in this thread instead, and says so', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warn = vi.fn();
    const results: string[] = [];
    const scheduler = createPulseSchedulerInWorker({
      workerUrl: new URL('./no-such-worker.js', import.meta.url),
      onResult: (basepath) => results.push(basepath),
      logger: { info: vi.fn(), warn, error: vi.fn() },
    });
    onTestFinished(() => scheduler.stop());
    expect(warn).toHaveBeenCalledWith(
      { workerUrl: expect.stringContaining('no-such-worker.js') },
      'pulse: no built worker module (running from sources?); probing in this thread instead',
    );
    scheduler.sync([{ basepath: '/a', pulse: pulse(`${origin}/health`) }]);
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(2), { timeout: 3000 });
    expect(scheduler.stats().targets).toBe(1);
  });
});
