import {
  API_DEFAULTS,
  DEFAULT_FAIL_ON,
  PULSE_DEFAULTS,
  type ApiDefinition,
  type FailOnRule,
  type JsonCondition,
  type PulseDefinition,
} from '../domain/api.js';
import { BASEPATH_MAX_LENGTH, BASEPATH_PATTERN, normalizeBasepath } from '../domain/basepath.js';
import {
  field,
  list,
  map,
  optionalField,
  optionalSection,
  requiredField,
  section,
  values,
  type CheckContext,
  type ListNode,
  type SectionNode,
} from './config-schema.js';
import type { HubConfig } from './hub-config.js';
import { suggest } from './suggest.js';
import {
  formatExactDuration,
  formatStatusRange,
  types,
  type ParseOutcome,
  type StatusRange,
  type ValueType,
} from './value-types.js';

/**
 * The `apis:` section of the hub's YAML: each team declares its API the way SPEC.md §5 judges
 * it, and optionally a Pulse probe. This file holds the shape, its schema (read by the same
 * machinery as every other setting) and the conversion to the domain's `ApiDefinition`.
 */

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One `failOn` entry: status codes as an inclusive range, or `errors` (timeouts, refused connections…). */
export type FailOnEntry = StatusRange | 'errors';

/** What a Pulse probe expects of an answer, as written in the file. */
export interface PulseExpectConfig {
  status: StatusRange[];
  json: JsonCondition[];
  /** ms; unset means only `timeout` limits it. */
  maxResponseTime?: number;
}

/** `apis[].pulse`: a synthetic probe. Durations in ms. */
export interface PulseConfig {
  enabled: boolean;
  url?: string;
  /** Relative to the API's `upstream`, always with a leading `/`. */
  path?: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
  interval: number;
  timeout: number;
  expect: PulseExpectConfig;
}

/** One item of `apis:`. Durations in ms. */
export interface ApiConfig {
  basepath: string;
  name?: string;
  owner?: string;
  upstream?: string;
  runbook?: string;
  labels: Record<string, string>;
  window: number;
  threshold: number;
  minSamples: number;
  failOn: FailOnEntry[];
  pulse?: PulseConfig;
}

const ok = <T>(value: T): ParseOutcome<T> => ({ ok: true, value });
const fail = <T>(problem: string): ParseOutcome<T> => ({ ok: false, problem });

/** SPEC.md §5's basepath rules (domain/basepath.ts), stored without a trailing slash. */
function basepath(): ValueType<string> {
  return types.string({
    description: 'basepath',
    jsonSchema: { pattern: BASEPATH_PATTERN.source, maxLength: BASEPATH_MAX_LENGTH },
    refine(value) {
      if (value.length > BASEPATH_MAX_LENGTH) {
        return fail(`is longer than ${BASEPATH_MAX_LENGTH} characters (${value.length})`);
      }
      if (!BASEPATH_PATTERN.test(value)) {
        return fail(
          'is not a basepath; start with / and use only letters, digits and . _ ~ / - like /eni/echo/v1',
        );
      }
      return ok(normalizeBasepath(value));
    },
  });
}

const ERRORS_WORD = 'errors';

