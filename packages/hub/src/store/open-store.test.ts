import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HeartbeatError } from '@heartbeat/sdk';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTempDir } from '../testing/test-stores.js';
import { openStore } from './open-store.js';
import type { Store } from './store.js';

const dir = await createTempDir('hb-open-store-');
afterAll(() => dir.remove());

function opened(store: Store): Store {
  onTestFinished(() => store.close());
  return store;
}

describe('openStore', () => {
  it('uses SQLite at <dataDir>/heartbeat.db when no location is given', () => {
    const store = opened(openStore(undefined, join(dir.path, 'data')));
    expect(store.kind).toBe('sqlite');
    expect(store.location).toBe(join(dir.path, 'data', 'heartbeat.db'));
    expect(opened(openStore('  ', join(dir.path, 'data'))).location).toBe(store.location);
  });

  it('takes any other text as a SQLite file, relative to the working directory', () => {
    const path = join(dir.path, 'elsewhere', 'hub.db');
    const store = opened(openStore(relative(process.cwd(), path), '/unused'));
    expect(store).toMatchObject({ kind: 'sqlite', location: path });
    expect(opened(openStore(pathToFileURL(path).href, '/unused')).location).toBe(path);
  });

  it('uses PostgreSQL for postgres:// and postgresql:// URLs, without connecting yet', () => {
    for (const scheme of ['postgres', 'postgresql', 'POSTGRES']) {
      const store = opened(openStore(`${scheme}://hub:secret@127.0.0.1:1/heartbeat`, '/unused'));
      expect(store.kind).toBe('postgres');
      expect(store.location).toBe(`${scheme.toLowerCase()}://hub@127.0.0.1:1/heartbeat`);
    }
  });

  it('refuses other URL schemes with CONFIGURATION_INVALID and what would work', () => {
    let thrown: unknown;
    try {
      openStore('mysql://root:secret@db/heartbeat', '/unused');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HeartbeatError);
    expect(thrown).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    expect((thrown as Error).message).toMatch(/"mysql:\/\/…".*postgres:\/\/.*file path/);
    expect((thrown as Error).message).not.toContain('secret');
  });
});
