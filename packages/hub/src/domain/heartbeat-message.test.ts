import { describe, expect, it } from 'vitest';
import { isAcceptedAsIs, validateHeartbeats } from './heartbeat-message.js';

const minimal = { instanceId: 'orders-1', service: 'orders' };
const full = {
  instanceId: 'orders-7f3a',
  service: 'orders',
  appName: 'orders-app',
  appType: 'node',
  artifact: 'orders-api',
  hostName: 'pod-7f3a',
  version: '1.4.2',
  ip: ['10.0.0.7', 'fe80::1'],
  processId: 4242,
  heartbeatTime: 1_763_700_000_000,
  lastHeartbeatTime: 1_763_699_970_000,
  interval: 30_000,
  plugins: [{ name: 'flowcontrol', version: '2.1.0', extInfo: { rules: '12' } }],
  extInfo: { zone: 'eu-1' },
  status: 'warning',
  checks: [
    { name: 'db', status: 'ok' },
    { name: 'cache', status: 'warning', message: 'slow' },
  ],
  basepaths: ['/eni/echo/v1/', '/orders/v2'],
};

function problemsOf(body: unknown): Array<{ field: string; message: string }> {
  try {
    validateHeartbeats(body, 1000);
  } catch (thrown) {
    return (thrown as { details: { problems: Array<{ field: string; message: string }> } }).details.problems;
  }
  throw new Error('expected a validation error');
}

describe('heartbeat validation (SPEC.md §4)', () => {
  it('accepts one message with only the required fields', () => {
    expect(validateHeartbeats(minimal, 1000)).toEqual({ messages: [minimal], warnings: [] });
  });

  it('accepts every field, normalizing basepaths', () => {
    const { messages, warnings } = validateHeartbeats(full, 1000);
    expect(warnings).toEqual([]);
    expect(messages[0]).toEqual({ ...full, basepaths: ['/eni/echo/v1', '/orders/v2'] });
  });

  it('accepts an array and names unknown fields as warnings, at any depth', () => {
    const { messages, warnings } = validateHeartbeats(
      [
        { ...minimal, futureField: 1 },
        {
          ...minimal,
          instanceId: 'orders-2',
          plugins: [{ name: 'p', color: 'red' }],
          checks: [{ name: 'c', status: 'ok', since: 1 }],
        },
      ],
      1000,
    );
    expect(messages).toHaveLength(2);
    expect(warnings).toEqual([
      '[0].futureField: unknown field, ignored',
      '[1].plugins[0].color: unknown field, ignored',
      '[1].checks[0].since: unknown field, ignored',
    ]);
  });

  it.each([
    [{ service: 'orders' }, 'instanceId', 'is required'],
    [{ instanceId: 'a' }, 'service', 'is required'],
    [{ ...minimal, instanceId: 42 }, 'instanceId', 'must be a string, not number 42'],
    [{ ...minimal, instanceId: 'has space' }, 'instanceId', 'must start with a letter or digit'],
    [{ ...minimal, instanceId: 'a/b' }, 'instanceId', 'must start with a letter or digit'],
    [{ ...minimal, service: '' }, 'service', 'must not be empty'],
    [{ ...minimal, service: 'x'.repeat(129) }, 'service', 'at most 128'],
    [{ ...minimal, service: 'bad\nname' }, 'service', 'control characters'],
    [{ ...minimal, ip: '10.0.0.1' }, 'ip', 'must be an array'],
    [{ ...minimal, ip: [1] }, 'ip[0]', 'must be a string'],
    [{ ...minimal, processId: -1 }, 'processId', 'between 0'],
    [{ ...minimal, processId: 1.5 }, 'processId', 'must be an integer'],
    [{ ...minimal, heartbeatTime: '2026-11-21' }, 'heartbeatTime', 'must be an integer'],
    [{ ...minimal, interval: 10 }, 'interval', 'between 1000'],
    [{ ...minimal, status: 'OK' }, 'status', 'must be one of ok, warning, error'],
    [{ ...minimal, extInfo: { a: 1 } }, 'extInfo.a', 'must be a string, not number 1'],
    [{ ...minimal, extInfo: ['a'] }, 'extInfo', 'must be an object of strings'],
    [{ ...minimal, plugins: [{ version: '1' }] }, 'plugins[0].name', 'is required'],
    [{ ...minimal, checks: [{ name: 'db' }] }, 'checks[0].status', 'is required'],
    [{ ...minimal, checks: [{ name: 'db', status: 'bad' }] }, 'checks[0].status', 'must be one of'],
    [{ ...minimal, basepaths: ['no-slash'] }, 'basepaths[0]', 'must start with /'],
    [{ ...minimal, basepaths: ['/has space'] }, 'basepaths[0]', 'must start with /'],
    ['a string', '(body)', 'must be a heartbeat object'],
    [null, '(body)', 'must be a heartbeat object'],
  ])('refuses %j naming %s', (body, field, message) => {
    const problems = problemsOf(body);
    expect(problems[0]?.field).toBe(field);
    expect(problems[0]?.message).toContain(message);
  });

  it('reports every problem of every message at once, with its index', () => {
    const problems = problemsOf([minimal, { service: 1 }, { ...minimal, status: 'fine' }]);
    expect(problems.map((p) => p.field)).toEqual(['[1].instanceId', '[1].service', '[2].status']);
  });

  it('refuses an empty batch and a batch over the limit, saying what to do', () => {
    expect(() => validateHeartbeats([], 10)).toThrow(/the batch is empty/);
    expect(() =>
      validateHeartbeats(
        Array.from({ length: 11 }, () => minimal),
        10,
      ),
    ).toThrow(/at most 10 are accepted per request — split it/);
  });

  it('cuts an overlong check message instead of refusing the beat', () => {
    const { messages, warnings } = validateHeartbeats(
      { ...minimal, checks: [{ name: 'db', status: 'error', message: 'x'.repeat(5000) }] },
      10,
    );
    expect(messages[0]!.checks![0]!.message).toHaveLength(1024);
    expect(warnings).toEqual(['checks[0].message: cut to 1024 characters']);
  });
});

