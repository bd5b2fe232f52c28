/**
 * Self-preservation (SPEC.md §4): when a large share of alive instances go silent at once, the
 * likelier story is that the hub or its network is cut off, not that they all died. The hub then
 * raises ONE event and keeps them `alive` but unconfirmed, instead of a storm of `lost`.
 *
 * "Silent" here means overdue: no beat for more than half the valid time (an agent beating every
 * 30 s against a 60 s valid time has missed one beat). The decision is taken when a lease runs
 * out; the mode is left when beats flow again, and the instances that stay silent while others
 * beat are declared lost one valid time after they became unconfirmed.
 */
export interface SelfPreservationPolicy {
  enabled: boolean;
  /** Share of alive instances that must be overdue at once (0..1). Default 0.5. */
  ratio: number;
  /** And at least this many. Default 10. */
  minInstances: number;
}

export interface SilenceCensus {
  /** Alive instances, including unconfirmed ones. */
  alive: number;
  /** Of those, how many are overdue (no beat for more than half the valid time). */
  overdue: number;
}

/** Whether this much silence at once points at the hub rather than at the instances. */
export function isMassSilence(census: SilenceCensus, policy: SelfPreservationPolicy): boolean {
  return (
    policy.enabled &&
    census.alive > 0 &&
    census.overdue >= policy.minInstances &&
    census.overdue >= policy.ratio * census.alive
  );
}
