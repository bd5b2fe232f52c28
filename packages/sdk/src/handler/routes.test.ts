import { describe, expect, it } from 'vitest';
import { joinRoute, matchRoute, resolveRoutes } from './routes.js';

describe('routes', () => {
  it.each([
    ['', 'heartbeat', '/heartbeat'],
    ['/', '/heartbeat', '/heartbeat'],
    ['api', 'heartbeat', '/api/heartbeat'],
    ['/api/', '/ping/', '/api/ping'],
    ['//a//b//', '//c', '/a/b/c'],
    ['', '', '/'],
  ])('joins base %j and route %j as %j', (base, route, joined) => {
    expect(joinRoute(base, route)).toBe(joined);
  });

  it('matches exact routes, a trailing slash, and check names below named-check routes', () => {
    const routes = resolveRoutes();
    expect(matchRoute(routes, '/readyz')).toEqual({ endpoint: 'readyz', name: undefined });
    expect(matchRoute(routes, '/readyz/')).toEqual({ endpoint: 'readyz', name: undefined });
    expect(matchRoute(routes, '/readyz/db')).toEqual({ endpoint: 'readyz', name: 'db' });
    expect(matchRoute(routes, '/_system/check/my%20db')).toEqual({ endpoint: 'systemCheck', name: 'my db' });
    expect(matchRoute(routes, '/_system/check/%E0%A4%A')).toEqual({
      endpoint: 'systemCheck',
      name: '%E0%A4%A',
    });
    expect(matchRoute(routes, '/heartbeat/extra')).toBeUndefined();
    expect(matchRoute(routes, '/readyzz')).toBeUndefined();
    expect(matchRoute(routes, '/')).toBeUndefined();
  });

  it('refuses two endpoints on one path', () => {
    expect(() => resolveRoutes({ routes: { status: 'heartbeat' } })).toThrow(/both answer on \/heartbeat/);
  });
});
