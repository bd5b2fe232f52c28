import type Database from 'better-sqlite3';
import type { InstanceRecord } from '../../domain/instance.js';
import { mergeTouchInto, type InstanceTouch } from '../store.js';

export interface TouchJournalOptions {
  /** A sweep starts once the oldest waiting touch is this old: no touch waits much longer than twice this. */
  foldAfterMs: number;
  /** …or as soon as this many instances have touches waiting (one instance's touches merge). */
  foldAtInstances: number;
  /** At most this many touches folded per commit: a sweep never stalls the hub for long. */
  foldSlice: number;
}

export const TOUCH_JOURNAL_DEFAULTS: TouchJournalOptions = {
  foldAfterMs: 5000,
  foldAtInstances: 20_000,
  foldSlice: 1000,
};

/**
 * The SQLite store's journal of instance touches (the beats that renew a lease and change nothing
 * else, almost every beat a hub receives).
 *
 * A touch updates the instance's lease row (`instance_leases`, migration 6: about 50 bytes, some 80
 * to a 4 KiB page). Updating rows in place as the beats come rewrites one page per beat: beats from
 * different instances land on different pages, and every commit appends each page it changed to the
 * WAL. Instead, a commit appends its touches as ONE journal row, and the touches are folded into the
 * lease rows later, by a SWEEP: once the oldest waiting touch is `foldAfterMs` old, every instance
 * with a touch waiting is put in key order — the lease table's page order — and the following
 * commits fold them a slice each, so each slice updates neighbouring rows on a few pages. In five
 * seconds, many touches share a page (100,000 instances beating every 30 s put about 13 on each of
 * the table's 1,300 pages), and an instance that beat again meanwhile needs one update. Measured on
 * the development machine for such a fleet: about 5 µs of store time a touch, against 18 updating
 * the instance rows in place. Once a sweep is done, the journal rows it covered are deleted.
 *
 * The journal row is in the same transaction as the rest of the commit, so an acknowledged beat
 * survives `kill -9` as before: `replay` applies what a stopped process left at the next start.
 * Reading instances from the store folds first (`fold`), so readers see every committed touch.
 * A touch is applied only when its `beats` is above the row's, so a journaled touch never
 * overwrites a newer record written after it (re-applying the journal is harmless).
 *
 * Every method runs inside the caller's transaction; the in-memory view changes only through the
 * `settle` callbacks they return, which the caller runs once the transaction has committed (a
 * rolled-back commit leaves the journal and the view as they were).
 */
export interface TouchJournal {
  /** Journals the commit's touches and folds the slice of older ones that is due. */
  write(touches: readonly InstanceTouch[], upserted: readonly InstanceRecord[]): Settle;
  /** Applies every journaled touch to its lease row and empties the journal. */
  fold(): Settle;
  /** True when journaled touches are waiting to be folded. */
  readonly pending: boolean;
  /** At start-up, before anything else: folds what a previous process journaled. Returns how many touches. */
  replay(): number;
}

/** Brings the in-memory view up to date once the transaction that returned it has committed. */
export type Settle = () => void;

