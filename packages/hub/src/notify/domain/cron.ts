/**
 * Five-field cron expressions (`minute hour day-of-month month day-of-week`) evaluated in an IANA
 * time zone through `Intl`, with no I/O and no dependency: lists (`1,15`), ranges (`1-5`), steps
 * (`*\/15`, `10-50/10`), names (`jan`–`dec`, `sun`–`sat`, `7` for Sunday too). As in Vixie cron,
 * when both day fields are restricted a day matches either of them.
 *
 * Written here rather than taken from npm: the small libraries either ignore time zones or carry
 * a date library with them; what maintenance windows need is `next start at or after t`, which
 * this does in a bounded number of steps.
 */

export interface CronExpression {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  /** `*` in the day-of-month field (then only the day of week restricts days, and vice versa). */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

export type CronParse = { ok: true; cron: CronExpression } | { ok: false; problem: string };

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name's number: 1 for months, 0 for days. */
  namesFrom?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  // 7 is Sunday as well as 0; folded to 0 below.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

const MACROS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

/**
 * Parses a cron expression; a problem says which field and why.
 *
 * @example
 * parseCron('30 2 * * mon-fri') // { ok: true, cron: { minutes: {30}, hours: {2}, … } }
 * parseCron('61 * * * *')      // { ok: false, problem: 'minute "61" is out of range 0-59' }
 */
export function parseCron(text: string): CronParse {
  const source = text.trim();
  const expanded = MACROS[source.toLowerCase()] ?? source;
  const parts = expanded.split(/\s+/).filter((part) => part !== '');
  if (parts.length !== 5) {
    return {
      ok: false,
      problem: `has ${parts.length} field${parts.length === 1 ? '' : 's'}; cron takes 5: minute hour day-of-month month day-of-week, like "0 2 * * *"`,
    };
  }
  const sets: Set<number>[] = [];
  for (const [index, spec] of FIELDS.entries()) {
    const parsed = parseField(parts[index] ?? '', spec);
    if (typeof parsed === 'string') return { ok: false, problem: parsed };
    sets.push(parsed);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  return {
    ok: true,
    cron: {
      source,
      minutes,
      hours,
      daysOfMonth,
      months,
      daysOfWeek,
      anyDayOfMonth: parts[2] === '*' || parts[2] === '?',
      anyDayOfWeek: parts[4] === '*' || parts[4] === '?',
    },
  };
}

function parseField(text: string, spec: FieldSpec): Set<number> | string {
  const values = new Set<number>();
  for (const item of text.toLowerCase().split(',')) {
    const [rangeText = '', stepText, extra] = item.split('/');
    if (extra !== undefined || rangeText === '') return `${spec.name} "${text}" is not a cron field`;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        return `${spec.name} step "${stepText}" is not a whole number above 0`;
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (rangeText === '*' || rangeText === '?') {
      low = spec.min;
      high = spec.name === 'day of week' ? 6 : spec.max;
    } else {
      const [fromText = '', toText, more] = rangeText.split('-');
      if (more !== undefined) return `${spec.name} "${rangeText}" is not a range like 1-5`;
      const from = value(fromText, spec);
      if (typeof from === 'string') return from;
      low = from;
      if (toText !== undefined) {
        const to = value(toText, spec);
        if (typeof to === 'string') return to;
        high = to;
      } else high = stepText !== undefined ? spec.max : from;
      if (low > high) return `${spec.name} range "${rangeText}" ends before it starts`;
    }
    for (let n = low; n <= high; n += step) values.add(n);
  }
  return values;
}

function value(text: string, spec: FieldSpec): number | string {
  const named = spec.names?.indexOf(text) ?? -1;
  if (named >= 0) return named + (spec.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) {
    const names = spec.names ? ` or a name (${spec.names[0]}…${spec.names.at(-1)})` : '';
    return `${spec.name} "${text}" is not a number${names}`;
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) return `${spec.name} "${text}" is out of range ${spec.min}-${spec.max}`;
  return n;
}

/** Whether `timeZone` is an IANA zone this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface LocalTime {
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock time at `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): LocalTime {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(at)) parts[part.type] = part.value;
  return {
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

const MINUTE_MS = 60_000;

function dayMatches(cron: CronExpression, local: LocalTime): boolean {
  if (!cron.months.has(local.month)) return false;
  const dom = cron.daysOfMonth.has(local.day);
  const dow = cron.daysOfWeek.has(local.weekday);
  if (cron.anyDayOfMonth && cron.anyDayOfWeek) return true;
  if (cron.anyDayOfMonth) return dow;
  if (cron.anyDayOfWeek) return dom;
  return dom || dow;
}

/**
 * The first minute at or after `from` (epoch ms, rounded up to a whole minute) that the expression
 * matches in `timeZone`, or undefined when none does within `horizonMs` (default 5 years: `30 2 31 2 *`
 * never matches). Walks local time a day, an hour or a minute at a time, so it takes at most a few
 * thousand steps. A local time that a DST change skips does not match; one it repeats matches twice.
 *
 * @example
 * nextCronTime(parseCron('0 2 * * *').cron, Date.parse('2026-11-21T05:00:00Z'), 'Europe/Paris')
 * // Date.parse('2026-11-22T01:00:00Z'): 02:00 in Paris
 */
export function nextCronTime(
  cron: CronExpression,
  from: number,
  timeZone = 'UTC',
  horizonMs = 5 * 366 * 86_400_000,
): number | undefined {
  let at = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
  const end = at + horizonMs;
  while (at <= end) {
    const local = localTime(at, timeZone);
    if (!dayMatches(cron, local)) {
      // To the next local midnight (an offset change on the way only makes this land early).
      at += ((23 - local.hour) * 60 + (60 - local.minute)) * MINUTE_MS;
      continue;
    }
    if (!cron.hours.has(local.hour)) {
      at += (60 - local.minute) * MINUTE_MS;
      continue;
    }
    if (!cron.minutes.has(local.minute)) {
      at += MINUTE_MS;
      continue;
    }
    return at;
  }
  return undefined;
}
