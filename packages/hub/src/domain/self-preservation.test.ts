import { describe, expect, it } from 'vitest';
import { isMassSilence } from './self-preservation.js';

const policy = { enabled: true, ratio: 0.5, minInstances: 10 };

describe('mass silence', () => {
  it.each([
    [{ alive: 100, overdue: 50 }, true],
    [{ alive: 100, overdue: 49 }, false],
    [{ alive: 12, overdue: 10 }, true],
    [{ alive: 12, overdue: 9 }, false], // 75 % but under the minimum count
    [{ alive: 8, overdue: 8 }, false], // small fleets never suspect the hub
    [{ alive: 0, overdue: 0 }, false],
  ])('%j → %s', (census, expected) => {
    expect(isMassSilence(census, policy)).toBe(expected);
  });

  it('never triggers when disabled', () => {
    expect(isMassSilence({ alive: 100, overdue: 100 }, { ...policy, enabled: false })).toBe(false);
  });
});
