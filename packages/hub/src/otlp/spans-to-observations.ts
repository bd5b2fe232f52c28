import type { Observation } from '../domain/api.js';
import { ProblemList, type FieldProblem } from '../domain/validation.js';
import {
  findAttribute,
  SPAN_KIND,
  STATUS_CODE,
  type OtlpAnyValue,
  type OtlpSpan,
  type OtlpTraceRequest,
} from './otlp-trace-request.js';

/**
 * Which API a request path belongs to: the hub answers with the longest registered basepath that
 * is a prefix of it (segment-wise), or undefined when none is.
 */
export type ResolveBasepath = (path: string) => string | undefined;

export interface SpansToObservationsResult {
  observations: Observation[];
  /** Spans that could not be read, or whose values are broken (an absurd time, a status of 42). */
  rejected: number;
  /**
   * Spans read fine that say nothing about an API: not SERVER spans, no HTTP path, a path under no
   * registered basepath, or no outcome (no HTTP status and not an error).
   */
  ignored: number;
  /** Why spans were rejected and parts of the request skipped, by field; at most 50. */
  problems: FieldProblem[];
}

/** The span attributes the mapping reads (semantic conventions, current and pre-1.20 names). */
export const OBSERVATION_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  'http.route',
  'url.path',
  'url.full',
  'http.url',
  'http.target',
  'http.response.status_code',
  'http.status_code',
]);

/** The same bounds as pushed observations (domain/observation.ts). */
const MAX_DURATION_NS = 86_400_000n * 1_000_000n;
const MAX_FUTURE_MS = 60_000;
/** Earlier end times are a unit mistake (seconds or ms sent as nanoseconds), not real requests. */
const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
const MAX_ERROR_LENGTH = 120;
const MAX_PATH_LENGTH = 2048;

/**
 * Turns the SERVER spans of an OTLP trace request into observations (`source: 'otlp'`); pure.
 *
 * - Path: `http.route` (the templated route), else `url.path`, else the path of `url.full` /
 *   `http.url`, else `http.target` without its query. Each is tried in that order until one falls
 *   under a registered basepath, so a route template that lacks its mount prefix still counts by
 *   its real path. A route without a leading slash (ASP.NET's `api/items/{id}`) gets one.
 * - Outcome: `http.response.status_code`, else the older `http.status_code`; without either, a
 *   span whose status is ERROR is an observation with `error` (the status message, shortened, or
 *   `span error`); otherwise it is ignored.
 * - Timing: `durationMs` is end − start; `timestamp` the end time in ms. A missing time, an end
 *   before the start, a span over 24 h, an end before 2000 or over a minute in the future rejects
 *   the span; up to a minute ahead is taken as now (clock skew), as for pushed observations.
 *
 * @example
 * const { observations, rejected } = spansToObservations(decodeOtlpTraces(body, 'json'), (path) =>
 *   path.startsWith('/eni/echo/v1') ? '/eni/echo/v1' : undefined, Date.now());
 */
export function spansToObservations(
  request: OtlpTraceRequest,
  resolveBasepath: ResolveBasepath,
  now: number,
): SpansToObservationsResult {
  const observations: Observation[] = [];
  const problems = new ProblemList();
  for (const { field, message } of request.problems) problems.add(field, message);
  let rejected = 0;
  let ignored = 0;
  const reject = (field: string, message: string) => {
    rejected++;
    problems.add(field, message);
  };

  for (const entry of request.spans) {
    if ('problem' in entry) {
      reject(entry.problem.field, entry.problem.message);
      continue;
    }
    const { span, field } = entry;
    if (span.kind !== SPAN_KIND.SERVER) {
      ignored++;
      continue;
    }
    const basepath = basepathOf(span, resolveBasepath);
    if (basepath === undefined) {
      ignored++;
      continue;
    }
    const status = statusCodeOf(span);
    if (status !== undefined && 'problem' in status) {
      reject(`${field}.attributes[${status.key}]`, status.problem);
      continue;
    }
    if (status === undefined && span.status.code !== STATUS_CODE.ERROR) {
      ignored++;
      continue;
    }
    const timing = timingOf(span, now);
    if ('problem' in timing) {
      reject(`${field}.${timing.field}`, timing.problem);
      continue;
    }
    const observation: Observation = {
      basepath,
      durationMs: timing.durationMs,
      timestamp: timing.timestamp,
      source: 'otlp',
    };
    if (status !== undefined) observation.statusCode = status.statusCode;
    else observation.error = shortError(span.status.message);
    observations.push(observation);
  }
  return { observations, rejected, ignored, problems: problems.problems };
}

