import { describe, expect, it } from 'vitest';
import type { JsonCondition, PulseExpectation } from '../domain/api.js';
import {
  checkExpectations,
  formatBytes,
  MISSING,
  resolveJsonPath,
  type ProbeAnswer,
} from './expectations.js';

const expectation = (overrides: Partial<PulseExpectation> = {}): PulseExpectation => ({
  status: [[200, 399]],
  json: [],
  ...overrides,
});
const answer = (overrides: Partial<ProbeAnswer> = {}): ProbeAnswer => ({
  statusCode: 200,
  durationMs: 10,
  ...overrides,
});
const BODY = JSON.stringify({
  status: 'UP',
  version: '2.4.1',
  uptime: 3600,
  ready: true,
  maintenance: false,
  owner: null,
  empty: '',
  checks: { db: { status: 'UP', latencyMs: 4 }, cache: { status: 'DOWN' } },
  items: [{ id: 'a' }, { id: 'b' }],
  none: [],
  'odd key': 1,
});
const json = (...conditions: JsonCondition[]) => expectation({ json: conditions });

describe('checkExpectations: status', () => {
  it.each<[string, PulseExpectation, ProbeAnswer, string | undefined]>([
    ['200 in the default range', expectation(), answer(), undefined],
    ['399 is the edge of the default range', expectation(), answer({ statusCode: 399 }), undefined],
    ['400 is outside it', expectation(), answer({ statusCode: 400 }), 'status 400 not in 200-399'],
    ['503', expectation(), answer({ statusCode: 503 }), 'status 503 not in 200-399'],
    ['199', expectation(), answer({ statusCode: 199 }), 'status 199 not in 200-399'],
    [
      'no ranges means the default',
      expectation({ status: [] }),
      answer({ statusCode: 500 }),
      'status 500 not in 200-399',
    ],
    [
      'several ranges, single codes shown alone',
      expectation({
        status: [
          [200, 299],
          [404, 404],
        ],
      }),
      answer({ statusCode: 302 }),
      'status 302 not in 200-299, 404',
    ],
    [
      'a single code that matches',
      expectation({ status: [[404, 404]] }),
      answer({ statusCode: 404 }),
      undefined,
    ],
    [
      'a 5xx when 5xx is expected',
      expectation({ status: [[500, 599]] }),
      answer({ statusCode: 503 }),
      undefined,
    ],
  ])('%s', (_name, expect_, answer_, reason) => {
    expect(checkExpectations(expect_, answer_)).toBe(reason);
  });
});

describe('checkExpectations: response time', () => {
  it.each<[string, number, number, string | undefined]>([
    ['under the limit', 1999, 2000, undefined],
    ['exactly the limit holds', 2000, 2000, undefined],
    ['over, in seconds', 2300, 2000, 'took 2.3s, more than 2s'],
    ['over, in milliseconds', 850, 500, 'took 850ms, more than 500ms'],
    ['across the second', 1200, 900, 'took 1.2s, more than 900ms'],
    ['too close to tell apart in seconds', 2040, 2000, 'took 2040ms, more than 2000ms'],
  ])('%s', (_name, durationMs, maxResponseTimeMs, reason) => {
    expect(checkExpectations(expectation({ maxResponseTimeMs }), answer({ durationMs }))).toBe(reason);
  });

  it('is judged after status and body', () => {
    const slow = { durationMs: 5000 };
    const limits = { maxResponseTimeMs: 1000, json: [{ path: 'status', equals: 'UP' }] };
    expect(checkExpectations(expectation(limits), answer({ ...slow, statusCode: 500 }))).toMatch(/^status/);
    expect(
      checkExpectations(expectation(limits), answer({ ...slow, bodyText: '{"status":"DOWN"}' })),
    ).toMatch(/^body.status/);
    expect(checkExpectations(expectation(limits), answer({ ...slow, bodyText: '{"status":"UP"}' }))).toBe(
      'took 5s, more than 1s',
    );
  });
});

