import { HeartbeatError } from '@heartbeat/sdk';
import { OBSERVATION_SOURCES, type Observation, type ObservationSource } from './api.js';
import { BASEPATH_MAX_LENGTH, BASEPATH_PATTERN, normalizeBasepath } from './basepath.js';
import { isPlainObject, typeName } from './validation.js';

/** One rejected item of a batch: its index, the field, and why. */
export interface ItemProblem {
  index: number;
  field: string;
  message: string;
}

export interface ValidatedObservations {
  observations: Observation[];
  /** For each accepted observation, its index in the request's batch. */
  indexes: number[];
  /** Every rejected item (the first 100 are reported; `rejected` counts them all). */
  problems: ItemProblem[];
  rejected: number;
  /** Unknown fields, ignored (named once each). */
  warnings: string[];
}

/** The fields of an observation (SPEC.md §5); any other is ignored with a warning. */
export const OBSERVATION_FIELDS: ReadonlySet<string> = new Set([
  'basepath',
  'statusCode',
  'error',
  'durationMs',
  'timestamp',
  'source',
]);

/**
 * Whether a key is one of OBSERVATION_FIELDS, as a switch: parsed keys are internalized strings, so
 * each case is a pointer comparison (a third of the cost of a Set lookup, per key of every item).
 * A test keeps the two lists equal.
 */
export function isObservationField(key: string): boolean {
  switch (key) {
    case 'basepath':
    case 'statusCode':
    case 'error':
    case 'durationMs':
    case 'timestamp':
    case 'source':
      return true;
    default:
      return false;
  }
}

/**
 * The limits an observation is held to, read by the validator below and by its JSON Schema
 * (http/schema/ingest-schemas.ts, in the OpenAPI document).
 */
export const OBSERVATION_LIMITS = {
  statusMin: 100,
  statusMax: 599,
  errorLength: 200,
  maxDurationMs: 86_400_000,
  /** A timestamp up to this far ahead (clock skew) is taken as now; further is refused. */
  maxFutureMs: 60_000,
  timestampTextLength: 40,
} as const;
const MAX_FUTURE_MS = OBSERVATION_LIMITS.maxFutureMs;
const MAX_DURATION_MS = OBSERVATION_LIMITS.maxDurationMs;
const MAX_PROBLEMS = 100;

/**
 * Validates a batch of observations item by item (SPEC.md §5): a bad item is reported with its
 * index and field and the good ones are kept. Written for throughput: no allocation per valid item
 * beyond the observation itself. Timestamps up to a minute in the future (clock skew) are taken as
 * now; later ones are refused.
 */
