import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError } from '@heartbeat/sdk';
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
  const problems: ConfigProblem[] = [];
  const input: ConfigInput = { env, flags, otherEnvNames: [CONFIG_FILE_ENV] };

  const named = nameConfigFile(flags.config, env[CONFIG_FILE_ENV], configFile);
  if (named !== undefined) {
    try {
      input.file = { name: named.path, text: await readFile(named.path, 'utf8') };
    } catch (error) {
      problems.push({ source: named.source, path: '', message: unreadable(named.path, error) });
    }
  }

  const resolved = resolveConfig(HUB_CONFIG_SCHEMA, input);
  if (!resolved.ok) problems.push(...resolved.problems);
  if (!resolved.ok || problems.length > 0) throw configurationError(problems);
  const loaded: LoadedHubConfig = { config: resolved.config, sources: resolved.sources };
  if (input.file) loaded.file = input.file.name;
  return loaded;
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
