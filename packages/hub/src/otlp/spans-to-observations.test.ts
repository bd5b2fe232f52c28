import { describe, expect, it } from 'vitest';
import type { FieldProblem } from '../domain/validation.js';
import type { OtlpAnyValue, OtlpSpan, OtlpSpanEntry, OtlpTraceRequest } from './otlp-trace-request.js';
import { spansToObservations, type ResolveBasepath } from './spans-to-observations.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const NOW_NS = BigInt(NOW) * 1_000_000n;
const MS = 1_000_000n;

const str = (value: string): OtlpAnyValue => ({ type: 'string', value });
const int = (value: number): OtlpAnyValue => ({ type: 'int', value: BigInt(value) });

/** A SERVER span that ended 50 ms ago after 200 ms. */
function span(attributes: Record<string, OtlpAnyValue>, overrides: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: '',
    spanId: '',
    name: 'request',
    kind: 2,
    startTimeUnixNano: NOW_NS - 250n * MS,
    endTimeUnixNano: NOW_NS - 50n * MS,
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value })),
    status: { code: 0, message: '' },
    ...overrides,
  };
}

function requestOf(...items: Array<OtlpSpan | FieldProblem>): OtlpTraceRequest {
  const spans = items.map((item, index): OtlpSpanEntry => {
    const field = `resourceSpans[0].scopeSpans[0].spans[${index}]`;
    return 'kind' in item ? { field, span: item } : { field, problem: item };
  });
  return { spans, problems: [] };
}

/** The hub's rule: the longest registered basepath that is the path or a whole-segment prefix of it. */
function longestPrefix(basepaths: string[]): ResolveBasepath {
  const sorted = [...basepaths].sort((a, b) => b.length - a.length);
  return (path) => sorted.find((base) => path === base || path.startsWith(`${base}/`));
}

const resolve = longestPrefix(['/eni', '/eni/echo/v1', '/shop']);
const map = (...items: Array<OtlpSpan | FieldProblem>) =>
  spansToObservations(requestOf(...items), resolve, NOW);

