import { describe, expect, it } from 'vitest';
import { ownerOf } from './rendezvous.js';

const keys = Array.from({ length: 3000 }, (_, i) => `/api/${i}/v1`);

describe('ownerOf (rendezvous hashing)', () => {
  it('gives one owner per key, the same whatever order the members are listed in', () => {
    const members = ['hub-a', 'hub-b', 'hub-c'];
    for (const key of keys.slice(0, 200)) {
      expect(ownerOf(key, members)).toBe(ownerOf(key, [...members].reverse()));
    }
    expect(ownerOf('/x', [])).toBeUndefined();
    expect(ownerOf('/x', ['only'])).toBe('only');
  });

  it('spreads keys about evenly', () => {
    const members = ['hub-a', 'hub-b', 'hub-c'];
    const counts = new Map<string, number>();
    for (const key of keys) {
      const owner = ownerOf(key, members)!;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const member of members) expect(counts.get(member)).toBeGreaterThan(keys.length / 3 - 150);
  });

  it('moves only the keys of a member that leaves, and a joining member takes only keys that become its own', () => {
    const before = new Map(keys.map((key) => [key, ownerOf(key, ['hub-a', 'hub-b', 'hub-c'])]));
    for (const key of keys) {
      const after = ownerOf(key, ['hub-a', 'hub-c']);
      if (before.get(key) !== 'hub-b') expect(after).toBe(before.get(key));
    }
    for (const key of keys) {
      const after = ownerOf(key, ['hub-a', 'hub-b', 'hub-c', 'hub-d']);
      if (after !== 'hub-d') expect(after).toBe(before.get(key));
    }
  });
});
