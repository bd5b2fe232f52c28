import { assemble, defaultOf, runChecks, schemaEntries, untyped, type SectionNode } from './config-schema.js';
import type { ConfigLayer, ConfigSourceKind, LayerValue } from './config-layer.js';
import type { ConfigProblem } from './config-problem.js';
import { readEnvLayer, readFlagLayer, type FlagInput } from './env-layer.js';
import { readFileLayer } from './file-layer.js';

export interface ConfigInput {
  /** The YAML file's text, and its name as the user gave it (shown in every location). */
  file?: { name: string; text: string };
  env?: Readonly<Record<string, string | undefined>>;
  flags?: FlagInput;
  /** `HEARTBEAT_*` names read outside the schema, so they are not taken for typos. */
  otherEnvNames?: readonly string[];
}

export type ResolvedConfig<T> =
  | { ok: true; config: T; sources: Record<string, ConfigSourceKind> }
  | { ok: false; problems: ConfigProblem[] };

/**
 * Reads every source against one schema and merges them: flags over env over file over defaults.
 * Returns every problem of every source together, never the first one alone.
 *
 * @example
 * const resolved = resolveConfig(HUB_CONFIG_SCHEMA, { env: process.env, flags: { port: 80 } });
 * if (!resolved.ok) throw configurationError(resolved.problems);
 */
export function resolveConfig<T>(schema: SectionNode<T>, input: ConfigInput): ResolvedConfig<T> {
  const root = untyped(schema);
  const problems: ConfigProblem[] = [];
  /** Where the file wrote each value, list items included, for the checks across sections. */
  const written = new Map<string, string>();
  // Read lowest precedence first, so problems are listed file, env, flags.
  const file: ConfigLayer = input.file
    ? readFileLayer(root, input.file.text, input.file.name, problems, written)
    : new Map<string, LayerValue>();
  const env = readEnvLayer(root, input.env ?? {}, problems, input.otherEnvNames);
  const flags = readFlagLayer(root, input.flags ?? {}, problems);
  const layers: [ConfigSourceKind, ConfigLayer][] = [
    ['flag', flags],
    ['env', env],
    ['file', file],
  ];
  const sources: Record<string, ConfigSourceKind> = {};
  const locations = new Map<string, string>();
  const config = assemble(root, '', (path, node) => {
    for (const [kind, layer] of layers) {
      const given = layer.get(path);
      if (given !== undefined) {
        sources[path] = kind;
        locations.set(path, given.location);
        return given.value;
      }
    }
    sources[path] = 'default';
    if (node.kind === 'leaf' && node.required) {
      const names = schemaEntries(root).find((entry) => entry.path === path)?.envNames ?? [];
      const env = names.length > 0 ? `, as ${names.join(' or ')}` : '';
      problems.push({
        source: 'configuration',
        path,
        message: `is required; set it in the config file${env}`,
      });
    }
    return defaultOf(node);
  });
  // Rules across settings hold whichever source each setting came from; the file reader has
  // already checked what only the file can give (list items, optional sections).
  if (problems.length === 0)
    runChecks(
      root,
      config,
      '',
      // Inside lists only the file can have written it (rules[0].notify).
      (path) => locations.get(path) ?? written.get(path),
      'configuration',
      problems,
    );
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: config as T, sources };
}
