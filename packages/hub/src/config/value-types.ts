import { HeartbeatError, parseDuration, type Duration } from '@heartbeat/sdk';
import { anyCase } from '../domain/any-case.js';
import { suggest } from './suggest.js';

/** A raw value as a source gives it: YAML scalars keep their type, env vars and most flags are strings. */
export type RawValue = string | number | boolean;

/**
 * Either the parsed value, or what is wrong with the raw one. `problem` is written to follow the
 * raw value, so the caller can show (or redact) it: `"sixty"` + ` is not a duration; …`.
 */
export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * How one kind of configuration value is read from every source, validated and written back
 * for the docs. One instance per field, so limits (`duration({ min: '1s' })`) live in the type.
 */
export interface ValueType<T> {
  /** How the docs name it: `port`, `duration ≥ 1s`, `one of json, pretty`. */
  readonly description: string;
  parse(raw: RawValue): ParseOutcome<T>;
  /** Writes a value the way a person would type it in YAML: `1m`, `1mb`, `0.5`. */
  format(value: T): string;
  /**
   * An explicit YAML `null` (or `~`) is a value of this type, passed through as `null`, rather
   * than "use the default" as for every other type: `equals: null` in a JSON condition.
   */
  readonly acceptsNull?: boolean;
  /**
   * What the value may be in JSON, as JSON Schema (2020-12), for the OpenAPI document of routes
   * that take configuration as JSON (`POST /v1/apis`). It admits every form `parse` accepts in
   * JSON; `parse` may still refuse a value within it (a string of digits below the minimum).
   */
  readonly jsonSchema?: Readonly<Record<string, unknown>>;
}

const INTEGER_STRING = { type: 'string', pattern: '^\\s*[-+]?\\d+\\s*$' } as const;
const DECIMAL_STRING = { type: 'string', pattern: '^\\s*[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)\\s*$' } as const;
const bounds = (min?: number, max?: number) => ({
  ...(min === undefined ? {} : { minimum: min }),
  ...(max === undefined ? {} : { maximum: max }),
});

const ok = <T>(value: T): ParseOutcome<T> => ({ ok: true, value });
const fail = <T>(problem: string): ParseOutcome<T> => ({ ok: false, problem });

const INTEGER_TEXT = /^[-+]?\d+$/;
const DECIMAL_TEXT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Whole numbers from numbers or digit strings only: `Number('')` is 0 and `Number('0x10')` is 16. */
function toInteger(raw: RawValue): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw === 'string' && INTEGER_TEXT.test(raw.trim())) {
    const value = Number(raw.trim());
    return Number.isSafeInteger(value) ? value : undefined;
  }
  return undefined;
}

/** A TCP port. 0 lets the system pick a free one, which tests rely on. */
function port(): ValueType<number> {
  return {
    description: 'port',
    jsonSchema: { anyOf: [{ type: 'integer', minimum: 0, maximum: 65_535 }, INTEGER_STRING] },
    parse(raw) {
      const value = toInteger(raw);
      if (value === undefined || value < 0 || value > 65_535) {
        return fail('is not a port; use a whole number from 0 to 65535 (0 picks a free port)');
      }
      return ok(value);
    },
    format: String,
  };
}

/** A whole number within `min`..`max`. */
function integer({ min, max }: { min?: number; max?: number } = {}): ValueType<number> {
  const description =
    min !== undefined && max !== undefined
      ? `integer ${min}–${max}`
      : min !== undefined
        ? `integer ≥ ${min}`
        : max !== undefined
          ? `integer ≤ ${max}`
          : 'integer';
  return {
    description,
    jsonSchema: { anyOf: [{ type: 'integer', ...bounds(min, max) }, INTEGER_STRING] },
    parse(raw) {
      const value = toInteger(raw);
      if (value === undefined) return fail('is not a whole number');
      if (min !== undefined && value < min) return fail(`is below the minimum of ${min}`);
      if (max !== undefined && value > max) return fail(`is above the maximum of ${max}`);
      return ok(value);
    },
    format: String,
  };
}