describe('spansToObservations', () => {
  it('turns a SERVER span into an observation', () => {
    const result = map(
      span({ 'http.route': str('/eni/echo/v1/users/:id'), 'http.response.status_code': int(200) }),
    );
    expect(result).toEqual({
      observations: [
        { basepath: '/eni/echo/v1', statusCode: 200, durationMs: 200, timestamp: NOW - 50, source: 'otlp' },
      ],
      rejected: 0,
      ignored: 0,
      problems: [],
    });
  });

  it('gives each path to the longest registered basepath, and ignores paths under none', () => {
    const basepathOf = (route: string) =>
      map(span({ 'http.route': str(route), 'http.response.status_code': int(200) })).observations[0]
        ?.basepath;
    expect(basepathOf('/eni/echo/v1')).toBe('/eni/echo/v1');
    expect(basepathOf('/eni/echo/v1/items')).toBe('/eni/echo/v1');
    expect(basepathOf('/eni/echo/v2/items')).toBe('/eni');
    expect(basepathOf('/shop/cart')).toBe('/shop');
    expect(basepathOf('/shopping')).toBeUndefined();
    expect(
      map(span({ 'http.route': str('/elsewhere'), 'http.response.status_code': int(200) })).ignored,
    ).toBe(1);
  });

  it('takes the path from http.route, url.path, url.full, http.url, http.target, in that order', () => {
    const tried = (attributes: Record<string, OtlpAnyValue>, registered: string[] = []) => {
      const paths: string[] = [];
      spansToObservations(
        requestOf(span({ ...attributes, 'http.status_code': int(200) })),
        (path) => {
          paths.push(path);
          return registered.find((base) => path.startsWith(base));
        },
        NOW,
      );
      return paths;
    };
    const all = {
      'http.route': str('/users/:id'),
      'url.path': str('/shop/users/7'),
      'url.full': str('https://api.example.com/full/users/7?x=1'),
      'http.url': str('http://api.example.com:8080/old/users/7#top'),
      'http.target': str('/target/users/7?expand=true'),
    };
    expect(tried(all)).toEqual([
      '/users/:id',
      '/shop/users/7',
      '/full/users/7',
      '/old/users/7',
      '/target/users/7',
    ]);
    // The first that falls under an API wins: a route template without its mount prefix falls back to the path.
    expect(tried(all, ['/shop'])).toEqual(['/users/:id', '/shop/users/7']);
    expect(tried(all, ['/users'])).toEqual(['/users/:id']);
    // A route without a leading slash (ASP.NET) gets one; a query on url.path is cut; unparsable URLs are skipped.
    expect(tried({ 'http.route': str('api/items/{id}') })).toEqual(['/api/items/{id}']);
    expect(tried({ 'url.path': str('/a?b=c') })).toEqual(['/a']);
    expect(tried({ 'url.full': str('not a url'), 'http.url': str('/relative/path?q') })).toEqual([
      '/relative/path',
    ]);
    // Non-strings, empty strings and paths not starting with / are not paths.
    expect(tried({ 'http.route': int(5), 'url.path': str(''), 'http.target': str('*') })).toEqual([]);
  });

  it('ignores spans without a path, and spans that are not SERVER spans', () => {
    const attributes = { 'http.route': str('/shop'), 'http.response.status_code': int(200) };
    const result = map(
      span({ 'http.response.status_code': int(200) }),
      span(attributes, { kind: 0 }),
      span(attributes, { kind: 1 }),
      span(attributes, { kind: 3 }),
      span(attributes, { kind: 4 }),
      span(attributes, { kind: 5 }),
      span(attributes, { kind: 42 }),
      span(attributes),
    );
    expect(result.observations).toHaveLength(1);
    expect(result.ignored).toBe(7);
    expect(result.rejected).toBe(0);
  });

  it('reads the status from http.response.status_code, else http.status_code, in any reasonable type', () => {
    const statusOf = (attributes: Record<string, OtlpAnyValue>) =>
      map(span({ 'http.route': str('/shop'), ...attributes })).observations[0]?.statusCode;
    expect(statusOf({ 'http.response.status_code': int(503) })).toBe(503);
    expect(statusOf({ 'http.status_code': int(404) })).toBe(404);
    expect(statusOf({ 'http.response.status_code': int(201), 'http.status_code': int(500) })).toBe(201);
    expect(statusOf({ 'http.response.status_code': str('502') })).toBe(502);
    expect(statusOf({ 'http.response.status_code': { type: 'double', value: 204 } })).toBe(204);
    expect(statusOf({ 'http.response.status_code': { type: 'empty' }, 'http.status_code': int(302) })).toBe(
      302,
    );
  });

  it('rejects a span whose status is not an HTTP status, naming the attribute', () => {
    const cases: Array<[OtlpAnyValue, string]> = [
      [int(42), 'int 42'],
      [int(600), 'int 600'],
      [{ type: 'double', value: 200.5 }, 'double 200.5'],
      [str('OK'), '"OK"'],
      [{ type: 'bool', value: true }, 'bool true'],
      [{ type: 'array', value: [int(200)] }, 'a array value'],
    ];
    for (const [value, described] of cases) {
      const result = map(span({ 'http.route': str('/shop'), 'http.response.status_code': value }));
      expect(result.rejected).toBe(1);
      expect(result.problems).toEqual([
        {
          field: 'resourceSpans[0].scopeSpans[0].spans[0].attributes[http.response.status_code]',
          message: `must be an HTTP status from 100 to 599 (got ${described})`,
        },
      ]);
    }
  });

  it('makes an ERROR span without an HTTP status a failed observation, and ignores other spans without one', () => {
    const route = { 'http.route': str('/shop') };
    const errorOf = (message: string) =>
      map(span(route, { status: { code: 2, message } })).observations[0]?.error;
    expect(errorOf('')).toBe('span error');
    expect(errorOf('connection refused')).toBe('connection refused');
    expect(errorOf('Error: timeout\n    at query (db.js:1:1)')).toBe('Error: timeout');
    expect(errorOf('bad\u0000\tthing')).toBe('bad  thing');
    expect(errorOf('x'.repeat(500))).toBe(`${'x'.repeat(119)}…`);
    expect(errorOf(`${'x'.repeat(118)}😀😀`)).toBe(`${'x'.repeat(118)}\ufffd…`);
    // With an HTTP status the status decides; without either, nothing is known about the outcome.
    const withStatus = map(
      span({ ...route, 'http.response.status_code': int(500) }, { status: { code: 2, message: 'x' } }),
    );
    expect(withStatus.observations).toEqual([expect.objectContaining({ statusCode: 500 })]);
    expect(withStatus.observations[0]).not.toHaveProperty('error');
    const unknown = map(span(route), span(route, { status: { code: 1, message: '' } }));
    expect(unknown).toMatchObject({ observations: [], ignored: 2, rejected: 0 });
  });

  it('rejects spans with broken times and keeps the others', () => {
    const route = { 'http.route': str('/shop'), 'http.response.status_code': int(200) };
    const cases: Array<[Partial<OtlpSpan>, string, RegExp]> = [
      [{ startTimeUnixNano: 0n }, 'startTimeUnixNano', /is missing/],
      [{ endTimeUnixNano: 0n }, 'endTimeUnixNano', /never ended/],
      [
        { endTimeUnixNano: NOW_NS - 300n * MS },
        'endTimeUnixNano',
        /is before startTimeUnixNano \(by 50 ms\)/,
      ],
      [
        { startTimeUnixNano: NOW_NS - 25n * 3_600_000n * MS, endTimeUnixNano: NOW_NS },
        'endTimeUnixNano',
        /25 h; at most 24 h/,
      ],
      // Milliseconds sent where nanoseconds belong.
      [
        { startTimeUnixNano: BigInt(NOW) - 10n, endTimeUnixNano: BigInt(NOW) },
        'endTimeUnixNano',
        /1970-01-01.*before 2000/,
      ],
      [
        { startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS + 120_000n * MS },
        'endTimeUnixNano',
        /120 s in the future/,
      ],
      [{ startTimeUnixNano: 1n, endTimeUnixNano: 2n ** 64n - 1n }, 'endTimeUnixNano', /at most 24 h/],
    ];
    for (const [times, field, message] of cases) {
      const result = map(span(route), span(route, times), span(route));
      expect(result.observations).toHaveLength(2);
      expect(result.rejected).toBe(1);
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]!.field).toBe(`resourceSpans[0].scopeSpans[0].spans[1].${field}`);
      expect(result.problems[0]!.message).toMatch(message);
    }
  });

  it('takes an end up to a minute ahead as now, and keeps sub-millisecond durations', () => {
    const route = { 'http.route': str('/shop'), 'http.response.status_code': int(200) };
    const [ahead] = map(
      span(route, { startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS + 30_000n * MS }),
    ).observations;
    expect(ahead).toMatchObject({ timestamp: NOW, durationMs: 30_000 });
    const [quick] = map(
      span(route, { startTimeUnixNano: NOW_NS - 1_234_567n, endTimeUnixNano: NOW_NS }),
    ).observations;
    expect(quick).toMatchObject({ timestamp: NOW, durationMs: 1.235 });
    const [instant] = map(span(route, { startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS })).observations;
    expect(instant).toMatchObject({ durationMs: 0 });
  });

  it('counts spans that could not be decoded as rejected, with the problems of the request', () => {
    const request = requestOf(
      { field: 'resourceSpans[0].scopeSpans[0].spans[0].kind', message: 'must be one of …' },
      span({ 'http.route': str('/shop'), 'http.response.status_code': int(200) }),
    );
    request.problems.push({ field: 'resourceSpans[1]', message: 'must be a ResourceSpans object, not null' });
    const result = spansToObservations(request, resolve, NOW);
    expect(result.observations).toHaveLength(1);
    expect(result.rejected).toBe(1);
    expect(result.problems).toEqual([
      { field: 'resourceSpans[1]', message: 'must be a ResourceSpans object, not null' },
      { field: 'resourceSpans[0].scopeSpans[0].spans[0].kind', message: 'must be one of …' },
    ]);
  });

  it('counts every rejected span but lists at most 50 problems', () => {
    const bad = Array.from({ length: 120 }, () =>
      span({ 'http.route': str('/shop') }, { endTimeUnixNano: 0n, status: { code: 2, message: '' } }),
    );
    const result = map(...bad);
    expect(result.rejected).toBe(120);
    expect(result.problems).toHaveLength(50);
  });
});