describe('messages taken as they are (the fast path of every beat)', () => {
  const cleanFull = { ...full, basepaths: ['/eni/echo/v1', '/orders/v2'] };
  const long = (n: number) => 'x'.repeat(n);
  /** Values each field is tried with: valid, at the limits, past them, of the wrong type, null. */
  const tries: Record<string, unknown[]> = {
    instanceId: ['a', long(128), long(129), 'a b', '-a', 42, null, ''],
    service: ['s', long(128), long(129), '', 'a\tb', 'lone \ud800', null, 1],
    appName: ['', long(256), long(257), 'a\u007f', null, 1],
    hostName: ['h', 'bad\nhost', null],
    version: ['1.0.0', 'lone \udc00', []],
    ip: [[], ['10.0.0.1'], Array.from({ length: 32 }, () => 'ip'), Array.from({ length: 33 }, () => 'ip')],
    processId: [0, 2 ** 32, 2 ** 32 + 1, -1, 1.5, '1', null],
    heartbeatTime: [0, 8_640_000_000_000_000, 8_640_000_000_000_001, -1, 1.5, null],
    lastHeartbeatTime: [1, '1', null],
    interval: [1000, 999, 86_400_000, 86_400_001, null],
    status: ['ok', 'warning', 'error', 'OK', null, 1],
    extInfo: [
      {},
      { a: 'b' },
      { a: 1 },
      { a: null },
      { a: 'b\u0000' },
      { [long(129)]: 'x' },
      { a: long(1025) },
    ],
    plugins: [
      [],
      [{ name: 'p' }],
      [{ name: 'p', version: null }],
      [{ name: '' }],
      [{ version: '1' }],
      [{ name: 'p', extInfo: { k: 'v' } }],
      [{ name: 'p', color: 'red' }],
      [null],
      [{ name: long(129) }],
      [{ name: 'p', version: long(65) }],
    ],
    checks: [
      [],
      [{ name: 'db', status: 'ok' }],
      [{ name: 'db', status: 'ok', message: long(1024) }],
      [{ name: 'db', status: 'ok', message: long(1025) }],
      [{ name: 'db', status: 'ok', message: null }],
      [{ name: 'db' }],
      [{ name: 'db', status: 'ok', since: 1 }],
      [{ name: '', status: 'ok' }],
      ['db'],
    ],
    basepaths: [
      [],
      ['/'],
      ['/a', '/b'],
      ['/a/'],
      ['//a'],
      ['/a', '/a'],
      ['no-slash'],
      [long(257)],
      Array.from({ length: 16 }, (_, i) => `/api/${i}`),
      Array.from({ length: 17 }, (_, i) => `/api/${i}`),
    ],
    futureField: [1],
    ['__proto__']: [{}],
  };
  const candidates: Array<Record<string, unknown>> = [minimal, cleanFull];
  for (const [field, values] of Object.entries(tries)) {
    for (const value of values) {
      // The field alone (a message missing its required fields, unless it is one of them).
      candidates.push(
        JSON.parse(`{${JSON.stringify(field)}:${JSON.stringify(value)}}`) as Record<string, unknown>,
      );
    }
  }
  for (const base of [minimal, cleanFull]) {
    for (const [field, values] of Object.entries(tries)) {
      for (const value of values) {
        const variant: Record<string, unknown> = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
        Object.defineProperty(variant, field, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        candidates.push(variant);
      }
    }
  }

  it('takes a message as it is exactly when full validation would keep it unchanged, with no warning', () => {
    let taken = 0;
    for (const candidate of candidates) {
      // The unknown field sends the copy through full validation; it comes back as one warning.
      let full: { messages: unknown[]; warnings: string[] } | undefined;
      try {
        full = validateHeartbeats({ ...candidate, zzProbe: 1 }, 10);
      } catch {
        full = undefined;
      }
      const unchanged =
        full !== undefined &&
        full.warnings.length === 1 &&
        JSON.stringify(sortedKeys(full.messages[0])) === JSON.stringify(sortedKeys(candidate));
      const tooManyBasepathsToCheck = Array.isArray(candidate.basepaths) && candidate.basepaths.length > 16;
      expect({ candidate, asIs: isAcceptedAsIs(candidate) }).toEqual({
        candidate,
        asIs: unchanged && !tooManyBasepathsToCheck,
      });
      if (unchanged) taken++;
    }
    expect(taken).toBeGreaterThan(50);
  });

  it('returns the very object it was given, and copies what it has to clean', () => {
    const clean = JSON.parse(JSON.stringify(cleanFull)) as object;
    expect(validateHeartbeats(clean, 10).messages[0]).toBe(clean);
    const withNull = { ...cleanFull, appName: null };
    const [copied] = validateHeartbeats(withNull, 10).messages;
    expect(copied).not.toBe(withNull);
    expect(copied).not.toHaveProperty('appName');
  });
});

/** The value with every object's keys in order, so that two equal messages print the same. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  );
}
