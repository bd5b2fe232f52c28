/**
 * What Pulse checks in an answer, as a pure function: status ranges, conditions on the JSON body,
 * and a response-time limit. A failed expectation is a reason (one short human sentence), never a throw.
 */
import type { JsonCondition, PulseExpectation } from '../domain/api.js';

/** The status codes an answer may have when an expectation names none: 200–399. */
export const DEFAULT_EXPECTED_STATUS: ReadonlyArray<readonly [number, number]> = [[200, 399]];

/** What `checkExpectations` judges: an answer as Pulse received it. */
export interface ProbeAnswer {
  statusCode: number;
  /** From sending the request to the end of the body (or of what was read of it). */
  durationMs: number;
  /** The body as text, when it was read. */
  bodyText?: string;
  /** The `content-type` header, for a more useful reason when the body is not JSON. */
  contentType?: string;
  /**
   * Set when the body was larger than the cap and only its first this-many bytes were read: the
   * conditions judge that part, and a reason says so.
   */
  bodyCutAtBytes?: number;
}

/**
 * The first expectation an answer fails, as one human reason; undefined when it meets them all.
 * Checked in order: status, then the JSON conditions (in the order given), then the response time.
 *
 * @example
 * checkExpectations({ status: [[200, 399]], json: [{ path: 'status', equals: 'UP' }] },
 *   { statusCode: 200, durationMs: 12, bodyText: '{"status":"DOWN"}' });
 * // → 'body.status is "DOWN", expected "UP"'
 */
export function checkExpectations(expect: PulseExpectation, answer: ProbeAnswer): string | undefined {
  const ranges = expect.status.length > 0 ? expect.status : DEFAULT_EXPECTED_STATUS;
  if (!inRanges(answer.statusCode, ranges)) {
    return `status ${answer.statusCode} not in ${formatRanges(ranges)}`;
  }
  if (expect.json.length > 0) {
    const reason = checkJson(expect.json, answer);
    if (reason !== undefined) return reason;
  }
  return checkResponseTime(expect, answer.durationMs);
}

/**
 * Only the response-time limit: what applies to a connect-only (`tcp://`) probe, which has no
 * status and no body.
 *
 * @example
 * checkResponseTime({ status: [], json: [], maxResponseTimeMs: 2000 }, 2300); // → 'took 2.3s, more than 2s'
 */
export function checkResponseTime(expect: PulseExpectation, durationMs: number): string | undefined {
  if (expect.maxResponseTimeMs === undefined || durationMs <= expect.maxResponseTimeMs) return undefined;
  const [took, limit] = formatDurations(durationMs, expect.maxResponseTimeMs);
  return `took ${took}, more than ${limit}`;
}

/**
 * The value at a dotted path: `status`, `checks.db.status`, `items.0.id`, `items.length` (arrays and
 * strings), or the whole body for `''`. `MISSING` when any step does not exist. Keys that contain a
 * dot cannot be reached.
 *
 * @example
 * resolveJsonPath({ items: [{ id: 'a' }] }, 'items.0.id'); // → 'a'
 * resolveJsonPath({ items: [] }, 'items.length'); // → 0
 * resolveJsonPath({}, 'status'); // → MISSING
 */
export function resolveJsonPath(root: unknown, path: string): unknown {
  if (path === '') return root;
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      if (segment === 'length') current = current.length;
      else if (/^(0|[1-9]\d*)$/.test(segment) && Number(segment) < current.length)
        current = current[Number(segment)];
      else return MISSING;
    } else if (typeof current === 'string') {
      if (segment !== 'length') return MISSING;
      current = current.length;
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return MISSING;
      current = (current as Record<string, unknown>)[segment];
    } else {
      return MISSING;
    }
  }
  return current;
}

/** What `resolveJsonPath` returns for a path that leads nowhere (JSON has no `undefined`). */
export const MISSING: unique symbol = Symbol('missing');

