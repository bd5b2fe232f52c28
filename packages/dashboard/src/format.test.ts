import { describe, expect, it } from 'vitest';
import { count, duration, millis, percent, relativeTime } from './format.js';

describe('how figures read on screen', () => {
  const now = Date.parse('2026-11-21T10:00:00.000Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it('says how long ago, or how soon', () => {
    expect(relativeTime(null, now)).toBe('—');
    expect(relativeTime(ago(2000), now)).toBe('just now');
    expect(relativeTime(ago(12_000), now)).toBe('12 s ago');
    expect(relativeTime(ago(5 * 60_000), now)).toBe('5 min ago');
    expect(relativeTime(ago(90 * 60_000), now)).toBe('1.5 h ago');
    expect(relativeTime(ago(3 * 86_400_000), now)).toBe('3 d ago');
    expect(relativeTime(ago(-49_000), now)).toBe('in 49 s');
  });

  it('writes ratios, latencies, durations and counts', () => {
    expect(percent(null)).toBe('—');
    expect(percent(1)).toBe('100 %');
    expect(percent(0)).toBe('0 %');
    expect(percent(0.3333)).toBe('33.3 %');
    expect(percent(0.9996)).toBe('100 %');
    expect(millis(null)).toBe('—');
    expect(millis(12.34)).toBe('12.3 ms');
    expect(millis(250.4)).toBe('250 ms');
    expect(millis(12_500)).toBe('12.5 s');
    expect(duration(60_000)).toBe('1 min');
    expect(duration(8000)).toBe('8 s');
    expect(duration(36 * 3_600_000)).toBe('1.5 d');
    expect(count(10_000)).toBe('10,000');
  });
});
