import { ENV_PREFIX, kebab, schemaEntries, upperSnake, type AnySection } from './config-schema.js';
import { parseLeaf, type ConfigLayer } from './config-layer.js';
import type { ConfigProblem } from './config-problem.js';
import { suggest } from './suggest.js';
import type { RawValue } from './value-types.js';

/**
 * Reads `HEARTBEAT_*` env vars against the schema: `HEARTBEAT_<SECTION>_<KEY>` for every leaf
 * plus its aliases. An empty variable counts as unset, as `docker compose` passes `${UNSET}`.
 *
 * Names under a section's prefix (`HEARTBEAT_SERVER_…`) belong to the hub, so an unknown one
 * there is a typo and a problem; other `HEARTBEAT_*` names may belong to other tools and pass.
 *
 * @example
 * readEnvLayer(untyped(HUB_CONFIG_SCHEMA), { HEARTBEAT_PORT: '80' }, problems) // server.port = 80
 */
export function readEnvLayer(
  schema: AnySection,
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
  /** Names read elsewhere, such as `HEARTBEAT_CONFIG`. */
  otherNames: readonly string[] = [],
): ConfigLayer {
  const layer: ConfigLayer = new Map();
  const entries = schemaEntries(schema);
  const known = new Set<string>(otherNames);
  for (const entry of entries) {
    if (entry.node.kind !== 'leaf' || entry.fileOnly) continue;
    const leaf = entry.node;
    entry.envNames.forEach((name) => known.add(name));
    const given = entry.envNames.flatMap((name) => {
      const raw = env[name];
      return raw === undefined || raw === '' ? [] : [{ name, raw }];
    });
    const first = given[0];
    if (first === undefined) continue;
    const shown = (raw: string) => (leaf.redact ? leaf.redact(raw) : raw);
    if (given.some(({ raw }) => raw !== first.raw)) {
      problems.push({
        source: given.map(({ name, raw }) => `${name}=${shown(raw)}`).join(', '),
        path: entry.path,
        message: `set twice with different values; keep only ${first.name}`,
      });
      continue;
    }
    const location = (text: string) => `${first.name}=${text}`;
    const parsed = parseLeaf(leaf, first.raw, entry.path, location, problems);
    if (parsed) layer.set(entry.path, { value: parsed.value, location: location(shown(first.raw)) });
  }

  const reserved = Object.keys(schema.fields)
    .filter((key) => {
      const node = schema.fields[key];
      return node?.kind === 'section' && !node.optional;
    })
    .map((key) => `${ENV_PREFIX}${upperSnake(key)}_`);
  const unknown = Object.keys(env)
    .filter((name) => !known.has(name) && reserved.some((prefix) => name.startsWith(prefix)))
    .sort();
  for (const name of unknown) {
    const prefix = reserved.find((candidate) => name.startsWith(candidate)) ?? ENV_PREFIX;
    const siblings = [...known].filter((candidate) => candidate.startsWith(prefix));
    // Compared after the shared prefix, so `HEARTBEAT_SERVER_` does not make every name look close.
    const rest = suggest(
      name.slice(prefix.length),
      siblings.map((sibling) => sibling.slice(prefix.length)),
    );
    const near = rest === undefined ? undefined : prefix + rest;
    problems.push({
      source: name,
      path: '',
      message:
        near === undefined
          ? `unknown setting; the hub reads ${siblings.join(', ')}`
          : `unknown setting; did you mean ${near}?`,
    });
  }
  return layer;
}

/** The CLI's parsed flags, by key: `{ port: 8900, logLevel: 'debug' }`. */
export type FlagInput = Readonly<Record<string, RawValue | undefined>>;

/**
 * Reads the CLI's already-parsed flags against the leaves that declare one (`flag: 'port'`).
 * Problems point at the flag as typed: `--log-level=loud`.
 */
export function readFlagLayer(schema: AnySection, flags: FlagInput, problems: ConfigProblem[]): ConfigLayer {
  const layer: ConfigLayer = new Map();
  for (const entry of schemaEntries(schema)) {
    if (entry.node.kind !== 'leaf' || entry.fileOnly || entry.node.flag === undefined) continue;
    const { flag, redact } = entry.node;
    const raw = flags[flag];
    if (raw === undefined) continue;
    const location = (text: string) => `--${kebab(flag)}=${text}`;
    const parsed = parseLeaf(entry.node, raw, entry.path, location, problems);
    const shown = typeof raw === 'string' && redact ? redact(raw) : String(raw);
    if (parsed) layer.set(entry.path, { value: parsed.value, location: location(shown) });
  }
  return layer;
}
