import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeartbeatError } from '@heartbeat/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveHubConfig, type LoadedHubConfig } from './load-hub-config.js';
import {
  isReloadable,
  needsRestart,
  RELOADABLE_PATHS,
  watchHubConfig,
  type HubConfigWatcher,
  type WatchHubConfigOptions,
} from './watch-hub-config.js';

let dir: string;
let file: string;
const watchers: HubConfigWatcher[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heartbeat-watch-'));
  file = join(dir, 'hub.yaml');
});
afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.close();
  await rm(dir, { recursive: true, force: true });
});

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

/** Waits for a condition, polling; fails with `what` after the deadline rather than sleeping long. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Starts a watcher on `file` as a hub would, with the config read from `text` as the running one. */
async function start(text: string, options: Partial<WatchHubConfigOptions> = {}) {
  await writeFile(file, text);
  const changes: { next: LoadedHubConfig; paths: string[] }[] = [];
  const invalid: HeartbeatError[] = [];
  const watcher = watchHubConfig({
    file,
    env: {},
    current: resolveHubConfig({ file: { name: file, text }, env: {}, flags: options.flags ?? {} }).config,
    debounceMs: 30,
    onChange: (next, paths) => changes.push({ next, paths }),
    onInvalid: (error) => invalid.push(error),
    ...options,
  });
  watchers.push(watcher);
  return { watcher, changes, invalid };
}