export function createTouchJournal(db: Database.Database, options: TouchJournalOptions): TouchJournal {
  const append = db.prepare<[string]>('INSERT INTO instance_touch_journal (touches) VALUES (?)');
  const journaled = db.prepare<[], { touches: string }>(
    'SELECT touches FROM instance_touch_journal ORDER BY id',
  );
  const clear = db.prepare('DELETE FROM instance_touch_journal');
  const deleteThrough = db.prepare<[number]>('DELETE FROM instance_touch_journal WHERE id <= ?');
  // The lease row only (migration 6), a few bytes of a small table. A time left out stays as it was
  // (a touch never removes one: `InstanceTouch`).
  const apply = db.prepare<[number, number, number | null, number | null, string, number]>(
    `UPDATE instance_leases SET last_heartbeat_at = ?, beats = ?,
       heartbeat_time = coalesce(?, heartbeat_time), last_heartbeat_time = coalesce(?, last_heartbeat_time)
     WHERE instance_id = ? AND beats < ?`,
  );
  const applyTouch = (touch: InstanceTouch) =>
    apply.run(
      touch.lastHeartbeatAt,
      touch.beats,
      touch.heartbeatTime ?? null,
      touch.lastHeartbeatTime ?? null,
      touch.instanceId,
      touch.beats,
    );

  /** The touch of each instance journaled and not folded yet: the latest, merged with the earlier. */
  let unfolded = new Map<string, InstanceTouch>();
  /** When the oldest touch not yet in a sweep was journaled; undefined when there is none. */
  let waitingSince: number | undefined;
  /** The id of the last journal row written; the journal table holds rows up to it. */
  let lastRow: number | undefined;
  /** The sweep under way: the instances to fold in key order, how far it got, and the rows it covers. */
  let sweep: { ids: string[]; next: number; throughRow: number } | undefined;

  function foldAll(): Settle {
    for (const touch of unfolded.values()) applyTouch(touch);
    clear.run();
    return () => {
      unfolded = new Map();
      waitingSince = undefined;
      lastRow = undefined;
      sweep = undefined;
    };
  }

  return {
    write(touches, upserted) {
      // Nothing journaled and nothing to journal (most commits of observations): nothing to do.
      if (lastRow === undefined && touches.length === 0) return noop;
      const now = performance.now();
      const row = touches.length > 0 ? Number(append.run(encode(touches)).lastInsertRowid) : undefined;

      // A sweep covers the touches of the rows written so far (not this commit's: they are not in
      // `unfolded` until it has committed).
      let current = sweep;
      if (
        current === undefined &&
        lastRow !== undefined &&
        waitingSince !== undefined &&
        (now - waitingSince >= options.foldAfterMs || unfolded.size >= options.foldAtInstances)
      ) {
        // Key order is the lease table's page order (SQLite compares TEXT keys as bytes; for ASCII
        // ids that is this order too, and any other order would only cost locality).
        current = { ids: [...unfolded.keys()].sort(), next: 0, throughRow: lastRow };
      }
      let next = 0;
      let done = false;
      /** Each instance folded now, and its beats then: its entry goes unless a newer touch came since. */
      const folded: Array<[string, number]> = [];
      if (current) {
        const end = Math.min(current.ids.length, current.next + options.foldSlice);
        for (next = current.next; next < end; next++) {
          const id = current.ids[next]!;
          const touch = unfolded.get(id);
          // Gone: written whole since (an upsert carries the touch's news) or already folded.
          if (touch === undefined) continue;
          applyTouch(touch);
          folded.push([id, touch.beats]);
        }
        done = next === current.ids.length;
        // Every touch of the rows the sweep covers is now in its lease row, or in a newer record.
        if (done) deleteThrough.run(current.throughRow);
      }

      return () => {
        if (current) {
          if (current !== sweep) waitingSince = undefined;
          for (const [id, beats] of folded) if (unfolded.get(id)?.beats === beats) unfolded.delete(id);
          current.next = next;
          sweep = done ? undefined : current;
          // Done with every row written: the table is empty.
          if (done && lastRow === current.throughRow) lastRow = undefined;
        }
        // An upsert carries everything an earlier touch of it would write, newer. (A journaled older
        // touch of theirs changes nothing: it is guarded.)
        for (const record of upserted) unfolded.delete(record.instanceId);
        if (row === undefined) return;
        lastRow = row;
        waitingSince ??= now;
        for (const touch of touches) {
          // The waiting touch takes the newer one's values in place: a beat then leaves no new
          // object behind for the seconds until the next sweep.
          const earlier = unfolded.get(touch.instanceId);
          if (earlier === undefined) unfolded.set(touch.instanceId, touch);
          else mergeTouchInto(earlier, touch);
        }
      };
    },
    fold() {
      return lastRow === undefined ? noop : foldAll();
    },
    get pending() {
      return lastRow !== undefined;
    },
    replay() {
      let count = 0;
      for (const row of journaled.all()) {
        for (const touch of decode(row.touches)) {
          applyTouch(touch);
          count++;
        }
      }
      clear.run();
      return count;
    },
  };
}

/**
 * The touches as the journal row's JSON: one flat array, `[base, id, lease, beats, heartbeatTime,
 * lastHeartbeatTime, id, …]`, each time written as its distance from `base` (the first touch's
 * lease). Written out without building arrays, and small numbers: printing a 13-digit epoch time
 * costs four times what printing a small integer does, on every beat.
 */
function encode(touches: readonly InstanceTouch[]): string {
  const base = touches[0]!.lastHeartbeatAt;
  let json = `[${base}`;
  for (let i = 0; i < touches.length; i++) {
    const touch = touches[i]!;
    const id = touch.instanceId;
    const heartbeatTime = touch.heartbeatTime === undefined ? null : touch.heartbeatTime - base;
    const lastHeartbeatTime = touch.lastHeartbeatTime === undefined ? null : touch.lastHeartbeatTime - base;
    json +=
      `,${PLAIN_ID.test(id) ? `"${id}"` : JSON.stringify(id)},${touch.lastHeartbeatAt - base},` +
      `${touch.beats},${heartbeatTime},${lastHeartbeatTime}`;
  }
  return `${json}]`;
}

/**
 * A journal row's touches, from `encode`'s format or the one before it (an array of
 * `[id, lease, beats, heartbeatTime, lastHeartbeatTime]` with absolute times). Replay only.
 */
function decode(row: string): InstanceTouch[] {
  type Time = number | null;
  const parsed = JSON.parse(row) as
    Array<[string, number, number, Time, Time]> | Array<string | number | null>;
  const touch = (instanceId: string, lastHeartbeatAt: number, beats: number, hbt: Time, lhbt: Time) => {
    const decoded: InstanceTouch = { instanceId, lastHeartbeatAt, beats };
    if (hbt !== null) decoded.heartbeatTime = hbt;
    if (lhbt !== null) decoded.lastHeartbeatTime = lhbt;
    return decoded;
  };
  if (parsed.length === 0 || Array.isArray(parsed[0])) {
    return (parsed as Array<[string, number, number, Time, Time]>).map((entry) => touch(...entry));
  }
  const [base, ...flat] = parsed as [number, ...Array<string | number | null>];
  const since = (value: string | number | null | undefined): Time =>
    value === null || value === undefined ? null : base + (value as number);
  const touches: InstanceTouch[] = [];
  for (let i = 0; i < flat.length; i += 5) {
    touches.push(
      touch(
        flat[i] as string,
        since(flat[i + 1])!,
        flat[i + 2] as number,
        since(flat[i + 3]),
        since(flat[i + 4]),
      ),
    );
  }
  return touches;
}

/** An id JSON writes as it is, between quotes (every id the hub accepts: `INSTANCE_ID_PATTERN`). */
const PLAIN_ID = /^[\w.~:@-]*$/;

function noop(): void {}
