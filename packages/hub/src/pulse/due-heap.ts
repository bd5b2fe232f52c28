/**
 * A binary min-heap of items by due time (ties in insertion order): what lets one timer drive
 * thousands of schedules. Push and pop are O(log n); peek is O(1).
 *
 * @example
 * const heap = new DueHeap<string>();
 * heap.push(200, 'b');
 * heap.push(100, 'a');
 * heap.peekDue(); // → 100
 * heap.pop(); // → { due: 100, item: 'a' }
 */
export class DueHeap<T> {
  private readonly entries: Array<{ due: number; seq: number; item: T }> = [];
  private seq = 0;

  get size(): number {
    return this.entries.length;
  }

  push(due: number, item: T): void {
    const entries = this.entries;
    entries.push({ due, seq: this.seq++, item });
    let index = entries.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.entries[0]?.due;
  }

  /** Removes and returns the earliest entry. */
  pop(): { due: number; item: T } | undefined {
    const entries = this.entries;
    const top = entries[0];
    const last = entries.pop();
    if (top === undefined || last === undefined) return undefined;
    if (entries.length > 0) {
      entries[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < entries.length && this.before(left, smallest)) smallest = left;
        if (right < entries.length && this.before(right, smallest)) smallest = right;
        if (smallest === index) break;
        this.swap(index, smallest);
        index = smallest;
      }
    }
    return { due: top.due, item: top.item };
  }

  /** Keeps only the entries `keep` accepts (O(n)); for dropping entries that went stale. */
  retain(keep: (item: T) => boolean): void {
    const kept = this.entries.filter((entry) => keep(entry.item));
    this.entries.length = 0;
    for (const entry of kept.sort((a, b) => a.due - b.due || a.seq - b.seq)) this.entries.push(entry);
  }

  clear(): void {
    this.entries.length = 0;
  }

  private before(a: number, b: number): boolean {
    const x = this.entries[a]!;
    const y = this.entries[b]!;
    return x.due < y.due || (x.due === y.due && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const entries = this.entries;
    const held = entries[a]!;
    entries[a] = entries[b]!;
    entries[b] = held;
  }
}
