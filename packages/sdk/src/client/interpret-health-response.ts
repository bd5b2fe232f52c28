import { formatDuration } from '../core/duration.js';
import type { CheckStatus } from '../core/status.js';

/**
 * The health formats Heartbeat can read back. `unknown` is an answer in none of them (judged by its
 * HTTP status alone); `none` is no answer at all (only `probeHealthUrl` gives it).
 */
export type HealthFormat =
  | 'heartbeat'
  | 'status'
  | 'system-check'
  | 'ops-heartbeat'
  | 'health-json'
  | 'kubernetes-probe'
  | 'spring'
  | 'unknown'
  | 'none';

/** An HTTP answer from a health endpoint, as far as reading it needs. */
export interface RawHealthResponse {
  statusCode: number;
  /** The `Content-Type` header, parameters included; absent when the server sent none. */
  contentType?: string | undefined;
  body: string;
}

/** One check, dependency or component named in an answer. */
export interface InterpretedCheck {
  name: string;
  status: CheckStatus;
  message?: string;
}

/** What an answer says, in the SDK's one status vocabulary (SPEC.md §2). */
export interface HealthInterpretation {
  status: CheckStatus;
  format: HealthFormat;
  /** One line for people: the answer's own message, or what is failing, or why the body was not understood. */
  message: string;
  /** The checks the answer lists, when its format lists any. */
  checks?: InterpretedCheck[];
}

export interface InterpretHealthResponseOptions {
  /** The local time (epoch ms or a Date) a heartbeat's time is compared with. Default: the current time. */
  now?: number | Date;
  /** How far a heartbeat's time may be from `now` before the answer is a `warning`. Default 5 minutes. */
  maxClockSkewMs?: number;
}

/** A heartbeat further than this from the local clock is a warning: one of the two clocks is wrong. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** How much of an unrecognised body is quoted in the message. */
const SNIPPET_CHARS = 200;

/**
 * Reads an answer from any health endpoint and maps it back to `ok`, `warning` or `error`, the
 * inverse of SPEC.md §2's table. Pure: no I/O; a malformed body is format `unknown`, never a throw.
 *
 * Where the body carries a status (system check, ops heartbeat, health+json, Spring), the body
 * decides: seed 003 answers a mere WARNING with HTTP 500. Where it does not (heartbeat, status
 * document, Kubernetes probe text, anything else), the HTTP status decides with the Kubernetes rule:
 * 200–399 passes.
 *
 * @example
 * interpretHealthResponse({ statusCode: 500, contentType: 'application/json', body: '{"code":"WARNING","error":true}' })
 * // { status: 'warning', format: 'system-check', message: 'WARNING' }
 */
export function interpretHealthResponse(
  response: RawHealthResponse,
  options: InterpretHealthResponseOptions = {},
): HealthInterpretation {
  const mediaType = mediaTypeOf(response.contentType);
  const body = response.body.replace(/^\uFEFF/, '').trim();
  const parsed = parseJsonBody(body, mediaType);
  if (parsed.kind === 'json') {
    const found = interpretJson(parsed.value, response, mediaType, options);
    if (found) return found;
  } else if (parsed.kind === 'text' && isPlainText(mediaType)) {
    const found = interpretHeartbeatText(body, response, options) ?? interpretProbeText(body, response);
    if (found) return found;
  }
  return unknownFormat(response);
}

/** The Kubernetes rule for a probe's HTTP status: 200–399 passes. */
export function isPassingHttpStatus(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 400;
}

// --- reading the body ----------------------------------------------------------------------------

type ParsedBody = { kind: 'json'; value: unknown } | { kind: 'text' } | { kind: 'malformed' };

function mediaTypeOf(contentType: string | undefined): string | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  return mediaType ? mediaType : undefined;
}

function isJsonMediaType(mediaType: string | undefined): boolean {
  return mediaType === 'application/json' || mediaType === 'text/json' || !!mediaType?.endsWith('+json');
}

/** Bodies that may be JSON or the Kubernetes text convention; an HTML page is neither. */
function isPlainText(mediaType: string | undefined): boolean {
  return mediaType === undefined || mediaType === 'text/plain' || mediaType === 'application/octet-stream';
}

