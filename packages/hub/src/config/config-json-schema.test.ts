import { describe, expect, it } from 'vitest';
import { createSchemaValidator } from '../testing/schema-validator.js';
import { API_CONFIG_SCHEMA } from './api-config.js';
import { parseApiDeclaration } from './api-declaration.js';
import { configJsonSchema } from './config-json-schema.js';

const validate = createSchemaValidator({ formats: false })(configJsonSchema(API_CONFIG_SCHEMA));

function parses(body: unknown): boolean {
  try {
    parseApiDeclaration(body, 0);
    return true;
  } catch {
    return false;
  }
}

const base = { basepath: '/orders/v1' };
const pulse = { url: 'https://orders.internal/health' };

/** Declarations on both sides of each rule the field table holds. */
const CORPUS: unknown[] = [
  base,
  {
    ...base,
    name: 'Orders',
    owner: 'team-a',
    upstream: 'https://orders.internal',
    runbook: 'https://wiki/x',
  },
  { ...base, name: null, window: null, labels: null, failOn: null, pulse: null },
  { ...base, name: '' },
  { ...base, name: 5 },
  { ...base, upstream: 'https://orders.internal/?q=1' },
  { ...base, upstream: 'not a url' },
  { ...base, runbook: 'ftp://wiki/x' },
  { ...base, labels: { tier: 'gold' } },
  { ...base, labels: { tier: 1 } },
  { ...base, window: '10m' },
  { ...base, window: 600_000 },
  { ...base, window: 5000 },
  { ...base, window: 'soon' },
  { ...base, window: true },
  { ...base, threshold: 0.95 },
  { ...base, threshold: '95%' },
  { ...base, threshold: 1.5 },
  { ...base, threshold: 'high' },
  { ...base, minSamples: 1 },
  { ...base, minSamples: '5' },
  { ...base, minSamples: 1.5 },
  { ...base, minSamples: 0 },
  { ...base, failOn: ['5xx', 429, '500-504', 'errors', 'ERRORS'] },
  { ...base, failOn: ['6xx'] },
  { ...base, failOn: ['timeouts'] },
  { ...base, failOn: 'errors' },
  { ...base, colour: 'red' },
  { basepath: 'orders' },
  { basepath: `/${'a'.repeat(256)}` },
  {},
  { ...base, pulse },
  {
    ...base,
    pulse: {
      ...pulse,
      method: 'head',
      interval: '30s',
      timeout: '5s',
      headers: { Accept: 'application/json' },
    },
  },
  { ...base, pulse: { ...pulse, method: 'FETCH' } },
  { ...base, pulse: { url: 'tcp://db:5432' } },
  { ...base, pulse: { url: 'ftp://x' } },
  {
    ...base,
    pulse: { ...pulse, expect: { status: [200, '2xx'], json: [{ path: 'status', equals: 'UP' }] } },
  },
  { ...base, pulse: { ...pulse, expect: { status: [] } } },
  { ...base, pulse: { ...pulse, expect: { json: [{ path: 'a', equals: null }] } } },
  { ...base, pulse: { ...pulse, expect: { maxResponseTime: '2s' } } },
  { ...base, pulse: { ...pulse, unknown: 1 } },
];

/** Rules across fields, or inside a text, that JSON Schema does not express: the reader refuses these alone. */
const READER_ONLY: unknown[] = [
  { ...base, pulse: { path: '/health' } }, // path needs the API's upstream
  { ...base, pulse: { ...pulse, interval: '5s', timeout: '10s' } }, // timeout below interval
  { ...base, pulse: {} }, // url or path
  { ...base, window: '5s' }, // a duration text below the minimum (a number below it is refused by both)
  { ...base, pulse: { ...pulse, interval: '10ms' } },
  { ...base, pulse: { ...pulse, expect: { json: [{ path: 'a', matches: '(' }] } } }, // not a regular expression
];

describe('the API declaration schema agrees with the YAML reader', () => {
  it.each(CORPUS.map((body) => [JSON.stringify(body).slice(0, 100), body]))('%s', (_, body) => {
    expect(validate(body), JSON.stringify(validate.errors?.slice(0, 3))).toBe(parses(body));
  });

  it.each(READER_ONLY.map((body) => [JSON.stringify(body), body]))(
    'admits, while the reader refuses, the cross-field case %s',
    (_, body) => {
      expect(validate(body)).toBe(true);
      expect(parses(body)).toBe(false);
    },
  );
});
