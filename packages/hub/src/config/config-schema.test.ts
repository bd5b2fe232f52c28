import { describe, expect, it } from 'vitest';
import {
  defaultsOf,
  field,
  kebab,
  list,
  optionalField,
  requiredField,
  schemaEntries,
  section,
  untyped,
  upperSnake,
  type SectionNode,
} from './config-schema.js';
import { types } from './value-types.js';

interface Example {
  server: { port: number; routePrefix: string };
  data: string;
  store?: string;
  apis: { basepath: string; window: number }[];
}

const EXAMPLE: SectionNode<Example> = section({
  server: section({
    port: field(types.port(), { default: 80, doc: 'port', envAliases: ['HEARTBEAT_PORT'], flag: 'port' }),
    routePrefix: field(types.string(), { default: '', doc: 'prefix' }),
  }),
  data: field(types.string(), { default: './data', doc: 'data', envAliases: ['HEARTBEAT_DATA'] }),
  store: optionalField(types.string(), { doc: 'store' }),
  apis: list(
    section({
      basepath: requiredField(types.string(), { doc: 'basepath' }),
      window: field(types.duration(), { default: 300_000, doc: 'window' }),
    }),
    { doc: 'APIs' },
  ),
});

describe('names', () => {
  it('turns camelCase into UPPER_SNAKE for env vars and kebab-case for flags', () => {
    expect(upperSnake('validTime')).toBe('VALID_TIME');
    expect(upperSnake('selfPreservation')).toBe('SELF_PRESERVATION');
    expect(upperSnake('maxBodyBytes')).toBe('MAX_BODY_BYTES');
    expect(upperSnake('port')).toBe('PORT');
    expect(kebab('logLevel')).toBe('log-level');
    expect(kebab('port')).toBe('port');
  });
});

describe('schemaEntries', () => {
  it('lists every leaf and list in order, with the generic env name first and no duplicates', () => {
    expect(schemaEntries(untyped(EXAMPLE)).map(({ path, envNames }) => [path, envNames])).toEqual([
      ['server.port', ['HEARTBEAT_SERVER_PORT', 'HEARTBEAT_PORT']],
      ['server.routePrefix', ['HEARTBEAT_SERVER_ROUTE_PREFIX']],
      ['data', ['HEARTBEAT_DATA']],
      ['store', ['HEARTBEAT_STORE']],
      ['apis', []],
    ]);
  });
});

describe('defaultsOf', () => {
  it('builds a value of the schema type from the defaults, lists empty', () => {
    expect(defaultsOf(EXAMPLE)).toEqual({
      server: { port: 80, routePrefix: '' },
      data: './data',
      store: undefined,
      apis: [],
    });
  });
});

describe('the schema type', () => {
  it('is checked against the config type, so the two cannot drift', () => {
    // These lines are the test: `tsc` fails when a @ts-expect-error has nothing to expect.
    // @ts-expect-error a string field for a number setting
    section<{ port: number }>({ port: field(types.string(), { default: '80', doc: '' }) });
    // @ts-expect-error a setting missing from the schema
    section<{ port: number; host: string }>({ port: field(types.port(), { default: 80, doc: '' }) });
    const format = types.oneOf(['json', 'pretty']);
    // @ts-expect-error a default outside the type
    section<{ format: 'json' | 'pretty' }>({ format: field(format, { default: 'xml', doc: '' }) });
    const basepath = requiredField(types.port(), { doc: '' });
    // @ts-expect-error a list item field of the wrong type
    section<{ apis: { basepath: string }[] }>({ apis: list(section({ basepath }), { doc: '' }) });
    expect(true).toBe(true);
  });
});
