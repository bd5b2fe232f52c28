import { describe, expect, it } from 'vitest';
import { DueHeap } from './due-heap.js';

describe('DueHeap', () => {
  it('pops in due order, ties in insertion order', () => {
    const heap = new DueHeap<string>();
    const pushed: Array<[number, string]> = [];
    for (let i = 0; i < 2000; i++) {
      const due = Math.floor(Math.random() * 100);
      pushed.push([due, `item${i}`]);
      heap.push(due, `item${i}`);
    }
    const popped: string[] = [];
    while (heap.size > 0) popped.push(heap.pop()!.item);
    // Array.prototype.sort is stable: equal due times keep their insertion order.
    expect(popped).toEqual(pushed.sort((a, b) => a[0] - b[0]).map(([, item]) => item));
    expect(heap.pop()).toBeUndefined();
    expect(heap.peekDue()).toBeUndefined();
  });

  it('retain drops entries and keeps the order of the rest', () => {
    const heap = new DueHeap<number>();
    for (const due of [5, 3, 9, 1, 7]) heap.push(due, due);
    heap.retain((item) => item !== 3 && item !== 9);
    expect(heap.peekDue()).toBe(1);
    const order: number[] = [];
    for (let entry = heap.pop(); entry; entry = heap.pop()) order.push(entry.item);
    expect(order).toEqual([1, 5, 7]);
  });
});