describe('checkExpectations: JSON conditions', () => {
  it.each<[string, JsonCondition, string | undefined]>([
    // equals
    ['equals a string', { path: 'status', equals: 'UP' }, undefined],
    [
      'equals, wrong string',
      { path: 'checks.cache.status', equals: 'UP' },
      'body.checks.cache.status is "DOWN", expected "UP"',
    ],
    ['equals a number', { path: 'uptime', equals: 3600 }, undefined],
    [
      'equals is strict about types',
      { path: 'uptime', equals: '3600' },
      'body.uptime is 3600, expected "3600"',
    ],
    ['equals true', { path: 'ready', equals: true }, undefined],
    ['equals false, is true', { path: 'ready', equals: false }, 'body.ready is true, expected false'],
    ['equals null', { path: 'owner', equals: null }, undefined],
    ['equals null, is a string', { path: 'status', equals: null }, 'body.status is "UP", expected null'],
    ['equals, on an object', { path: 'checks', equals: 'UP' }, 'body.checks is an object, expected "UP"'],
    ['equals, on an array', { path: 'items', equals: 2 }, 'body.items is an array of 2, expected 2'],
    ['equals, missing', { path: 'state', equals: 'UP' }, 'body.state is missing, expected "UP"'],
    ['equals the empty string', { path: 'empty', equals: '' }, undefined],
    // notEquals
    ['notEquals holds', { path: 'status', notEquals: 'DOWN' }, undefined],
    [
      'notEquals fails',
      { path: 'checks.cache.status', notEquals: 'DOWN' },
      'body.checks.cache.status is "DOWN", expected anything but "DOWN"',
    ],
    [
      'notEquals null, is null',
      { path: 'owner', notEquals: null },
      'body.owner is null, expected anything but null',
    ],
    ['notEquals, missing holds', { path: 'state', notEquals: 'DOWN' }, undefined],
    [
      'equals null holds for a missing path (absent counts as null)',
      { path: 'error', equals: null },
      undefined,
    ],
    [
      'notEquals null fails for a missing path',
      { path: 'error', notEquals: null },
      'body.error is missing, expected anything but null',
    ],
    [
      'equals null with exists: true wants an explicit null',
      { path: 'error', exists: true, equals: null },
      'body.error is missing, expected it to exist',
    ],
    // exists
    ['exists', { path: 'checks.db', exists: true }, undefined],
    ['exists, null counts as there', { path: 'owner', exists: true }, undefined],
    [
      'exists, missing',
      { path: 'checks.queue', exists: true },
      'body.checks.queue is missing, expected it to exist',
    ],
    ['absent', { path: 'error', exists: false }, undefined],
    [
      'absent, but there',
      { path: 'checks.cache', exists: false },
      'body.checks.cache is an object, expected it to be absent',
    ],
    [
      'absent, but there (a value)',
      { path: 'status', exists: false },
      'body.status is "UP", expected it to be absent',
    ],
    // greaterThan / lessThan
    ['greaterThan holds', { path: 'uptime', greaterThan: 60 }, undefined],
    [
      'greaterThan is strict',
      { path: 'uptime', greaterThan: 3600 },
      'body.uptime is 3600, expected more than 3600',
    ],
    ['greaterThan on a length', { path: 'items.length', greaterThan: 0 }, undefined],
    [
      'greaterThan on an empty array',
      { path: 'none.length', greaterThan: 0 },
      'body.none.length is 0, expected more than 0',
    ],
    [
      'greaterThan on a string',
      { path: 'version', greaterThan: 1 },
      'body.version is "2.4.1", expected a number more than 1',
    ],
    [
      'greaterThan, missing',
      { path: 'count', greaterThan: 0 },
      'body.count is missing, expected a number more than 0',
    ],
    ['lessThan holds', { path: 'checks.db.latencyMs', lessThan: 100 }, undefined],
    ['lessThan fails', { path: 'uptime', lessThan: 60 }, 'body.uptime is 3600, expected less than 60'],
    ['lessThan on null', { path: 'owner', lessThan: 1 }, 'body.owner is null, expected a number less than 1'],
    [
      'lessThan, missing',
      { path: 'latency', lessThan: 1 },
      'body.latency is missing, expected a number less than 1',
    ],
    ['a range: both hold', { path: 'uptime', greaterThan: 0, lessThan: 10_000 }, undefined],
    [
      'a range: upper fails',
      { path: 'uptime', greaterThan: 0, lessThan: 100 },
      'body.uptime is 3600, expected less than 100',
    ],
    // matches
    ['matches', { path: 'version', matches: '^2\\.' }, undefined],
    [
      'matches fails',
      { path: 'version', matches: '^3\\.' },
      'body.version is "2.4.1", expected to match /^3\\./',
    ],
    ['matches a number as text', { path: 'uptime', matches: '^36' }, undefined],
    ['matches a boolean as text', { path: 'ready', matches: '^true$' }, undefined],
    ['matches an object as JSON', { path: 'checks.db', matches: '"status":"UP"' }, undefined],
    [
      'matches, missing',
      { path: 'build', matches: '.' },
      'body.build is missing, expected a value matching /./',
    ],
    [
      'matches, invalid pattern',
      { path: 'version', matches: '(' },
      'body.version: /(/ is not a valid regular expression',
    ],
    // paths
    ['an array index', { path: 'items.1.id', equals: 'b' }, undefined],
    [
      'an index past the end',
      { path: 'items.2.id', exists: true },
      'body.items.2.id is missing, expected it to exist',
    ],
    [
      'a non-numeric segment on an array',
      { path: 'items.first', exists: true },
      'body.items.first is missing, expected it to exist',
    ],
    [
      'a leading zero is not an index',
      { path: 'items.01', exists: true },
      'body.items.01 is missing, expected it to exist',
    ],
    ['a string length', { path: 'status.length', equals: 2 }, undefined],
    ['into a string', { path: 'status.0', exists: true }, 'body.status.0 is missing, expected it to exist'],
    [
      'through null',
      { path: 'owner.name', exists: true },
      'body.owner.name is missing, expected it to exist',
    ],
    [
      'through a number',
      { path: 'uptime.value', exists: true },
      'body.uptime.value is missing, expected it to exist',
    ],
    [
      'length of an object is not a key count',
      { path: 'checks.length', exists: true },
      'body.checks.length is missing, expected it to exist',
    ],
    [
      'inherited keys do not count',
      { path: 'checks.toString', exists: true },
      'body.checks.toString is missing, expected it to exist',
    ],
    ['a key with a space', { path: 'odd key', equals: 1 }, undefined],
    ['the whole body', { path: '', exists: true }, undefined],
    ['the whole body, equals', { path: '', equals: 'UP' }, 'body is an object, expected "UP"'],
    // no operator: nothing to check
    ['a condition with no operator holds', { path: 'nothing' }, undefined],
  ])('%s', (_name, condition, reason) => {
    expect(checkExpectations(json(condition), answer({ bodyText: BODY }))).toBe(reason);
  });

  it('reports the first failing condition, in order', () => {
    const conditions = [
      { path: 'status', equals: 'UP' },
      { path: 'checks.cache.status', equals: 'UP' },
      { path: 'items.length', greaterThan: 5 },
    ];
    expect(checkExpectations(json(...conditions), answer({ bodyText: BODY }))).toBe(
      'body.checks.cache.status is "DOWN", expected "UP"',
    );
  });

  it.each<[string, ProbeAnswer, string | undefined]>([
    ['not JSON', answer({ bodyText: '<html>' }), 'body is not JSON'],
    [
      'not JSON, with its content type',
      answer({ bodyText: '<html>', contentType: 'text/html' }),
      'body is not JSON (content-type text/html)',
    ],
    [
      'not JSON because it was cut',
      answer({
        bodyText: '{"status":"UP","pad":"xxxx',
        bodyCutAtBytes: 65_536,
        contentType: 'application/json',
      }),
      'body is not JSON (body cut at 64 KiB; content-type application/json)',
    ],
    ['no body', answer(), 'body is empty, expected JSON'],
    ['an empty body', answer({ bodyText: '  \n' }), 'body is empty, expected JSON'],
    ['a JSON string at the top', answer({ bodyText: '"UP"' }), 'body.status is missing, expected "UP"'],
    [
      'a failure on a cut body says so',
      answer({ bodyText: '{"status":"DOWN"}', bodyCutAtBytes: 1024 }),
      'body.status is "DOWN", expected "UP" (body cut at 1 KiB)',
    ],
    [
      'a cut body that meets them passes',
      answer({ bodyText: '{"status":"UP"}', bodyCutAtBytes: 1024 }),
      undefined,
    ],
  ])('%s', (_name, answer_, reason) => {
    expect(checkExpectations(json({ path: 'status', equals: 'UP' }), answer_)).toBe(reason);
  });

  it('does not read the body when there are no conditions', () => {
    expect(checkExpectations(expectation(), answer({ bodyText: '<html>' }))).toBeUndefined();
  });
});

describe('resolveJsonPath', () => {
  it.each<[string, unknown, string, unknown]>([
    ['a key', { a: 1 }, 'a', 1],
    ['nested', { a: { b: { c: 'x' } } }, 'a.b.c', 'x'],
    ['index then key', { a: [{ c: 1 }, { c: 2 }] }, 'a.1.c', 2],
    ['array length', { items: [1, 2, 3] }, 'items.length', 3],
    ['a key named length wins', { o: { length: 'own' } }, 'o.length', 'own'],
    ['null value', { a: null }, 'a', null],
    ['missing', { a: 1 }, 'b', MISSING],
    ['root', [1], '', [1]],
    ['top-level array', [{ id: 7 }], '0.id', 7],
  ])('%s', (_name, body, path, value) => {
    expect(resolveJsonPath(body, path)).toEqual(value);
  });
});

describe('formatBytes', () => {
  it.each([
    [512, '512 B'],
    [65_536, '64 KiB'],
    [1536, '1.5 KiB'],
    [52_428_800, '50 MiB'],
  ])('%i → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});
