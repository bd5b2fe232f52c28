import { describe, expect, it } from 'vitest';
import {
  changedPaths,
  defaultsOf,
  field,
  kebab,
  list,
  map,
  optionalField,
  optionalSection,
  requiredField,
  schemaEntries,
  section,
  untyped,
  upperSnake,
  values,
  type SectionNode,
} from './config-schema.js';
import { resolveConfig } from './resolve-config.js';
import { types, type StatusRange } from './value-types.js';

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
      ['apis[].basepath', []],
      ['apis[].window', []],
    ]);
  });

  it('marks lists, values, maps, optional sections and all inside them file only', () => {
    const entries = schemaEntries(untyped(NESTED)).map(({ path, fileOnly, envNames }) => [
      path,
      fileOnly,
      envNames.length,
    ]);
    expect(entries).toEqual([
      ['retry.times', false, 1],
      ['retry.codes', true, 0],
      ['tags', true, 0],
      ['probe', true, 0],
      ['probe.url', true, 0],
      ['probe.limits.timeout', true, 0],
      ['probe.limits.interval', true, 0],
      ['probe.steps', true, 0],
      ['probe.steps[].name', true, 0],
    ]);
  });
});

interface Nested {
  retry: { times: number; codes: StatusRange[] };
  tags: Record<string, string>;
  probe?: { url: string; limits: { timeout: number; interval: number }; steps: { name: string }[] };
}

const NESTED: SectionNode<Nested> = section({
  retry: section({
    times: field(types.integer({ min: 0 }), { default: 3, doc: 'times' }),
    codes: values(types.statusRange(), { default: [[500, 599]], minItems: 1, doc: 'codes' }),
  }),
  tags: map(types.string({ nonEmpty: true }), types.string(), { doc: 'tags' }),
  probe: optionalSection(
    {
      url: requiredField(types.url(), { doc: 'url' }),
      limits: section(
        {
          timeout: field(types.duration(), { default: 5000, doc: 'timeout' }),
          interval: field(types.duration(), { default: 30_000, doc: 'interval' }),
        },
        {
          check: ({ timeout, interval }, context) => {
            if (timeout >= interval)
              context.problem(context.given('timeout') ? 'timeout' : 'interval', 'too long');
          },
        },
      ),
      steps: list(section({ name: requiredField(types.string(), { doc: 'name' }) }), {
        doc: 'steps',
        unique: 'name',
      }),
    },
    { doc: 'a probe' },
  ),
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

  it('gives values their default list, maps {} and optional sections undefined, fresh each time', () => {
    const first = defaultsOf(NESTED);
    expect(first).toEqual({ retry: { times: 3, codes: [[500, 599]] }, tags: {}, probe: undefined });
    first.retry.codes.push([400, 499]);
    first.tags.x = 'y';
    expect(defaultsOf(NESTED)).toEqual({
      retry: { times: 3, codes: [[500, 599]] },
      tags: {},
      probe: undefined,
    });
  });
});

