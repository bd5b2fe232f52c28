import type { HeartbeatMessage, PluginInfo, ReportedCheck } from './instance.js';

/**
 * True when two messages say the same thing apart from the agent's `heartbeatTime` and
 * `lastHeartbeatTime`: what lets a beat be stored as a cheap touch rather than a whole record.
 *
 * On the hot path of every beat, so it compares the fields of the wire format one by one (scalars
 * by value, lists and maps element by element, never by reference), stops at the first difference,
 * and serializes nothing. A field or map entry set to `undefined` counts as absent, as in JSON.
 * Only the fields of `HeartbeatMessage` are compared: `validateHeartbeats` drops any other.
 *
 * @example
 * sameMessageApartFromTimes({ ...beat, heartbeatTime: 2 }, { ...beat, heartbeatTime: 1 }) // true
 */
export function sameMessageApartFromTimes(a: HeartbeatMessage, b: HeartbeatMessage): boolean {
  if (a === b) return true;
  return (
    a.instanceId === b.instanceId &&
    a.service === b.service &&
    a.status === b.status &&
    a.version === b.version &&
    a.hostName === b.hostName &&
    a.processId === b.processId &&
    a.interval === b.interval &&
    a.appName === b.appName &&
    a.appType === b.appType &&
    a.artifact === b.artifact &&
    sameStrings(a.ip, b.ip) &&
    sameStrings(a.basepaths, b.basepaths) &&
    sameStringMap(a.extInfo, b.extInfo) &&
    sameList(a.checks, b.checks, sameCheck) &&
    sameList(a.plugins, b.plugins, samePlugin)
  );
}

/**
 * Every field of the wire format and whether `sameMessageApartFromTimes` compares it. A field added
 * to `HeartbeatMessage` fails to compile here until it is compared too (the tests change each one).
 */
export const COMPARED_MESSAGE_FIELDS = {
  instanceId: true,
  service: true,
  status: true,
  version: true,
  hostName: true,
  processId: true,
  interval: true,
  appName: true,
  appType: true,
  artifact: true,
  ip: true,
  basepaths: true,
  extInfo: true,
  checks: true,
  plugins: true,
  heartbeatTime: false,
  lastHeartbeatTime: false,
} as const satisfies Record<keyof HeartbeatMessage, boolean>;

function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameList<T>(
  a: readonly T[] | undefined,
  b: readonly T[] | undefined,
  sameItem: (x: T, y: T) => boolean,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameItem(a[i]!, b[i]!)) return false;
  return true;
}

function sameCheck(a: ReportedCheck, b: ReportedCheck): boolean {
  return a.name === b.name && a.status === b.status && a.message === b.message;
}

function samePlugin(a: PluginInfo, b: PluginInfo): boolean {
  return a.name === b.name && a.version === b.version && sameStringMap(a.extInfo, b.extInfo);
}

/** Same entries; plain objects from JSON or validation, so `for…in` sees their own keys only. */
function sameStringMap(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  let entries = 0;
  for (const key in a) {
    const value = a[key];
    if (value === undefined) continue;
    if (value !== b[key]) return false;
    entries++;
  }
  for (const key in b) if (b[key] !== undefined) entries--;
  return entries === 0;
}
