import { describe, expect, it } from 'vitest';
import { HEARTBEAT_LIMITS as L, MESSAGE_FIELDS, validateHeartbeats } from '../../domain/heartbeat-message.js';
import { OBSERVATION_FIELDS, validateObservations } from '../../domain/observation.js';
import { heartbeatBody, HEARTBEAT_MESSAGE, OBSERVATION, observationBody } from './ingest-schemas.js';
import { createSchemaValidator } from '../../testing/schema-validator.js';
import { namedTarget } from './schema.js';

const compile = createSchemaValidator({ formats: false });

const long = (n: number, char = 'a') => char.repeat(n);

/** Each mutation replaces (or with `undefined`, deletes) one field of a valid message. */
function mutations(): Array<[string, Record<string, unknown>]> {
  const base: Record<string, unknown> = {
    instanceId: 'orders-7f9c:8080',
    service: 'orders',
    appName: 'orders',
    appType: 'java',
    artifact: 'orders.jar',
    hostName: 'host-1',
    version: '1.2.3',
    ip: ['10.0.0.1'],
    processId: 4242,
    heartbeatTime: 1_763_700_000_000,
    lastHeartbeatTime: 1_763_699_970_000,
    interval: 30_000,
    plugins: [{ name: 'flowcontrol', version: '2.0', extInfo: { rules: '3' } }],
    extInfo: { zone: 'eu-1' },
    status: 'ok',
    checks: [{ name: 'db', status: 'warning', message: 'slow' }],
    basepaths: ['/orders/v1'],
  };
  const cases: Array<[string, unknown]> = [
    ['instanceId', undefined],
    ['instanceId', ''],
    ['instanceId', '-starts-with-dash'],
    ['instanceId', 'has space'],
    ['instanceId', long(128)],
    ['instanceId', long(129)],
    ['instanceId', 42],
    ['instanceId', null],
    ['service', undefined],
    ['service', ''],
    ['service', null],
    ['service', long(L.serviceLength)],
    ['service', long(L.serviceLength + 1)],
    ['service', 'tab\there'],
    ['service', 'quote " and \\ are fine'],
    ['appName', null],
    ['appName', long(L.textLength + 1)],
    ['appName', 7],
    ['version', long(L.textLength)],
    ['ip', []],
    ['ip', [null]],
    ['ip', ['a', 1]],
    ['ip', 'not-an-array'],
    ['ip', Array.from({ length: L.ips + 1 }, () => '10.0.0.1')],
    ['ip', [long(L.ipLength + 1)]],
    ['processId', -1],
    ['processId', 1.5],
    ['processId', L.processIdMax],
    ['processId', L.processIdMax + 1],
    ['processId', '42'],
    ['heartbeatTime', 0],
    ['heartbeatTime', -5],
    ['heartbeatTime', L.maxEpochMs + 1],
    ['lastHeartbeatTime', null],
    ['interval', L.intervalMin - 1],
    ['interval', L.intervalMin],
    ['interval', L.intervalMax],
    ['interval', L.intervalMax + 1],
    ['plugins', []],
    ['plugins', [{ name: 'p' }]],
    ['plugins', [{ version: '1' }]],
    ['plugins', [{ name: '' }]],
    ['plugins', [{ name: 'p', extInfo: { a: 1 } }]],
    ['plugins', [{ name: 'p', extInfo: null, version: null, later: true }]],
    ['plugins', ['flowcontrol']],
    ['plugins', [null]],
    ['extInfo', {}],
    ['extInfo', { a: 'b', c: 1 }],
    ['extInfo', { a: long(1024) }],
    ['extInfo', { a: long(1025) }],
    ['extInfo', { [long(129)]: 'x' }],
    ['extInfo', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))],
    ['extInfo', { nul: 'a\u0000b' }],
    ['extInfo', ['a']],
    ['status', 'warning'],
    ['status', 'OK'],
    ['status', null],
    ['checks', [{ name: 'db' }]],
    ['checks', [{ name: 'db', status: 'error', message: long(5000) }]],
    ['checks', [{ name: 'db', status: 'error', message: 'line\nbreak' }]],
    ['checks', [{ name: 'db', status: 'fine' }]],
    ['checks', [{ status: 'ok' }]],
    ['checks', [{ name: 'db', status: 'ok', message: null, extra: 1 }]],
    ['basepaths', ['/a', '/b/', '/']],
    ['basepaths', ['no-slash']],
    ['basepaths', [`/${long(256)}`]],
    ['basepaths', [null]],
    ['colour', 'blue'],
  ];
  return [
    ['the full message', base],
    ['the least message', { instanceId: 'i-1', service: 's' }],
    ...cases.map(([field, value]): [string, Record<string, unknown>] => {
      const message = { ...base };
      if (value === undefined) delete message[field];
      else message[field] = value;
      return [`${field} = ${JSON.stringify(value)?.slice(0, 40)}`, message];
    }),
  ];
}

