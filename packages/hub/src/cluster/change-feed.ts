import { describeError, type Logger } from '@heartbeat/sdk';
import type { ChangeRecord, Store } from '../store/store.js';

export interface ChangeFeedOptions {
  store: Store;
  logger: Logger;
  /** Called with each page of changes, oldest first, never twice with the same change. */
  onChanges: (changes: readonly ChangeRecord[]) => void;
  /** Read anyway this often, in case a notification was lost. Default 1000 ms. */
  pollMs?: number;
  /** Changes read per query. Default 1000. */
  pageSize?: number;
  /** This replica: its own changes are read for their events only. */
  replica?: string;
  /**
   * Changes older than this may have been pruned: a replica that could not read for that long may have
   * missed some, and says so (`lastError`) until it is restarted. Default: never.
   */
  retentionMs?: number;
}

/**
 * Follows the store's change log: reads what was committed after the last change it read, when told
 * (LISTEN/NOTIFY carries only "something new"), after the listening connection comes back, and
 * every `pollMs` as a safety net. One read at a time; a poke during a read asks for one more.
 */
export interface ChangeFeed {
  /** Starts following from after `seq` (read before the registries were loaded, so nothing falls between). */
  start(seq: number): Promise<void>;
  /** Reads what is new now. */
  poke(): void;
  /** Resolves once everything committed before the call has been read (or the read failed). */
  catchUp(): Promise<void>;
  /** The last change read. */
  readonly seq: number;
  /** When the last read succeeded (epoch ms), 0 before any. */
  readonly lastReadAt: number;
  readonly lastError: string | undefined;
  stop(): Promise<void>;
}

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { store, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const pageSize = options.pageSize ?? 1000;
  let seq = 0;
  let reading: Promise<void> | undefined;
  let again = false;
  let lastReadAt = 0;
  let lastError: string | undefined;
  let poll: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let stopped = false;
  let outOfSync: string | undefined;

  async function readAll(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const page = await store.listChanges(seq, pageSize, options.replica);
        if (page.length > 0) {
          try {
            options.onChanges(page);
          } catch (thrown) {
            logger.error({ err: describeError(thrown) }, 'cluster: applying replicated changes failed');
          }
          seq = page.at(-1)!.seq;
        }
        if (page.length < pageSize) break;
      }
    } while (again && !stopped);
  }

  function read(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (reading) {
      again = true;
      return reading;
    }
    reading = readAll()
      .then(() => {
        const at = Date.now();
        if (options.retentionMs !== undefined && lastReadAt > 0 && at - lastReadAt > options.retentionMs) {
          outOfSync = `could not read the change log for ${Math.round((at - lastReadAt) / 1000)} s, longer than it is kept: this replica may have missed changes; restart it`;
          logger.error({}, `cluster: ${outOfSync}`);
        }
        if (lastError !== undefined) logger.info({}, 'cluster: reading the change log again');
        lastError = undefined;
        lastReadAt = at;
      })
      .catch((thrown: unknown) => {
        const reason = describeError(thrown);
        if (lastError === undefined)
          logger.warn({ err: reason }, 'cluster: cannot read the change log; retrying');
        lastError = reason;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  }

  return {
    async start(from) {
      seq = from;
      unlisten = await store.listenForChanges((notice) => {
        // A commit of this replica's own without events has nothing for it: it holds that already.
        if (notice && notice.replica === options.replica && !notice.hasEvents) return;
        void read();
      });
      poll = setInterval(() => void read(), pollMs);
      poll.unref();
      await read();
    },
    poke: () => void read(),
    async catchUp() {
      // A read under way may have started before the caller's commit: wait for it, then read again.
      if (reading) await reading;
      await read();
    },
    get seq() {
      return seq;
    },
    get lastReadAt() {
      return lastReadAt;
    },
    get lastError() {
      return outOfSync ?? lastError;
    },
    async stop() {
      stopped = true;
      clearInterval(poll);
      await unlisten?.();
      await reading;
    },
  };
}
