/**
 * Keys ordered by deadline, for deadlines that only ever grow (every lease is "now + validTime",
 * every retention "now + retention"): a new deadline goes to the back of an append-only queue, so
 * the queue is in deadline order. Re-setting a key leaves its old entry behind, marked stale by a
 * sequence number and skipped when it reaches the front (lazy deletion); the queue compacts itself
 * when stale entries outnumber live ones. Set, delete and peek are amortized O(1), draining is
 * O(expired). This is what makes lost-detection exact without a sweep: one timer, set for the head.
 *
 * (A Map in insertion order would do the same on paper, but V8 leaves deleted entries in place
 * until it rehashes, so finding the first live one walks past every key re-set since: measured at
 * 34 µs per call with 100,000 instances beating.)
 */
export class DeadlineQueue {
  /** The live entry of each key: its deadline and the sequence number of its queue entry. */
  private readonly live = new Map<string, { deadline: number; seq: number }>();
  private keys: string[] = [];
  private deadlines: number[] = [];
  private seqs: number[] = [];
  private head = 0;
  private nextSeq = 0;
  /** Live keys per second of deadline: `countBefore` sums these instead of walking the queue. */
  private readonly perSecond = new Map<number, number>();

  get size(): number {
    return this.live.size;
  }

  /** Sets a key's deadline, moving it to the back. Deadlines must not decrease over time. */
  set(key: string, deadline: number): void {
    const seq = this.nextSeq++;
    const previous = this.live.get(key);
    if (previous) {
      // Renewed (every beat): the entry is updated in place, and counted again only if its second moved.
      if (Math.floor(previous.deadline / 1000) !== Math.floor(deadline / 1000)) {
        this.uncount(previous.deadline);
        this.count(deadline);
      }
      previous.deadline = deadline;
      previous.seq = seq;
    } else {
      this.count(deadline);
      this.live.set(key, { deadline, seq });
    }
    this.keys.push(key);
    this.deadlines.push(deadline);
    this.seqs.push(seq);
    if (this.keys.length - this.head > 2 * this.live.size + 1024) this.compact();
  }

  delete(key: string): boolean {
    const entry = this.live.get(key);
    if (!entry) return false;
    this.uncount(entry.deadline);
    return this.live.delete(key);
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  deadlineOf(key: string): number | undefined {
    return this.live.get(key)?.deadline;
  }

  /** The earliest deadline, or undefined when empty. */
  nextDeadline(): number | undefined {
    this.skipStale();
    return this.head < this.keys.length ? this.deadlines[this.head] : undefined;
  }

  /** Removes and returns the keys whose deadline is at or before `now`, earliest first. */
  takeDue(now: number): string[] {
    const due: string[] = [];
    for (;;) {
      this.skipStale();
      if (this.head >= this.keys.length || this.deadlines[this.head]! > now) break;
      const key = this.keys[this.head]!;
      this.uncount(this.deadlines[this.head]!);
      this.live.delete(key);
      due.push(key);
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.keys.length) this.compact();
    return due;
  }

  /**
   * About how many keys have a deadline before `time`: exact to the second (keys due within the
   * second that holds `time` are counted with it). O(distinct seconds of deadline), not O(keys).
   */
  countBefore(time: number): number {
    const second = Math.floor(time / 1000);
    let count = 0;
    for (const [at, n] of this.perSecond) if (at < second) count += n;
    return count;
  }

  private count(deadline: number): void {
    const second = Math.floor(deadline / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
  }

  private uncount(deadline: number): void {
    const second = Math.floor(deadline / 1000);
    const n = (this.perSecond.get(second) ?? 0) - 1;
    if (n > 0) this.perSecond.set(second, n);
    else this.perSecond.delete(second);
  }

  private isLive(index: number): boolean {
    return this.live.get(this.keys[index]!)?.seq === this.seqs[index];
  }

  private skipStale(): void {
    while (this.head < this.keys.length && !this.isLive(this.head)) this.head++;
  }

  /** Drops stale entries and the consumed front, keeping order. */
  private compact(): void {
    const keys: string[] = [];
    const deadlines: number[] = [];
    const seqs: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      if (!this.isLive(i)) continue;
      keys.push(this.keys[i]!);
      deadlines.push(this.deadlines[i]!);
      seqs.push(this.seqs[i]!);
    }
    this.keys = keys;
    this.deadlines = deadlines;
    this.seqs = seqs;
    this.head = 0;
  }
}
