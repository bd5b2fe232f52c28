import {
  field,
  list,
  map,
  optionalField,
  requiredField,
  section,
  values,
  type CheckContext,
  type ListNode,
  type SchemaOf,
  type SectionNode,
} from '../config/config-schema.js';
import { suggest } from '../config/suggest.js';
import { types, type ValueType } from '../config/value-types.js';
import { isTimeZone, parseCron } from './domain/cron.js';
import type { MaintenanceWindow } from './domain/maintenance.js';
import { CONDITIONS, type Rule, type Selector } from './domain/model.js';
import { NOTIFIER_TYPES, type NotifierSettings, type NotifierTypeName } from './notifiers/index.js';

/**
 * The `notifiers:`, `rules:` and `maintenance:` sections of the hub's YAML: their schemas (read by
 * the config machinery, so every problem has its file:line:col) and their conversion to the domain.
 */

/** One `notifiers:` item: a name, delivery limits, and exactly one type's section. */
export interface NotifierConfig extends NotifierSettings {
  name: string;
  timeout: number;
  concurrency: number;
}

/** One `rules:` item; the domain's `Rule` as written. */
export type RuleConfig = Rule;

/** One `maintenance:` item. Times are epoch ms, durations ms. */
export interface MaintenanceConfig {
  name: string;
  schedule?: string;
  duration?: number;
  timeZone: string;
  start?: number;
  end?: number;
  match: Selector;
  rules: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function name(): ValueType<string> {
  return types.string({
    description: 'name',
    refine: (value) =>
      NAME.test(value)
        ? { ok: true, value }
        : { ok: false, problem: 'is not a name; use letters, digits and . _ - like ops-webhook' },
  });
}

function cron(): ValueType<string> {
  return types.string({
    description: 'cron expression',
    refine(value) {
      const parsed = parseCron(value);
      return parsed.ok ? { ok: true, value: parsed.cron.source } : { ok: false, problem: parsed.problem };
    },
  });
}

let zones: string[] | undefined;

function timeZone(): ValueType<string> {
  return types.string({
    description: 'IANA time zone',
    refine(value) {
      const text = value.trim();
      if (isTimeZone(text)) return { ok: true, value: text };
      zones ??= Intl.supportedValuesOf('timeZone');
      const near = suggest(text, zones);
      return {
        ok: false,
        problem: `is not a time zone${near !== undefined ? `; did you mean ${near}?` : '; write an IANA name like Europe/Paris or UTC'}`,
      };
    },
  });
}

/** An absolute time with its offset: `2026-11-22T01:00:00Z`, `2026-11-22T02:00:00+01:00`. */
function dateTime(): ValueType<number> {
  const problem =
    'is not a date and time with a zone; write it like 2026-11-22T01:00:00Z or …T02:00:00+01:00';
  return {
    description: 'ISO 8601 date-time',
    parse(raw) {
      if (
        typeof raw !== 'string' ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(raw.trim())
      ) {
        return { ok: false, problem };
      }
      const at = Date.parse(raw.trim());
      return Number.isFinite(at) ? { ok: true, value: at } : { ok: false, problem };
    },
    format: (at) => new Date(at).toISOString(),
  };
}

function selector(what: string): SectionNode<Selector> {
  const strings = (doc: string) => values(types.string({ nonEmpty: true }), { default: [], doc });
  return section<Selector>({
    basepath: strings(`APIs whose basepath matches one of these globs (\`/orders/*\`); empty: any ${what}`),
    service: strings('subjects of these services (globs)'),
    owner: strings('APIs with one of these owners (globs)'),
    labels: map(types.string({ nonEmpty: true }), types.string(), { doc: 'APIs with all these labels' }),
  });
}

function checkNotifier(notifier: NotifierConfig, context: CheckContext): void {
  const given = (Object.keys(NOTIFIER_TYPES) as NotifierTypeName[]).filter((type) => context.given(type));
  const [first, second] = given;
  if (first === undefined) {
    context.problem(
      '',
      `needs one notifier type: ${Object.keys(NOTIFIER_TYPES).join(', ')}; e.g. "webhook:" with "url:" under it`,
    );
  } else if (second !== undefined) {
    context.problem(second, `cannot be used with ${first}; one type per notifier (declare another)`);
  }
}

const typeSections = Object.fromEntries(
  Object.entries(NOTIFIER_TYPES).map(([type, notifier]) => [type, notifier.schema]),
);

/** `notifiers:` — receivers, each named, each of one type. */
export const NOTIFIERS_SCHEMA: ListNode<NotifierConfig> = list(
  section<NotifierConfig>(
    {
      name: requiredField(name(), { doc: 'how rules name it: `ops-webhook`' }),
      timeout: field(types.duration({ min: '100ms' }), {
        default: 10_000,
        doc: 'an attempt with no answer after this long fails (and is retried)',
      }),
      concurrency: field(types.integer({ min: 1, max: 64 }), {
        default: 4,
        doc: 'deliveries in flight at once to this receiver; a slow one holds only these',
      }),
      ...typeSections,
    } as SchemaOf<NotifierConfig>,
    { check: checkNotifier },
  ),
  { doc: 'where notifications go; see [notifications](notifications.md)', unique: 'name' },
);

function checkRule(rule: RuleConfig, context: CheckContext): void {
  if (rule.repeat !== undefined && rule.repeat < rule.for) {
    context.problem('repeat', 'is shorter than for; a reminder cannot come before the first notification');
  }
}

/** `rules:` — which conditions notify whom. */
export const RULES_SCHEMA: ListNode<RuleConfig> = list(
  section<RuleConfig>(
    {
      name: requiredField(name(), { doc: 'names the rule in messages and the delivery log' }),
      when: values(types.oneOf(CONDITIONS), {
        default: [],
        minItems: 1,
        doc: `conditions that fire it: ${CONDITIONS.map((condition) => `\`${condition}\``).join(', ')}`,
      }),
      for: field(types.duration(), {
        default: 0,
        doc: 'the condition must hold this long before it fires (flap damping)',
      }),
      repeat: optionalField(types.duration({ min: '1m' }), { doc: 'remind this often while it holds' }),
      resolved: field(types.boolean(), { default: true, doc: 'send a message when it clears' }),
      group: field(types.duration(), {
        default: 10_000,
        doc: 'what fires within this long goes out as one message; `0` sends each at once',
      }),
      match: selector('API'),
      notify: values(name(), { default: [], minItems: 1, doc: 'notifier names' }),
      runbook: optionalField(types.url(), { doc: 'linked when the API has no runbook of its own' }),
    },
    { check: checkRule },
  ),
  { doc: 'which events notify whom; see [notifications](notifications.md)', unique: 'name' },
);

function checkMaintenance(window: MaintenanceConfig, context: CheckContext): void {
  if (window.schedule !== undefined) {
    if (window.start !== undefined)
      context.problem('start', 'cannot be used with schedule; give one or the other');
    if (window.end !== undefined)
      context.problem('end', 'cannot be used with schedule; a schedule uses duration');
    if (window.duration === undefined)
      context.problem('', 'needs duration with schedule: how long each window lasts, like 30m');
  } else if (window.start !== undefined || window.end !== undefined) {
    if (window.start === undefined) context.problem('', 'needs start with end');
    else if (window.end === undefined) context.problem('', 'needs end with start');
    else if (window.end <= window.start) context.problem('end', 'is not after start');
    if (window.duration !== undefined)
      context.problem('duration', 'applies to a schedule; a one-off window has start and end');
  } else {
    context.problem('', 'needs schedule (cron) with duration, or start and end');
  }
}

/** `maintenance:` — quiet times. */
export const MAINTENANCE_SCHEMA: ListNode<MaintenanceConfig> = list(
  section<MaintenanceConfig>(
    {
      name: requiredField(name(), { doc: 'shown on the dashboard and in the log' }),
      schedule: optionalField(cron(), { doc: 'recurring: when each window starts, cron `m h dom mon dow`' }),
      duration: optionalField(types.duration({ min: '1m' }), { doc: 'with `schedule`: how long each lasts' }),
      timeZone: field(timeZone(), { default: 'UTC', doc: 'the zone `schedule` is read in' }),
      start: optionalField(dateTime(), { doc: 'one-off: from, like `2026-11-22T01:00:00Z`' }),
      end: optionalField(dateTime(), { doc: 'one-off: until' }),
      match: selector('subject'),
      rules: values(name(), { default: [], doc: 'the rules it silences; empty: all' }),
    },
    { check: checkMaintenance },
  ),
  { doc: 'quiet times that silence matching rules; see [notifications](notifications.md)', unique: 'name' },
);

/**
 * Names used across sections: a rule's notifiers and a window's rules must exist. Run on the whole
 * configuration, so it points at `rules[2].notify` with a suggestion.
 */
export function checkNotificationNames(
  config: {
    notifiers: readonly NotifierConfig[];
    rules: readonly RuleConfig[];
    maintenance: readonly MaintenanceConfig[];
  },
  context: CheckContext,
): void {
  const notifiers = config.notifiers.map((notifier) => notifier.name);
  config.rules.forEach((rule, index) => {
    for (const wanted of rule.notify) {
      if (notifiers.includes(wanted)) continue;
      const near = suggest(wanted, notifiers);
      context.problem(
        `rules[${index}].notify`,
        `"${wanted}" is not a notifier${near !== undefined ? `; did you mean ${near}?` : notifiers.length > 0 ? `; the notifiers are ${notifiers.join(', ')}` : '; declare it under notifiers:'}`,
      );
    }
  });
  const rules = config.rules.map((rule) => rule.name);
  config.maintenance.forEach((window, index) => {
    for (const wanted of window.rules) {
      if (rules.includes(wanted)) continue;
      const near = suggest(wanted, rules);
      context.problem(
        `maintenance[${index}].rules`,
        `"${wanted}" is not a rule${near !== undefined ? `; did you mean ${near}?` : ''}`,
      );
    }
  });
}

/** A `maintenance:` item as the domain's window. */
export function maintenanceWindow(config: MaintenanceConfig): MaintenanceWindow {
  const window: MaintenanceWindow = {
    name: config.name,
    timeZone: config.timeZone,
    match: config.match,
    rules: config.rules,
  };
  if (config.schedule !== undefined) {
    const parsed = parseCron(config.schedule);
    if (parsed.ok) window.schedule = parsed.cron;
  }
  if (config.duration !== undefined) window.duration = config.duration;
  if (config.start !== undefined) window.start = config.start;
  if (config.end !== undefined) window.end = config.end;
  return window;
}
