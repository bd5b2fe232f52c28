import type Database from 'better-sqlite3';
import type { InstanceRecord } from '../../domain/instance.js';
import { mergeTouches, type InstanceTouch } from '../store.js';

export interface TouchJournalOptions {
  /** Journaled touches are applied to their rows at the first commit this long after the oldest. */
  foldAfterMs: number;
  /** …or as soon as this many touches are waiting (those of one instance counted once as they merge). */
  foldAtInstances: number;
  /** A commit with fewer touches than this updates their rows at once: nothing to gain by waiting. */
  journalFrom: number;
}

export const TOUCH_JOURNAL_DEFAULTS: TouchJournalOptions = {
  foldAfterMs: 1000,
  foldAtInstances: 20_000,
  journalFrom: 8,
};

/**
 * The SQLite store's journal of instance touches (the beats that renew a lease and change nothing
 * else, almost every beat a hub receives).
 *
 * Updating an instance row in place rewrites the 4 KiB page it lives on, and beats from different
 * instances land on different pages: a commit of 100 touches appended about 100 pages to the WAL
 * (≈ 4 µs a touch on the development machine). Instead, a commit appends its touches as ONE journal
 * row, and the touches are folded into their instance rows in the background of a later commit —
 * every `foldAfterMs` or `foldAtInstances` — where a busy instance's many beats become one update.
 * The journal row is in the same transaction as the rest of the commit, so an acknowledged beat
 * survives `kill -9` as before: `replay` applies what a stopped process left at the next start.
 *
 * A commit with only a few touches (`journalFrom`: a fleet beating every 30 s, each beat committed
 * on its own) updates the rows at once: the fold would make the same updates later, so journaling
 * them would only add the journal row.
 *
 * Reading instances from the store folds first (`fold`), so readers see every committed touch.
 * A touch is applied only when its `beats` is above the row's, so a journaled touch never
 * overwrites a newer record written after it (re-applying the journal is harmless).
 *
 * Every method runs inside the caller's transaction; the in-memory view changes only through the
 * `settle` callbacks they return, which the caller runs once the transaction has committed (a
 * rolled-back commit leaves the journal and the view as they were).
 */
export interface TouchJournal {
  /** Journals the commit's touches, or folds everything when a fold is due. */
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
  // Only the lease columns, and the agent's times inside the message when given: no message rewrite.
  const apply = db.prepare<[TouchParams]>(
    `UPDATE instances SET last_heartbeat_at = @at, beats = @beats,
       message = CASE
         WHEN @hbt IS NULL AND @lhbt IS NULL THEN message
         WHEN @lhbt IS NULL THEN json_set(message, '$.heartbeatTime', @hbt)
         WHEN @hbt IS NULL THEN json_set(message, '$.lastHeartbeatTime', @lhbt)
         ELSE json_set(message, '$.heartbeatTime', @hbt, '$.lastHeartbeatTime', @lhbt)
       END
     WHERE instance_id = @id AND beats < @beats`,
  );
  const applyPacked = ([id, at, beats, hbt, lhbt]: PackedTouch) => apply.run({ id, at, beats, hbt, lhbt });

  /** The touches journaled and not folded yet, the latest per instance. */
  let unfolded = new Map<string, InstanceTouch>();
  /** When the oldest journal row still in the table was written; undefined when the table is empty. */
  let oldestRowAt: number | undefined;

  function foldAll(extra: readonly InstanceTouch[]): Settle {
    for (const touch of unfolded.values()) applyPacked(pack(touch));
    for (const touch of extra) applyPacked(pack(touch));
    clear.run();
    return () => {
      unfolded = new Map();
      oldestRowAt = undefined;
    };
  }

  return {
    write(touches, upserted) {
      if (oldestRowAt === undefined && touches.length === 0) return noop;
      const now = performance.now();
      const due =
        (oldestRowAt !== undefined && now - oldestRowAt >= options.foldAfterMs) ||
        unfolded.size + touches.length >= options.foldAtInstances;
      if (due) return foldAll(touches);
      if (touches.length === 0) return noop;
      if (touches.length < options.journalFrom) {
        for (const touch of touches) applyPacked(pack(touch));
        return () => {
          // The rows hold these beats now; a journaled earlier one of them is older (and guarded).
          for (const touch of touches) unfolded.delete(touch.instanceId);
          for (const record of upserted) unfolded.delete(record.instanceId);
        };
      }
      append.run(JSON.stringify(touches.map(pack)));
      return () => {
        // An upsert carries everything an earlier touch of it would write, newer.
        for (const record of upserted) unfolded.delete(record.instanceId);
        for (const touch of touches) {
          const earlier = unfolded.get(touch.instanceId);
          unfolded.set(touch.instanceId, earlier ? mergeTouches(earlier, touch) : touch);
        }
        oldestRowAt ??= now;
      };
    },
    fold() {
      return oldestRowAt === undefined ? noop : foldAll([]);
    },
    get pending() {
      return oldestRowAt !== undefined;
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

/** A touch as one journal entry: id, lease, beats, agent times. */
type PackedTouch = [string, number, number, number | null, number | null];

interface TouchParams {
  id: string;
  at: number;
  beats: number;
  hbt: number | null;
  lhbt: number | null;
}

function pack(touch: InstanceTouch): PackedTouch {
  return [
    touch.instanceId,
    touch.lastHeartbeatAt,
    touch.beats,
    touch.heartbeatTime ?? null,
    touch.lastHeartbeatTime ?? null,
  ];
}

function noop(): void {}