export function validateObservations(body: unknown, maxBatch: number, now: number): ValidatedObservations {
  if (!Array.isArray(body)) {
    throw new HeartbeatError('VALIDATION_FAILED', `send an array of observations, not ${typeName(body)}`, {
      field: '(body)',
    });
  }
  if (body.length > maxBatch) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `the batch has ${body.length} observations; at most ${maxBatch} are accepted per request — split it`,
      { field: '(body)', max: maxBatch, got: body.length },
    );
  }
  const observations: Observation[] = [];
  const indexes: number[] = [];
  const problems: ItemProblem[] = [];
  const unknown = new Set<string>();
  let rejected = 0;
  const reject = (index: number, field: string, message: string) => {
    rejected++;
    if (problems.length < MAX_PROBLEMS) problems.push({ index, field, message });
  };
  for (let index = 0; index < body.length; index++) {
    const item: unknown = body[index];
    if (!isPlainObject(item)) {
      reject(index, '(item)', `must be an observation object, not ${typeName(item)}`);
      continue;
    }
    const basepath = item.basepath;
    if (
      typeof basepath !== 'string' ||
      basepath.length > BASEPATH_MAX_LENGTH ||
      !BASEPATH_PATTERN.test(basepath)
    ) {
      reject(index, 'basepath', basepathProblem(basepath));
      continue;
    }
    const statusCode = item.statusCode;
    const error = item.error;
    if (statusCode !== undefined && statusCode !== null) {
      if (
        typeof statusCode !== 'number' ||
        !Number.isInteger(statusCode) ||
        statusCode < OBSERVATION_LIMITS.statusMin ||
        statusCode > OBSERVATION_LIMITS.statusMax
      ) {
        reject(
          index,
          'statusCode',
          `must be an HTTP status from 100 to 599 (got ${JSON.stringify(statusCode)})`,
        );
        continue;
      }
      if (error !== undefined && error !== null) {
        reject(index, 'error', 'give statusCode or error, not both');
        continue;
      }
    } else if (
      typeof error !== 'string' ||
      error.length === 0 ||
      error.length > OBSERVATION_LIMITS.errorLength
    ) {
      reject(
        index,
        error === undefined || error === null ? 'statusCode' : 'error',
        'needs statusCode, or error (a short reason such as "timeout")',
      );
      continue;
    }
    const durationMs = item.durationMs;
    if (typeof durationMs !== 'number' || !(durationMs >= 0) || durationMs > MAX_DURATION_MS) {
      reject(
        index,
        'durationMs',
        `must be a number of milliseconds from 0 to ${MAX_DURATION_MS} (got ${JSON.stringify(durationMs)})`,
      );
      continue;
    }
    let timestamp = parseTimestamp(item.timestamp, now);
    if (timestamp === undefined) {
      reject(
        index,
        'timestamp',
        `must be epoch milliseconds or an ISO 8601 time (got ${JSON.stringify(item.timestamp)})`,
      );
      continue;
    }
    if (timestamp > now) {
      if (timestamp - now > MAX_FUTURE_MS) {
        reject(
          index,
          'timestamp',
          `is ${Math.round((timestamp - now) / 1000)}s in the future; check the sender's clock`,
        );
        continue;
      }
      timestamp = now;
    }
    let source: ObservationSource = 'traffic';
    if (item.source !== undefined && item.source !== null) {
      if (item.source !== 'traffic' && item.source !== 'pulse' && item.source !== 'otlp') {
        reject(
          index,
          'source',
          `must be one of ${OBSERVATION_SOURCES.join(', ')} (got ${JSON.stringify(item.source)})`,
        );
        continue;
      }
      source = item.source;
    }
    const observation: Observation = {
      basepath: basepath.length > 1 && basepath.endsWith('/') ? normalizeBasepath(basepath) : basepath,
      durationMs,
      timestamp,
      source,
    };
    if (typeof statusCode === 'number') observation.statusCode = statusCode;
    else observation.error = error as string;
    observations.push(observation);
    indexes.push(index);
    for (const key in item) if (!isObservationField(key)) unknown.add(key);
  }
  return {
    observations,
    indexes,
    problems,
    rejected,
    warnings: [...unknown].map((key) => `${key}: unknown field, ignored`),
  };
}

/** Epoch ms or ISO 8601; a missing timestamp means now. */
function parseTimestamp(value: unknown, now: number): number | undefined {
  if (value === undefined || value === null) return now;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && value.length <= OBSERVATION_LIMITS.timestampTextLength) {
    const fast = parseIsoUtc(value);
    if (fast !== undefined) return fast;
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/**
 * The common shape, `2026-11-21T10:11:12.345Z` (or without milliseconds), read digit by digit: as
 * costly as the whole commit when left to `Date.parse` at a million observations a second.
 * Anything else (offsets, other precisions) goes to `Date.parse`.
 */
export function parseIsoUtc(text: string): number | undefined {
  const length = text.length;
  if ((length !== 24 && length !== 20) || text.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  let millis = 0;
  if (length === 24) {
    if (text.charCodeAt(19) !== 46) return undefined;
    millis = digitsAt(text, 20, 3);
  }
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (!(hour <= 23 && minute <= 59 && second <= 59 && millis >= 0)) return undefined;
  const dayStart = dayStartOf(digitsAt(text, 0, 4), digitsAt(text, 5, 2), digitsAt(text, 8, 2));
  return dayStart === undefined ? undefined : dayStart + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

/** The value of `count` decimal digits at `from`; NaN when one is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return NaN;
    value = value * 10 + code;
  }
  return value;
}

/** The last day `dayStartOf` worked out: a batch's timestamps nearly all fall on one day. */
let lastDay = { key: NaN, start: 0 };

/** Midnight UTC of that date (epoch ms); undefined for a date that does not exist (2026-02-31). */
function dayStartOf(year: number, month: number, day: number): number | undefined {
  const key = year * 10_000 + month * 100 + day;
  if (key === lastDay.key) return lastDay.start;
  if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31)) return undefined;
  const start = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-31 over into March: such a date is not what was meant.
  if (new Date(start).getUTCDate() !== day) return undefined;
  lastDay = { key, start };
  return start;
}

function basepathProblem(value: unknown): string {
  if (typeof value !== 'string') return `must be a basepath like /eni/echo/v1 (got ${typeName(value)})`;
  if (value.length > BASEPATH_MAX_LENGTH) return `must be at most ${BASEPATH_MAX_LENGTH} characters`;
  return `must start with / and use only letters, digits and . _ ~ / - (got ${JSON.stringify(value.slice(0, 80))})`;
}