/** `5xx`, `429`, `"500-504"` or `errors`. */
function failOnEntry(): ValueType<FailOnEntry> {
  const status = types.statusRange();
  return {
    description: 'status code, class, range or errors',
    jsonSchema: {
      anyOf: [status.jsonSchema ?? {}, { type: 'string', pattern: '^\\s*[eE][rR][rR][oO][rR][sS]\\s*$' }],
    },
    parse(raw) {
      const text = String(raw).trim().toLowerCase();
      if (typeof raw === 'string' && text === ERRORS_WORD) return ok(ERRORS_WORD);
      const outcome = status.parse(raw);
      if (outcome.ok) return outcome;
      const near = typeof raw === 'string' ? suggest(text, [ERRORS_WORD]) : undefined;
      return fail(
        near !== undefined
          ? `is not a status code, class, range or errors; did you mean ${near}?`
          : 'is not a status code, class, range or errors; write 5xx, 429, "500-504" or errors (timeouts and connection errors)',
      );
    },
    format: (entry) => (entry === ERRORS_WORD ? ERRORS_WORD : formatStatusRange(entry)),
  };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerName(): ValueType<string> {
  return types.string({
    description: 'header name',
    refine: (value) =>
      HEADER_NAME.test(value)
        ? ok(value)
        : fail('is not a header name; use letters, digits and - like X-Api-Key'),
  });
}

function headerValue(): ValueType<string> {
  return types.string({
    description: 'string',
    refine: (value) =>
      /[\r\n\0]/.test(value) ? fail('has a line break; a header value is one line') : ok(value),
  });
}

/** A path below `upstream`: `/health`, `status?deep=1`; kept with one leading slash. */
function relativePath(): ValueType<string> {
  return types.string({
    nonEmpty: true,
    description: 'path',
    refine(value) {
      const text = value.trim();
      if (/^[a-z][a-z0-9+.-]*:/i.test(text))
        return fail('is a full URL; give it as url, or a path like /health');
      if (/\s/.test(text)) return fail('has white space; encode it as %20');
      return ok(text.startsWith('/') ? text : `/${text}`);
    },
  });
}

/** `status`, `checks.db.status`, `items.0.id`: dotted, no empty segments. */
function jsonPath(): ValueType<string> {
  return types.string({
    nonEmpty: true,
    description: 'dotted path',
    refine: (value) =>
      /^[^.]+(?:\.[^.]+)*$/.test(value.trim())
        ? ok(value.trim())
        : fail('is not a dotted path; write it like status or checks.db.status'),
  });
}

const JSON_OPERATORS = ['equals', 'notEquals', 'exists', 'greaterThan', 'lessThan', 'matches'] as const;

/** Exactly one operator per condition, so `{ path, equals, greaterThan }` is not silently half read. */
function checkJsonCondition(_condition: JsonCondition, context: CheckContext): void {
  const given = JSON_OPERATORS.filter((operator) => context.given(operator));
  const [first, second] = given;
  if (first === undefined) context.problem('', `needs one of ${JSON_OPERATORS.join(', ')}`);
  else if (second !== undefined) {
    context.problem(
      second,
      `cannot be used with ${first}; give one operator per condition (add another for more)`,
    );
  }
}

const JSON_CONDITION_SCHEMA: SectionNode<JsonCondition> = section(
  {
    path: requiredField(jsonPath(), {
      doc: 'where in the JSON body: `status`, `checks.db.status`, `items.length`',
    }),
    equals: optionalField(types.jsonScalar(), { doc: 'the value there is exactly this' }),
    notEquals: optionalField(types.jsonScalar(), { doc: 'the value there is anything but this' }),
    exists: optionalField(types.boolean(), { doc: '`true`: the path is there; `false`: it is not' }),
    greaterThan: optionalField(types.number(), { doc: 'the value there is a number above this' }),
    lessThan: optionalField(types.number(), { doc: 'the value there is a number below this' }),
    matches: optionalField(types.regex(), {
      doc: 'the value there, as text, matches this regular expression',
    }),
  },
  { check: checkJsonCondition },
);

/** What makes no sense for a `tcp://` probe, which only opens a connection. */
const HTTP_ONLY = ['method', 'headers', 'body', 'expect.status', 'expect.json'] as const;

function checkPulse(pulse: PulseConfig, context: CheckContext): void {
  const { url, path, interval, timeout, expect } = pulse;
  if (url !== undefined && path !== undefined) {
    context.problem('path', 'cannot be used with url; give the whole url, or a path relative to upstream');
  } else if (url === undefined && path === undefined && pulse.enabled) {
    context.problem('', "needs url, or path relative to the API's upstream");
  }
  if (timeout >= interval) {
    const [at, message] = context.given('timeout')
      ? [
          'timeout',
          `${formatExactDuration(timeout)} is not shorter than interval (${formatExactDuration(interval)})`,
        ]
      : [
          'interval',
          `${formatExactDuration(interval)} is not longer than timeout (${formatExactDuration(timeout)})`,
        ];
    context.problem(at, `${message}; a probe must end before the next one starts`);
  }
  if (expect.maxResponseTime !== undefined && expect.maxResponseTime > timeout) {
    context.problem(
      'expect.maxResponseTime',
      `${formatExactDuration(expect.maxResponseTime)} is longer than timeout (${formatExactDuration(timeout)}); raise timeout too, or a slow answer times out first`,
    );
  }
  if (url?.startsWith('tcp:')) {
    for (const setting of HTTP_ONLY) {
      if (context.given(setting)) {
        context.problem(
          setting,
          'does not apply to a tcp:// probe, which only opens a connection; leave it out',
        );
      }
    }
  }
}

const PULSE_SCHEMA = optionalSection<PulseConfig>(
  {
    enabled: field(types.boolean(), {
      default: true,
      doc: '`false` pauses the probe and keeps its settings',
    }),
    url: optionalField(types.url({ schemes: ['http', 'https', 'tcp'] }), {
      doc: 'what to probe; `tcp://host:port` only connects. Give `url` or `path`',
    }),
    path: optionalField(relativePath(), {
      doc: "what to probe, relative to the API's `upstream`: `/health`",
    }),
    method: field(types.oneOf(HTTP_METHODS), { default: PULSE_DEFAULTS.method, doc: 'HTTP method' }),
    headers: map(headerName(), headerValue(), { doc: 'request headers' }),
    body: optionalField(types.string(), { doc: 'request body, sent as is' }),
    interval: field(types.duration({ min: PULSE_DEFAULTS.minIntervalMs }), {
      default: PULSE_DEFAULTS.intervalMs,
      doc: 'time between probes',
    }),
    timeout: field(types.duration({ min: 1 }), {
      default: PULSE_DEFAULTS.timeoutMs,
      doc: 'a probe with no answer after this long fails; shorter than `interval`',
    }),
    expect: section({
      status: values(types.statusRange(), {
        default: [[200, 399]],
        minItems: 1,
        doc: 'acceptable status codes: `200`, `2xx`, `"200-299"`',
      }),
      json: list(JSON_CONDITION_SCHEMA, {
        doc: 'conditions on the JSON body, all of which must hold; one operator each',
      }),
      maxResponseTime: optionalField(types.duration({ min: 1 }), {
        doc: 'a slower answer fails, even with a good status',
      }),
    }),
  },
  {
    doc: 'a synthetic probe (Pulse) whose outcomes count as observations with `source: pulse`',
    check: checkPulse,
  },
);

function checkApi(api: ApiConfig, context: CheckContext): void {
  if (api.pulse?.path !== undefined && api.upstream === undefined) {
    context.problem(
      'pulse.path',
      'needs upstream on this API to be relative to; set upstream, or give pulse.url instead',
    );
  }
}

/** The schema of one `apis:` item. */
export const API_CONFIG_SCHEMA: SectionNode<ApiConfig> = section(
  {
    basepath: requiredField(basepath(), { doc: 'the API, as observations name it: `/eni/echo/v1`' }),
    name: optionalField(types.string({ nonEmpty: true }), { doc: 'a name for people' }),
    owner: optionalField(types.string({ nonEmpty: true }), { doc: 'the team to call' }),
    upstream: optionalField(types.url({ base: true }), {
      doc: 'base URL of the service behind the API; `pulse.path` is relative to it',
    }),
    runbook: optionalField(types.url(), { doc: 'what to do when it is `DOWN`' }),
    labels: map(types.string({ nonEmpty: true }), types.string(), { doc: 'free-form tags: `tier: gold`' }),
    window: field(types.duration({ min: '10s' }), {
      default: API_DEFAULTS.windowMs,
      doc: 'sliding window the status is judged over',
    }),
    threshold: field(types.ratio(), {
      default: API_DEFAULTS.threshold,
      doc: 'success ratio at or above which the API is `UP`: `0.9` or `90%`',
    }),
    minSamples: field(types.integer({ min: 1 }), {
      default: API_DEFAULTS.minSamples,
      doc: 'fewer observations in the window: `UNKNOWN`',
    }),
    failOn: values(failOnEntry(), {
      default: [...DEFAULT_FAIL_ON.statusRanges, ERRORS_WORD],
      minItems: 1,
      doc: 'outcomes that count as failures: `5xx`, `429`, `"500-504"`, `errors` (timeouts, connection errors)',
    }),
    pulse: PULSE_SCHEMA,
  },
  { check: checkApi },
);

/** `apis:` in the hub's schema: each basepath once. */
export const APIS_SCHEMA: ListNode<ApiConfig> = list(API_CONFIG_SCHEMA, {
  doc: 'the APIs the hub judges, declared by their teams; see [APIs](#apis)',
  unique: 'basepath',
});

// --- to the domain ---

/**
 * Sorted inclusive ranges with overlapping and touching ones joined: `[5xx, 429, 500-504]` →
 * `[[429, 429], [500, 599]]`.
 */
export function mergeStatusRanges(ranges: readonly StatusRange[]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [low, high] of [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    const last = merged.at(-1);
    if (last !== undefined && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  return merged;
}

/**
 * A `failOn` list as the domain's rule.
 *
 * @example
 * failOnRule([[500, 599], [429, 429], 'errors']) // { statusRanges: [[429, 429], [500, 599]], errors: true }
 */
export function failOnRule(entries: readonly FailOnEntry[]): FailOnRule {
  const ranges = entries.filter((entry): entry is StatusRange => entry !== ERRORS_WORD);
  return { statusRanges: mergeStatusRanges(ranges), errors: entries.includes(ERRORS_WORD) };
}

/**
 * What a probe requests: its `url`, else `upstream` and `path` joined by one slash
 * (`http://echo:8080/eni/echo/v1` + `/health` → `http://echo:8080/eni/echo/v1/health`), so the
 * path stays below the upstream's own path, unlike URL resolution.
 */
export function pulseUrl(
  pulse: Pick<PulseConfig, 'url' | 'path'>,
  upstream: string | undefined,
): string | undefined {
  if (pulse.url !== undefined) return pulse.url;
  if (pulse.path === undefined || upstream === undefined) return undefined;
  return upstream.replace(/\/+$/, '') + pulse.path;
}

function pulseDefinition(pulse: PulseConfig, upstream: string | undefined): PulseDefinition | undefined {
  const url = pulseUrl(pulse, upstream);
  // Only a paused probe may lack a target (the loader refuses an active one without).
  if (url === undefined) return undefined;
  const definition: PulseDefinition = {
    enabled: pulse.enabled,
    url,
    method: pulse.method,
    headers: { ...pulse.headers },
    intervalMs: pulse.interval,
    timeoutMs: pulse.timeout,
    expect: {
      status: mergeStatusRanges(pulse.expect.status),
      json: pulse.expect.json.map(
        // Written operators only: `equals: null` stays, unset ones go.
        (condition) =>
          Object.fromEntries(
            Object.entries(condition).filter(([, value]) => value !== undefined),
          ) as JsonCondition,
      ),
    },
  };
  if (pulse.body !== undefined) definition.body = pulse.body;
  if (pulse.expect.maxResponseTime !== undefined)
    definition.expect.maxResponseTimeMs = pulse.expect.maxResponseTime;
  return definition;
}

/** One `apis:` item as the domain's definition. */
export function apiDefinitionFromConfig(api: ApiConfig, now: number): ApiDefinition {
  const definition: ApiDefinition = {
    basepath: api.basepath,
    labels: { ...api.labels },
    windowMs: api.window,
    threshold: api.threshold,
    minSamples: api.minSamples,
    failOn: failOnRule(api.failOn),
    origin: 'config',
    createdAt: now,
    updatedAt: now,
  };
  if (api.name !== undefined) definition.name = api.name;
  if (api.owner !== undefined) definition.owner = api.owner;
  if (api.upstream !== undefined) definition.upstream = api.upstream;
  if (api.runbook !== undefined) definition.runbook = api.runbook;
  const pulse = api.pulse && pulseDefinition(api.pulse, api.upstream);
  if (pulse !== undefined) definition.pulse = pulse;
  return definition;
}

/**
 * The APIs the configuration declares, as the domain's definitions with origin `config`,
 * created and updated at `now`.
 *
 * @example
 * const definitions = apiDefinitionsFromConfig(loaded.config, Date.now());
 */
export function apiDefinitionsFromConfig(config: Pick<HubConfig, 'apis'>, now: number): ApiDefinition[] {
  return config.apis.map((api) => apiDefinitionFromConfig(api, now));
}
