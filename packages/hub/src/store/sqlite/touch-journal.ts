import type Database from 'better-sqlite3';
import type { InstanceRecord } from '../../domain/instance.js';
import { mergeTouches, type InstanceTouch } from '../store.js';

export interface TouchJournalOptions {
  /** A journaled touch is applied to its row by the first commit this long after it (newer ones wait). */
  foldAfterMs: number;
  /** …or as soon as this many touches are waiting (those of one instance counted once as they merge). */
  foldAtInstances: number;
  /** At most this many touches folded per commit, oldest first: a fold never stalls the hub for long. */
  foldSlice: number;
}

export const TOUCH_JOURNAL_DEFAULTS: TouchJournalOptions = {
  foldAfterMs: 5000,
  foldAtInstances: 20_000,
  foldSlice: 2000,
};

/**
 * The SQLite store's journal of instance touches (the beats that renew a lease and change nothing
 * else, almost every beat a hub receives).
 *
 * A touch updates the instance's lease row (`instance_leases`, migration 6: about 50 bytes, some 80
 * to a 4 KiB page). Updating rows in place as the beats come rewrites one page per beat: beats from
 * different instances land on different pages, and every commit appends each page it changed to the
 * WAL. Instead, a commit appends its touches as ONE journal row, and the touches are folded into the
 * lease rows by later commits, `foldAfterMs` after they were journaled (a slice per commit, oldest
 * first): in five seconds many touches share a page (100,000 instances beating every 30 s put about
 * 13 on each of the table's 1,300 pages), and a busy instance's many beats become one update.
 * Measured on the development machine: 5 µs a touch instead of 18 for such a fleet. Journal rows no
 * unfolded touch lives in any more are deleted as folding goes.
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
  /** Applies every journaled touch to its row and empties the journal. */
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
  // The lease row only (migration 6), a few bytes of a small table. A time left out stays as it was
  // (a touch never removes one: `InstanceTouch`).
  const apply = db.prepare<[number, number, number | null, number | null, string, number]>(
    `UPDATE instance_leases SET last_heartbeat_at = ?, beats = ?,
       heartbeat_time = coalesce(?, heartbeat_time), last_heartbeat_time = coalesce(?, last_heartbeat_time)
     WHERE instance_id = ? AND beats < ?`,
  );
  const applyPacked = ([id, at, beats, hbt, lhbt]: PackedTouch) => apply.run(at, beats, hbt, lhbt, id, beats);

  const deleteBefore = db.prepare<[number]>('DELETE FROM instance_touch_journal WHERE id < ?');

  /** The touch journaled and not folded yet of each instance: the latest, merged with the earlier. */
  let unfolded = new Map<string, Unfolded>();
  /**
   * Every entry put in `unfolded`, in the order they were journaled (so by row and by time), from
   * `head` on. An entry no longer in `unfolded` (folded, replaced by a newer one, or its row written
   * directly) is skipped. A queue rather than iterating the Map from the front: V8 leaves a deleted
   * Map entry in place until the table is rebuilt, so the front would be walked over every entry
   * folded since — the hub's whole CPU at a fleet's pace.
   */
  let queue: Unfolded[] = [];
  let head = 0;
  /** The lowest journal row id that may still be in the table; undefined when it is empty. */
  let lowestRow: number | undefined;

  const live = (entry: Unfolded) => unfolded.get(entry.instanceId) === entry;

  function foldAll(extra: readonly InstanceTouch[]): Settle {
    for (const entry of unfolded.values()) applyPacked(pack(entry.touch));
    for (const touch of extra) applyPacked(pack(touch));
    clear.run();
    return () => {
      unfolded = new Map();
      queue = [];
      head = 0;
      lowestRow = undefined;
    };
  }

  return {
    write(touches, upserted) {
      if (lowestRow === undefined && touches.length === 0) return noop;
      const now = performance.now();
      const row = touches.length > 0 ? Number(append.run(encode(touches)).lastInsertRowid) : undefined;

      // Fold the entries that are due, oldest first, a slice per commit: no commit stalls on a big fold.
      const folded: Unfolded[] = [];
      let at = head;
      for (; at < queue.length; at++) {
        const entry = queue[at]!;
        if (!live(entry)) continue;
        const due =
          now - entry.at >= options.foldAfterMs || unfolded.size - folded.length >= options.foldAtInstances;
        if (!due || folded.length >= options.foldSlice) break;
        applyPacked(pack(entry.touch));
        folded.push(entry);
      }
      const firstKept = queue[at];
      // Rows before the oldest one an unfolded touch still lives in are no longer needed.
      const needed = Math.min(firstKept?.row ?? Infinity, row ?? Infinity);
      const trimmed = lowestRow !== undefined && lowestRow < needed;
      if (trimmed) {
        if (needed === Infinity) clear.run();
        else deleteBefore.run(needed);
      }
      return () => {
        for (const entry of folded) if (live(entry)) unfolded.delete(entry.instanceId);
        head = at;
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        if (trimmed) lowestRow = needed === Infinity ? undefined : needed;
        // An upsert carries everything an earlier touch of it would write, newer. (A journaled older
        // touch of theirs changes nothing: it is guarded.)
        for (const record of upserted) unfolded.delete(record.instanceId);
        if (row === undefined) return;
        for (const touch of touches) {
          const earlier = unfolded.get(touch.instanceId);
          const entry: Unfolded = {
            instanceId: touch.instanceId,
            touch: earlier ? mergeTouches(earlier.touch, touch) : touch,
            row,
            at: now,
          };
          unfolded.set(touch.instanceId, entry);
          queue.push(entry);
        }
        lowestRow ??= row;
      };
    },
    fold() {
      return lowestRow === undefined ? noop : foldAll([]);
    },
    get pending() {
      return lowestRow !== undefined;
    },
    replay() {
      let count = 0;
      for (const row of journaled.all()) {
        for (const touch of JSON.parse(row.touches) as PackedTouch[]) {
          applyPacked(touch);
          count++;
        }
      }
      clear.run();
      return count;
    },
  };
}

/** A touch waiting in the journal: the journal row holding it and when that was written. */
interface Unfolded {
  instanceId: string;
  touch: InstanceTouch;
  row: number;
  at: number;
}

/** A touch as one journal entry: id, lease, beats, agent times. */
type PackedTouch = [string, number, number, number | null, number | null];

function pack(touch: InstanceTouch): PackedTouch {
  return [
    touch.instanceId,
    touch.lastHeartbeatAt,
    touch.beats,
    touch.heartbeatTime ?? null,
    touch.lastHeartbeatTime ?? null,
  ];
}

/** The touches as the journal row's JSON (an array of `PackedTouch`), written out without building the arrays. */
function encode(touches: readonly InstanceTouch[]): string {
  let json = '[';
  for (let i = 0; i < touches.length; i++) {
    const touch = touches[i]!;
    json +=
      `${i === 0 ? '' : ','}[${JSON.stringify(touch.instanceId)},${touch.lastHeartbeatAt},${touch.beats},` +
      `${touch.heartbeatTime ?? null},${touch.lastHeartbeatTime ?? null}]`;
  }
  return `${json}]`;
}

function noop(): void {}
