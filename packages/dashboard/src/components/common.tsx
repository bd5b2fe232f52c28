import type { ComponentChildren } from 'preact';

export function ErrorNote({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Card({
  title,
  children,
  wide,
}: {
  title: string;
  children: ComponentChildren;
  wide?: boolean;
}) {
  return (
    <section class={`card${wide ? ' card-wide' : ''}`} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A big number with its label, optionally coloured by what it counts. */
export function Stat({
  value,
  label,
  tone,
  title,
}: {
  value: number | string;
  label: string;
  tone?: string;
  title?: string;
}) {
  return (
    <div class={`stat${tone ? ` tone-${tone}` : ''}`} title={title}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

/** Choose one of a few values: a group of toggle buttons (keyboard: Tab, Space/Enter). */
export function Segmented<T extends string>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: Array<{ value: T; label: string }>;
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <div class="segmented" role="group" aria-label={label}>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          aria-pressed={option.value === value}
          onClick={() => onChange(option.value)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}

export function Pager({
  from,
  shown,
  total,
  onPrevious,
  onNext,
}: {
  from: number;
  shown: number;
  total: number;
  onPrevious: (() => void) | undefined;
  onNext: (() => void) | undefined;
}) {
  return (
    <nav class="pager" aria-label="pages">
      <span class="muted" aria-live="polite">
        {total === 0 ? 'nothing matches' : `${from + 1}–${from + shown} of ${total.toLocaleString('en-US')}`}
      </span>
      <button type="button" disabled={!onPrevious} onClick={onPrevious}>
        ← Previous
      </button>
      <button type="button" disabled={!onNext} onClick={onNext}>
        Next →
      </button>
    </nav>
  );
}
