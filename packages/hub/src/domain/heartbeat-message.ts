import { CHECK_STATUSES, HeartbeatError, isCheckStatus } from '@heartbeat/sdk';
import { BASEPATH_MAX_LENGTH, BASEPATH_PATTERN, checkBasepath, normalizeBasepath } from './basepath.js';
import type { HeartbeatMessage, PluginInfo, ReportedCheck } from './instance.js';
import {
  checkArray,
  checkEnum,
  checkInteger,
  checkStringMap,
  checkText,
  isCleanText,
  isPlainObject,
  isStringMapAsIs,
  ProblemList,
  typeName,
  warnUnknownFields,
} from './validation.js';

/** Instance ids appear in URLs (`DELETE /v1/instances/{id}`): URL-safe characters only. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~:@-]{0,127}$/;

/** The fields of a heartbeat message (SPEC.md §4); any other is ignored with a warning. */
export const MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  'instanceId',
  'service',
  'appName',
  'appType',
  'artifact',
  'hostName',
  'version',
  'ip',
  'processId',
  'heartbeatTime',
  'lastHeartbeatTime',
  'interval',
  'plugins',
  'extInfo',
  'status',
  'checks',
  'basepaths',
]);
export const PLUGIN_FIELDS: ReadonlySet<string> = new Set(['name', 'version', 'extInfo']);
export const CHECK_FIELDS: ReadonlySet<string> = new Set(['name', 'status', 'message']);

/**
 * Every limit a heartbeat message is held to, in one place: the validator below and the message's
 * JSON Schema (http/schema/ingest-schemas.ts, in the OpenAPI document) both read them.
 */
export const HEARTBEAT_LIMITS = {
  idLength: 128,
  serviceLength: 128,
  textLength: 256,
  ips: 32,
  ipLength: 64,
  processIdMax: 2 ** 32,
  /** The largest time a JavaScript Date holds. */
  maxEpochMs: 8_640_000_000_000_000,
  intervalMin: 1000,
  intervalMax: 86_400_000,
  plugins: 256,
  pluginNameLength: 128,
  pluginVersionLength: 64,
  checks: 256,
  checkNameLength: 128,
  /** A longer check message is cut to this, with a warning, rather than refused. */
  checkMessageLength: 1024,
  basepaths: 256,
} as const;
const L = HEARTBEAT_LIMITS;

export interface ValidatedHeartbeats {
  messages: HeartbeatMessage[];
  /** Unknown fields, ignored so newer agents keep working against an older hub (SPEC.md §4). */
  warnings: string[];
}

/**
 * Validates a heartbeat request body: one message or an array of them. Every problem in every
 * message is reported at once, naming the field; nothing is accepted unless everything is valid.
 */
export function validateHeartbeats(body: unknown, maxBatch: number): ValidatedHeartbeats {
  const problems = new ProblemList();
  const batch = Array.isArray(body);
  const items = batch ? body : [body];
  if (batch && items.length === 0) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      'the batch is empty: send one message or an array of at least one',
      {
        field: '',
      },
    );
  }
  if (items.length > maxBatch) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `the batch has ${items.length} messages; at most ${maxBatch} are accepted per request — split it`,
      { field: '', max: maxBatch, got: items.length },
    );
  }
  const messages: HeartbeatMessage[] = [];
  for (let index = 0; index < items.length; index++) {
    const item: unknown = items[index];
    // Almost every beat is already exactly what `checkMessage` would make of it: take it as it is.
    const message = isAcceptedAsIs(item) ? item : checkMessage(problems, batch ? `[${index}]` : '', item);
    if (message) messages.push(message);
  }
  if (problems.problems.length > 0) throw problems.toError(batch ? 'the heartbeat batch' : 'the heartbeat');
  return { messages, warnings: problems.warnings };
}

const TEXT_FIELDS = ['appName', 'appType', 'artifact', 'hostName', 'version'] as const;
const TIME_FIELDS = ['heartbeatTime', 'lastHeartbeatTime'] as const;

