import { absoluteTime, relativeTime } from '../format.js';

/** "12 s ago", with the absolute time beside it (or in the tooltip when `compact`). */
export function Time({
  at,
  now,
  compact,
}: {
  at: string | null | undefined;
  now: number;
  compact?: boolean;
}) {
  if (!at) return <span class="muted">—</span>;
  return (
    <time dateTime={at} title={absoluteTime(at)}>
      {relativeTime(at, now)}
      {!compact && <span class="abs"> {absoluteTime(at)}</span>}
    </time>
  );
}
