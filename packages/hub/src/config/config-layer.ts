import type { AnyLeaf } from './config-schema.js';
import { showRaw, type ConfigProblem } from './config-problem.js';
import type { RawValue, ValueType } from './value-types.js';

/** Where a value came from, coarsely, for the start-up log line. */
export type ConfigSourceKind = 'default' | 'file' | 'env' | 'flag';

/** One value a source gave, and exactly where: `config.yaml:4:14`, `HEARTBEAT_PORT=80`. */
export interface LayerValue {
  value: unknown;
  location: string;
}

/** What one source says, by dotted path; only the settings it gives. */
export type ConfigLayer = Map<string, LayerValue>;

/**
 * Parses one raw value for a leaf. On success returns the value; on failure records a problem at
 * `location` and returns undefined. Secrets are redacted in both the location and the message.
 */
export function parseLeaf(
  leaf: AnyLeaf,
  raw: RawValue,
  path: string,
  location: (shownRaw: string) => string,
  problems: ConfigProblem[],
): { value: unknown } | undefined {
  return parseValue(leaf.type, raw, path, location, problems, leaf.redact);
}

/** `parseLeaf` for any value type: a leaf's, or one item of a list of values or a map. */
export function parseValue(
  type: ValueType<unknown>,
  raw: RawValue,
  path: string,
  location: (shownRaw: string) => string,
  problems: ConfigProblem[],
  redact?: (raw: string) => string,
): { value: unknown } | undefined {
  const outcome = type.parse(raw);
  if (outcome.ok) return { value: outcome.value };
  const text = typeof raw === 'string' && redact ? redact(raw) : raw;
  problems.push({ source: location(String(text)), path, message: `${showRaw(text)} ${outcome.problem}` });
  return undefined;
}
