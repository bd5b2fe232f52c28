import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from './backoff.js';

describe('backoffDelay', () => {
  it.each([
    [1, 30_000, 1000],
    [2, 30_000, 2000],
    [4, 30_000, 8000],
    [6, 30_000, 30_000],
    [60, 30_000, 30_000],
    [3, 1000, 1000],
  ])('after %i failures with a %ims interval waits at most %ims', (failures, interval, ceiling) => {
    expect(backoffDelay(failures, interval, () => 1)).toBe(ceiling);
  });

  it('never waits under 1s, however the dice fall', () => {
    for (const failures of [0, 1, 2, 5, 10]) expect(backoffDelay(failures, 30_000, () => 0)).toBe(1000);
  });

  it('spreads retries over the whole range (full jitter)', () => {
    expect(backoffDelay(4, 30_000, () => 0.5)).toBe(4000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');
  it.each([
    ['5', 5000],
    [' 0 ', 0],
    ['Sat, 21 Nov 2026 10:00:30 GMT', 30_000],
    ['Sat, 21 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j is %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
