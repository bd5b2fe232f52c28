import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { describeError, HeartbeatError, type Logger } from '@heartbeat/sdk';
import { configurationError } from './config-problem.js';
import { changedPaths } from './config-schema.js';
import { DEFAULT_HUB_CONFIG, HUB_CONFIG_SCHEMA, type HubConfig } from './hub-config.js';
import {
  configFileProblem,
  resolveHubConfig,
  type FlagValues,
  type LoadedHubConfig,
} from './load-hub-config.js';

/**
 * The settings a running hub applies without a restart, as dotted paths; `a.*` is everything
 * under `a`. A change to anything else (`server.port`, `store`, …) is accepted by the watcher but
 * only takes effect at the next start: see `needsRestart`.
 */
export const RELOADABLE_PATHS = [
  'apis',
  'autoRegister',
  'auth.publicRead',
  'log.level',
  'instances.selfPreservation.*',
  'apiHistory.*',
  'badges.*',
  'notifiers',
  'rules',
  'maintenance',
  'notifications.*',
] as const;

/** Whether a change to this setting takes effect without a restart. */
export function isReloadable(path: string): boolean {
  return RELOADABLE_PATHS.some((reloadable) =>
    reloadable.endsWith('.*') ? path.startsWith(reloadable.slice(0, -1)) : path === reloadable,
  );
}

/**
 * The changed settings that only a restart applies, for the hub to log.
 *
 * @example
 * needsRestart(['apis', 'server.port']) // ['server.port']
 */
export function needsRestart(paths: readonly string[]): string[] {
  return paths.filter((path) => !isReloadable(path));
}

export interface WatchHubConfigOptions {
  /** The YAML file, as the hub was given it; errors name it this way. */
  file: string;
  /** The flags the hub started with: they still override the file. */
  flags?: Partial<FlagValues>;
  /** The env the hub started with; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The configuration running now, to tell what a change changes. Defaults to the file as it
   * reads when watching starts.
   */
  current?: HubConfig;
  /** A valid configuration that differs from the last one: apply it; `changedPaths` says what moved. */
  onChange: (next: LoadedHubConfig, changedPaths: string[]) => void;
  /** An unusable change (`hub.yaml:4:14: …`, or the file gone): keep running on the last one. */
  onInvalid: (error: HeartbeatError) => void;
  /**
   * For what only the watcher sees: a file read again with nothing changed, a directory that
   * cannot be watched, a callback that threw. Changes and refusals are the callbacks' to log.
   */
  logger?: Logger;
  /** Quiet time after the last file event before the file is read; default 200 ms. */
  debounceMs?: number;
}

export interface HubConfigWatcher {
  /** Reads the file now, as SIGHUP asks; resolves once onChange or onInvalid (if any) has run. */
  reload(): Promise<void>;
  /** Stops watching; no callback runs after this. */
  close(): void;
}

const quiet: Logger = { info() {}, warn() {}, error() {} };

/**
 * Watches the hub's YAML file and reloads it on change, and on `reload()` (SIGHUP). A valid
 * change goes to `onChange` with the dotted paths that changed; an invalid one to `onInvalid`
 * with the loader's error (file:line:column), and the caller keeps its running configuration.
 *
 * Editors save in place or write a temporary file and rename it over the original; Kubernetes
 * swaps a symlinked directory. So the file's own watcher is re-armed after a rename, the directory
 * is watched too (for the name, and for `..data`), and a file that is missing for a moment is
 * looked for again before it counts as gone.
 *
 * @example
 * const watcher = watchHubConfig({
 *   file: 'hub.yaml',
 *   env: process.env,
 *   current: loaded.config,
 *   onChange(next, changed) {
 *     const later = needsRestart(changed);
 *     if (later.length > 0) logger.warn({ settings: later }, 'these settings change at the next restart');
 *     hub.apply(next.config, changed);
 *   },
 *   onInvalid: (error) => logger.error({ err: error.message }, 'config change refused; keeping the running one'),
 * });
 * process.on('SIGHUP', () => void watcher.reload());
 */