function checkJson(conditions: readonly JsonCondition[], answer: ProbeAnswer): string | undefined {
  const cut =
    answer.bodyCutAtBytes === undefined ? undefined : `body cut at ${formatBytes(answer.bodyCutAtBytes)}`;
  if (answer.bodyText === undefined || answer.bodyText.trim() === '') return 'body is empty, expected JSON';
  let body: unknown;
  try {
    body = JSON.parse(answer.bodyText);
  } catch {
    const notes = [cut, answer.contentType && `content-type ${answer.contentType}`].filter(Boolean);
    return `body is not JSON${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  }
  for (const condition of conditions) {
    const reason = checkCondition(condition, resolveJsonPath(body, condition.path));
    if (reason !== undefined) return cut === undefined ? reason : `${reason} (${cut})`;
  }
  return undefined;
}

/** One condition against the value found at its path; every operator given must hold. */
function checkCondition(condition: JsonCondition, value: unknown): string | undefined {
  const name = condition.path === '' ? 'body' : `body.${condition.path}`;
  const missing = value === MISSING;
  if (condition.exists === true && missing) return `${name} is missing, expected it to exist`;
  if (condition.exists === false && !missing) return `${name} is ${show(value)}, expected it to be absent`;
  if (missing) {
    const wanted = expectedText(condition);
    return wanted === undefined ? undefined : `${name} is missing, expected ${wanted}`;
  }
  if (condition.equals !== undefined && value !== condition.equals) {
    return `${name} is ${show(value)}, expected ${show(condition.equals)}`;
  }
  if (condition.notEquals !== undefined && value === condition.notEquals) {
    return `${name} is ${show(value)}, expected anything but ${show(condition.notEquals)}`;
  }
  if (condition.greaterThan !== undefined && !(typeof value === 'number' && value > condition.greaterThan)) {
    return `${name} is ${show(value)}, expected ${typeof value === 'number' ? '' : 'a number '}more than ${condition.greaterThan}`;
  }
  if (condition.lessThan !== undefined && !(typeof value === 'number' && value < condition.lessThan)) {
    return `${name} is ${show(value)}, expected ${typeof value === 'number' ? '' : 'a number '}less than ${condition.lessThan}`;
  }
  if (condition.matches !== undefined) {
    const pattern = compile(condition.matches);
    if (pattern === undefined) return `${name}: /${condition.matches}/ is not a valid regular expression`;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (!pattern.test(text)) return `${name} is ${show(value)}, expected to match /${condition.matches}/`;
  }
  return undefined;
}

/** What a condition wanted, for "is missing, expected …"; undefined when a missing value satisfies it. */
function expectedText(condition: JsonCondition): string | undefined {
  // Absent counts as null: many serializers leave null fields out, so `equals: null` ("no error")
  // holds for a missing path and `notEquals: null` does not. `exists` tells the two apart when it matters.
  if (condition.notEquals === null) return 'anything but null';
  if (condition.equals === null) return undefined;
  if (condition.equals !== undefined) return show(condition.equals);
  if (condition.greaterThan !== undefined) return `a number more than ${condition.greaterThan}`;
  if (condition.lessThan !== undefined) return `a number less than ${condition.lessThan}`;
  if (condition.matches !== undefined) return `a value matching /${condition.matches}/`;
  // `notEquals` (but null) and `exists: false` hold for a value that is not there.
  return undefined;
}

const patterns = new Map<string, RegExp | undefined>();

/** Compiled once per pattern text; a handful of distinct patterns in a hub, so the cache stays small. */
function compile(source: string): RegExp | undefined {
  if (patterns.has(source)) return patterns.get(source);
  let pattern: RegExp | undefined;
  try {
    pattern = new RegExp(source);
  } catch {
    pattern = undefined;
  }
  if (patterns.size < 1000) patterns.set(source, pattern);
  return pattern;
}

/** A JSON value in a reason, short: `"DOWN"`, `3`, `null`, `an object`, `an array of 2`. */
function show(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function inRanges(code: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  return ranges.some(([low, high]) => code >= low && code <= high);
}

/** Status ranges as people write them: `[[200, 399]]` → `200-399`, `[[200, 299], [404, 404]]` → `200-299, 404`. */
export function formatRanges(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([low, high]) => (low === high ? String(low) : `${low}-${high}`)).join(', ');
}

/** Both durations alike: `2.3s` and `2s`, or in ms when rounding would make them read the same. */
function formatDurations(took: number, limit: number): [string, string] {
  const format = (ms: number): string =>
    ms < 1000 ? `${Math.round(ms)}ms` : `${Number((ms / 1000).toFixed(1)).toString()}s`;
  const [a, b] = [format(took), format(limit)];
  return a === b ? [`${Math.round(took)}ms`, `${Math.round(limit)}ms`] : [a, b];
}

/** A size as people read it: `65536` → `64 KiB`, `1572864` → `1.5 MiB`, `512` → `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}