/** How an editor that saves by rename does it. */
async function replaceByRename(text: string): Promise<void> {
  const temporary = join(dir, `.hub.yaml.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, file);
}

describe('watchHubConfig', () => {
  it('applies a file written in place, with the changed paths', async () => {
    const { changes, invalid } = await start(yaml('auth:', '  publicRead: false'));
    await writeFile(file, yaml('auth:', '  publicRead: true', 'log:', '  level: debug'));
    await until(() => changes.length > 0, 'onChange');
    expect(changes).toHaveLength(1);
    expect(changes[0]?.paths).toEqual(['auth.publicRead', 'log.level']);
    expect(changes[0]?.next.config.auth.publicRead).toBe(true);
    expect(changes[0]?.next.file).toBe(file);
    expect(invalid).toEqual([]);
  });

  it('follows a file replaced by rename, again and again', async () => {
    const { changes } = await start(yaml('apis:', '  - basepath: /a'));
    await replaceByRename(yaml('apis:', '  - basepath: /b'));
    await until(() => changes.length === 1, 'the first rename');
    expect(changes[0]?.paths).toEqual(['apis']);
    expect(changes[0]?.next.config.apis.map((api) => api.basepath)).toEqual(['/b']);

    // The watcher on the old file is gone with it; the next saves must be seen all the same.
    await replaceByRename(yaml('apis:', '  - basepath: /c'));
    await until(() => changes.length === 2, 'the second rename');
    await writeFile(file, yaml('apis:', '  - basepath: /d'));
    await until(() => changes.length === 3, 'a write in place after the renames');
    expect(changes.map(({ next }) => next.config.apis[0]?.basepath)).toEqual(['/b', '/c', '/d']);
  });

  it('refuses an invalid change with file:line:column and keeps nothing, then takes the fix', async () => {
    const { changes, invalid } = await start(yaml('apis:', '  - basepath: /a'));
    await writeFile(file, yaml('apis:', '  - basepath: /a', '    window: 1s'));
    await until(() => invalid.length > 0, 'onInvalid');
    expect(invalid[0]?.code).toBe('CONFIGURATION_INVALID');
    expect(invalid[0]?.message).toContain(
      `${file}:3:13: apis[0].window: "1s" is shorter than the minimum of 10s`,
    );
    expect(changes).toEqual([]);

    await writeFile(file, yaml('apis:', '  - basepath: /a', '    window: 1m'));
    await until(() => changes.length > 0, 'onChange after the fix');
    expect(changes[0]?.paths).toEqual(['apis']);
    expect(changes[0]?.next.config.apis[0]?.window).toBe(60_000);
    expect(invalid).toHaveLength(1);
  });

  it('waits out a file that is missing for a moment, and reports one that stays gone', async () => {
    const { changes, invalid } = await start(yaml('autoRegister: true'));
    await rm(file);
    await sleep(50);
    await writeFile(file, yaml('autoRegister: false'));
    await until(() => changes.length > 0, 'onChange once the file is back');
    expect(changes[0]?.paths).toEqual(['autoRegister']);
    expect(invalid).toEqual([]);

    await rm(file);
    await until(() => invalid.length > 0, 'onInvalid for a file that stays gone');
    expect(invalid[0]?.message).toContain(`config file ${file} does not exist`);
    expect(changes).toHaveLength(1);
  });

  it('takes an emptied file for all defaults only when it stays empty', async () => {
    const { changes } = await start(yaml('apis:', '  - basepath: /a'));
    const emptied = Date.now();
    await writeFile(file, '');
    await until(() => changes.length > 0, 'onChange for the empty file');
    // One debounce to notice, one more to be sure it is not a save half done.
    expect(Date.now() - emptied).toBeGreaterThanOrEqual(60);
    expect(changes[0]?.paths).toEqual(['apis']);
    expect(changes[0]?.next.config.apis).toEqual([]);
  });

  it('stops watching when closed', async () => {
    const closed = await start(yaml('autoRegister: true'));
    const open = await start(yaml('autoRegister: true'));
    closed.watcher.close();
    await writeFile(file, yaml('autoRegister: false'));
    // The open watcher seeing the write shows the events came; the closed one had the same time.
    await until(() => open.changes.length > 0, 'the open watcher');
    await sleep(100);
    expect(closed.changes).toEqual([]);
    expect(closed.invalid).toEqual([]);
    await closed.watcher.reload();
    expect(closed.changes).toEqual([]);
  });

  describe('reload(), as SIGHUP calls it', () => {
    // A debounce longer than the test: only reload() reads the file.
    const manual = { debounceMs: 600_000 };

    it('reads the file now and resolves after the callbacks', async () => {
      const { watcher, changes } = await start(yaml('log:', '  level: info'), manual);
      await writeFile(file, yaml('log:', '  level: warn', 'server:', '  port: 9000'));
      await watcher.reload();
      expect(changes.map(({ paths }) => paths)).toEqual([['server.port', 'log.level']]);
      expect(needsRestart(changes[0]?.paths ?? [])).toEqual(['server.port']);
    });

    it('calls nothing when nothing changed: comments, or what flags override anyway', async () => {
      const { watcher, changes, invalid } = await start(yaml('server:', '  port: 9000'), {
        ...manual,
        flags: { port: 8000 },
      });
      await writeFile(file, yaml('# the port comes from --port', 'server:', '  port: 9001'));
      await watcher.reload();
      expect(changes).toEqual([]);
      expect(invalid).toEqual([]);
    });

    it('keeps the last good configuration as the base across an invalid one', async () => {
      const { watcher, changes, invalid } = await start(yaml('auth:', '  publicRead: false'), manual);
      await writeFile(file, yaml('auth:', '  publicRead: maybe'));
      await watcher.reload();
      expect(invalid.map((error) => error.message)).toEqual([
        `configuration has 1 problem:\n  ${file}:2:15: auth.publicRead: "maybe" is not a boolean; write true or false (yes/no and 1/0 work too)`,
      ]);
      await writeFile(file, yaml('auth:', '  publicRead: false'));
      await watcher.reload();
      expect(changes).toEqual([]);
      await writeFile(file, yaml('auth:', '  publicRead: true'));
      await watcher.reload();
      expect(changes.map(({ paths }) => paths)).toEqual([['auth.publicRead']]);
    });

    it('takes the file as it reads at start as the base when no current config is given', async () => {
      const { watcher, changes } = await start(yaml('autoRegister: false'), {
        ...manual,
        current: undefined,
      });
      await watcher.reload();
      expect(changes).toEqual([]);
      await writeFile(file, yaml('autoRegister: true'));
      await watcher.reload();
      expect(changes.map(({ paths }) => paths)).toEqual([['autoRegister']]);
    });

    it('reports a file that is gone at once', async () => {
      const { watcher, invalid } = await start(yaml('autoRegister: false'), manual);
      await rm(file);
      await watcher.reload();
      expect(invalid[0]?.message).toContain(`config file ${file} does not exist`);
    });
  });
});

describe('RELOADABLE_PATHS', () => {
  it('says which settings apply without a restart', () => {
    expect(RELOADABLE_PATHS).toContain('apis');
    for (const path of [
      'apis',
      'autoRegister',
      'auth.publicRead',
      'log.level',
      'instances.selfPreservation.ratio',
      'apiHistory.retention',
    ]) {
      expect(isReloadable(path), path).toBe(true);
    }
    for (const path of ['server.port', 'store', 'auth.adminKey', 'log.format', 'instances.validTime']) {
      expect(isReloadable(path), path).toBe(false);
    }
    expect(needsRestart(['apis', 'server.port', 'store', 'apiHistory.minuteRetention'])).toEqual([
      'server.port',
      'store',
    ]);
  });
});
