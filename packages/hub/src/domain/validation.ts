import { HeartbeatError } from '@heartbeat/sdk';

/** One thing wrong with a request body, naming the field as a path (`[2].plugins[0].name`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Collects problems while a validator walks a value, so a request gets every problem at once.
 * Throw `toError()` when `problems` is not empty.
 */
export class ProblemList {
  readonly problems: FieldProblem[] = [];
  readonly warnings: string[] = [];

  add(field: string, message: string): void {
    if (this.problems.length < 50) this.problems.push({ field, message });
  }

  warn(message: string): void {
    if (this.warnings.length < 50) this.warnings.push(message);
  }

  toError(what: string): HeartbeatError {
    const first = this.problems[0];
    const summary = first ? `${first.field}: ${first.message}` : 'invalid';
    const more = this.problems.length > 1 ? ` (and ${this.problems.length - 1} more)` : '';
    return new HeartbeatError('VALIDATION_FAILED', `${what} is invalid: ${summary}${more}`, {
      field: first?.field,
      problems: this.problems,
    });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What `checkText` refuses in text: C0 control characters and DEL. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Printable text without control characters, within a length. */
export function checkText(
  problems: ProblemList,
  field: string,
  value: unknown,
  maxLength: number,
  options: { required?: boolean } = {},
): string | undefined {
  const required = options.required ?? false;
  const minLength = required ? 1 : 0;
  if (value === undefined || value === null) {
    if (required) problems.add(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.add(field, `must be a string, not ${typeName(value)}`);
    return undefined;
  }
  if (value.length < minLength)
    problems.add(field, minLength === 1 ? 'must not be empty' : `must be at least ${minLength} characters`);
  else if (value.length > maxLength)
    problems.add(field, `must be at most ${maxLength} characters (got ${value.length})`);
  else if (CONTROL_CHARACTERS.test(value)) problems.add(field, 'must not contain control characters');
  else if (!value.isWellFormed())
    problems.add(field, 'must be well-formed Unicode (a lone surrogate was sent)');
  else return value;
  return undefined;
}

/**
 * True when `checkText` would take `value` as it is, with no problem: a string of at most
 * `maxLength` characters, no control characters, well-formed. Allocates nothing (every beat's
 * strings come through here: `isAcceptedAsIs`).
 */
export function isCleanText(value: unknown, maxLength: number): value is string {
  return (
    typeof value === 'string' &&
    value.length <= maxLength &&
    !CONTROL_CHARACTERS.test(value) &&
    value.isWellFormed()
  );
}

export function checkInteger(
  problems: ProblemList,
  field: string,
  value: unknown,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.add(field, `must be an integer, not ${typeName(value)}`);
    return undefined;
  }
  if (value < min || value > max) {
    problems.add(field, `must be between ${min} and ${max} (got ${value})`);
    return undefined;
  }
  return value;
}

export function checkEnum<T extends string>(
  problems: ProblemList,
  field: string,
  value: unknown,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.add(field, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  return undefined;
}

/** An array within a length; each item checked by `item`, failures dropped. */
export function checkArray<T>(
  problems: ProblemList,
  field: string,
  value: unknown,
  maxItems: number,
  item: (value: unknown, field: string) => T | undefined,
): T[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    problems.add(field, `must be an array, not ${typeName(value)}`);
    return undefined;
  }
  if (value.length > maxItems) {
    problems.add(field, `must have at most ${maxItems} items (got ${value.length})`);
    return undefined;
  }
  const items: T[] = [];
  for (let index = 0; index < value.length; index++) {
    const checked = item(value[index], `${field}[${index}]`);
    if (checked !== undefined) items.push(checked);
  }
  return items;
}

/** The default limits of `checkStringMap` (`extInfo`). */
export const STRING_MAP_LIMITS = { maxKeys: 64, maxKeyLength: 128, maxValueLength: 1024 } as const;

/** A `{string: string}` map within limits. */
export function checkStringMap(
  problems: ProblemList,
  field: string,
  value: unknown,
  {
    maxKeys = STRING_MAP_LIMITS.maxKeys,
    maxKeyLength = STRING_MAP_LIMITS.maxKeyLength,
    maxValueLength = STRING_MAP_LIMITS.maxValueLength,
  } = {},
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    problems.add(field, `must be an object of strings, not ${typeName(value)}`);
    return undefined;
  }
  let keys = 0;
  for (const key in value) if (Object.hasOwn(value, key)) keys++;
  if (keys > maxKeys) {
    problems.add(field, `must have at most ${maxKeys} keys (got ${keys})`);
    return undefined;
  }
  const map: Record<string, string> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const entry = value[key];
    if (key.length > maxKeyLength)
      problems.add(`${field}.${key.slice(0, 32)}…`, `key must be at most ${maxKeyLength} characters`);
    else if (typeof entry !== 'string')
      problems.add(`${field}.${key}`, `must be a string, not ${typeName(entry)}`);
    else if (!isStorableText(key) || !isStorableText(entry))
      problems.add(`${field}.${key}`, 'must not contain NUL characters or lone surrogates');
    else if (entry.length > maxValueLength)
      problems.add(`${field}.${key}`, `must be at most ${maxValueLength} characters`);
    else map[key] = entry;
  }
  return map;
}

/**
 * True when `checkStringMap` with its default limits would keep `value` whole, with no problem.
 * Allocates nothing.
 */
export function isStringMapAsIs(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let keys = 0;
  for (const key in value) {
    const entry = value[key];
    if (
      ++keys > STRING_MAP_LIMITS.maxKeys ||
      key.length > STRING_MAP_LIMITS.maxKeyLength ||
      typeof entry !== 'string' ||
      entry.length > STRING_MAP_LIMITS.maxValueLength ||
      !isStorableText(key) ||
      !isStorableText(entry)
    ) {
      return false;
    }
  }
  return true;
}

/** Text every store can keep: no NUL, no lone surrogate (PostgreSQL refuses both). */
function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

/** Names the fields of an object that a validator does not know, as warnings. */
export function warnUnknownFields(
  problems: ProblemList,
  field: string,
  value: Record<string, unknown>,
  known: ReadonlySet<string>,
): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) problems.warn(`${field ? `${field}.` : ''}${key}: unknown field, ignored`);
  }
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}
