import { describe, expect, it } from 'vitest';
import {
  interpretHealthResponse,
  type HealthInterpretation,
  type InterpretHealthResponseOptions,
  type RawHealthResponse,
} from './interpret-health-response.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const HEALTH_JSON = 'application/health+json';
const TEXT = 'text/plain; charset=utf-8';
const SPRING = 'application/vnd.spring-boot.actuator.v3+json';
const NOW = Date.parse('2026-11-21T10:11:12.345Z');

interface Case {
  name: string;
  response: RawHealthResponse;
  options?: InterpretHealthResponseOptions;
  expected: HealthInterpretation;
}

const json = (statusCode: number, value: unknown, contentType = JSON_TYPE): RawHealthResponse => ({
  statusCode,
  contentType,
  body: JSON.stringify(value),
});
const text = (
  statusCode: number,
  body: string,
  contentType: string | undefined = TEXT,
): RawHealthResponse => ({
  statusCode,
  contentType,
  body,
});

function runCases(cases: Case[]): void {
  it.each(cases)('$name', ({ response, options, expected }) => {
    expect(interpretHealthResponse(response, { now: NOW, ...options })).toEqual(expected);
  });
}

describe('heartbeat (seed 000)', () => {
  runCases([
    {
      name: 'a JSON string of the current time is ok and says the time',
      response: json(200, '2026-11-21T10:11:12.345Z'),
      expected: { status: 'ok', format: 'heartbeat', message: 'server time 2026-11-21T10:11:12.345Z' },
    },
    {
      name: 'just under 5 minutes off is still ok',
      response: json(200, '2026-11-21T10:16:12.344Z'),
      expected: { status: 'ok', format: 'heartbeat', message: 'server time 2026-11-21T10:16:12.344Z' },
    },
    {
      name: 'more than 5 minutes ahead is a clock-skew warning',
      response: json(200, '2026-11-21T10:17:12.345Z'),
      expected: {
        status: 'warning',
        format: 'heartbeat',
        message: 'clock skew: server time 2026-11-21T10:17:12.345Z is 6m ahead of local time',
      },
    },
    {
      name: 'more than 5 minutes behind is a clock-skew warning',
      response: json(200, '2026-11-21T08:11:12.345Z'),
      expected: {
        status: 'warning',
        format: 'heartbeat',
        message: 'clock skew: server time 2026-11-21T08:11:12.345Z is 2h behind local time',
      },
    },
    {
      name: 'the tolerated skew can be changed',
      response: json(200, '2026-11-21T10:11:14.345Z'),
      options: { maxClockSkewMs: 1000 },
      expected: {
        status: 'warning',
        format: 'heartbeat',
        message: 'clock skew: server time 2026-11-21T10:11:14.345Z is 2s ahead of local time',
      },
    },
    {
      name: 'now may be a Date',
      response: json(200, '2026-11-21T10:11:12.345Z'),
      options: { now: new Date(NOW + 3_600_000) },
      expected: {
        status: 'warning',
        format: 'heartbeat',
        message: 'clock skew: server time 2026-11-21T10:11:12.345Z is 1h behind local time',
      },
    },
    {
      name: 'Python-style microseconds without a zone count as UTC',
      response: json(200, '2026-11-21T10:11:12.345678'),
      expected: { status: 'ok', format: 'heartbeat', message: 'server time 2026-11-21T10:11:12.345678' },
    },
    {
      name: 'an explicit offset is honoured',
      response: json(200, '2026-11-21T12:11:12.345+02:00'),
      expected: { status: 'ok', format: 'heartbeat', message: 'server time 2026-11-21T12:11:12.345+02:00' },
    },
    {
      name: 'an offset the wrong way round is skew',
      response: json(200, '2026-11-21T12:11:12.345-02:00'),
      expected: {
        status: 'warning',
        format: 'heartbeat',
        message: 'clock skew: server time 2026-11-21T12:11:12.345-02:00 is 4h ahead of local time',
      },
    },
    {
      name: 'an unquoted time in text/plain is read too',
      response: text(200, '2026-11-21T10:11:12.345Z\n'),
      expected: { status: 'ok', format: 'heartbeat', message: 'server time 2026-11-21T10:11:12.345Z' },
    },
    {
      name: 'a quoted time without a content type is read too',
      response: text(200, '"2026-11-21T10:11:12.345Z"', undefined),
      expected: { status: 'ok', format: 'heartbeat', message: 'server time 2026-11-21T10:11:12.345Z' },
    },
    {
      name: 'a heartbeat with a failing HTTP status is an error',
      response: json(503, '2026-11-21T10:11:12.345Z'),
      expected: {
        status: 'error',
        format: 'heartbeat',
        message: 'HTTP 503, server time 2026-11-21T10:11:12.345Z',
      },
    },
    {
      name: 'an impossible date is not a heartbeat',
      response: json(200, '2026-02-30T10:11:12.345Z'),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: "2026-02-30T10:11:12.345Z"',
      },
    },
    {
      name: 'an out-of-range hour is not a heartbeat',
      response: json(200, '2026-11-21T24:11:12Z'),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: "2026-11-21T24:11:12Z"',
      },
    },
    {
      name: 'a JSON string that is not a time is unknown',
      response: json(200, 'alive'),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, unrecognised body: "alive"' },
    },
  ]);

  it('compares with the current time when no now is given', () => {
    const result = interpretHealthResponse(json(200, new Date().toISOString()));
    expect(result).toMatchObject({ status: 'ok', format: 'heartbeat' });
  });
});