/** A share from 0 to 1, written `0.5` or `50%`. */
function ratio(): ValueType<number> {
  const problem = 'is not a ratio; write a number from 0 to 1 like 0.5, or a percentage like 50%';
  return {
    description: 'ratio 0–1',
    jsonSchema: {
      anyOf: [
        { type: 'number', minimum: 0, maximum: 1 },
        { type: 'string', pattern: '^\\s*(?:\\d+(?:\\.\\d*)?|\\.\\d+)\\s*%?\\s*$' },
      ],
    },
    parse(raw) {
      let value: number | undefined;
      if (typeof raw === 'number') value = raw;
      else if (typeof raw === 'string') {
        const text = raw.trim();
        if (text.endsWith('%') && DECIMAL_TEXT.test(text.slice(0, -1).trim())) {
          value = Number(text.slice(0, -1).trim()) / 100;
        } else if (DECIMAL_TEXT.test(text)) value = Number(text);
      }
      if (value === undefined || !Number.isFinite(value) || value < 0 || value > 1) return fail(problem);
      return ok(value);
    },
    format: String,
  };
}

const DURATION_UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** Milliseconds in the largest unit that divides them evenly, so the text parses back to the same value. */
export function formatExactDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of DURATION_UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A duration in ms: a number of ms, or `500ms`, `30s`, `5m`, `1h`, `1d` (the SDK's `parseDuration`). */
function duration({ min }: { min?: Duration } = {}): ValueType<number> {
  const minimum = min === undefined ? undefined : parseDuration(min);
  return {
    description: minimum === undefined ? 'duration' : `duration ≥ ${formatExactDuration(minimum)}`,
    jsonSchema: {
      anyOf: [
        { type: 'number', ...bounds(minimum) },
        {
          type: 'string',
          pattern: '^\\s*\\d+(?:\\.\\d+)?\\s*(?:ms|s|m|h|d)?\\s*$',
          examples: ['500ms', '30s', '5m'],
        },
      ],
      description: 'milliseconds, or a duration such as 500ms, 30s, 5m, 1h, 1d',
    },
    parse(raw) {
      if (typeof raw === 'boolean') return fail('is not a duration; write it like 500ms, 30s, 5m, 1h or 1d');
      let value: number;
      try {
        value = parseDuration(raw);
      } catch (error) {
        if (!(error instanceof HeartbeatError)) throw error;
        return fail('is not a duration; write it like 500ms, 30s, 5m, 1h or 1d');
      }
      if (minimum !== undefined && value < minimum) {
        return fail(`is shorter than the minimum of ${formatExactDuration(minimum)}`);
      }
      return ok(value);
    },
    format: formatExactDuration,
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const BYTE_SIZE_TEXT = /^(\d+)\s*(b|kb|mb|gb)?$/i;

/** Bytes in the largest binary unit that divides them evenly: `1mb`, `512kb`, `1000`. */
export function formatByteSize(bytes: number): string {
  for (const unit of ['gb', 'mb', 'kb'] as const) {
    const size = BYTE_UNITS[unit] ?? 1;
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** A size in bytes: a number, or `512kb`, `1mb`, `1gb` (powers of 1024). */
function byteSize({ min }: { min?: number } = {}): ValueType<number> {
  return {
    description: min === undefined ? 'size' : `size ≥ ${formatByteSize(min)}`,
    jsonSchema: {
      anyOf: [
        { type: 'integer', ...bounds(min) },
        { type: 'string', pattern: '^\\s*\\d+\\s*(?:[bB]|[kK][bB]|[mM][bB]|[gG][bB])?\\s*$' },
      ],
    },
    parse(raw) {
      let value: number | undefined;
      if (typeof raw === 'number') value = Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
      else if (typeof raw === 'string') {
        const match = BYTE_SIZE_TEXT.exec(raw.trim());
        if (match) value = Number(match[1]) * (BYTE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1);
      }
      if (value === undefined) return fail('is not a size; write a number of bytes, or like 512kb or 1mb');
      if (min !== undefined && value < min) return fail(`is below the minimum of ${formatByteSize(min)}`);
      return ok(value);
    },
    format: formatByteSize,
  };
}

const TRUE_TEXT = new Set(['true', 'yes', '1']);
const FALSE_TEXT = new Set(['false', 'no', '0']);

/** `true`/`false`, also `yes`/`no` and `1`/`0`, any case: what people put in env files. */
function boolean(): ValueType<boolean> {
  return {
    description: 'boolean',
    jsonSchema: {
      anyOf: [
        { type: 'boolean' },
        {
          type: 'string',
          pattern: '^\\s*(?:[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|[yY][eE][sS]|[nN][oO]|1|0)\\s*$',
        },
        { enum: [0, 1] },
      ],
    },
    parse(raw) {
      if (typeof raw === 'boolean') return ok(raw);
      const text = String(raw).trim().toLowerCase();
      if (TRUE_TEXT.has(text)) return ok(true);
      if (FALSE_TEXT.has(text)) return ok(false);
      return fail('is not a boolean; write true or false (yes/no and 1/0 work too)');
    },
    format: String,
  };
}

export interface StringTypeOptions {
  /** Refuse `""` (a value that cannot be empty, such as a directory). */
  nonEmpty?: boolean;
  /** Normalises or refuses a value; runs after the empty check. */
  refine?: (value: string) => ParseOutcome<string>;
  /** Replaces `string` in the docs. */
  description?: string;
  /** More JSON Schema keywords for what `refine` demands: `pattern`, `maxLength`, `format`. */
  jsonSchema?: Readonly<Record<string, unknown>>;
}

/**
 * Text. Numbers and booleans are refused rather than turned into text: YAML reads `0123` as 123
 * and `0x1F` as 31, so a key written that way would silently change.
 */
function string({
  nonEmpty = false,
  refine,
  description = 'string',
  jsonSchema,
}: StringTypeOptions = {}): ValueType<string> {
  return {
    description,
    jsonSchema: { type: 'string', ...(nonEmpty ? { pattern: '\\S' } : {}), ...jsonSchema },
    parse(raw) {
      if (typeof raw !== 'string') return fail(`is not text; put it in quotes: "${String(raw)}"`);
      if (nonEmpty && raw.trim() === '')
        return fail('is empty; give a value, or leave it out for the default');
      return refine ? refine(raw) : ok(raw);
    },
    format: (value) => (value === '' ? '""' : value),
  };
}

/** One of a fixed set of words, any case; a near miss gets a suggestion. */
function oneOf<const V extends string>(values: readonly V[]): ValueType<V> {
  const list = values.join(', ');
  return {
    description: `one of ${list}`,
    jsonSchema: {
      type: 'string',
      examples: [...values],
      pattern: `^\\s*(?:${values.map(anyCase).join('|')})\\s*$`,
    },
    parse(raw) {
      const text = String(raw).trim().toLowerCase();
      const match = values.find((value) => value.toLowerCase() === text);
      if (match !== undefined) return ok(match);
      const suggestion = suggest(text, values);
      return fail(`is not one of ${list}${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`);
    },
    format: String,
  };
}

/** Any finite number, from a number or decimal text: `0`, `-1.5`, `"2.5"`. */
function number(): ValueType<number> {
  return {
    description: 'number',
    jsonSchema: { anyOf: [{ type: 'number' }, DECIMAL_STRING] },
    parse(raw) {
      const value =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && DECIMAL_TEXT.test(raw.trim())
            ? Number(raw)
            : NaN;
      return Number.isFinite(value) ? ok(value) : fail('is not a number');
    },
    format: String,
  };
}

/**
 * An absolute URL with one of the given schemes, kept as written. `base: true` refuses a query
 * or a fragment, for a URL that paths are appended to.
 */
function url({
  schemes = ['http', 'https'],
  base = false,
}: { schemes?: readonly string[]; base?: boolean } = {}): ValueType<string> {
  const shown = schemes.map((scheme) => `${scheme}://`).join(' or ');
  const example = schemes.includes('https') ? 'https://host/path' : `${schemes[0] ?? 'https'}://host:port`;
  return string({
    description: `${shown} URL`,
    jsonSchema: {
      format: 'uri',
      pattern: `^\\s*(?:${schemes.map(anyCase).join('|')})://`,
      ...(base ? { not: { pattern: '[?#]' } } : {}),
    },
    refine(value): ParseOutcome<string> {
      const text = value.trim();
      const parsed = URL.canParse(text) ? new URL(text) : undefined;
      if (parsed === undefined || !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || parsed.host === '') {
        return fail(`is not an absolute URL; write it like ${example}`);
      }
      if (!schemes.includes(parsed.protocol.slice(0, -1))) return fail(`is not a ${shown} URL`);
      if (parsed.protocol === 'tcp:' && parsed.port === '') return fail('needs a port: tcp://host:port');
      if (base && (parsed.search !== '' || parsed.hash !== '' || /[?#]/.test(text))) {
        return fail('has a query or fragment; give the base URL that paths are added to');
      }
      return ok(text);
    },
  });
}

/** Text that compiles as a JavaScript regular expression (no slashes or flags around it). */
function regex(): ValueType<string> {
  return string({
    description: 'regular expression',
    refine(value) {
      try {
        new RegExp(value);
        return ok(value);
      } catch (error) {
        return fail(`is not a regular expression: ${(error as Error).message}`);
      }
    },
  });
}

/** A JSON scalar as YAML gives it: text, a number, a boolean or `null`. */
function jsonScalar(): ValueType<string | number | boolean> {
  return {
    description: 'string, number, boolean or null',
    jsonSchema: { type: ['string', 'number', 'boolean', 'null'] },
    parse: (raw) => ok(raw),
    format: (value) => JSON.stringify(value),
    acceptsNull: true,
  };
}

/** An inclusive range of HTTP status codes. */
export type StatusRange = readonly [number, number];

const STATUS_TEXT = /^([1-5])xx$|^(\d{3})$|^(\d{3})\s*-\s*(\d{3})$/i;

/** `[200, 299]` → `2xx`, `[429, 429]` → `429`, `[500, 504]` → `500-504`. */
export function formatStatusRange([low, high]: StatusRange): string {
  if (low === high) return String(low);
  if (low % 100 === 0 && high === low + 99) return `${low / 100}xx`;
  return `${low}-${high}`;
}

/** HTTP status codes as an inclusive range: a code `429`, a class `5xx`, or a range `"500-504"`. */
function statusRange(): ValueType<StatusRange> {
  const problem = 'is not a status code, class or range; write it like 200, 5xx or "500-504" (codes 100–599)';
  return {
    description: 'status code, class or range',
    jsonSchema: {
      anyOf: [
        { type: 'integer', minimum: 100, maximum: 599 },
        {
          type: 'string',
          pattern: '^\\s*(?:[1-5][xX][xX]|\\d{3}|\\d{3}\\s*-\\s*\\d{3})\\s*$',
          examples: ['5xx', '429', '500-504'],
        },
      ],
    },
    parse(raw) {
      const match = typeof raw === 'boolean' ? null : STATUS_TEXT.exec(String(raw).trim());
      if (match === null) return fail(problem);
      const [, hundreds, code, from, to] = match;
      const range: [number, number] =
        hundreds !== undefined
          ? [Number(hundreds) * 100, Number(hundreds) * 100 + 99]
          : code !== undefined
            ? [Number(code), Number(code)]
            : [Number(from), Number(to)];
      if (range[0] < 100 || range[1] > 599) return fail(problem);
      if (range[0] > range[1])
        return fail(`is a range that ends before it starts; write the lower code first`);
      return ok(range);
    },
    format: formatStatusRange,
  };
}

/**
 * Every kind of configuration value. Adding a kind here makes it usable by any field, in the YAML
 * file, in env vars and in flags alike.
 *
 * @example
 * field(types.duration({ min: '1s' }), { default: 60_000, doc: 'an instance with no beat for this long is lost' })
 */
export const types = {
  port,
  integer,
  number,
  ratio,
  duration,
  byteSize,
  boolean,
  string,
  oneOf,
  url,
  regex,
  jsonScalar,
  statusRange,
} as const;
