import { describe, expect, it } from 'vitest';
import {
  formatByteSize,
  formatExactDuration,
  types,
  type ParseOutcome,
  type RawValue,
} from './value-types.js';

const valueOf = <T>(outcome: ParseOutcome<T>): T => {
  if (!outcome.ok) throw new Error(`expected a value, got problem: ${outcome.problem}`);
  return outcome.value;
};
const problemOf = <T>(outcome: ParseOutcome<T>): string => {
  if (outcome.ok) throw new Error(`expected a problem, got ${JSON.stringify(outcome.value)}`);
  return outcome.problem;
};

describe('port', () => {
  const port = types.port();
  it.each<[RawValue, number]>([
    [8900, 8900],
    ['8900', 8900],
    [' 80 ', 80],
    [0, 0],
    ['65535', 65_535],
  ])('reads %j as %d', (raw, expected) => expect(valueOf(port.parse(raw))).toBe(expected));

  it.each<RawValue>([65_536, -1, '', 'abc', '80.5', 80.5, '0x50', '1e3', true])('refuses %j', (raw) => {
    expect(problemOf(port.parse(raw))).toBe(
      'is not a port; use a whole number from 0 to 65535 (0 picks a free port)',
    );
  });
});

describe('integer', () => {
  it('reads numbers and digit strings within its range', () => {
    const type = types.integer({ min: 1, max: 5 });
    expect(type.description).toBe('integer 1–5');
    expect(valueOf(type.parse('3'))).toBe(3);
    expect(valueOf(type.parse(5))).toBe(5);
    expect(problemOf(type.parse(0))).toBe('is below the minimum of 1');
    expect(problemOf(type.parse('6'))).toBe('is above the maximum of 5');
    expect(problemOf(type.parse('2.5'))).toBe('is not a whole number');
    expect(problemOf(type.parse(''))).toBe('is not a whole number');
    expect(problemOf(type.parse(false))).toBe('is not a whole number');
  });

  it('describes its bounds', () => {
    expect(types.integer().description).toBe('integer');
    expect(types.integer({ min: 0 }).description).toBe('integer ≥ 0');
    expect(types.integer({ max: 9 }).description).toBe('integer ≤ 9');
  });
});

describe('ratio', () => {
  const ratio = types.ratio();
  it.each<[RawValue, number]>([
    [0.5, 0.5],
    ['0.5', 0.5],
    ['.25', 0.25],
    ['50%', 0.5],
    ['100 %', 1],
    [0, 0],
    [1, 1],
  ])('reads %j as %d', (raw, expected) => expect(valueOf(ratio.parse(raw))).toBe(expected));

  it.each<RawValue>([1.5, -0.1, '150%', 'half', '', true])('refuses %j', (raw) => {
    expect(problemOf(ratio.parse(raw))).toMatch(/^is not a ratio; write a number from 0 to 1 like 0.5/);
  });
});