export function watchHubConfig(options: WatchHubConfigOptions): HubConfigWatcher {
  const {
    file,
    flags = {},
    env = process.env,
    onChange,
    onInvalid,
    logger = quiet,
    debounceMs = 200,
  } = options;
  const path = resolve(file);
  const name = basename(path);
  // Long enough for an editor's delete-then-write, short enough to tell the operator soon.
  const missingGraceMs = Math.max(1000, debounceMs * 5);

  let closed = false;
  let running: HubConfig | undefined = options.current;
  /** Without `current`, the first read of the file is what runs, not a change. */
  let takeAsBaseline = running === undefined;
  /** The text last read, so a burst of events for one save, or a touch, reloads nothing. */
  let lastText: string | undefined;
  let missingSince: number | undefined;
  let emptyBefore = false;
  let fileWatcher: FSWatcher | undefined;
  let directoryWatcher: FSWatcher | undefined;
  let rearm = true;
  let timer: NodeJS.Timeout | undefined;
  /** Reads run one at a time, in order. */
  let queue: Promise<void> = Promise.resolve();

  function schedule(delay = debounceMs): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void enqueue('watch');
    }, delay);
    timer.unref();
  }

  function enqueue(trigger: 'watch' | 'reload'): Promise<void> {
    const next = queue.then(() => readAndApply(trigger));
    queue = next.catch((thrown: unknown) =>
      logger.error({ err: describeError(thrown) }, 'reading the configuration file failed'),
    );
    return queue;
  }

  function armFileWatcher(): void {
    fileWatcher?.close();
    fileWatcher = undefined;
    if (closed) return;
    try {
      fileWatcher = watch(path, { persistent: false }, (event) => {
        // A rename means this inode is no longer the file: watch whatever has the name next time.
        if (event === 'rename') rearm = true;
        schedule();
      });
      fileWatcher.on('error', () => {
        rearm = true;
        schedule();
      });
      rearm = false;
    } catch {
      // Missing right now; the directory watcher sees it come back.
      rearm = true;
    }
  }

  function armDirectoryWatcher(): void {
    try {
      directoryWatcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        // `..data` is how Kubernetes swaps a mounted ConfigMap under a symlinked file.
        if (changed === null || changed === name || changed === '..data') schedule();
      });
      directoryWatcher.on('error', (error) =>
        logger.warn({ err: describeError(error) }, 'cannot watch the config directory; edits are still seen'),
      );
    } catch (error) {
      logger.warn({ err: describeError(error) }, 'cannot watch the config directory; reload with SIGHUP');
    }
  }

  async function readAndApply(trigger: 'watch' | 'reload'): Promise<void> {
    if (closed) return;
    if (rearm) armFileWatcher();
    let text: string;
    try {
      text = await readFile(path, 'utf8');
      missingSince = undefined;
    } catch (error) {
      if (closed) return;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && trigger === 'watch') {
        missingSince ??= Date.now();
        if (Date.now() - missingSince < missingGraceMs) return schedule();
      }
      missingSince = undefined;
      lastText = undefined;
      takeAsBaseline = false;
      return invalid(configurationError([configFileProblem(file, file, error)]));
    }
    if (closed) return;
    if (trigger === 'watch' && text === lastText) return;
    // An empty file is valid (all defaults, no APIs) but is also what a save looks like between
    // truncating and writing: believe it only when it is still empty a debounce later.
    if (trigger === 'watch' && text.trim() === '' && !emptyBefore) {
      emptyBefore = true;
      return schedule();
    }
    emptyBefore = false;
    lastText = text;
    let next: LoadedHubConfig;
    try {
      next = resolveHubConfig({ file: { name: file, text }, env, flags });
    } catch (thrown) {
      if (!(thrown instanceof HeartbeatError)) throw thrown;
      takeAsBaseline = false;
      return invalid(thrown);
    }
    if (takeAsBaseline) {
      takeAsBaseline = false;
      running = next.config;
      return;
    }
    // No baseline only when the file was unusable at start: then all it sets is news.
    const changed = changedPaths(HUB_CONFIG_SCHEMA, running ?? DEFAULT_HUB_CONFIG, next.config);
    if (changed.length === 0) {
      logger.info({ file }, 'configuration file read again; nothing changed');
      return;
    }
    running = next.config;
    try {
      onChange(next, changed);
    } catch (thrown) {
      logger.error({ err: describeError(thrown) }, 'applying the changed configuration failed');
    }
  }

  function invalid(error: HeartbeatError): void {
    try {
      onInvalid(error);
    } catch (thrown) {
      logger.error({ err: describeError(thrown) }, 'handling the refused configuration failed');
    }
  }

  armFileWatcher();
  armDirectoryWatcher();
  // Read once soon: without `current` for the baseline; with it, because the file may have
  // changed since the hub read it. Debounced like any event, so a save under way is not read.
  schedule();

  return {
    reload: () => enqueue('reload'),
    close() {
      closed = true;
      clearTimeout(timer);
      fileWatcher?.close();
      directoryWatcher?.close();
      fileWatcher = undefined;
      directoryWatcher = undefined;
    },
  };
}
