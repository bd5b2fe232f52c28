import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { PulseDefinition } from '../domain/api.js';
import type { ProbeOutcome } from './probe.js';
import {
  createPulseScheduler,
  type ProbeRunner,
  type PulseSchedulerOptions,
  type PulseTarget,
} from './scheduler.js';

const pulse = (overrides: Partial<PulseDefinition> = {}): PulseDefinition => ({
  enabled: true,
  url: 'http://127.0.0.1:1/',
  method: 'GET',
  headers: {},
  intervalMs: 100,
  timeoutMs: 1000,
  expect: { status: [[200, 399]], json: [] },
  ...overrides,
});
const api = (basepath: string, overrides: Partial<PulseDefinition> = {}): PulseTarget => ({
  basepath,
  pulse: pulse(overrides),
});

/**
 * A probe that takes `durationMs(basepath)` on the (fake) clock, honours its signal, and records
 * every start, the probes in flight, and aborts.
 */
function fakeProbes(durationMs: (url: string) => number = () => 10) {
  const starts: Array<{ url: string; at: number }> = [];
  const aborted: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const run: ProbeRunner = (definition, signal) => {
    starts.push({ url: definition.url, at: performance.now() });
    maxRunning = Math.max(maxRunning, ++running);
    return new Promise<ProbeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        running--;
        resolve({ ok: true, statusCode: 200, durationMs: durationMs(definition.url) });
      }, durationMs(definition.url));
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        running--;
        aborted.push(definition.url);
        resolve({ ok: false, error: 'aborted', durationMs: 0 });
      });
    });
  };
  return {
    run,
    starts,
    aborted,
    startsOf: (url: string) => starts.filter((start) => start.url === url).map((start) => start.at - t0),
    get maxRunning() {
      return maxRunning;
    },
  };
}

let t0 = 0;
beforeEach(() => {
  vi.useFakeTimers();
  t0 = performance.now();
});
afterEach(() => {
  vi.useRealTimers();
});

function scheduler(options: Partial<PulseSchedulerOptions> & Pick<PulseSchedulerOptions, 'runProbe'>) {
  const results: Array<{ basepath: string; outcome: ProbeOutcome; startedAt: number }> = [];
  const instance = createPulseScheduler({
    onResult: (basepath, outcome, startedAt) => results.push({ basepath, outcome, startedAt }),
    random: () => 0.5,
    ...options,
  });
  onTestFinished(() => instance.stop());
  return { instance, results };
}

describe('createPulseScheduler: cadence', () => {
  it('starts at the jittered offset, then every interval, drift-free however long probes take', async () => {
    const probes = fakeProbes(() => 70);
    const { instance, results } = scheduler({ runProbe: probes.run });
    instance.sync([api('/a', { url: 'a', intervalMs: 100 })]);
    await vi.advanceTimersByTimeAsync(500);
    // random() = 0.5 → first start at 50 ms; then 150, 250… (completion + interval would give 50, 220, 390).
    expect(probes.startsOf('a')).toEqual([50, 150, 250, 350, 450]);
    expect(results.map((result) => result.basepath)).toEqual(['/a', '/a', '/a', '/a']);
    expect(results[0]!.startedAt).toBe(Date.now() - 500 + 50);
  });

  it('spreads first starts uniformly over the interval', async () => {
    const probes = fakeProbes(() => 1);
    const { instance } = scheduler({ runProbe: probes.run, random: Math.random, concurrency: 10_000 });
    const count = 2000;
    instance.sync(Array.from({ length: count }, (_, i) => api(`/t${i}`, { url: `t${i}`, intervalMs: 1000 })));
    await vi.advanceTimersByTimeAsync(999);
    expect(probes.starts).toHaveLength(count);
    expect(new Set(probes.starts.map((start) => start.url)).size).toBe(count);
    const tenths = Array.from({ length: 10 }, () => 0);
    for (const start of probes.starts) tenths[Math.floor((start.at - t0) / 100)]!++;
    // Expected 200 per tenth; a uniform draw stays well within ±60 (about 4.5 standard deviations).
    for (const seen of tenths) {
      expect(seen).toBeGreaterThan(140);
      expect(seen).toBeLessThan(260);
    }
  });

  it('drives thousands of targets with one timer', async () => {
    const run: ProbeRunner = () => Promise.resolve({ ok: true, statusCode: 200, durationMs: 0 });
    const { instance } = scheduler({ runProbe: run, random: Math.random });
    instance.sync(Array.from({ length: 5000 }, (_, i) => api(`/t${i}`, { intervalMs: 1000 })));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(2500);
    expect(vi.getTimerCount()).toBe(1);
    expect(instance.stats()).toMatchObject({ targets: 5000, running: 0, queued: 0 });
    expect(instance.stats().started).toBeGreaterThanOrEqual(10_000);
  });

  it('never overlaps a target with itself: a start that finds the last run going is skipped and counted', async () => {
    const probes = fakeProbes(() => 250);
    const { instance, results } = scheduler({ runProbe: probes.run });
    instance.sync([api('/slow', { url: 'slow', intervalMs: 100 })]);
    await vi.advanceTimersByTimeAsync(1000);
    // Due at 50, 150, …, 950: runs at 50 (until 300), 350 (until 600), 650 (until 900), 950.
    expect(probes.startsOf('slow')).toEqual([50, 350, 650, 950]);
    expect(probes.maxRunning).toBe(1);
    expect(instance.stats().skipped).toBe(6);
    expect(results).toHaveLength(3);
  });

  it('skips the starts a stalled loop missed instead of bunching them', async () => {
    let offset = 0;
    const probes = fakeProbes(() => 1);
    const { instance } = scheduler({ runProbe: probes.run, now: () => performance.now() + offset });
    instance.sync([api('/a', { url: 'a', intervalMs: 100 })]);
    await vi.advanceTimersByTimeAsync(60); // started at 50
    offset = 330; // the clock jumps as a blocked loop would see it: now 390 by the scheduler's clock
    await vi.advanceTimersByTimeAsync(100); // fires for 150 at 480: runs late, 250, 350 and 450 missed
    expect(probes.starts).toHaveLength(2);
    expect(instance.stats().skipped).toBe(3);
    await vi.advanceTimersByTimeAsync(100); // the next start is 550 on the scheduler's clock
    expect(probes.starts).toHaveLength(3);
    expect(probes.starts[2]!.at + offset - t0).toBe(550);
  });
});

