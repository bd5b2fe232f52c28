import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['750', 750],
    [' 10s ', 10_000],
  ])('parses %j as %i ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(['', 'soon', '-1s', '5 minutes', '1w'])('rejects %j and says how to write one', (input) => {
    expect(() => parseDuration(input, 'timeout')).toThrow(
      /timeout ".*" is not a duration; write it like 500ms, 30s/,
    );
  });

  it.each([-1, Number.NaN, Infinity])('rejects the number %d', (input) => {
    expect(() => parseDuration(input)).toThrow(/non-negative/);
  });

  it.each([
    [750, '750ms'],
    [1500, '1.5s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
