import { describe, expect, it } from 'vitest';
import { RollingHistogram, RollingRate } from './rolling-stats.js';

describe('RollingHistogram', () => {
  it('gives percentiles as bucket upper edges, never above the maximum', () => {
    const histogram = new RollingHistogram();
    for (let i = 1; i <= 100; i++) histogram.record(i, 1000); // 1…100 ms
    expect(histogram.snapshot(1000)).toEqual({ count: 100, p50: 50.1, p99: 99.1, max: 100 });
  });

  it.each([
    [0.05, 0.1],
    [42.37, 42.4],
    [250.2, 251],
    [2345, 2350],
    [45_678, 45_700],
  ])('%f ms reads as %f ms', (value, shown) => {
    const histogram = new RollingHistogram();
    histogram.record(value, 0);
    histogram.record(value, 0);
    histogram.record(1e9, 0); // keeps max above, so the bucket edge shows
    expect(histogram.snapshot(0).p50).toBe(shown);
  });

  it('reports values past 100 s (the overflow bucket) as the maximum', () => {
    const histogram = new RollingHistogram();
    histogram.record(250_000, 0);
    histogram.record(400_000, 0);
    expect(histogram.snapshot(0)).toEqual({ count: 2, p50: 400_000, p99: 400_000, max: 400_000 });
  });

  it('forgets what is older than a minute (50–60 s, in 10 s slots)', () => {
    const histogram = new RollingHistogram();
    histogram.record(500, 0);
    histogram.record(5, 30_000);
    expect(histogram.snapshot(59_999)).toMatchObject({ count: 2, max: 500 });
    expect(histogram.snapshot(60_000)).toMatchObject({ count: 1, max: 5 });
    expect(histogram.snapshot(100_000)).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
    histogram.record(7, 100_000); // reusing a slot resets it
    expect(histogram.snapshot(100_000)).toMatchObject({ count: 1, max: 7 });
  });
});

describe('RollingRate', () => {
  it('divides by the time counted so far, then by the window', () => {
    const rate = new RollingRate(0);
    for (let at = 0; at < 5000; at += 100) rate.record(at); // 10 per second for 5 s
    expect(rate.perSecond(5000)).toBe(10);
    for (let at = 5000; at < 120_000; at += 50) rate.record(at); // then 20 per second
    expect(rate.perSecond(120_000)).toBe(20);
    expect(rate.perSecond(400_000)).toBe(0);
  });
});