describe('system check (seed 003)', () => {
  runCases([
    {
      name: '200 OK with the default message',
      response: json(200, { code: 'OK', message: 'API running', ok: true }),
      expected: { status: 'ok', format: 'system-check', message: 'API running' },
    },
    {
      name: '200 OK without a message',
      response: json(200, { code: 'OK', ok: true }),
      expected: { status: 'ok', format: 'system-check', message: 'OK' },
    },
    {
      name: 'a WARNING comes with HTTP 500 and is still a warning',
      response: json(500, { code: 'WARNING', error: true }),
      expected: { status: 'warning', format: 'system-check', message: 'WARNING' },
    },
    {
      name: 'a WARNING with its reason',
      response: json(500, { code: 'WARNING', error: true, message: 'replica lag 12s' }),
      expected: { status: 'warning', format: 'system-check', message: 'replica lag 12s' },
    },
    {
      name: 'an ERROR with HTTP 500',
      response: json(500, { code: 'ERROR', error: true }),
      expected: { status: 'error', format: 'system-check', message: 'ERROR' },
    },
    {
      name: 'an ERROR with its reason',
      response: json(500, { code: 'ERROR', error: true, message: 'connect ECONNREFUSED' }),
      expected: { status: 'error', format: 'system-check', message: 'connect ECONNREFUSED' },
    },
    {
      name: 'a lowercase code is not the seed format',
      response: json(200, { code: 'ok' }),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, unrecognised body: {"code":"ok"}' },
    },
    {
      name: "the SDK's 404 for an unknown check is an unknown error",
      response: json(404, { error: { code: 'CHECK_NOT_FOUND', message: 'no check named "x"' } }),
      expected: {
        status: 'error',
        format: 'unknown',
        message:
          'HTTP 404, unrecognised body: {"error":{"code":"CHECK_NOT_FOUND","message":"no check named \\"x\\""}}',
      },
    },
  ]);
});

