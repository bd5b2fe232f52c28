import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../testing/test-hub.js';
import { hubRoutes } from './hub-app.js';
import { createRouter, type Method, type Route } from './router.js';

const route = (method: Method, path: string): Route => ({
  method,
  path,
  scope: 'public',
  handle: () => ({ status: 204 }),
});

describe('router', () => {
  const routes = [
    route('GET', '/v1/instances'),
    route('POST', '/v1/instances/heartbeats'),
    route('GET', '/v1/instances/:instanceId'),
    route('DELETE', '/v1/instances/:instanceId'),
    route('GET', '/v1/apis/*basepath'),
  ];
  const match = createRouter(routes);

  it('finds a route without parameters, and gives each match its own params', () => {
    const first = match('POST', '/v1/instances/heartbeats');
    expect(first?.route).toBe(routes[1]);
    first!.params.added = 'x';
    expect(match('POST', '/v1/instances/heartbeats')?.params).toEqual({});
  });

  it('decodes parameters and the rest of a path', () => {
    expect(match('GET', '/v1/instances/a%20b')?.params).toEqual({ instanceId: 'a b' });
    expect(match('GET', '/v1/apis/orders/v2')?.params).toEqual({ basepath: '/orders/v2' });
  });

  it('answers HEAD with the GET route, literal or not', () => {
    expect(match('HEAD', '/v1/instances')?.route).toBe(routes[0]);
    expect(match('HEAD', '/v1/instances/i1')?.route).toBe(routes[2]);
  });

  it('says which methods a known path allows', () => {
    // `/v1/instances/heartbeats` is also a path `/v1/instances/:instanceId` takes, for GET and DELETE.
    expect(() => match('PUT', '/v1/instances/heartbeats')).toThrow(
      expect.objectContaining({
        code: 'METHOD_NOT_ALLOWED',
        details: { method: 'PUT', allowed: ['POST', 'GET', 'DELETE', 'HEAD'] },
      }),
    );
    expect(() => match('PUT', '/v1/instances/i1')).toThrow(
      expect.objectContaining({ details: { method: 'PUT', allowed: ['GET', 'DELETE', 'HEAD'] } }),
    );
    expect(match('GET', '/v2/nothing')).toBeUndefined();
  });

  describe("the hub's own routes", () => {
    let hub: TestHub;
    beforeAll(async () => {
      hub = await startTestHub();
    });
    afterAll(() => hub.stop());

    it('has no path without parameters that a route with parameters would also take', () => {
      // Paths without parameters are looked up first; with no overlap, the routes' order cannot matter.
      const all = hubRoutes(hub.hub.context);
      const pattern = (path: string) =>
        new RegExp(`^${path.replace(/:\w+/g, '[^/]+').replace(/\/\*\w+$/, '/.+')}$`);
      const overlaps = all.flatMap((literal) =>
        /[:*]/.test(literal.path)
          ? []
          : all
              .filter((other) => other.method === literal.method && /[:*]/.test(other.path))
              .filter((other) => pattern(other.path).test(literal.path))
              .map((other) => `${literal.method} ${literal.path} ~ ${other.path}`),
      );
      expect(overlaps).toEqual([]);
      const match = createRouter(all);
      for (const literal of all.filter((r) => !/[:*]/.test(r.path)))
        expect(match(literal.method, literal.path)?.route).toBe(literal);
    });
  });
});
