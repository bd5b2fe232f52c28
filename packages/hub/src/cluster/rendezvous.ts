import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: the owner of a key is the member with the highest
 * hash of (member, key). Every replica computes the same owner from the same member set with no
 * coordination, and when a member leaves only its own keys move (each to its next best member);
 * when one joins, it takes about 1/n of the keys.
 *
 * @example
 * ownerOf('/orders/v1', ['hub-a', 'hub-b', 'hub-c']); // 'hub-b', on every replica
 */
export function ownerOf(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const member of members) {
    const weight = weightOf(member, key);
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

function weightOf(member: string, key: string): bigint {
  // 64 bits of SHA-256: uniform, and the same in every process (unlike a seeded runtime hash).
  return createHash('sha256').update(member).update('\u0000').update(key).digest().readBigUInt64BE(0);
}