describe('ops heartbeat (seed 004)', () => {
  const base = {
    URL: 'http://orders.internal/ops/heartbeat',
    Machine: 'orders-7f9c',
    UtcDateTime: '2026-11-21T10:11:12.345Z',
    RequestDuration: 4,
  };
  const dependency = (Status: string, URL: string) => ({
    Status,
    URL,
    UtcDateTime: '2026-11-21T10:11:12.300Z',
    RequestDuration: 2,
  });
  runCases([
    {
      name: 'OK with healthy dependencies',
      response: json(200, {
        Status: 'OK',
        ...base,
        Dependencies: [dependency('OK', 'postgres://db:5432/orders'), dependency('OK', 'redis://cache:6379')],
      }),
      expected: {
        status: 'ok',
        format: 'ops-heartbeat',
        message: 'Status OK on orders-7f9c',
        checks: [
          { name: 'postgres://db:5432/orders', status: 'ok', message: 'OK' },
          { name: 'redis://cache:6379', status: 'ok', message: 'OK' },
        ],
      },
    },
    {
      name: 'WARNING with HTTP 200 names the warning dependency',
      response: json(200, {
        Status: 'WARNING',
        ...base,
        Dependencies: [
          dependency('OK', 'postgres://db:5432/orders'),
          dependency('WARNING', 'redis://cache:6379'),
        ],
      }),
      expected: {
        status: 'warning',
        format: 'ops-heartbeat',
        message: 'Status WARNING on orders-7f9c; failing dependencies: redis://cache:6379 (WARNING)',
        checks: [
          { name: 'postgres://db:5432/orders', status: 'ok', message: 'OK' },
          { name: 'redis://cache:6379', status: 'warning', message: 'WARNING' },
        ],
      },
    },
    {
      name: 'ERROR with HTTP 503: a CRITICAL dependency is an error, the Message comes first',
      response: json(503, {
        Status: 'ERROR',
        Message: 'db: error — connect ECONNREFUSED',
        ...base,
        Dependencies: [dependency('CRITICAL', 'postgres://db:5432/orders')],
      }),
      expected: {
        status: 'error',
        format: 'ops-heartbeat',
        message:
          'db: error — connect ECONNREFUSED; failing dependencies: postgres://db:5432/orders (CRITICAL)',
        checks: [{ name: 'postgres://db:5432/orders', status: 'error', message: 'CRITICAL' }],
      },
    },
    {
      name: 'without Dependencies there are no checks',
      response: json(200, { Status: 'OK', ...base }),
      expected: { status: 'ok', format: 'ops-heartbeat', message: 'Status OK on orders-7f9c' },
    },
    {
      name: 'an empty Dependencies list gives an empty checks list',
      response: json(200, { Status: 'OK', URL: base.URL, Dependencies: [] }),
      expected: { status: 'ok', format: 'ops-heartbeat', message: 'Status OK', checks: [] },
    },
    {
      name: 'a dependency status outside the enum is an error that says so; junk entries are skipped',
      response: json(200, {
        Status: 'WARNING',
        ...base,
        Dependencies: [
          { Status: 'BROKEN', URL: 'http://a' },
          { URL: 'http://b' },
          'junk',
          { Status: 'ERROR' },
        ],
      }),
      expected: {
        status: 'warning',
        format: 'ops-heartbeat',
        message:
          'Status WARNING on orders-7f9c; failing dependencies: http://a (status "BROKEN" not recognised), ' +
          'http://b (no status), dependency 4 (ERROR)',
        checks: [
          { name: 'http://a', status: 'error', message: 'status "BROKEN" not recognised' },
          { name: 'http://b', status: 'error', message: 'no status' },
          { name: 'dependency 4', status: 'error', message: 'ERROR' },
        ],
      },
    },
    {
      name: 'a top Status outside the enum is not this format',
      response: json(200, { Status: 'Healthy' }),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: {"Status":"Healthy"}',
      },
    },
  ]);
});

