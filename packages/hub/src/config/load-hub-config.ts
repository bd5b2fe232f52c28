import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError, HeartbeatError } from '@heartbeat/sdk';
import type { ConfigSourceKind } from './config-layer.js';
import { configurationError, type ConfigProblem } from './config-problem.js';
import { HUB_CONFIG_SCHEMA, type HubConfig } from './hub-config.js';
import { resolveConfig, type ConfigInput } from './resolve-config.js';

/** The env var naming the YAML file, when no `--config` flag does. */
export const CONFIG_FILE_ENV = 'HEARTBEAT_CONFIG';

/** The `heartbeat hub` flags, as the CLI parsed them. */
export type FlagValues = {
  port: number | string;
  host: string;
  data: string;
  store: string;
  config: string;
  logLevel: string;
};

export interface LoadHubConfigOptions {
  flags?: Partial<FlagValues>;
  /** Defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** A YAML file to read when neither `--config` nor `HEARTBEAT_CONFIG` names one. */
  configFile?: string;
}

export interface LoadedHubConfig {
  config: HubConfig;
  /** Where each setting came from, by dotted path: `{ 'server.port': 'env', 'data': 'default', … }`. */
  sources: Record<string, ConfigSourceKind>;
  /** The YAML file read, as named; undefined when none was. */
  file?: string;
}

/**
 * Reads the hub's configuration: flags over `HEARTBEAT_*` env vars over the YAML file over
 * defaults. Throws one `HeartbeatError('CONFIGURATION_INVALID')` listing every problem with its
 * location (`hub.yaml:4:14`, `HEARTBEAT_PORT=abc`, `--port=abc`); `details.problems` has them too.
 *
 * @example
 * const { config, sources } = await loadHubConfig({ flags: { port: 8900 }, env: process.env });
 */
export async function loadHubConfig({
  flags = {},
  env = process.env,
  configFile,
}: LoadHubConfigOptions = {}): Promise<LoadedHubConfig> {
  const named = nameConfigFile(flags.config, env[CONFIG_FILE_ENV], configFile);
  if (named === undefined) return resolveHubConfig({ env, flags });
  let text: string;
  try {
    text = await readFile(named.path, 'utf8');
  } catch (error) {
    // Still read env and flags, so their problems come in the same error.
    const problems = [configFileProblem(named.path, named.source, error)];
    try {
      resolveHubConfig({ env, flags });
    } catch (thrown) {
      problems.push(...problemsOf(thrown));
    }
    throw configurationError(problems);
  }
  return resolveHubConfig({ file: { name: named.path, text }, env, flags });
}

/**
 * `loadHubConfig` for a file already read: what the file watcher uses, so the text it compares
 * is the text it loads. Throws the same `HeartbeatError('CONFIGURATION_INVALID')`.
 */
export function resolveHubConfig({
  file,
  env = {},
  flags = {},
}: {
  file?: { name: string; text: string };
  env?: Readonly<Record<string, string | undefined>>;
  flags?: Partial<FlagValues>;
}): LoadedHubConfig {
  const input: ConfigInput = { env, flags, otherEnvNames: [CONFIG_FILE_ENV] };
  if (file) input.file = file;
  const resolved = resolveConfig(HUB_CONFIG_SCHEMA, input);
  if (!resolved.ok) throw configurationError(resolved.problems);
  const loaded: LoadedHubConfig = { config: resolved.config, sources: resolved.sources };
  if (file) loaded.file = file.name;
  return loaded;
}

function problemsOf(thrown: unknown): ConfigProblem[] {
  if (thrown instanceof HeartbeatError && thrown.code === 'CONFIGURATION_INVALID') {
    return (thrown.details as { problems: ConfigProblem[] }).problems;
  }
  throw thrown;
}

/** Why the config file cannot be read, pointing at where it was named (`--config=…`, or the path). */
export function configFileProblem(path: string, source: string, error: unknown): ConfigProblem {
  return { source, path: '', message: unreadable(path, error) };
}

/** The file to read, and how to point at where it was named. */
function nameConfigFile(
  flag: string | undefined,
  fromEnv: string | undefined,
  fromCaller: string | undefined,
): { path: string; source: string } | undefined {
  if (flag !== undefined && flag !== '') return { path: flag, source: `--config=${flag}` };
  if (fromEnv !== undefined && fromEnv !== '')
    return { path: fromEnv, source: `${CONFIG_FILE_ENV}=${fromEnv}` };
  if (fromCaller !== undefined && fromCaller !== '') return { path: fromCaller, source: fromCaller };
  return undefined;
}

function unreadable(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = resolve(path) === path ? '' : ` (looked at ${resolve(path)})`;
  if (code === 'ENOENT') {
    return `config file ${path} does not exist${where}; fix the path, or leave it out to run on env and defaults`;
  }
  if (code === 'EISDIR') return `config file ${path} is a directory; name the YAML file in it`;
  if (code === 'EACCES')
    return `config file ${path} cannot be read (permission denied); check its permissions`;
  return `config file ${path} cannot be read: ${describeError(error)}`;
}
