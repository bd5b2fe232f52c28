import { describe, expect, it } from 'vitest';
import { evaluateStatus } from './api-status.js';
import { binBounds, latencyBin, quantile, LATENCY_BINS } from './latency-histogram.js';
import { bucketWidthFor, SlidingWindow } from './sliding-window.js';

const T = 1_800_000_000_000; // a bucket boundary for 10 s buckets
const TRAFFIC = 0;
const PULSE = 1;

describe('the sliding window', () => {
  it('uses 10 s buckets for 5 minutes, finer ones for short windows', () => {
    expect(bucketWidthFor(300_000)).toBe(10_000);
    expect(bucketWidthFor(3_600_000)).toBe(10_000);
    expect(bucketWidthFor(60_000)).toBe(2000);
    expect(bucketWidthFor(10_000)).toBe(1000);
    expect(new SlidingWindow(300_000).size).toBe(30);
  });

  it('counts outcomes and failures in the window, and lets them go as time passes', () => {
    const window = new SlidingWindow(300_000);
    for (let i = 0; i < 10; i++) window.add(T + i * 1000, i < 3, 20, TRAFFIC);
    expect(window.counts(T + 10_000)).toEqual({ total: 10, failures: 3 });
    // Still inside: the first bucket is 29 buckets old.
    expect(window.counts(T + 299_999).total).toBe(10);
    // One bucket later, the first bucket (all ten outcomes) is gone.
    expect(window.counts(T + 300_000)).toEqual({ total: 0, failures: 0 });
  });

  it('slides bucket by bucket', () => {
    const window = new SlidingWindow(60_000); // 2 s buckets, 30 of them
    for (let second = 0; second < 120; second++) window.add(T + second * 1000, false, 1, TRAFFIC);
    // At T+119.999 s the window is buckets 30..59: seconds 60..119, 60 outcomes.
    expect(window.counts(T + 119_999).total).toBe(60);
    // At T+130 s it is buckets 36..65: seconds 72..131, of which 72..119 happened: 48.
    expect(window.counts(T + 130_000).total).toBe(48);
    expect(window.counts(T + 1_000_000).total).toBe(0);
  });

  it('accepts late outcomes inside the window and refuses those older than it', () => {
    const window = new SlidingWindow(300_000);
    window.add(T + 400_000, false, 5, TRAFFIC);
    expect(window.add(T + 200_000, true, 5, TRAFFIC)).toBe(true);
    expect(window.add(T + 100_000, true, 5, TRAFFIC)).toBe(false);
    expect(window.counts(T + 400_000)).toEqual({ total: 2, failures: 1 });
  });

  it('forgets everything after a silence longer than the window, even a very long one', () => {
    const window = new SlidingWindow(300_000);
    for (let i = 0; i < 30; i++) window.add(T + i * 10_000, true, 5, TRAFFIC);
    window.add(T + 10 * 3_600_000, false, 5, TRAFFIC);
    expect(window.counts(T + 10 * 3_600_000)).toEqual({ total: 1, failures: 0 });
  });

  it('reports sources and latency percentiles', () => {
    const window = new SlidingWindow(300_000);
    for (let i = 0; i < 90; i++) window.add(T, false, 10, TRAFFIC);
    for (let i = 0; i < 10; i++) window.add(T, false, 1000, PULSE);
    const snapshot = window.snapshot(T + 1);
    expect(snapshot.bySource).toEqual({ traffic: 90, pulse: 10, otlp: 0 });
    expect(snapshot.p50Ms).toBeGreaterThan(10 / 1.3);
    expect(snapshot.p50Ms).toBeLessThan(10 * 1.3);
    expect(snapshot.p95Ms).toBeGreaterThan(1000 / 1.3);
    expect(snapshot.p95Ms).toBeLessThan(1000 * 1.3);
  });

  it('hands out changed buckets once, and restores them', () => {
    const window = new SlidingWindow(300_000);
    window.add(T, true, 12, TRAFFIC);
    window.add(T + 10_000, false, 12, PULSE);
    const changed = window.takeChanged();
    expect(changed).toHaveLength(2);
    expect(window.takeChanged()).toEqual([]);
    const restored = new SlidingWindow(300_000);
    for (const bucket of changed) restored.restore(bucket);
    expect(restored.snapshot(T + 20_000)).toEqual(window.snapshot(T + 20_000));
  });
});

describe('API status', () => {
  const api = { minSamples: 5, threshold: 0.9 };
  it.each([
    [0, 0, 'UNKNOWN'],
    [4, 0, 'UNKNOWN'],
    [5, 0, 'UP'],
    [10, 1, 'UP'], // exactly 90 % is UP
    [30, 3, 'UP'],
    [10, 2, 'DOWN'],
    [1000, 101, 'DOWN'],
  ] as const)('%i outcomes, %i failures → %s', (total, failures, status) => {
    expect(evaluateStatus(total, failures, api)).toBe(status);
  });
});

describe('latency bins', () => {
  it('puts each latency in the bin whose bounds hold it', () => {
    for (const ms of [0.5, 1, 3, 10, 99, 250, 1000, 30_000]) {
      const [low, high] = binBounds(latencyBin(ms));
      expect(ms).toBeGreaterThanOrEqual(low);
      expect(ms).toBeLessThan(high);
    }
    expect(latencyBin(10_000_000)).toBe(LATENCY_BINS - 1);
    expect(latencyBin(-1)).toBe(0);
  });

  it('finds quantiles', () => {
    const counts = new Array<number>(LATENCY_BINS).fill(0);
    counts[latencyBin(5)] = 50;
    counts[latencyBin(500)] = 50;
    expect(quantile(counts, 100, 0.5)).toBeLessThan(7);
    expect(quantile(counts, 100, 0.51)).toBeGreaterThan(400);
    expect(quantile(counts, 0, 0.5)).toBeNull();
  });
});