function checkMessage(problems: ProblemList, at: string, value: unknown): HeartbeatMessage | undefined {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  if (!isPlainObject(value)) {
    problems.add(at || '(body)', `must be a heartbeat object, not ${typeName(value)}`);
    return undefined;
  }
  const before = problems.problems.length;
  const instanceId = checkText(problems, field('instanceId'), value.instanceId, L.idLength, {
    required: true,
  });
  if (instanceId !== undefined && !INSTANCE_ID_PATTERN.test(instanceId)) {
    problems.add(
      field('instanceId'),
      'must start with a letter or digit and use only letters, digits and . _ ~ : @ -',
    );
  }
  const service = checkText(problems, field('service'), value.service, L.serviceLength, {
    required: true,
  });
  const message: HeartbeatMessage = { instanceId: instanceId ?? '', service: service ?? '' };
  for (const key of TEXT_FIELDS) {
    const text = checkText(problems, field(key), value[key], L.textLength);
    if (text !== undefined) message[key] = text;
  }
  const ip = checkArray(problems, field('ip'), value.ip, L.ips, (entry, f) =>
    checkText(problems, f, entry, L.ipLength),
  );
  if (ip) message.ip = ip;
  const processId = checkInteger(problems, field('processId'), value.processId, 0, L.processIdMax);
  if (processId !== undefined) message.processId = processId;
  for (const key of TIME_FIELDS) {
    const time = checkInteger(problems, field(key), value[key], 0, L.maxEpochMs);
    if (time !== undefined) message[key] = time;
  }
  const interval = checkInteger(problems, field('interval'), value.interval, L.intervalMin, L.intervalMax);
  if (interval !== undefined) message.interval = interval;
  const plugins = checkArray(problems, field('plugins'), value.plugins, L.plugins, (entry, f) =>
    checkPlugin(problems, f, entry),
  );
  if (plugins) message.plugins = plugins;
  const extInfo = checkStringMap(problems, field('extInfo'), value.extInfo);
  if (extInfo) message.extInfo = extInfo;
  const status = checkEnum(problems, field('status'), value.status, CHECK_STATUSES);
  if (status) message.status = status;
  const checks = checkArray(problems, field('checks'), value.checks, L.checks, (entry, f) =>
    checkReportedCheck(problems, f, entry),
  );
  if (checks) message.checks = checks;
  const basepaths = checkArray(problems, field('basepaths'), value.basepaths, L.basepaths, (entry, f) =>
    checkBasepath(problems, f, entry),
  );
  if (basepaths) message.basepaths = [...new Set(basepaths)];
  warnUnknownFields(problems, at, value, MESSAGE_FIELDS);
  return problems.problems.length === before ? message : undefined;
}

/**
 * True when `checkMessage` would accept `value` without a problem or a warning and return an equal
 * message: only known fields, none of them null, every value within its limits, check messages
 * short enough to keep whole, basepaths already normalized and distinct. Such a message is used as
 * it is, with no copy. Anything else returns false and goes through `checkMessage`, which reports
 * what is wrong (or copies and cleans it). Allocates nothing: every beat of a healthy fleet comes
 * through here. The test suite holds the two to the same verdicts.
 */
export function isAcceptedAsIs(value: unknown): value is HeartbeatMessage {
  if (!isPlainObject(value)) return false;
  let required = 0;
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'instanceId':
        if (typeof field !== 'string' || !INSTANCE_ID_PATTERN.test(field)) return false;
        required++;
        break;
      case 'service':
        if (!isCleanText(field, L.serviceLength) || field.length === 0) return false;
        required++;
        break;
      case 'appName':
      case 'appType':
      case 'artifact':
      case 'hostName':
      case 'version':
        if (!isCleanText(field, L.textLength)) return false;
        break;
      case 'ip':
        if (!isListAsIs(field, L.ips, isIpAsIs)) return false;
        break;
      case 'processId':
        if (!isIntegerWithin(field, 0, L.processIdMax)) return false;
        break;
      case 'heartbeatTime':
      case 'lastHeartbeatTime':
        if (!isIntegerWithin(field, 0, L.maxEpochMs)) return false;
        break;
      case 'interval':
        if (!isIntegerWithin(field, L.intervalMin, L.intervalMax)) return false;
        break;
      case 'plugins':
        if (!isListAsIs(field, L.plugins, isPluginAsIs)) return false;
        break;
      case 'extInfo':
        if (!isStringMapAsIs(field)) return false;
        break;
      case 'status':
        if (!isCheckStatus(field)) return false;
        break;
      case 'checks':
        if (!isListAsIs(field, L.checks, isCheckAsIs)) return false;
        break;
      case 'basepaths':
        if (!areBasepathsAsIs(field)) return false;
        break;
      default:
        return false; // unknown: `checkMessage` names it in a warning and drops it
    }
  }
  return required === 2;
}