describe('health+json (draft-inadarei-api-health-check)', () => {
  const statuses: Array<[string, 'ok' | 'warning' | 'error', number]> = [
    ['pass', 'ok', 200],
    ['ok', 'ok', 200],
    ['up', 'ok', 200],
    ['warn', 'warning', 200],
    ['fail', 'error', 503],
    ['error', 'error', 503],
    ['down', 'error', 503],
  ];
  runCases(
    statuses.map(([draft, status, statusCode]) => ({
      name: `status "${draft}" is ${status}`,
      response: json(statusCode, { status: draft }, HEALTH_JSON),
      expected: { status, format: 'health-json', message: `status ${draft}` },
    })),
  );
  runCases([
    {
      name: "the SDK's own answer: checks keyed component:measurement, message from output",
      response: json(
        503,
        {
          status: 'fail',
          serviceId: 'orders-7f9c',
          output: 'db: error — connect ECONNREFUSED',
          checks: {
            'db:responseTime': [
              {
                componentId: 'db',
                componentType: 'datastore',
                observedValue: 3,
                observedUnit: 'ms',
                status: 'fail',
                time: '2026-11-21T10:11:12.300Z',
                output: 'connect ECONNREFUSED',
              },
            ],
            'cache:responseTime': [
              {
                componentId: 'cache',
                componentType: 'datastore',
                observedValue: 1,
                observedUnit: 'ms',
                status: 'pass',
                time: '2026-11-21T10:11:12.300Z',
              },
            ],
          },
        },
        HEALTH_JSON,
      ),
      expected: {
        status: 'error',
        format: 'health-json',
        message: 'db: error — connect ECONNREFUSED',
        checks: [
          { name: 'db:responseTime', status: 'error', message: 'connect ECONNREFUSED' },
          { name: 'cache:responseTime', status: 'ok', message: '1 ms' },
        ],
      },
    },
    {
      name: 'without output the message names the failing checks',
      response: json(
        200,
        {
          status: 'warn',
          checks: {
            'cpu:utilization': [
              { componentId: 'cpu-0', status: 'pass', observedValue: 12, observedUnit: 'percent' },
              { componentId: 'cpu-1', status: 'warn', output: 'at 91 percent' },
            ],
            'uptime:seconds': [{ observedValue: 1209600 }],
          },
        },
        HEALTH_JSON,
      ),
      expected: {
        status: 'warning',
        format: 'health-json',
        message: 'failing: cpu:utilization (cpu-1) (at 91 percent), uptime:seconds (1209600)',
        checks: [
          { name: 'cpu:utilization (cpu-0)', status: 'ok', message: '12 percent' },
          { name: 'cpu:utilization (cpu-1)', status: 'warning', message: 'at 91 percent' },
          // no status of its own: it shares the overall one
          { name: 'uptime:seconds', status: 'warning', message: '1209600' },
        ],
      },
    },
    {
      name: 'entries that are not objects are skipped; a bare object counts as a one-entry array',
      response: json(
        200,
        { status: 'pass', checks: { 'a:b': ['junk', null], 'c:d': { status: 'pass' } } },
        HEALTH_JSON,
      ),
      expected: {
        status: 'ok',
        format: 'health-json',
        message: 'status pass',
        checks: [{ name: 'c:d', status: 'ok' }],
      },
    },
    {
      name: 'plain application/json with a draft status is read as the draft',
      response: json(200, { status: 'pass', version: '1', releaseId: '1.2.3' }),
      expected: { status: 'ok', format: 'health-json', message: 'status pass' },
    },
    {
      name: 'the draft status is case-insensitive under its own content type',
      response: json(200, { status: 'PASS' }, HEALTH_JSON),
      expected: { status: 'ok', format: 'health-json', message: 'status pass' },
    },
    {
      name: 'a status outside the draft under its content type falls back to the HTTP status',
      response: json(503, { status: 'degraded' }, HEALTH_JSON),
      expected: {
        status: 'error',
        format: 'health-json',
        message: 'status "degraded" not recognised, HTTP 503',
      },
    },
    {
      name: 'a status outside the draft under plain JSON is unknown',
      response: json(200, { status: 'degraded' }),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: {"status":"degraded"}',
      },
    },
  ]);
});