describe('duration', () => {
  const duration = types.duration({ min: '1s' });
  it.each<[RawValue, number]>([
    [60_000, 60_000],
    ['60000', 60_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
  ])('reads %j as %d ms', (raw, expected) => expect(valueOf(types.duration().parse(raw))).toBe(expected));

  it.each<RawValue>(['sixty', '', '5 minutes', '-1s', -5, true])('refuses %j', (raw) => {
    expect(problemOf(duration.parse(raw))).toBe('is not a duration; write it like 500ms, 30s, 5m, 1h or 1d');
  });

  it('enforces its minimum', () => {
    expect(duration.description).toBe('duration ≥ 1s');
    expect(problemOf(duration.parse('500ms'))).toBe('is shorter than the minimum of 1s');
    expect(valueOf(duration.parse('1s'))).toBe(1000);
    expect(types.duration().description).toBe('duration');
  });

  it('formats in the largest unit that divides evenly, so the text parses back', () => {
    expect(formatExactDuration(2_592_000_000)).toBe('30d');
    expect(formatExactDuration(600_000)).toBe('10m');
    expect(formatExactDuration(90_000)).toBe('90s');
    expect(formatExactDuration(1500)).toBe('1500ms');
    expect(formatExactDuration(0)).toBe('0');
    for (const ms of [0, 1500, 90_000, 600_000, 2_592_000_000]) {
      expect(valueOf(types.duration().parse(formatExactDuration(ms)))).toBe(ms);
    }
  });
});

describe('byteSize', () => {
  const size = types.byteSize({ min: 1024 });
  it.each<[RawValue, number]>([
    [1_048_576, 1_048_576],
    ['1048576', 1_048_576],
    ['1mb', 1_048_576],
    ['512KB', 524_288],
    ['2 gb', 2 * 1024 ** 3],
    ['4096b', 4096],
  ])('reads %j as %d bytes', (raw, expected) => expect(valueOf(size.parse(raw))).toBe(expected));

  it('refuses what is not a size, and what is below the minimum', () => {
    expect(problemOf(size.parse('1 megabyte'))).toBe(
      'is not a size; write a number of bytes, or like 512kb or 1mb',
    );
    expect(problemOf(size.parse(1.5))).toMatch(/^is not a size/);
    expect(problemOf(size.parse('100'))).toBe('is below the minimum of 1kb');
    expect(size.description).toBe('size ≥ 1kb');
  });

  it('formats in the largest binary unit that divides evenly', () => {
    expect(formatByteSize(1_048_576)).toBe('1mb');
    expect(formatByteSize(1536)).toBe('1536');
    expect(formatByteSize(3 * 1024 ** 3)).toBe('3gb');
    expect(formatByteSize(0)).toBe('0');
  });
});

describe('boolean', () => {
  const boolean = types.boolean();
  it.each<[RawValue, boolean]>([
    [true, true],
    [false, false],
    ['true', true],
    ['FALSE', false],
    ['yes', true],
    ['No', false],
    ['1', true],
    ['0', false],
    [1, true],
    [0, false],
  ])('reads %j as %s', (raw, expected) => expect(valueOf(boolean.parse(raw))).toBe(expected));

  it.each<RawValue>(['on', 'y', '', 2])('refuses %j', (raw) => {
    expect(problemOf(boolean.parse(raw))).toBe(
      'is not a boolean; write true or false (yes/no and 1/0 work too)',
    );
  });
});

describe('string', () => {
  it('takes text as is and refuses numbers and booleans, which YAML may have changed', () => {
    const text = types.string();
    expect(valueOf(text.parse(' any thing '))).toBe(' any thing ');
    expect(valueOf(text.parse(''))).toBe('');
    expect(problemOf(text.parse(123))).toBe('is not text; put it in quotes: "123"');
    expect(problemOf(text.parse(true))).toBe('is not text; put it in quotes: "true"');
    expect(text.format('')).toBe('""');
  });

  it('refuses empty text when asked to', () => {
    expect(problemOf(types.string({ nonEmpty: true }).parse('  '))).toBe(
      'is empty; give a value, or leave it out for the default',
    );
  });

  it('runs its refinement after the checks', () => {
    const upper = types.string({
      refine: (value) =>
        value === 'no' ? { ok: false, problem: 'says no' } : { ok: true, value: value.toUpperCase() },
    });
    expect(valueOf(upper.parse('abc'))).toBe('ABC');
    expect(problemOf(upper.parse('no'))).toBe('says no');
  });
});

describe('oneOf', () => {
  const level = types.oneOf(['fatal', 'error', 'warn', 'info', 'debug']);
  it('reads any case and returns the canonical word', () => {
    expect(valueOf(level.parse('INFO'))).toBe('info');
    expect(valueOf(level.parse(' debug '))).toBe('debug');
    expect(level.description).toBe('one of fatal, error, warn, info, debug');
  });

  it('suggests the nearest word', () => {
    expect(problemOf(level.parse('warning'))).toBe(
      'is not one of fatal, error, warn, info, debug; did you mean warn?',
    );
    expect(problemOf(level.parse('debg'))).toBe(
      'is not one of fatal, error, warn, info, debug; did you mean debug?',
    );
    expect(problemOf(level.parse('loud'))).toBe('is not one of fatal, error, warn, info, debug');
  });
});

describe('number', () => {
  it('reads finite numbers from numbers and decimal text', () => {
    const number = types.number();
    expect(valueOf(number.parse(-1.5))).toBe(-1.5);
    expect(valueOf(number.parse(' 2.5 '))).toBe(2.5);
    expect(problemOf(number.parse('1e3x'))).toBe('is not a number');
    expect(problemOf(number.parse(true))).toBe('is not a number');
    expect(problemOf(number.parse(Number.POSITIVE_INFINITY))).toBe('is not a number');
  });
});

describe('url', () => {
  it('takes absolute URLs with its schemes, as written', () => {
    expect(valueOf(types.url().parse('https://echo:8443/eni/echo/v1'))).toBe('https://echo:8443/eni/echo/v1');
    expect(valueOf(types.url({ schemes: ['tcp'] }).parse('tcp://db:5432'))).toBe('tcp://db:5432');
    expect(types.url().description).toBe('http:// or https:// URL');
  });

  it('refuses relative URLs, other schemes, a tcp URL without a port', () => {
    expect(problemOf(types.url().parse('/eni/echo'))).toBe(
      'is not an absolute URL; write it like https://host/path',
    );
    expect(problemOf(types.url().parse('echo:8080'))).toBe(
      'is not an absolute URL; write it like https://host/path',
    );
    expect(problemOf(types.url().parse('ftp://files/x'))).toBe('is not a http:// or https:// URL');
    expect(problemOf(types.url({ schemes: ['tcp'] }).parse('tcp://db'))).toBe(
      'needs a port: tcp://host:port',
    );
    expect(problemOf(types.url().parse(8080))).toBe('is not text; put it in quotes: "8080"');
  });

  it('refuses a query or fragment in a base URL', () => {
    expect(problemOf(types.url({ base: true }).parse('http://x/a?b=1'))).toBe(
      'has a query or fragment; give the base URL that paths are added to',
    );
    expect(valueOf(types.url({ base: true }).parse('http://x/a/'))).toBe('http://x/a/');
  });
});

describe('regex', () => {
  it('takes what compiles and says why the rest does not', () => {
    expect(valueOf(types.regex().parse('^UP$'))).toBe('^UP$');
    expect(problemOf(types.regex().parse('('))).toBe(
      'is not a regular expression: Invalid regular expression: /(/: Unterminated group',
    );
  });
});

describe('jsonScalar', () => {
  it('takes any scalar as YAML typed it, and null', () => {
    const scalar = types.jsonScalar();
    expect(valueOf(scalar.parse('UP'))).toBe('UP');
    expect(valueOf(scalar.parse(0))).toBe(0);
    expect(valueOf(scalar.parse(false))).toBe(false);
    expect(scalar.acceptsNull).toBe(true);
  });
});

describe('statusRange', () => {
  const status = types.statusRange();
  it('reads codes, classes and ranges', () => {
    expect(valueOf(status.parse(429))).toEqual([429, 429]);
    expect(valueOf(status.parse('5xx'))).toEqual([500, 599]);
    expect(valueOf(status.parse('2XX'))).toEqual([200, 299]);
    expect(valueOf(status.parse('500-504'))).toEqual([500, 504]);
    expect(valueOf(status.parse('500 - 504'))).toEqual([500, 504]);
  });

  it('refuses what is not one, outside 100–599, or backwards', () => {
    const problem =
      'is not a status code, class or range; write it like 200, 5xx or "500-504" (codes 100–599)';
    for (const raw of ['6xx', 99, 600, '5x', 'ok', true, '500-'])
      expect(problemOf(status.parse(raw))).toBe(problem);
    expect(problemOf(status.parse('504-500'))).toBe(
      'is a range that ends before it starts; write the lower code first',
    );
  });

  it('formats each as it would be written', () => {
    expect([status.format([500, 599]), status.format([429, 429]), status.format([500, 504])]).toEqual([
      '5xx',
      '429',
      '500-504',
    ]);
  });
});
