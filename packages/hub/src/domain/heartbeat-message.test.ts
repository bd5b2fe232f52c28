import { describe, expect, it } from 'vitest';
import { validateHeartbeats } from './heartbeat-message.js';

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