describe('Kubernetes probe text (/livez /readyz /startupz)', () => {
  runCases([
    {
      name: '200 ok',
      response: text(200, 'ok'),
      expected: { status: 'ok', format: 'kubernetes-probe', message: 'ok' },
    },
    {
      name: 'ok without a content type',
      response: text(200, 'ok\n', undefined),
      expected: { status: 'ok', format: 'kubernetes-probe', message: 'ok' },
    },
    {
      name: 'the HTTP status decides: ok with 503 is an error',
      response: text(503, 'ok'),
      expected: { status: 'error', format: 'kubernetes-probe', message: 'HTTP 503: ok' },
    },
    {
      name: 'verbose and passing',
      response: text(200, '[+]ping ok\n[+]log ok\n[+]etcd excluded: ok\nreadyz check passed\n'),
      expected: {
        status: 'ok',
        format: 'kubernetes-probe',
        message: 'readyz check passed',
        checks: [
          { name: 'ping', status: 'ok' },
          { name: 'log', status: 'ok' },
          { name: 'etcd', status: 'ok', message: 'excluded' },
        ],
      },
    },
    {
      name: 'the API server failing, with slashes in names and warn lines',
      response: text(
        500,
        [
          '[+]ping ok',
          '[-]etcd failed: reason withheld',
          '[+]poststarthook/start-kube-apiserver-admission-initializer ok',
          '[-]poststarthook/rbac/bootstrap-roles failed: not finished',
          'warn: some health checks cannot be excluded: no matches for "nope"',
          'livez check failed',
        ].join('\n'),
      ),
      expected: {
        status: 'error',
        format: 'kubernetes-probe',
        message:
          'HTTP 500: livez check failed; failing: etcd (reason withheld), poststarthook/rbac/bootstrap-roles (not finished)',
        checks: [
          { name: 'ping', status: 'ok' },
          { name: 'etcd', status: 'error', message: 'reason withheld' },
          { name: 'poststarthook/start-kube-apiserver-admission-initializer', status: 'ok' },
          { name: 'poststarthook/rbac/bootstrap-roles', status: 'error', message: 'not finished' },
        ],
      },
    },
    {
      name: "the SDK's warning line on a passing probe is a warning",
      response: text(200, '[+]db ok\n[+]cache ok (warning: 480ms, slow)\nreadyz check passed\n'),
      expected: {
        status: 'warning',
        format: 'kubernetes-probe',
        message: 'readyz check passed; failing: cache (480ms, slow)',
        checks: [
          { name: 'db', status: 'ok' },
          { name: 'cache', status: 'warning', message: '480ms, slow' },
        ],
      },
    },
    {
      name: "the SDK's non-critical failure on a passing probe is a warning",
      response: text(200, '[+]search failed, not critical: timed out after 1s\nreadyz check passed'),
      expected: {
        status: 'warning',
        format: 'kubernetes-probe',
        message: 'readyz check passed; failing: search (timed out after 1s)',
        checks: [{ name: 'search', status: 'error', message: 'timed out after 1s' }],
      },
    },
    {
      name: 'one check, failing, without a summary line',
      response: text(503, '[-]db failed: connect ECONNREFUSED 127.0.0.1:5432\n'),
      expected: {
        status: 'error',
        format: 'kubernetes-probe',
        message: 'HTTP 503: check failed; failing: db (connect ECONNREFUSED 127.0.0.1:5432)',
        checks: [{ name: 'db', status: 'error', message: 'connect ECONNREFUSED 127.0.0.1:5432' }],
      },
    },
    {
      name: 'a failed line without a reason',
      response: text(503, '[-]shutdown failed:\nreadyz check failed'),
      expected: {
        status: 'error',
        format: 'kubernetes-probe',
        message: 'HTTP 503: readyz check failed; failing: shutdown',
        checks: [{ name: 'shutdown', status: 'error' }],
      },
    },
    {
      name: 'CRLF line ends',
      response: text(200, '[+]ping ok\r\nlivez check passed\r\n'),
      expected: {
        status: 'ok',
        format: 'kubernetes-probe',
        message: 'livez check passed',
        checks: [{ name: 'ping', status: 'ok' }],
      },
    },
    {
      name: 'one line that is not in the convention makes the whole body unknown',
      response: text(200, '[+]ping ok\nall good\n'),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: [+]ping ok all good',
      },
    },
    {
      name: 'OK in capitals is not the convention',
      response: text(200, 'OK'),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, unrecognised body: OK' },
    },
    {
      name: 'an HTML page saying ok is not a probe answer',
      response: text(200, 'ok', 'text/html'),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, unrecognised body: ok' },
    },
  ]);
});

describe('status document (/status)', () => {
  runCases([
    {
      name: "the SDK's document: ok, with its components as checks",
      response: json(200, {
        id: 'orders-7f9c',
        name: 'orders',
        description: 'Orders API',
        start_time: '2026-11-21T09:11:12.345Z',
        current_time: '2026-11-21T10:11:12.345Z',
        uptime: 3_600_000,
        properties: { version: '1.2.3' },
        components: [
          {
            name: 'db',
            status: 'ok',
            critical: true,
            checked_at: '2026-11-21T10:11:12.300Z',
            duration_ms: 3,
          },
          { name: 'cache', status: 'error', critical: false, message: 'connect ECONNREFUSED' },
        ],
      }),
      expected: {
        status: 'ok',
        format: 'status',
        message: 'orders (orders-7f9c) up 1h; failing: cache (connect ECONNREFUSED)',
        checks: [
          { name: 'db', status: 'ok' },
          { name: 'cache', status: 'error', message: 'connect ECONNREFUSED' },
        ],
      },
    },
    {
      name: "pip-services' own document, components as descriptors",
      response: json(200, {
        id: 'host-1',
        name: 'orders',
        start_time: '2026-11-21T10:00:00Z',
        current_time: '2026-11-21T10:11:12Z',
        uptime: 672_000,
        properties: {},
        components: ['pip-services:status-service:http:default:1.0'],
      }),
      expected: { status: 'ok', format: 'status', message: 'orders (host-1) up 11m12s' },
    },
    {
      name: 'an uptime that is not a number falls back to the start time; id alone names it',
      response: json(200, {
        id: 'host-1',
        start_time: '2026-11-21T10:00:00Z',
        current_time: 'x',
        uptime: 'long',
      }),
      expected: { status: 'ok', format: 'status', message: 'host-1 started 2026-11-21T10:00:00Z' },
    },
    {
      name: 'a failing HTTP status is an error',
      response: json(503, { name: 'orders', start_time: 'a', current_time: 'b', uptime: 5 }),
      expected: { status: 'error', format: 'status', message: 'HTTP 503: orders up 5ms' },
    },
    {
      name: 'without uptime it is not a status document',
      response: json(200, { name: 'orders', start_time: 'a', current_time: 'b' }),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: {"name":"orders","start_time":"a","current_time":"b"}',
      },
    },
  ]);
});

