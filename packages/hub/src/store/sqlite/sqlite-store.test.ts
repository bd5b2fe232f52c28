import { spawn } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HeartbeatError } from '@heartbeat/sdk';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { requireService } from '../../../../sdk/src/testing/services.js';
import { apiDefinition, apiEvent, instanceRecord, T0 } from '../../testing/store-fixtures.js';
import { createTempDir } from '../../testing/test-stores.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { createSqliteStore } from './sqlite-store.js';
import type { TouchJournalOptions } from './touch-journal.js';

const dir = await createTempDir('hb-sqlite-');
afterAll(() => dir.remove());
let files = 0;
const nextPath = (): string => join(dir.path, `db-${++files}`, 'heartbeat.db');

function open(path = nextPath()) {
  const store = createSqliteStore({ path });
  onTestFinished(() => store.close());
  return store;
}

/** A connection to a database file migrated up to `version` only, as an older hub left it. */
function databaseAtVersion(path: string, version: number): Database.Database {
  const writer = new Database(path);
  writer.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
  );
  for (const step of SQLITE_MIGRATIONS.filter((s) => s.version <= version)) {
    writer.exec(step.sql);
    writer.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(step.version);
  }
  return writer;
}

describe('createSqliteStore', () => {
  it('creates the parent directory, uses WAL, and names the absolute file as its location', async () => {
    const path = join(dir.path, 'nested', 'deeper', 'heartbeat.db');
    const store = open(path);
    await store.migrate();
    expect(store.kind).toBe('sqlite');
    expect(store.location).toBe(path);
    await expect(stat(path)).resolves.toBeDefined();
    const peek = new Database(path, { readonly: true });
    onTestFinished(() => {
      peek.close();
    });
    expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(peek.prepare('SELECT version FROM schema_migrations').all()).toEqual(
      SQLITE_MIGRATIONS.map((step) => ({ version: step.version })),
    );
  });

  it('migrates once when two stores open one file', async () => {
    const path = nextPath();
    const [a, b] = [open(path), open(path)];
    await Promise.all([a.migrate(), b.migrate()]);
    await a.commit({ instances: [instanceRecord({ instanceId: 'x' })], events: [] });
    expect(await b.getInstance('x')).toBeDefined();
  });

  it('upgrades a version-1 database in place, keeping its data', async () => {
    const path = nextPath();
    const store = open(path);
    const writer = databaseAtVersion(path, 1);
    writer
      .prepare(
        `INSERT INTO instances (instance_id, service, state, unconfirmed, registered_at, last_heartbeat_at,
           state_changed_at, removed_at, beats, message) VALUES ('x', 'orders', 'alive', 0, 1, 2, 3, NULL, 4, ?)`,
      )
      .run(JSON.stringify({ instanceId: 'x', service: 'orders' }));
    writer
      .prepare(
        `INSERT INTO events (at, kind, instance_id, service, data)
         VALUES (5, 'instance.registered', 'x', 'orders', '{}')`,
      )
      .run();
    writer.close();

    await store.migrate();
    expect(await store.getInstance('x')).toMatchObject({ instanceId: 'x', beats: 4 });
    await store.commit({ instances: [], events: [], apis: [apiDefinition({ basepath: '/orders' })] });
    expect(await store.listApis()).toEqual([apiDefinition({ basepath: '/orders' })]);
    // The events table gained its basepath column: old events have none, new ones keep theirs.
    const [old] = await store.listEvents({ limit: 10 });
    expect(old).toStrictEqual({
      id: 1,
      at: 5,
      kind: 'instance.registered',
      instanceId: 'x',
      service: 'orders',
      data: {},
    });
    const [added] = await store.commit({ instances: [], events: [apiEvent()] });
    expect(await store.listEvents({ basepath: '/orders', limit: 10 })).toStrictEqual([added]);
  });

  it('upgrades a version-5 database: leases move to a table of their own, a renewal leaves the instance row as it was', async () => {
    const path = nextPath();
    const store = open(path);
    const writer = databaseAtVersion(path, 5);
    const message = { instanceId: 'x', service: 'orders', heartbeatTime: 10, lastHeartbeatTime: 9 };
    writer
      .prepare(
        `INSERT INTO instances (instance_id, service, state, unconfirmed, registered_at, last_heartbeat_at,
           state_changed_at, removed_at, beats, message) VALUES (?, 'orders', 'alive', 0, 1, 2, 1, NULL, 4, ?)`,
      )
      .run('x', JSON.stringify(message));
    writer.close();

    await store.migrate();
    expect((await store.getInstance('x'))?.message).toStrictEqual(message);
    await store.commit({
      instances: [],
      events: [],
      instanceTouches: [
        { instanceId: 'x', lastHeartbeatAt: 30, beats: 5, heartbeatTime: 29, lastHeartbeatTime: 10 },
      ],
    });
    expect(await store.getInstance('x')).toMatchObject({
      lastHeartbeatAt: 30,
      beats: 5,
      message: { ...message, heartbeatTime: 29, lastHeartbeatTime: 10 },
    });
    const peek = new Database(path, { readonly: true });
    onTestFinished(() => {
      peek.close();
    });
    expect(peek.prepare('SELECT beats, message FROM instances').all()).toStrictEqual([
      { beats: 4, message: JSON.stringify(message) },
    ]);
    expect(peek.prepare('SELECT * FROM instance_leases').all()).toStrictEqual([
      { instance_id: 'x', last_heartbeat_at: 30, beats: 5, heartbeat_time: 29, last_heartbeat_time: 10 },
    ]);
  });

  it('refuses a database whose schema is newer than it knows', async () => {
    const path = nextPath();
    const store = open(path);
    await store.migrate();
    const writer = new Database(path);
    writer.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)').run();
    writer.close();
    const failure = await open(path)
      .migrate()
      .catch((thrown: unknown) => thrown);
    expect(failure).toBeInstanceOf(HeartbeatError);
    expect((failure as HeartbeatError).code).toBe('CONFIGURATION_INVALID');
    expect((failure as Error).message).toMatch(/schema version 999, newer than this hub knows/);
  });

  it('fails to open with UNAVAILABLE naming the path when the file cannot be created', async () => {
    const blocker = join(dir.path, 'a-file');
    await writeFile(blocker, 'not a directory');
    const path = join(blocker, 'heartbeat.db');
    const failure = (() => {
      try {
        return createSqliteStore({ path });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(failure).toBeInstanceOf(HeartbeatError);
    expect((failure as HeartbeatError).code).toBe('UNAVAILABLE');
    expect((failure as Error).message).toContain(path);
  });

  describe('touch journal', () => {
    /** The journal rows of a database file, read by a connection of its own. */
    function journalRows(path: string): number {
      const peek = new Database(path, { readonly: true });
      try {
        return (peek.prepare('SELECT COUNT(*) AS n FROM instance_touch_journal').get() as { n: number }).n;
      } finally {
        peek.close();
      }
    }
    const touch = (instanceId: string, beats: number) => ({
      instanceId,
      lastHeartbeatAt: T0 + beats * 1000,
      beats,
      heartbeatTime: T0 + beats * 1000 - 5,
    });

    /** Instance id → beats, as the lease rows hold them (not as the store, which folds first, reads them). */
    function rowBeats(path: string): Record<string, number> {
      const peek = new Database(path, { readonly: true });
      try {
        const rows = peek.prepare('SELECT instance_id, beats FROM instance_leases').all() as Array<{
          instance_id: string;
          beats: number;
        }>;
        return Object.fromEntries(rows.map((row) => [row.instance_id, row.beats]));
      } finally {
        peek.close();
      }
    }

    /** A migrated store on a new file whose journal works as given (folding only when told, unless said). */
    async function journaled(touchJournal: Partial<TouchJournalOptions>, options: { close?: boolean } = {}) {
      const path = nextPath();
      const store = createSqliteStore({
        path,
        touchJournal: {
          foldAfterMs: 60_000,
          foldAtInstances: 1e9,
          ...touchJournal,
        },
      });
      if (options.close !== false) onTestFinished(() => store.close());
      await store.migrate();
      return { path, store };
    }

    it('journals touches as one row per commit; a sweep folds them in key order, a slice per commit, once too many wait', async () => {
      const { path, store } = await journaled({ foldAtInstances: 2, foldSlice: 1 });
      const ids = ['c', 'a', 'b'];
      await store.commit({ instances: ids.map((id) => instanceRecord({ instanceId: id })), events: [] });
      await store.commit({ instances: [], events: [], instanceTouches: [touch('c', 2), touch('a', 2)] });
      expect(journalRows(path)).toBe(1);
      expect(rowBeats(path)).toEqual({ a: 1, b: 1, c: 1 });
      // Two instances wait: a sweep starts, in key order (a before c), one per commit.
      await store.commit({ instances: [], events: [], instanceTouches: [touch('b', 2)] });
      expect(rowBeats(path)).toEqual({ a: 2, b: 1, c: 1 });
      expect(journalRows(path)).toBe(2);
      // A commit with no touches folds too: c, which ends the sweep and deletes the row it covered.
      await store.commit({ instances: [], events: [] });
      expect(rowBeats(path)).toEqual({ a: 2, b: 1, c: 2 });
      expect(journalRows(path)).toBe(1);
      // b came after the sweep started: it waits for the next one, or for a read.
      await store.commit({ instances: [], events: [] });
      expect(rowBeats(path)).toEqual({ a: 2, b: 1, c: 2 });
      expect(await store.getInstance('b')).toMatchObject({ beats: 2 });
      expect(journalRows(path)).toBe(0);
    });

    it('starts a sweep once the oldest waiting touch is foldAfterMs old, with every instance waiting by then', async () => {
      const { path, store } = await journaled({ foldAfterMs: 150, foldSlice: 100 });
      await store.commit({
        instances: ['a', 'b'].map((id) => instanceRecord({ instanceId: id })),
        events: [],
      });
      await store.commit({ instances: [], events: [], instanceTouches: [touch('a', 2), touch('b', 2)] });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await store.commit({ instances: [], events: [], instanceTouches: [touch('a', 3)] });
      expect(rowBeats(path)).toEqual({ a: 1, b: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The first touches have waited 200 ms: the sweep takes a and b, a with its newer beat.
      await store.commit({ instances: [], events: [] });
      expect(rowBeats(path)).toEqual({ a: 3, b: 2 });
      expect(journalRows(path)).toBe(0);
      await store.commit({ instances: [], events: [], instanceTouches: [touch('b', 3)] });
      await store.commit({ instances: [], events: [] });
      expect(rowBeats(path)).toEqual({ a: 3, b: 2 });
      expect(journalRows(path)).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 160));
      await store.commit({ instances: [], events: [] });
      expect(rowBeats(path)).toEqual({ a: 3, b: 3 });
      expect(journalRows(path)).toBe(0);
    });

    it('replays at the next start what a process left journaled, never over a newer record', async () => {
      const { path, store: crashed } = await journaled({}, { close: false });
      const [a, b] = [instanceRecord({ instanceId: 'a' }), instanceRecord({ instanceId: 'b' })];
      await crashed.commit({ instances: [a, b], events: [] });
      await crashed.commit({ instances: [], events: [], instanceTouches: [touch('a', 2), touch('b', 2)] });
      // b is rewritten whole after its journaled touch (its health changed, say): that record is newer.
      const bChanged = {
        ...b,
        beats: 3,
        lastHeartbeatAt: T0 + 3000,
        message: { ...b.message, status: 'error' as const },
      };
      await crashed.commit({ instances: [bChanged], events: [] });
      await crashed.commit({ instances: [], events: [], instanceTouches: [touch('a', 4)] });
      expect(journalRows(path)).toBe(2);
      // No close: what the process held in memory is gone, as after kill -9.

      const next = open(path);
      await next.migrate();
      expect(journalRows(path)).toBe(0);
      expect(await next.getInstance('a')).toStrictEqual({
        ...a,
        lastHeartbeatAt: T0 + 4000,
        beats: 4,
        message: { ...a.message, heartbeatTime: T0 + 3995 },
      });
      expect(await next.getInstance('b')).toStrictEqual(bChanged);
      await crashed.close();
    });

    it('replays touches with every time and any id exactly, and rows in the format before it', async () => {
      const { path, store: crashed } = await journaled({}, { close: false });
      const [odd, old] = [
        instanceRecord({ instanceId: 'odd "id" ü' }),
        instanceRecord({ instanceId: 'old' }),
      ];
      await crashed.commit({ instances: [odd, old], events: [] });
      // Agent times before and after the lease: written as distances from it, some negative.
      const oddTouch = { ...touch(odd.instanceId, 2), lastHeartbeatTime: T0 - 28_000 };
      await crashed.commit({ instances: [], events: [], instanceTouches: [touch('none', 2), oddTouch] });
      // A row a hub of the version before wrote: one array per touch, absolute times.
      const writer = new Database(path);
      writer
        .prepare('INSERT INTO instance_touch_journal (touches) VALUES (?)')
        .run(JSON.stringify([['old', T0 + 5000, 5, null, T0 + 4990]]));
      writer.close();

      const next = open(path);
      await next.migrate();
      expect(journalRows(path)).toBe(0);
      expect(await next.getInstance(odd.instanceId)).toStrictEqual({
        ...odd,
        lastHeartbeatAt: T0 + 2000,
        beats: 2,
        message: { ...odd.message, heartbeatTime: T0 + 1995, lastHeartbeatTime: T0 - 28_000 },
      });
      expect(await next.getInstance('old')).toStrictEqual({
        ...old,
        lastHeartbeatAt: T0 + 5000,
        beats: 5,
        message: { ...old.message, lastHeartbeatTime: T0 + 4990 },
      });
      await crashed.close();
      await next.close();
    });

    it('never lets a journaled touch overwrite a full record written after it', async () => {
      const { path, store } = await journaled({});
      await store.commit({
        instances: ['a', 'b'].map((id) => instanceRecord({ instanceId: id })),
        events: [],
      });
      await store.commit({ instances: [], events: [], instanceTouches: [touch('a', 2), touch('b', 2)] });
      const rewritten = instanceRecord({
        instanceId: 'a',
        beats: 3,
        lastHeartbeatAt: T0 + 3000,
        message: { instanceId: 'a', service: 'orders', version: '2.0.0' },
      });
      await store.commit({ instances: [rewritten], events: [] });
      expect(journalRows(path)).toBe(1);
      expect(await store.getInstance('a')).toStrictEqual(rewritten);
      expect(await store.getInstance('b')).toMatchObject({ beats: 2 });
      expect(rowBeats(path)).toEqual({ a: 3, b: 2 });
    });

    it('deletes the lease rows of the instances it prunes', async () => {
      const { path, store } = await journaled({});
      const removed = instanceRecord({ instanceId: 'gone', state: 'stopped', removedAt: T0 + 10 });
      await store.commit({ instances: [removed, instanceRecord({ instanceId: 'kept' })], events: [] });
      expect(await store.pruneRemovedInstances(T0 + 11)).toBe(1);
      expect(rowBeats(path)).toEqual({ kept: 1 });
    });

    it('folds before reading instances and when closing', async () => {
      const { path, store } = await journaled({}, { close: false });
      await store.commit({ instances: [instanceRecord({ instanceId: 'a' })], events: [] });
      await store.commit({ instances: [], events: [], instanceTouches: [touch('a', 2)] });
      expect(await store.getInstance('a')).toMatchObject({ beats: 2 });
      expect(journalRows(path)).toBe(0);
      await store.commit({ instances: [], events: [], instanceTouches: [touch('a', 3)] });
      expect(journalRows(path)).toBe(1);
      await store.close();
      expect(journalRows(path)).toBe(0);
    });
  });

  it('works in memory', async () => {
    const store = open(':memory:');
    await store.migrate();
    await store.commit({ instances: [instanceRecord({ instanceId: 'x' })], events: [] });
    expect(await store.loadLiveInstances()).toHaveLength(1);
  });
});

// The durability test runs the BUILT store in a child process, so it can be killed with SIGKILL.
const built = fileURLToPath(new URL('../../../dist/store/sqlite/sqlite-store.js', import.meta.url));
const source = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
const isBuilt = await requireService(
  `the built hub store (${built})`,
  async () => {
    const [output, input] = await Promise.all([stat(built), stat(source)]);
    if (output.mtimeMs < input.mtimeMs) throw new Error('it is older than its source');
  },
  { hint: 'build it first: npx tsc -b packages/hub' },
);

// Commits batches of 50 instances, 50 touches and one event forever, printing each batch number once commit() resolves.
const CHILD = `
const { createSqliteStore } = await import(process.env.HB_STORE_MODULE);
// Touches folded 5 ms after they are journaled, 30 per commit: the kill lands amid folding and trimming.
const store = createSqliteStore({ path: process.env.HB_DB, touchJournal: { foldAfterMs: 5, foldSlice: 30 } });
await store.migrate();
for (let batch = 1; ; batch++) {
  const instances = Array.from({ length: 50 }, (_, i) => ({
    instanceId: 'b' + batch + '-i' + i, service: 'svc', state: 'alive', unconfirmed: false,
    registeredAt: batch, lastHeartbeatAt: batch, stateChangedAt: batch, removedAt: null, beats: batch,
    message: { instanceId: 'b' + batch + '-i' + i, service: 'svc', extInfo: { pad: 'x'.repeat(500) } },
  }));
  // Each batch also renews the leases of the previous batch's instances: touches, journaled.
  const instanceTouches = batch === 1 ? [] : Array.from({ length: 50 }, (_, i) => ({
    instanceId: 'b' + (batch - 1) + '-i' + i, lastHeartbeatAt: batch, beats: batch, heartbeatTime: batch,
  }));
  await store.commit({ instances, instanceTouches, events: [{ at: batch, kind: 'instance.registered', data: { batch } }] });
  process.stdout.write(batch + '\\n');
}
`;

describe.skipIf(!isBuilt)('durability', () => {
  it('keeps every acknowledged commit when the process is killed with SIGKILL mid-run', async () => {
    const path = nextPath();
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, HB_DB: path, HB_STORE_MODULE: pathToFileURL(built).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );

    let acknowledged = 0;
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) acknowledged = Number(line);
        if (acknowledged >= 300) {
          // Killed while it is busy committing the next batches.
          child.kill('SIGKILL');
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`the child exited early: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const store = open(path);
    await store.migrate();
    const batches = (await store.listEvents({ limit: 100_000 })).map((event) => event.data.batch as number);
    expect(batches.slice(0, acknowledged)).toEqual(Array.from({ length: acknowledged }, (_, i) => i + 1));
    const instances = await store.loadLiveInstances();
    for (let batch = 1; batch <= acknowledged; batch++) {
      expect(await store.getInstance(`b${batch}-i49`), `batch ${batch}`).toBeDefined();
      // Touched by the next batch: acknowledged for every batch but the last (whose toucher was in flight).
      const touched = await store.getInstance(`b${batch}-i0`);
      const beats = batch < acknowledged ? [batch + 1] : [batch, batch + 1];
      expect(beats, `batch ${batch}`).toContain(touched?.beats);
      expect(touched?.message.heartbeatTime, `batch ${batch}`).toBe(
        touched?.beats === batch ? undefined : batch + 1,
      );
    }
    // A batch in flight at the kill is there whole or not at all.
    const partial = instances.filter((record) => record.instanceId.startsWith(`b${acknowledged + 1}-`));
    expect([0, 50]).toContain(partial.length);
    expect(instances.length % 50).toBe(0);
  });
});