describe('createPulseScheduler: concurrency', () => {
  it('runs at most `concurrency` probes, the rest in FIFO order, and measures how late they start', async () => {
    const probes = fakeProbes(() => 100);
    const { instance } = scheduler({ runProbe: probes.run, concurrency: 3, random: () => 0 });
    instance.sync(Array.from({ length: 10 }, (_, i) => api(`/t${i}`, { url: `t${i}`, intervalMs: 10_000 })));
    await vi.advanceTimersByTimeAsync(0);
    expect(instance.stats()).toMatchObject({ targets: 10, running: 3, queued: 7 });
    await vi.advanceTimersByTimeAsync(400);
    expect(probes.maxRunning).toBe(3);
    expect(probes.starts.map((start) => start.url)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    expect(probes.starts.map((start) => start.at - t0)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 300]);
    const stats = instance.stats();
    expect(stats).toMatchObject({ running: 0, queued: 0, started: 10, completed: 10, skipped: 0 });
    // Lateness 0,0,0,100,100,100,200,200,200,300: p50 in the 100 ms bucket, p99 and max 300.
    expect(stats.latenessMs.p50).toBeGreaterThanOrEqual(100);
    expect(stats.latenessMs.p50).toBeLessThanOrEqual(101);
    expect(stats.latenessMs).toMatchObject({ p99: 300, max: 300 });
  });

  it('reports probes per second over the last minute', async () => {
    const probes = fakeProbes(() => 5);
    const { instance } = scheduler({ runProbe: probes.run, random: Math.random });
    instance.sync(Array.from({ length: 50 }, (_, i) => api(`/t${i}`, { intervalMs: 1000 })));
    await vi.advanceTimersByTimeAsync(90_000);
    expect(instance.stats().probesPerSecond).toBeGreaterThan(48);
    expect(instance.stats().probesPerSecond).toBeLessThan(52);
    expect(instance.stats().latenessMs).toEqual({ p50: 0, p99: 0, max: 0 });
  });
});

