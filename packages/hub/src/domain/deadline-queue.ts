/**
 * Keys ordered by deadline, for deadlines that only ever grow (every lease is "now + validTime",
 * every retention "now + retention"): re-inserting a key moves it to the back, so a Map's
 * insertion order IS deadline order. Touch, remove and peek are O(1); draining is O(expired).
 * This is what makes lost-detection exact without a sweep: one timer, set for the head.
 */
export class DeadlineQueue {
  private readonly deadlines = new Map<string, number>();

  get size(): number {
    return this.deadlines.size;
  }

  /** Sets a key's deadline, moving it to the back. Deadlines must not decrease over time. */
  set(key: string, deadline: number): void {
    this.deadlines.delete(key);
    this.deadlines.set(key, deadline);
  }

  delete(key: string): boolean {
    return this.deadlines.delete(key);
  }

  has(key: string): boolean {
    return this.deadlines.has(key);
  }

  deadlineOf(key: string): number | undefined {
    return this.deadlines.get(key);
  }

  /** The earliest deadline, or undefined when empty. */
  nextDeadline(): number | undefined {
    for (const deadline of this.deadlines.values()) return deadline;
    return undefined;
  }

  /** Removes and returns the keys whose deadline is at or before `now`, earliest first. */
  takeDue(now: number): string[] {
    const due: string[] = [];
    for (const [key, deadline] of this.deadlines) {
      // A clock step backwards can leave a later key with an earlier deadline; it is still
      // handled, one timer later. Stop at the first key that is not due.
      if (deadline > now) break;
      due.push(key);
    }
    for (const key of due) this.deadlines.delete(key);
    return due;
  }

  /** How many keys have a deadline before `time` (counted from the front, O(answer)). */
  countBefore(time: number): number {
    let count = 0;
    for (const deadline of this.deadlines.values()) {
      if (deadline >= time) break;
      count++;
    }
    return count;
  }
}