function basepathOf(span: OtlpSpan, resolveBasepath: ResolveBasepath): string | undefined {
  for (const path of candidatePaths(span)) {
    const basepath = resolveBasepath(path.slice(0, MAX_PATH_LENGTH));
    if (basepath !== undefined) return basepath;
  }
  return undefined;
}

function* candidatePaths(span: OtlpSpan): Generator<string> {
  const route = text(findAttribute(span, 'http.route'));
  if (route) yield route.startsWith('/') ? route : `/${route}`;
  const path = text(findAttribute(span, 'url.path'));
  if (path?.startsWith('/')) yield withoutQuery(path);
  for (const key of ['url.full', 'http.url']) {
    const url = text(findAttribute(span, key));
    if (url) {
      const pathname = pathOfUrl(url);
      if (pathname) yield pathname;
    }
  }
  const target = text(findAttribute(span, 'http.target'));
  if (target?.startsWith('/')) yield withoutQuery(target);
}

function text(value: OtlpAnyValue | undefined): string | undefined {
  return value?.type === 'string' && value.value.length > 0 ? value.value : undefined;
}

function withoutQuery(path: string): string {
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

function pathOfUrl(url: string): string | undefined {
  if (url.startsWith('/')) return withoutQuery(url);
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

type StatusCodeResult = { statusCode: number } | { key: string; problem: string };

function statusCodeOf(span: OtlpSpan): StatusCodeResult | undefined {
  for (const key of ['http.response.status_code', 'http.status_code']) {
    const value = findAttribute(span, key);
    if (value === undefined || value.type === 'empty') continue;
    const statusCode = httpStatus(value);
    if (statusCode === undefined)
      return { key, problem: `must be an HTTP status from 100 to 599 (got ${describeValue(value)})` };
    return { statusCode };
  }
  return undefined;
}

/** An int, a whole double or a string of digits (some instrumentations send text) from 100 to 599. */
function httpStatus(value: OtlpAnyValue): number | undefined {
  let status: number | undefined;
  if (value.type === 'int')
    status = value.value >= 100n && value.value <= 599n ? Number(value.value) : undefined;
  else if (value.type === 'double') status = value.value;
  else if (value.type === 'string' && /^\d{3}$/.test(value.value)) status = Number(value.value);
  return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599
    ? status
    : undefined;
}

function describeValue(value: OtlpAnyValue): string {
  switch (value.type) {
    case 'string':
      return JSON.stringify(value.value.slice(0, 40));
    case 'int':
    case 'double':
    case 'bool':
      return `${value.type} ${String(value.value)}`;
    default:
      return `a ${value.type} value`;
  }
}

type Timing = { durationMs: number; timestamp: number } | { field: string; problem: string };

function timingOf(span: OtlpSpan, now: number): Timing {
  const start = span.startTimeUnixNano;
  const end = span.endTimeUnixNano;
  if (start === 0n) return { field: 'startTimeUnixNano', problem: 'is missing' };
  if (end === 0n) return { field: 'endTimeUnixNano', problem: 'is missing (the span never ended)' };
  if (end < start)
    return {
      field: 'endTimeUnixNano',
      problem: `is before startTimeUnixNano (by ${formatMs(Number(start - end) / 1e6)})`,
    };
  if (end - start > MAX_DURATION_NS)
    return {
      field: 'endTimeUnixNano',
      problem: `makes the span last ${formatMs(Number(end - start) / 1e6)}; at most 24 h is accepted`,
    };
  const endMs = Number(end / 1_000_000n);
  if (endMs < MIN_TIMESTAMP_MS)
    return {
      field: 'endTimeUnixNano',
      problem: `is ${new Date(endMs).toISOString()}, before 2000; times are nanoseconds since the epoch`,
    };
  if (endMs - now > MAX_FUTURE_MS)
    return {
      field: 'endTimeUnixNano',
      problem: `is ${formatMs(endMs - now)} in the future; check the sender's clock`,
    };
  return {
    // Microsecond precision is plenty, and keeps the number short.
    durationMs: Math.round(Number(end - start) / 1000) / 1000,
    timestamp: Math.min(endMs, now),
  };
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 1000) / 1000} ms`;
  if (ms < 3_600_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

/** The first line of the status message, printable, at most 120 characters; `span error` if none. */
function shortError(message: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const line = (message.split(/\r?\n/, 1)[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (!line) return 'span error';
  const short = line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line;
  return short.toWellFormed();
}
