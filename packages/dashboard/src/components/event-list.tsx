import { duration } from '../format.js';
import { apiHref, instanceHref, Link } from '../router.js';
import type { HubEvent } from '../types.js';
import { Time } from './time.js';

/** One event in words: what happened, to what, and the evidence. */
export function describeEvent(event: HubEvent): string {
  const d = event.data;
  const text = (value: unknown, fallback = '?') =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : fallback;
  const ms = (value: unknown) => (typeof value === 'number' ? duration(value) : '?');
  switch (event.kind) {
    case 'instance.registered':
      return `registered${d.version ? ` (version ${text(d.version)})` : ''}${d.hostName ? ` on ${text(d.hostName)}` : ''}`;
    case 'instance.lost':
      return `lost: silent for ${ms(d.silentForMs)} (valid time ${ms(d.validTimeMs)})`;
    case 'instance.recovered':
      return `recovered after ${ms(d.lostForMs)}`;
    case 'instance.stopped':
      return `stopped (said goodbye)`;
    case 'instance.removed':
      return `removed from the live registry after ${ms(d.inStateForMs)} ${text(d.state, '')}`;
    case 'instance.health_changed':
      return `health ${text(d.from, '?')} → ${text(d.to, '?')}${
        Array.isArray(d.failing) && d.failing.length ? `; failing: ${d.failing.map(String).join(', ')}` : ''
      }`;
    case 'hub.self_preservation_entered':
      return `self-preservation entered: ${text(d.silent)} of ${text(d.alive)} instances went silent at once`;
    case 'hub.self_preservation_left':
      return `self-preservation left after ${ms(d.durationMs)}`;
    case 'api.status_changed':
      return `${text(d.from, '?')} → ${text(d.to, '?')}${
        typeof d.ratio === 'number' ? ` (success ${(d.ratio * 100).toFixed(1)} %` : ''
      }${typeof d.ratio === 'number' ? `, ${text(d.samples, '?')} samples)` : ''}`;
    default:
      return event.kind.split('.')[1]?.replace('_', ' ') ?? event.kind;
  }
}

function subject(event: HubEvent) {
  const basepath = typeof event.data.basepath === 'string' ? event.data.basepath : undefined;
  if (event.instanceId) return <Link href={instanceHref(event.instanceId)}>{event.instanceId}</Link>;
  if (basepath) return <Link href={apiHref(basepath)}>{basepath}</Link>;
  return <span class="muted">hub</span>;
}

export function eventTone(kind: string, data: Record<string, unknown>): string {
  if (kind === 'instance.lost' || kind === 'hub.self_preservation_entered') return 'bad';
  if (kind === 'api.status_changed')
    return data.to === 'DOWN' ? 'bad' : data.to === 'UP' ? 'good' : 'neutral';
  if (kind === 'instance.recovered' || kind === 'instance.registered') return 'good';
  if (kind === 'instance.health_changed')
    return data.to === 'error' ? 'bad' : data.to === 'ok' ? 'good' : 'warn';
  return 'neutral';
}

export function EventList({ events, now }: { events: HubEvent[]; now: number }) {
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ol class="events">
      {events.map((event) => (
        <li key={event.id} class={`event tone-${eventTone(event.kind, event.data)}`}>
          <span class="event-time">
            <Time at={event.at} now={now} compact />
          </span>
          <span class="event-kind">{event.kind}</span>
          <span class="event-subject">{subject(event)}</span>
          <span class="event-text">{describeEvent(event)}</span>
        </li>
      ))}
    </ol>
  );
}