function accepts(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

describe('the heartbeat schema agrees with the heartbeat validator', () => {
  const schema = compile(HEARTBEAT_MESSAGE);
  const body = compile(heartbeatBody(3));

  it('names exactly the fields the validator knows', () => {
    const properties = namedTarget(HEARTBEAT_MESSAGE)?.schema.properties ?? {};
    expect(Object.keys(properties).sort()).toEqual([...MESSAGE_FIELDS].sort());
  });

  it.each(mutations())('%s', (_, message) => {
    const validator = accepts(() => validateHeartbeats(message, 10));
    expect(schema(message), JSON.stringify(schema.errors)).toBe(validator);
  });

  it('for whole bodies: one message, a batch, an empty or too large batch, not an object', () => {
    const good = { instanceId: 'i', service: 's' };
    for (const value of [good, [good], [good, good, good], [], [good, good, good, good], 'text', null, [1]]) {
      expect(body(value), JSON.stringify(value)).toBe(accepts(() => validateHeartbeats(value, 3)));
    }
  });
});

describe('the observation schema agrees with the observation validator', () => {
  const schema = compile(OBSERVATION);
  const body = compile(observationBody(2));
  const now = 1_763_700_000_000;
  const base = {
    basepath: '/orders/v1',
    statusCode: 200,
    durationMs: 12.5,
    timestamp: now - 1000,
    source: 'traffic',
  };
  const cases: unknown[] = [
    base,
    { basepath: '/', error: 'timeout', durationMs: 0 },
    { ...base, basepath: '/trailing/' },
    { ...base, basepath: 'orders' },
    { ...base, basepath: `/${long(256)}` },
    { ...base, basepath: 5 },
    { ...base, statusCode: 99 },
    { ...base, statusCode: 100 },
    { ...base, statusCode: 599 },
    { ...base, statusCode: 600 },
    { ...base, statusCode: 200.5 },
    { ...base, statusCode: '200' },
    { ...base, statusCode: null },
    { ...base, statusCode: null, error: 'connection refused' },
    { ...base, error: 'timeout' },
    { ...base, error: null },
    { basepath: '/a', durationMs: 1 },
    { basepath: '/a', durationMs: 1, error: '' },
    { basepath: '/a', durationMs: 1, error: long(200) },
    { basepath: '/a', durationMs: 1, error: long(201) },
    { basepath: '/a', durationMs: 1, error: 5 },
    { ...base, durationMs: -1 },
    { ...base, durationMs: 86_400_000 },
    { ...base, durationMs: 86_400_001 },
    { ...base, durationMs: '12' },
    { basepath: '/a', statusCode: 200 },
    { ...base, timestamp: null },
    { ...base, timestamp: '2025-11-21T04:00:00.000Z' },
    { ...base, timestamp: '2025-11-21T05:00:00+01:00' },
    { ...base, timestamp: -1 },
    { ...base, timestamp: true },
    { ...base, timestamp: long(41, '1') },
    { ...base, source: 'pulse' },
    { ...base, source: 'otlp' },
    { ...base, source: null },
    { ...base, source: 'synthetic' },
    { ...base, colour: 'blue' },
    'not an object',
    null,
    [base],
  ];

  it('names exactly the fields the validator knows', () => {
    const properties = namedTarget(OBSERVATION)?.schema.properties ?? {};
    expect(Object.keys(properties).sort()).toEqual([...OBSERVATION_FIELDS].sort());
  });

  it.each(cases.map((item) => [JSON.stringify(item).slice(0, 90), item]))('%s', (_, item) => {
    const validator = validateObservations([item], 10, now).observations.length === 1;
    expect(schema(item), JSON.stringify(schema.errors)).toBe(validator);
  });

  it('for whole bodies: an array within the limit', () => {
    expect(body([base, base])).toBe(true);
    expect(body([base, base, base])).toBe(accepts(() => validateObservations([base, base, base], 2, now)));
    expect(body({})).toBe(accepts(() => validateObservations({}, 2, now)));
  });
});
