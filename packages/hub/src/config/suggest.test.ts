import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['port', 'port', 0],
    ['port', '', 4],
    ['prot', 'port', 1], // a transposition is one edit
    ['host', 'port', 2],
    ['kitten', 'sitting', 3],
  ])('%j → %j is %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe('suggest', () => {
  const keys = ['port', 'host', 'routePrefix'];

  it('finds a typo', () => {
    expect(suggest('prot', keys)).toBe('port');
    expect(suggest('hots', keys)).toBe('host');
    expect(suggest('routePrefx', keys)).toBe('routePrefix');
  });

  it('ignores case, underscores and dashes', () => {
    expect(suggest('route_prefix', keys)).toBe('routePrefix');
    expect(suggest('ROUTE-PREFIX', keys)).toBe('routePrefix');
    expect(suggest('valid_time', ['validTime', 'retention'])).toBe('validTime');
  });

  it('finds a name cut short or run on', () => {
    expect(suggest('warning', ['error', 'warn', 'info'])).toBe('warn');
    expect(suggest('maxBody', ['maxBodyBytes', 'maxBatch'])).toBe('maxBodyBytes');
  });

  it('suggests nothing far away', () => {
    expect(suggest('database', keys)).toBeUndefined();
    expect(suggest('x', keys)).toBeUndefined();
    expect(suggest('port', [])).toBeUndefined();
  });
});