describe('Spring Boot Actuator', () => {
  const statuses: Array<[string, 'ok' | 'warning' | 'error', number]> = [
    ['UP', 'ok', 200],
    ['DOWN', 'error', 503],
    ['OUT_OF_SERVICE', 'error', 503],
    ['UNKNOWN', 'warning', 200],
  ];
  runCases(
    statuses.flatMap(([spring, status, statusCode]) => [
      {
        name: `${spring} is ${status}`,
        response: json(statusCode, { status: spring }),
        expected: { status, format: 'spring' as const, message: `status ${spring}` },
      },
      {
        name: `${spring} under the actuator content type is ${status}`,
        response: json(statusCode, { status: spring }, SPRING),
        expected: { status, format: 'spring' as const, message: `status ${spring}` },
      },
    ]),
  );
  runCases([
    {
      name: 'components become checks, nested ones named with a slash',
      response: json(
        503,
        {
          status: 'DOWN',
          components: {
            db: { status: 'DOWN', details: { error: 'java.net.ConnectException: Connection refused' } },
            diskSpace: { status: 'UP', details: { total: 1, free: 1, threshold: 1 } },
            broker: {
              status: 'UP',
              components: { primary: { status: 'UP' }, secondary: { status: 'OUT_OF_SERVICE' } },
            },
            ping: { status: 'UP' },
            notAComponent: 42,
          },
        },
        SPRING,
      ),
      expected: {
        status: 'error',
        format: 'spring',
        message:
          'status DOWN; failing: db (DOWN: java.net.ConnectException: Connection refused), ' +
          'broker/secondary (OUT_OF_SERVICE)',
        checks: [
          { name: 'db', status: 'error', message: 'DOWN: java.net.ConnectException: Connection refused' },
          { name: 'diskSpace', status: 'ok' },
          { name: 'broker/primary', status: 'ok' },
          { name: 'broker/secondary', status: 'error', message: 'OUT_OF_SERVICE' },
          { name: 'ping', status: 'ok' },
        ],
      },
    },
    {
      name: 'Boot 2.0 style details',
      response: json(200, { status: 'UP', details: { diskSpace: { status: 'UP' } } }),
      expected: {
        status: 'ok',
        format: 'spring',
        message: 'status UP',
        checks: [{ name: 'diskSpace', status: 'ok' }],
      },
    },
    {
      name: 'a custom status under the actuator content type with 503 is an error',
      response: json(503, { status: 'FATAL' }, SPRING),
      expected: { status: 'error', format: 'spring', message: 'status FATAL' },
    },
    {
      name: 'a custom status with 200 is a warning, not ok',
      response: json(200, { status: 'FATAL' }, SPRING),
      expected: { status: 'warning', format: 'spring', message: 'status FATAL' },
    },
  ]);
});

