import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

describe('the deadline queue', () => {
  it('keeps keys in deadline order when deadlines only grow, and re-setting moves a key back', () => {
    const queue = new DeadlineQueue();
    queue.set('a', 100);
    queue.set('b', 110);
    queue.set('c', 120);
    queue.set('a', 130);
    expect(queue.nextDeadline()).toBe(110);
    expect(queue.takeDue(125)).toEqual(['b', 'c']);
    expect(queue.size).toBe(1);
    expect(queue.nextDeadline()).toBe(130);
  });

  it('takes nothing before the first deadline, and counts from the front', () => {
    const queue = new DeadlineQueue();
    for (let i = 0; i < 10; i++) queue.set(`k${i}`, 1000 + i * 1000);
    expect(queue.takeDue(999)).toEqual([]);
    // Counted to the second: deadlines in seconds 1..5 are before 6.0 s.
    expect(queue.countBefore(6000)).toBe(5);
    expect(queue.delete('k0')).toBe(true);
    expect(queue.countBefore(6000)).toBe(4);
    expect(queue.deadlineOf('k3')).toBe(4000);
  });

  it('is empty-safe', () => {
    const queue = new DeadlineQueue();
    expect(queue.nextDeadline()).toBeUndefined();
    expect(queue.takeDue(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});

describe('the deadline queue under many renewals', () => {
  it('stays correct and fast when every key is renewed many times', () => {
    const queue = new DeadlineQueue();
    let now = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10_000; i++) queue.set(`k${i}`, ++now + 60_000);
    }
    expect(queue.size).toBe(10_000);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) queue.nextDeadline();
    expect(performance.now() - started).toBeLessThan(50);
    // The earliest live deadline is the first key's last renewal.
    expect(queue.nextDeadline()).toBe(190_001 + 60_000);
    expect(queue.takeDue(190_000 + 60_000 + 5)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    // The last round's deadlines run from 250,001 to 260,000 ms; second 250 holds k0…k998, of which
    // five were taken.
    expect(queue.countBefore(251_000)).toBe(994);
    expect(queue.delete('k5')).toBe(true);
    expect(queue.countBefore(251_000)).toBe(993);
    expect(queue.size).toBe(9_994);
  });
});