/** An array of at most `maxItems`, every item as it should be. */
function isListAsIs(value: unknown, maxItems: number, isItemAsIs: (item: unknown) => boolean): boolean {
  if (!Array.isArray(value) || value.length > maxItems) return false;
  for (const item of value as unknown[]) if (!isItemAsIs(item)) return false;
  return true;
}

function isIpAsIs(value: unknown): boolean {
  return isCleanText(value, L.ipLength);
}

function isIntegerWithin(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isPluginAsIs(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let named = false;
  for (const key in value) {
    const field = value[key];
    if (key === 'name') {
      if (!isCleanText(field, L.pluginNameLength) || field.length === 0) return false;
      named = true;
    } else if (key === 'version') {
      if (!isCleanText(field, L.pluginVersionLength)) return false;
    } else if (key === 'extInfo') {
      if (!isStringMapAsIs(field)) return false;
    } else return false;
  }
  return named;
}

function isCheckAsIs(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let fields = 0;
  for (const key in value) {
    const field = value[key];
    if (key === 'name') {
      if (!isCleanText(field, L.checkNameLength) || field.length === 0) return false;
      fields++;
    } else if (key === 'status') {
      if (!isCheckStatus(field)) return false;
      fields++;
    } else if (key === 'message') {
      if (!isCleanText(field, L.checkMessageLength)) return false;
    } else return false;
  }
  return fields === 2;
}

/** At most a few, each valid and already in its normal form, no two alike. */
function areBasepathsAsIs(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > BASEPATHS_CHECKED_AS_IS) return false;
  for (let i = 0; i < value.length; i++) {
    const basepath: unknown = value[i];
    if (
      typeof basepath !== 'string' ||
      basepath.length > BASEPATH_MAX_LENGTH ||
      !BASEPATH_PATTERN.test(basepath) ||
      normalizeBasepath(basepath) !== basepath
    ) {
      return false;
    }
    for (let j = 0; j < i; j++) if (value[j] === basepath) return false;
  }
  return true;
}

/** More basepaths than this go through `checkMessage` (which removes repeats with a Set). */
const BASEPATHS_CHECKED_AS_IS = 16;

function checkPlugin(problems: ProblemList, at: string, value: unknown): PluginInfo | undefined {
  if (!isPlainObject(value)) {
    problems.add(at, `must be a plugin object {name, version, extInfo}, not ${typeName(value)}`);
    return undefined;
  }
  const name = checkText(problems, `${at}.name`, value.name, L.pluginNameLength, { required: true });
  if (name === undefined) return undefined;
  const plugin: PluginInfo = { name };
  const version = checkText(problems, `${at}.version`, value.version, L.pluginVersionLength);
  if (version !== undefined) plugin.version = version;
  const extInfo = checkStringMap(problems, `${at}.extInfo`, value.extInfo);
  if (extInfo) plugin.extInfo = extInfo;
  warnUnknownFields(problems, at, value, PLUGIN_FIELDS);
  return plugin;
}

function checkReportedCheck(problems: ProblemList, at: string, value: unknown): ReportedCheck | undefined {
  if (!isPlainObject(value)) {
    problems.add(at, `must be a check object {name, status, message}, not ${typeName(value)}`);
    return undefined;
  }
  const name = checkText(problems, `${at}.name`, value.name, L.checkNameLength, { required: true });
  const status = checkEnum(problems, `${at}.status`, value.status, CHECK_STATUSES);
  if (status === undefined && value.status === undefined) problems.add(`${at}.status`, 'is required');
  // A long message (a stack trace, say) is cut rather than refused: the beat itself matters more.
  const raw =
    typeof value.message === 'string' && value.message.length > L.checkMessageLength
      ? value.message.slice(0, L.checkMessageLength)
      : value.message;
  if (raw !== value.message) problems.warn(`${at}.message: cut to ${L.checkMessageLength} characters`);
  const message = checkText(problems, `${at}.message`, raw, L.checkMessageLength);
  warnUnknownFields(problems, at, value, CHECK_FIELDS);
  if (name === undefined || status === undefined) return undefined;
  return message === undefined ? { name, status } : { name, status, message };
}