describe('anything else', () => {
  runCases([
    {
      name: 'an HTML page with 200 is ok by the HTTP status',
      response: text(200, '<html>\n  <body>It works!</body>\n</html>', 'text/html'),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: <html> <body>It works!</body> </html>',
      },
    },
    {
      name: 'an HTML page with 503 is an error',
      response: text(503, '<h1>Service Unavailable</h1>', 'text/html'),
      expected: {
        status: 'error',
        format: 'unknown',
        message: 'HTTP 503, unrecognised body: <h1>Service Unavailable</h1>',
      },
    },
    {
      name: '399 is ok (the Kubernetes rule)',
      response: text(399, 'x', 'text/html'),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 399, unrecognised body: x' },
    },
    {
      name: '302 is ok',
      response: text(302, '', 'text/html'),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 302, empty body' },
    },
    {
      name: '400 is an error',
      response: text(400, 'bad', 'text/html'),
      expected: { status: 'error', format: 'unknown', message: 'HTTP 400, unrecognised body: bad' },
    },
    {
      name: '199 is an error',
      response: text(199, '', undefined),
      expected: { status: 'error', format: 'unknown', message: 'HTTP 199, empty body' },
    },
    {
      name: '204 with no body is ok',
      response: text(204, '', undefined),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 204, empty body' },
    },
    {
      name: 'malformed JSON under a JSON content type is unknown, not a crash',
      response: text(200, '{"status": "pass",', JSON_TYPE),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: {"status": "pass",',
      },
    },
    {
      name: 'malformed health+json is unknown',
      response: text(503, '{"status":', HEALTH_JSON),
      expected: { status: 'error', format: 'unknown', message: 'HTTP 503, unrecognised body: {"status":' },
    },
    {
      name: 'an empty body under a JSON content type is unknown',
      response: text(200, '   ', JSON_TYPE),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, empty body' },
    },
    {
      name: 'a text body that only looks like JSON is unknown',
      response: text(503, '{not json', TEXT),
      expected: { status: 'error', format: 'unknown', message: 'HTTP 503, unrecognised body: {not json' },
    },
    {
      name: 'a JSON array is unknown',
      response: json(200, [{ code: 'OK' }]),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, unrecognised body: [{"code":"OK"}]' },
    },
    {
      name: 'JSON null is unknown',
      response: text(500, 'null', JSON_TYPE),
      expected: { status: 'error', format: 'unknown', message: 'HTTP 500, unrecognised body: null' },
    },
    {
      name: 'a JSON number is unknown',
      response: text(200, '42', JSON_TYPE),
      expected: { status: 'ok', format: 'unknown', message: 'HTTP 200, unrecognised body: 42' },
    },
    {
      name: 'a __proto__ key does not smuggle a format in',
      response: text(200, '{"__proto__":{"code":"OK"}}', JSON_TYPE),
      expected: {
        status: 'ok',
        format: 'unknown',
        message: 'HTTP 200, unrecognised body: {"__proto__":{"code":"OK"}}',
      },
    },
    {
      name: 'a status named like an Object.prototype member is not a status',
      response: json(200, { status: 'constructor' }, HEALTH_JSON),
      expected: {
        status: 'ok',
        format: 'health-json',
        message: 'status "constructor" not recognised, HTTP 200',
      },
    },
    {
      name: 'control characters are not passed through to a terminal',
      response: text(500, 'boom\u001b[31m red\u0007', 'text/html'),
      expected: {
        status: 'error',
        format: 'unknown',
        message: 'HTTP 500, unrecognised body: boom\uFFFD[31m red\uFFFD',
      },
    },
  ]);

  it('quotes only the first 200 characters', () => {
    const body = `<p>${'x'.repeat(500)}</p>`;
    const { message } = interpretHealthResponse(text(500, body, 'text/html'));
    expect(message).toBe(`HTTP 500, unrecognised body: ${body.slice(0, 200)}…`);
  });
});

describe('content types', () => {
  it.each([
    ['application/json', '{"code":"OK"}', 'system-check'],
    ['Application/JSON; Charset=UTF-8', '{"code":"OK"}', 'system-check'],
    ['text/json', '{"code":"OK"}', 'system-check'],
    ['application/problem+json', '{"code":"OK"}', 'system-check'],
    ['text/plain', '{"code":"OK"}', 'system-check'],
    [undefined, '{"code":"OK"}', 'system-check'],
    ['text/html', '{"code":"OK"}', 'unknown'],
    ['application/json', '\uFEFF{"code":"OK"}', 'system-check'],
    ['application/json', '\n  {"code":"OK"}\n', 'system-check'],
  ])('%s with %j is %s', (contentType, body, format) => {
    expect(interpretHealthResponse({ statusCode: 200, contentType, body }).format).toBe(format);
  });
});