/**
 * JSON when the content type says so; otherwise JSON only if a plain-text body looks like it
 * (servers that forget the content type are common). Malformed JSON under a JSON content type is
 * `malformed`, which nothing recognises.
 */
function parseJsonBody(body: string, mediaType: string | undefined): ParsedBody {
  const declared = isJsonMediaType(mediaType);
  if (!declared && !(isPlainText(mediaType) && /^[{"]/.test(body))) return { kind: 'text' };
  try {
    return { kind: 'json', value: JSON.parse(body) as unknown };
  } catch {
    return declared ? { kind: 'malformed' } : { kind: 'text' };
  }
}

function interpretJson(
  value: unknown,
  response: RawHealthResponse,
  mediaType: string | undefined,
  options: InterpretHealthResponseOptions,
): HealthInterpretation | undefined {
  if (typeof value === 'string') return interpretHeartbeatText(value, response, options);
  if (!isRecord(value)) return undefined;
  return (
    interpretSystemCheck(value) ??
    interpretOpsHeartbeat(value) ??
    interpretStatusField(value, response, mediaType) ??
    interpretStatusDocument(value, response)
  );
}

// --- heartbeat (seed 000) --------------------------------------------------------------------------

const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch ms of an ISO-8601 date-time; one without a zone counts as UTC (seed 000 serves UTC). */
function parseIsoTimestamp(text: string): number | undefined {
  const match = TIMESTAMP_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 April over to 1 May; a real date survives the round trip.
  if (new Date(local).getUTCDate() !== day) return undefined;
  if (zone.toUpperCase() === 'Z') return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return local - sign * offsetMinutes * 60_000;
}

function interpretHeartbeatText(
  text: string,
  response: RawHealthResponse,
  options: InterpretHealthResponseOptions,
): HealthInterpretation | undefined {
  const time = parseIsoTimestamp(text);
  if (time === undefined) return undefined;
  const shown = text.trim();
  if (!isPassingHttpStatus(response.statusCode)) {
    return {
      status: 'error',
      format: 'heartbeat',
      message: `HTTP ${response.statusCode}, server time ${shown}`,
    };
  }
  const now = options.now === undefined ? Date.now() : +options.now;
  const maxSkew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  const skew = time - now;
  if (Math.abs(skew) > maxSkew) {
    const direction = skew > 0 ? 'ahead of' : 'behind';
    return {
      status: 'warning',
      format: 'heartbeat',
      message: `clock skew: server time ${shown} is ${formatDuration(Math.abs(skew))} ${direction} local time`,
    };
  }
  return { status: 'ok', format: 'heartbeat', message: `server time ${shown}` };
}

// --- system check (seed 003) -------------------------------------------------------------------

const SYSTEM_CHECK_CODES: Readonly<Record<string, CheckStatus>> = {
  OK: 'ok',
  WARNING: 'warning',
  ERROR: 'error',
};

/** `{"code":"OK"|"WARNING"|"ERROR"}`: the code decides, whatever the HTTP status (a WARNING is a 500). */
function interpretSystemCheck(value: Record<string, unknown>): HealthInterpretation | undefined {
  const status = lookup(SYSTEM_CHECK_CODES, value.code);
  if (!status) return undefined;
  const message = nonEmptyString(value.message) ?? String(value.code);
  return { status, format: 'system-check', message };
}

// --- ops heartbeat (seed 004) --------------------------------------------------------------------

const OPS_STATUS: Readonly<Record<string, CheckStatus>> = { OK: 'ok', WARNING: 'warning', ERROR: 'error' };
// The seed's dependency enum is OK/WARNING/CRITICAL; ERROR is the obvious slip and means the same.
const OPS_DEPENDENCY_STATUS: Readonly<Record<string, CheckStatus>> = {
  OK: 'ok',
  WARNING: 'warning',
  CRITICAL: 'error',
  ERROR: 'error',
};

function interpretOpsHeartbeat(value: Record<string, unknown>): HealthInterpretation | undefined {
  const status = lookup(OPS_STATUS, value.Status);
  if (!status) return undefined;
  const machine = nonEmptyString(value.Machine);
  const base =
    nonEmptyString(value.Message) ?? `Status ${String(value.Status)}${machine ? ` on ${machine}` : ''}`;
  if (!Array.isArray(value.Dependencies)) return { status, format: 'ops-heartbeat', message: base };
  const checks: InterpretedCheck[] = [];
  value.Dependencies.forEach((dependency: unknown, index) => {
    if (!isRecord(dependency)) return;
    const raw = dependency.Status;
    const name =
      nonEmptyString(dependency.Name) ?? nonEmptyString(dependency.URL) ?? `dependency ${index + 1}`;
    const known = lookup(OPS_DEPENDENCY_STATUS, raw);
    const message = nonEmptyString(dependency.Message) ?? (known ? String(raw) : describeUnknownStatus(raw));
    checks.push({ name, status: known ?? 'error', message });
  });
  const failing = describeFailing(checks);
  const message = failing ? `${base}; failing dependencies: ${failing}` : base;
  return { status, format: 'ops-heartbeat', message, checks };
}

// --- health+json (IETF draft) and Spring Boot Actuator -------------------------------------------

const DRAFT_STATUS: Readonly<Record<string, CheckStatus>> = {
  pass: 'ok',
  ok: 'ok',
  up: 'ok',
  warn: 'warning',
  fail: 'error',
  error: 'error',
  down: 'error',
};
const SPRING_STATUS: Readonly<Record<string, CheckStatus>> = {
  UP: 'ok',
  DOWN: 'error',
  OUT_OF_SERVICE: 'error',
  UNKNOWN: 'warning',
};

/**
 * A lowercase `status` key is the IETF draft or Spring Boot. The content type settles it when it
 * can; otherwise Spring's uppercase vocabulary (`UP`) against the draft's lowercase one (`pass`, `up`).
 */
function interpretStatusField(
  value: Record<string, unknown>,
  response: RawHealthResponse,
  mediaType: string | undefined,
): HealthInterpretation | undefined {
  const raw = value.status;
  if (typeof raw !== 'string') return undefined;
  if (mediaType === 'application/health+json') return interpretHealthJson(value, raw.toLowerCase(), response);
  if (mediaType?.startsWith('application/vnd.spring-boot.actuator') || lookup(SPRING_STATUS, raw)) {
    return interpretSpring(value, raw, response);
  }
  const lower = raw.toLowerCase();
  return lookup(DRAFT_STATUS, lower) ? interpretHealthJson(value, lower, response) : undefined;
}

function interpretHealthJson(
  value: Record<string, unknown>,
  raw: string,
  response: RawHealthResponse,
): HealthInterpretation {
  const known = lookup(DRAFT_STATUS, raw);
  const status = known ?? statusFromHttp(response.statusCode);
  const checks = isRecord(value.checks) ? draftChecks(value.checks, status) : undefined;
  const failing = checks && describeFailing(checks);
  const message =
    nonEmptyString(value.output) ??
    (failing ? `failing: ${failing}` : undefined) ??
    (known ? `status ${raw}` : `${describeUnknownStatus(value.status)}, HTTP ${response.statusCode}`);
  return withChecks({ status, format: 'health-json', message }, checks);
}

/** `checks` keyed `component:measurement`, each an array of objects; one entry per object. */
function draftChecks(checks: Record<string, unknown>, overall: CheckStatus): InterpretedCheck[] {
  const found: InterpretedCheck[] = [];
  for (const [key, entries] of Object.entries(checks)) {
    const list: unknown[] = Array.isArray(entries) ? entries : [entries];
    list.forEach((entry, index) => {
      if (!isRecord(entry)) return;
      const id = nonEmptyString(entry.componentId) ?? `#${index + 1}`;
      const name = list.length > 1 ? `${key} (${id})` : key;
      // The draft makes a check's status optional: without one, it shares the overall status.
      const status =
        typeof entry.status === 'string' ? lookup(DRAFT_STATUS, entry.status.toLowerCase()) : undefined;
      const check: InterpretedCheck = { name, status: status ?? overall };
      const message =
        nonEmptyString(entry.output) ?? describeObserved(entry.observedValue, entry.observedUnit);
      if (message !== undefined) check.message = message;
      found.push(check);
    });
  }
  return found;
}

function interpretSpring(
  value: Record<string, unknown>,
  raw: string,
  response: RawHealthResponse,
): HealthInterpretation {
  // A custom status (Spring allows e.g. FATAL) is at least a warning; its HTTP mapping says if worse.
  const status =
    lookup(SPRING_STATUS, raw) ?? (isPassingHttpStatus(response.statusCode) ? 'warning' : 'error');
  const children = isRecord(value.components)
    ? value.components
    : isRecord(value.details)
      ? value.details
      : {};
  const checks = springComponents(children, '');
  const failing = describeFailing(checks);
  const message = `status ${raw}${failing ? `; failing: ${failing}` : ''}`;
  return withChecks({ status, format: 'spring', message }, checks.length > 0 ? checks : undefined);
}

/** Spring's component tree (Boot 2.2+ `components`, 2.0/2.1 `details`), flattened to `db/primary` names. */
function springComponents(components: Record<string, unknown>, prefix: string): InterpretedCheck[] {
  const found: InterpretedCheck[] = [];
  for (const [key, component] of Object.entries(components)) {
    if (!isRecord(component) || typeof component.status !== 'string') continue;
    const name = `${prefix}${key}`;
    if (isRecord(component.components)) {
      found.push(...springComponents(component.components, `${name}/`));
      continue;
    }
    const status = lookup(SPRING_STATUS, component.status) ?? 'warning';
    const error = isRecord(component.details) ? nonEmptyString(component.details.error) : undefined;
    const check: InterpretedCheck = { name, status };
    if (status !== 'ok') check.message = error ? `${component.status}: ${error}` : component.status;
    found.push(check);
  }
  return found;
}

// --- status document (pip-services /status) -------------------------------------------------------

/** `{id, name, start_time, current_time, uptime, …}`: it describes, it does not judge. */
function interpretStatusDocument(
  value: Record<string, unknown>,
  response: RawHealthResponse,
): HealthInterpretation | undefined {
  if (typeof value.current_time !== 'string' || !('start_time' in value) || !('uptime' in value))
    return undefined;
  const who = nonEmptyString(value.name) ?? nonEmptyString(value.id) ?? 'service';
  const id = nonEmptyString(value.id);
  const uptime =
    typeof value.uptime === 'number' && Number.isFinite(value.uptime) && value.uptime >= 0
      ? `up ${formatDuration(value.uptime)}`
      : `started ${String(value.start_time)}`;
  const checks = Array.isArray(value.components) ? statusComponents(value.components) : [];
  const failing = describeFailing(checks);
  const description = `${who}${id && id !== who ? ` (${id})` : ''} ${uptime}${failing ? `; failing: ${failing}` : ''}`;
  return withChecks(
    httpJudged('status', description, response.statusCode),
    checks.length > 0 ? checks : undefined,
  );
}

/** The SDK lists its checks as components; pip-services lists descriptor strings, which are skipped. */
function statusComponents(components: unknown[]): InterpretedCheck[] {
  const found: InterpretedCheck[] = [];
  for (const component of components) {
    if (!isRecord(component)) continue;
    const name = nonEmptyString(component.name);
    const status = lookup(SYSTEM_CHECK_CODES, String(component.status).toUpperCase());
    if (!name || !status) continue;
    const check: InterpretedCheck = { name, status };
    const message = nonEmptyString(component.message);
    if (message !== undefined) check.message = message;
    found.push(check);
  }
  return found;
}

// --- Kubernetes probe text (/livez, /readyz, /startupz) --------------------------------------------

/** The line shapes of the API server's `?verbose` output, and the SDK's warning variants of them. */
const PROBE_LINES: ReadonlyArray<[RegExp, CheckStatus]> = [
  [/^\[\+\](\S+) ok$/, 'ok'],
  [/^\[\+\](\S+) excluded: ok$/, 'ok'],
  [/^\[\+\](\S+) ok \(warning: (.*)\)$/, 'warning'],
  [/^\[\+\](\S+) failed, not critical: (.*)$/, 'error'],
  [/^\[-\](\S+) failed: ?(.*)$/, 'error'],
];
const PROBE_SUMMARY = /^\S+ check (passed|failed)$/;
const PROBE_NOTE = /^warn: /;

/**
 * `ok`, or `[+]name ok` / `[-]name failed: reason` lines ending in `readyz check passed|failed`.
 * The HTTP status decides, as it does for the kubelet; a passing probe that lists a failing check
 * is a warning (a warning, or a non-critical error, never fails a probe).
 */
function interpretProbeText(body: string, response: RawHealthResponse): HealthInterpretation | undefined {
  const lines = body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length === 0) return undefined;
  if (lines.length === 1 && lines[0] === 'ok')
    return httpJudged('kubernetes-probe', 'ok', response.statusCode);
  const checks: InterpretedCheck[] = [];
  let summary: string | undefined;
  for (const line of lines) {
    if (PROBE_SUMMARY.test(line)) {
      summary = line;
      continue;
    }
    if (PROBE_NOTE.test(line)) continue;
    const check = probeLine(line);
    if (!check) return undefined;
    checks.push(check);
  }
  if (checks.length === 0 && summary === undefined) return undefined;
  const failing = describeFailing(checks);
  const description = `${summary ?? (failing ? 'check failed' : 'ok')}${failing ? `; failing: ${failing}` : ''}`;
  const judged = httpJudged('kubernetes-probe', description, response.statusCode);
  if (judged.status === 'ok' && failing) judged.status = 'warning';
  return withChecks(judged, checks);
}

function probeLine(line: string): InterpretedCheck | undefined {
  for (const [pattern, status] of PROBE_LINES) {
    const match = pattern.exec(line);
    if (!match) continue;
    const check: InterpretedCheck = { name: match[1]!, status };
    const reason = match[2];
    if (reason) check.message = reason;
    else if (line.includes(' excluded: ')) check.message = 'excluded';
    return check;
  }
  return undefined;
}

// --- anything else -------------------------------------------------------------------------------

function unknownFormat(response: RawHealthResponse): HealthInterpretation {
  const snippet = printable(response.body.replace(/\s+/g, ' ').trim());
  const quoted = snippet.length > SNIPPET_CHARS ? `${snippet.slice(0, SNIPPET_CHARS)}…` : snippet;
  const message = quoted
    ? `HTTP ${response.statusCode}, unrecognised body: ${quoted}`
    : `HTTP ${response.statusCode}, empty body`;
  return { status: statusFromHttp(response.statusCode), format: 'unknown', message };
}

// --- helpers -------------------------------------------------------------------------------------

function statusFromHttp(statusCode: number): CheckStatus {
  return isPassingHttpStatus(statusCode) ? 'ok' : 'error';
}

/** For formats whose body says nothing about health: the HTTP status decides, and says so when it fails. */
function httpJudged(format: HealthFormat, description: string, statusCode: number): HealthInterpretation {
  return isPassingHttpStatus(statusCode)
    ? { status: 'ok', format, message: description }
    : { status: 'error', format, message: `HTTP ${statusCode}: ${description}` };
}

function withChecks(
  result: HealthInterpretation,
  checks: InterpretedCheck[] | undefined,
): HealthInterpretation {
  if (checks !== undefined) result.checks = checks;
  return result;
}

/** `db (connection refused), cache (slow)` for the checks that are not ok; undefined when none. */
function describeFailing(checks: readonly InterpretedCheck[]): string | undefined {
  const failing = checks
    .filter((check) => check.status !== 'ok')
    .map((check) => (check.message ? `${check.name} (${check.message})` : check.name));
  return failing.length > 0 ? failing.join(', ') : undefined;
}

function describeObserved(value: unknown, unit: unknown): string | undefined {
  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') return undefined;
  return typeof unit === 'string' && unit ? `${value} ${unit}` : String(value);
}

function describeUnknownStatus(raw: unknown): string {
  return raw === undefined ? 'no status' : `status ${JSON.stringify(raw)} not recognised`;
}

function lookup(table: Readonly<Record<string, CheckStatus>>, key: unknown): CheckStatus | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Control characters (a terminal escape sequence from a hostile server) shown as U+FFFD. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}