describe('createPulseScheduler: sync', () => {
  it('adds, keeps, changes and removes targets', async () => {
    const probes = fakeProbes(() => 10);
    const { instance, results } = scheduler({ runProbe: probes.run });
    instance.sync([api('/a', { url: 'a' }), api('/b', { url: 'b' })]);
    await vi.advanceTimersByTimeAsync(120);
    expect(probes.startsOf('a')).toEqual([50]);

    // The same list again: nothing moves (a fresh jitter would have been drawn otherwise).
    instance.sync([api('/a', { url: 'a' }), api('/b', { url: 'b' })]);
    await vi.advanceTimersByTimeAsync(100);
    expect(probes.startsOf('a')).toEqual([50, 150]);

    // /a changes interval and URL: rescheduled at a fresh jittered start (0.5 × 400 after now = 220).
    instance.sync([api('/a', { url: 'a2', intervalMs: 400 }), api('/b', { url: 'b' })]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes.startsOf('a')).toEqual([50, 150]);
    expect(probes.startsOf('a2')).toEqual([420, 820, 1220]);

    // /b removed, /c disabled, /d without a pulse: only /a remains.
    const before = probes.startsOf('b').length;
    instance.sync([
      api('/a', { url: 'a2', intervalMs: 400 }),
      api('/c', { url: 'c', enabled: false }),
      { basepath: '/d' },
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes.startsOf('b')).toHaveLength(before);
    expect(probes.startsOf('c')).toEqual([]);
    expect(instance.stats().targets).toBe(1);
    expect(results.every((result) => result.basepath === '/a' || result.basepath === '/b')).toBe(true);
  });

  it('aborts the run of a removed target and drops its result', async () => {
    const probes = fakeProbes(() => 500);
    const { instance, results } = scheduler({ runProbe: probes.run });
    instance.sync([api('/a', { url: 'a' })]);
    await vi.advanceTimersByTimeAsync(60);
    expect(instance.stats().running).toBe(1);
    instance.sync([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes.aborted).toEqual(['a']);
    expect(results).toEqual([]);
    expect(instance.stats()).toMatchObject({ targets: 0, running: 0 });
  });

  it('lets the run of a changed target finish and report, and does not overlap it with the new schedule', async () => {
    const probes = fakeProbes((url) => (url === 'old' ? 300 : 10));
    const { instance, results } = scheduler({ runProbe: probes.run, random: () => 0 });
    instance.sync([api('/a', { url: 'old', intervalMs: 1000 })]);
    await vi.advanceTimersByTimeAsync(10); // old runs 0–300
    instance.sync([api('/a', { url: 'new', intervalMs: 100 })]); // new due at 10, 110, 210 (skipped: old still runs), 310, 410
    await vi.advanceTimersByTimeAsync(400);
    expect(probes.startsOf('new')).toEqual([310, 410]);
    expect(probes.maxRunning).toBe(1);
    expect(results.map((result) => result.outcome.durationMs)).toEqual([300, 10]);
  });

  it('ignores (and warns about) a pulse with an interval or timeout that is not positive', () => {
    const warn = vi.fn();
    const probes = fakeProbes();
    const { instance } = scheduler({ runProbe: probes.run, logger: { info: vi.fn(), warn, error: vi.fn() } });
    instance.sync([api('/zero', { intervalMs: 0 }), api('/nan', { timeoutMs: Number.NaN }), api('/ok')]);
    expect(instance.stats().targets).toBe(1);
    expect(warn).toHaveBeenCalledTimes(2);
  });
});

describe('createPulseScheduler: failures and stop', () => {
  it('turns a probe that rejects into an error result, and survives an onResult that throws', async () => {
    const error = vi.fn();
    const outcomes: ProbeOutcome[] = [];
    let calls = 0;
    const instance = createPulseScheduler({
      runProbe: () => Promise.reject(new Error('boom')),
      onResult: (_basepath, outcome) => {
        outcomes.push(outcome);
        if (++calls === 1) throw new Error('store down');
      },
      logger: { info: vi.fn(), warn: vi.fn(), error },
      random: () => 0,
    });
    onTestFinished(() => instance.stop());
    instance.sync([api('/a')]);
    await vi.advanceTimersByTimeAsync(250);
    expect(outcomes).toHaveLength(3);
    expect(outcomes[0]).toMatchObject({ ok: false, error: 'boom' });
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('stop clears its timer, drops the queue, aborts what runs and reports nothing more', async () => {
    const probes = fakeProbes(() => 1000);
    const { instance, results } = scheduler({ runProbe: probes.run, concurrency: 2, random: () => 0 });
    instance.sync([api('/a', { url: 'a' }), api('/b', { url: 'b' }), api('/c', { url: 'c' })]);
    await vi.advanceTimersByTimeAsync(10);
    expect(instance.stats()).toMatchObject({ running: 2, queued: 1 });
    await instance.stop();
    expect(probes.aborted.sort()).toEqual(['a', 'b']);
    expect(instance.stats()).toMatchObject({ targets: 0, running: 0, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
    instance.sync([api('/a', { url: 'a' })]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probes.starts).toHaveLength(2);
    expect(results).toEqual([]);
    await instance.stop(); // twice is fine
  });
});

describe('createPulseScheduler with the real probe', () => {
  it('probes real servers on a short interval and stops promptly', async () => {
    vi.useRealTimers();
    let hits = 0;
    const server = createServer((_request, response) => {
      hits++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const results: Array<{ basepath: string; outcome: ProbeOutcome; startedAt: number }> = [];
    const instance = createPulseScheduler({
      onResult: (basepath, outcome, startedAt) => results.push({ basepath, outcome, startedAt }),
    });
    const began = Date.now();
    instance.sync([
      api('/one', {
        url: `${origin}/one`,
        intervalMs: 50,
        expect: { status: [[200, 200]], json: [{ path: 'status', equals: 'UP' }] },
      }),
      api('/two', { url: `${origin}/two`, intervalMs: 50 }),
      api('/tcp', { url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, intervalMs: 50 }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 420));
    const stopping = Date.now();
    await instance.stop();
    expect(Date.now() - stopping).toBeLessThan(500);
    for (const basepath of ['/one', '/two', '/tcp']) {
      const mine = results.filter((result) => result.basepath === basepath);
      // About 8 starts in 420 ms; fewer when a busy machine delays timers (missed starts are skipped).
      expect(mine.length).toBeGreaterThanOrEqual(4);
      expect(mine.length).toBeLessThanOrEqual(9);
      expect(mine.every((result) => result.outcome.ok && result.startedAt >= began)).toBe(true);
    }
    // A probe stopped in flight reached the server, but its result was dropped.
    const httpResults = results.filter((result) => result.basepath !== '/tcp').length;
    expect(hits).toBeGreaterThanOrEqual(httpResults);
    expect(hits).toBeLessThanOrEqual(httpResults + 2);
  });
});
