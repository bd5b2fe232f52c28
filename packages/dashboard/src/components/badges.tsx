import type { ApiStatus, CheckStatus, InstanceState } from '../types.js';

/** Status words are always written out, never shown by colour alone. */
export function ApiStatusBadge({ status }: { status: ApiStatus }) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

export function StateBadge({ state, unconfirmed }: { state: InstanceState; unconfirmed?: boolean }) {
  return (
    <span
      class={`badge badge-${state}${unconfirmed ? ' badge-unconfirmed' : ''}`}
      title={
        unconfirmed ? 'kept alive by self-preservation: no beat seen, the hub suspects itself' : undefined
      }
    >
      {state}
      {unconfirmed ? '?' : ''}
    </span>
  );
}

export function HealthBadge({ status }: { status: CheckStatus | null }) {
  if (!status) return <span class="muted">—</span>;
  return <span class={`badge badge-health-${status}`}>{status}</span>;
}
