import { absoluteTime, percent } from '../format.js';
import type { ApiStatus, BarSlot } from '../types.js';

/** The last 24 hours as 24 slots, each the status its outcomes amount to; grey where nothing was seen. */
export function StatusBar({ slots }: { slots: BarSlot[] }) {
  const down = slots.filter((slot) => slot.status === 'DOWN').length;
  return (
    <div class="statusbar" role="img" aria-label={`last 24 hours: ${down} of ${slots.length} hours down`}>
      {slots.map((slot) => (
        <span
          key={slot.start}
          class={`slot slot-${slot.status?.toLowerCase() ?? 'none'}`}
          title={`${absoluteTime(slot.start)}: ${
            slot.samples === 0
              ? 'no outcomes'
              : `${slot.samples} outcomes, ${slot.failures} failed (${percent((slot.samples - slot.failures) / slot.samples)} ok)`
          }`}
        />
      ))}
    </div>
  );
}

export interface Point {
  at: number;
  value: number | null;
}

/**
 * A line over time in plain SVG: no chart library for two charts. Gaps where there is no value;
 * an optional dashed reference line (the threshold).
 */
export function LineChart({
  points,
  from,
  to,
  max,
  format,
  label,
  reference,
}: {
  points: Point[];
  from: number;
  to: number;
  max?: number;
  format: (value: number) => string;
  label: string;
  reference?: number;
}) {
  const width = 640;
  const height = 160;
  const pad = { left: 56, right: 8, top: 8, bottom: 22 };
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  const top = max ?? Math.max(1, ...values) * 1.1;
  const x = (at: number) => pad.left + ((at - from) / (to - from)) * (width - pad.left - pad.right);
  const y = (value: number) => pad.top + (1 - value / top) * (height - pad.top - pad.bottom);
  const segments: string[] = [];
  let current = '';
  for (const point of points) {
    if (point.value === null) {
      if (current) segments.push(current);
      current = '';
      continue;
    }
    current += `${current ? 'L' : 'M'}${x(point.at).toFixed(1)},${y(point.value).toFixed(1)}`;
  }
  if (current) segments.push(current);
  const ticks = [0, 0.5, 1].map((f) => f * top);
  const hours = [0, 6, 12, 18, 24].map((h) => from + (h / 24) * (to - from));
  return (
    <figure class="chart">
      <figcaption>{label}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line class="grid" x1={pad.left} x2={width - pad.right} y1={y(tick)} y2={y(tick)} />
            <text class="axis" x={pad.left - 6} y={y(tick) + 4} text-anchor="end">
              {format(tick)}
            </text>
          </g>
        ))}
        {hours.map((at, i) => (
          <text
            key={at}
            class="axis"
            x={x(at)}
            y={height - 6}
            text-anchor={i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}
          >
            {i === 4 ? 'now' : `-${24 - i * 6} h`}
          </text>
        ))}
        {reference !== undefined && (
          <line class="reference" x1={pad.left} x2={width - pad.right} y1={y(reference)} y2={y(reference)} />
        )}
        {segments.map((d) => (
          <path key={d} class="line" d={d} />
        ))}
        {values.length <= 120 &&
          points.map((point) =>
            point.value === null ? null : (
              <circle key={point.at} class="point" cx={x(point.at)} cy={y(point.value)} r={2.5} />
            ),
          )}
        {values.length === 0 && (
          <text class="axis" x={width / 2} y={height / 2} text-anchor="middle">
            no outcomes in the last 24 hours
          </text>
        )}
      </svg>
    </figure>
  );
}

/** Status changes over the period as a coloured strip, each part as long as the status lasted. */
export function Timeline({
  changes,
  from,
  to,
  initial,
}: {
  changes: Array<{ at: number; status: ApiStatus }>;
  from: number;
  to: number;
  initial: ApiStatus;
}) {
  const parts: Array<{ start: number; end: number; status: ApiStatus }> = [];
  let status = initial;
  let start = from;
  for (const change of changes) {
    if (change.at <= from) {
      status = change.status;
      continue;
    }
    parts.push({ start, end: change.at, status });
    start = change.at;
    status = change.status;
  }
  parts.push({ start, end: to, status });
  return (
    <div class="timeline" role="img" aria-label="status over the last 24 hours">
      {parts.map((part) => (
        <span
          key={part.start}
          class={`slot slot-${part.status.toLowerCase()}`}
          style={{ flexGrow: Math.max(part.end - part.start, 1) }}
          title={`${part.status} from ${absoluteTime(new Date(part.start).toISOString())}`}
        />
      ))}
    </div>
  );
}
