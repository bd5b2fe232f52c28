/**
 * The hub's configuration: one schema (`hub-config.ts`) read from flags, `HEARTBEAT_*` env vars,
 * a YAML file and defaults, and documented from the same table; `apis:` (`api-config.ts`) as the
 * domain's API definitions; and the file watched for changes (`watch-hub-config.ts`).
 */
export {
  DEFAULT_HUB_CONFIG,
  HUB_CONFIG_SCHEMA,
  LOG_FORMATS,
  LOG_LEVELS,
  hubStoreLocation,
} from './hub-config.js';
export type { HubConfig, LogFormat, LogLevel } from './hub-config.js';
export { CONFIG_FILE_ENV, loadHubConfig, resolveHubConfig } from './load-hub-config.js';
export type { FlagValues, LoadHubConfigOptions, LoadedHubConfig } from './load-hub-config.js';
export type { ConfigSourceKind } from './config-layer.js';
export { configurationError, formatConfigProblem } from './config-problem.js';
export type { ConfigProblem } from './config-problem.js';
export { describeConfig, describeHubConfig } from './describe-config.js';
export {
  API_CONFIG_SCHEMA,
  HTTP_METHODS,
  apiDefinitionFromConfig,
  apiDefinitionsFromConfig,
  failOnRule,
  pulseUrl,
} from './api-config.js';
export type { ApiConfig, FailOnEntry, HttpMethod, PulseConfig, PulseExpectConfig } from './api-config.js';
export type { StatusRange } from './value-types.js';
export { RELOADABLE_PATHS, isReloadable, needsRestart, watchHubConfig } from './watch-hub-config.js';
export type { HubConfigWatcher, WatchHubConfigOptions } from './watch-hub-config.js';
