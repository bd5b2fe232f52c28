import { CHECK_STATUSES, HeartbeatError } from '@heartbeat/sdk';
import { checkBasepath } from './basepath.js';
import type { HeartbeatMessage, PluginInfo, ReportedCheck } from './instance.js';
import {
  checkArray,
  checkEnum,
  checkInteger,
  checkStringMap,
  checkText,
  isPlainObject,
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
    const message = checkMessage(problems, batch ? `[${index}]` : '', items[index]);
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