describe('nested nodes in the file', () => {
  const read = (...lines: string[]) => {
    const resolved = resolveConfig(NESTED, { file: { name: 'n.yaml', text: lines.join('\n') } });
    return resolved.ok
      ? resolved.config
      : resolved.problems.map((problem) => `${problem.source} ${problem.path}: ${problem.message}`);
  };

  it('reads an optional section as undefined until written, then fills it from its defaults', () => {
    expect(read('retry: { times: 1 }')).toMatchObject({ probe: undefined });
    expect(read('probe:')).toMatchObject({ probe: undefined });
    expect(read('probe: { url: "http://x" }')).toMatchObject({
      probe: { url: 'http://x', limits: { timeout: 5000, interval: 30_000 }, steps: [] },
    });
  });

  it('reads values as a list, or one value as a list of one, each item checked where it is', () => {
    expect(read('retry:', '  codes: [5xx, 429]')).toMatchObject({
      retry: {
        codes: [
          [500, 599],
          [429, 429],
        ],
      },
    });
    expect(read('retry:', '  codes: 503')).toMatchObject({ retry: { codes: [[503, 503]] } });
    expect(read('retry:', '  codes: [5xx, 7xx, {a: 1}]')).toEqual([
      'n.yaml:2:16 retry.codes[1]: "7xx" is not a status code, class or range; write it like 200, 5xx or "500-504" (codes 100–599)',
      'n.yaml:2:21 retry.codes[2]: expected a value (status code, class or range), found a mapping',
    ]);
    expect(read('retry:', '  codes: []')).toEqual([
      'n.yaml:2:10 retry.codes: needs at least one value (status code, class or range); leave it out for the default',
    ]);
    expect(read('retry:', '  codes: { a: 1 }')).toEqual([
      'n.yaml:2:10 retry.codes: expected a list of values (status code, class or range), found a mapping',
    ]);
  });

  it('reads maps key by key, pointing at the bad key or value', () => {
    expect(read('tags: { team: core, "": x, tier: 1, empty: }')).toEqual([
      'n.yaml:1:21 tags.: "" is empty; give a value, or leave it out for the default',
      'n.yaml:1:34 tags.tier: 1 is not text; put it in quotes: "1"',
      'n.yaml:1:37 tags.empty: needs a value; write "" for an empty one',
    ]);
    expect(read('tags: [a]')).toEqual([
      'n.yaml:1:7 tags: expected a mapping of string to string, found a list',
    ]);
    expect(read('tags: { __proto__: x }')).toMatchObject({ tags: { ['__proto__']: 'x' } });
    expect(Object.getPrototypeOf((read('tags: { __proto__: x }') as Nested).tags)).toBe(Object.prototype);
  });

  it('runs section checks, pointing at the setting given, or the other one', () => {
    expect(read('probe:', '  url: http://x', '  limits:', '    timeout: 1m')).toEqual([
      'n.yaml:4:14 probe.limits.timeout: too long',
    ]);
    expect(read('probe:', '  url: http://x', '  limits:', '    interval: 1s')).toEqual([
      'n.yaml:4:15 probe.limits.interval: too long',
    ]);
  });

  it('reports a missing required setting of an optional section, and keys repeated across items', () => {
    expect(read('probe: {}')).toEqual(['n.yaml:1:8 probe.url: is required; add "url:" to this section']);
    expect(
      read('probe:', '  url: http://x', '  steps:', '    - name: a', '    - name: b', '    - name: a'),
    ).toEqual([
      'n.yaml:6:13 probe.steps[2].name: "a" is declared twice, first at n.yaml:4:13 (probe.steps[0].name); declare each name once',
    ]);
  });
});

describe('changedPaths', () => {
  it('names changed leaves one by one and composite values as a whole', () => {
    const before = defaultsOf(NESTED);
    const after = defaultsOf(NESTED);
    expect(changedPaths(NESTED, before, after)).toEqual([]);
    after.retry.times = 4;
    after.tags = { a: 'b' };
    after.probe = { url: 'http://x', limits: { timeout: 1, interval: 2 }, steps: [] };
    expect(changedPaths(NESTED, before, after)).toEqual(['retry.times', 'tags', 'probe']);
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
    // @ts-expect-error values of the wrong type
    section<{ codes: number[] }>({ codes: values(types.string(), { default: [], doc: '' }) });
    // @ts-expect-error a map for a section
    section<{ server: { port: number } }>({ server: map(types.string(), types.port(), { doc: '' }) });
    const port = field(types.port(), { default: 80, doc: '' });
    // @ts-expect-error an optional section where a section must always be there
    section<{ server: { port: number } }>({ server: optionalSection({ port }, { doc: '' }) });
    // @ts-expect-error a required section where the type says it may be absent
    section<{ server?: { port: number } }>({ server: section({ port }) });
    // @ts-expect-error a check that reads a setting the section does not have
    section<{ port: number }>({ port }, { check: (value) => value.host });
    expect(true).toBe(true);
  });
});
