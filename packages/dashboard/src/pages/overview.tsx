import type { FunctionComponent } from 'preact';
import { get } from '../api.js';
import { Card, ErrorNote, Stat } from '../components/common.js';
import { EventList } from '../components/event-list.js';
import { Time } from '../components/time.js';
import { count, duration } from '../format.js';
import { useNow, useResource } from '../hooks.js';
import { Link } from '../router.js';
import type { HubEvent, HubState, Overview } from '../types.js';
import { MaintenancePanel, NotificationsPanel, ReplicasPanel } from './overview-operations.js';

/** What every overview panel gets: the counts and the hub's state, loaded once for the page. */
export interface OverviewPanelProps {
  overview: Overview;
  hub: HubState;
  now: number;
}

/**
 * The overview's panels, in order. A new panel (maintenance windows, notification deliveries, hub
 * replicas…) is one component and one entry here; it may load more data itself with useResource.
 */
export const OVERVIEW_PANELS: Array<{
  id: string;
  title: string;
  wide?: boolean;
  Panel: FunctionComponent<OverviewPanelProps>;
}> = [
  { id: 'apis', title: 'APIs', Panel: ApisPanel },
  { id: 'instances', title: 'Instances', Panel: InstancesPanel },
  { id: 'services', title: 'Services', Panel: ServicesPanel },
  { id: 'hub', title: 'Hub', Panel: HubPanel },
  { id: 'maintenance', title: 'Maintenance windows', Panel: MaintenancePanel },
  { id: 'replicas', title: 'Hub replicas', wide: true, Panel: ReplicasPanel },
  { id: 'notifications', title: 'Notifications', wide: true, Panel: NotificationsPanel },
  { id: 'events', title: 'Latest events', wide: true, Panel: LatestEventsPanel },
];

export function OverviewPage() {
  const now = useNow();
  const data = useResource(
    () => Promise.all([get<Overview>('/v1/dashboard/overview'), get<HubState>('/v1/hub')]),
    [],
  );
  return (
    <>
      <h1>Overview</h1>
      <ErrorNote error={data.error} />
      {data.data && (
        <div class="cards cards-overview">
          {OVERVIEW_PANELS.map(({ id, title, wide, Panel }) => (
            <Card key={id} title={title} wide={wide}>
              <Panel overview={data.data![0]} hub={data.data![1]} now={now} />
            </Card>
          ))}
        </div>
      )}
    </>
  );
}

function ApisPanel({ overview }: OverviewPanelProps) {
  const { apis } = overview;
  return (
    <>
      <div class="stats">
        <Link href="/apis?status=DOWN" class="stat-link">
          <Stat value={count(apis.DOWN)} label="down" tone={apis.DOWN > 0 ? 'bad' : undefined} />
        </Link>
        <Link href="/apis?status=UP" class="stat-link">
          <Stat value={count(apis.UP)} label="up" tone="good" />
        </Link>
        <Link href="/apis?status=UNKNOWN" class="stat-link">
          <Stat value={count(apis.UNKNOWN)} label="unknown" />
        </Link>
      </div>
      <p class="muted">{count(apis.total)} APIs judged over their sliding windows.</p>
    </>
  );
}

function InstancesPanel({ overview }: OverviewPanelProps) {
  const { instances } = overview;
  return (
    <>
      <div class="stats">
        <Link href="/instances?state=alive" class="stat-link">
          <Stat value={count(instances.alive)} label="alive" tone="good" />
        </Link>
        <Link href="/instances?state=lost" class="stat-link">
          <Stat value={count(instances.lost)} label="lost" tone={instances.lost > 0 ? 'bad' : undefined} />
        </Link>
        <Link href="/instances?state=stopped" class="stat-link">
          <Stat value={count(instances.stopped)} label="stopped" />
        </Link>
      </div>
      <p class="muted">
        {count(overview.applications)} applications
        {instances.unconfirmed > 0 && `, ${count(instances.unconfirmed)} instances unconfirmed`}.
      </p>
    </>
  );
}

function ServicesPanel({ overview }: OverviewPanelProps) {
  const { servicesByState: services } = overview;
  return (
    <>
      <div class="stats">
        <Stat value={count(services.up)} label="whole" tone="good" title="every instance alive" />
        <Stat
          value={count(services.degraded)}
          label="degraded"
          tone={services.degraded > 0 ? 'warn' : undefined}
        />
        <Stat
          value={count(services.down)}
          label="down"
          tone={services.down > 0 ? 'bad' : undefined}
          title="instances lost, none alive"
        />
      </div>
      <p class="muted">
        {count(overview.services)} services
        {services.idle > 0 && `, ${count(services.idle)} with only stopped instances`}.
      </p>
    </>
  );
}

function HubPanel({ hub, now }: OverviewPanelProps) {
  return (
    <dl class="facts">
      <dt>Store</dt>
      <dd>
        <span class={`badge ${hub.store.healthy ? 'badge-up' : 'badge-down'}`}>
          {hub.store.healthy ? 'writing' : 'failing'}
        </span>{' '}
        <span title={hub.store.location}>
          {hub.store.kind} <span class="muted">{hub.store.location.split(/[\\/]/).pop()}</span>
        </span>
        {hub.store.lastError && <div class="error">{hub.store.lastError}</div>}
      </dd>
      <dt>Self-preservation</dt>
      <dd>
        {hub.selfPreservation.active ? (
          <>
            <span class="badge badge-down">active</span> since{' '}
            <Time at={hub.selfPreservation.since} now={now} compact />,{' '}
            {count(hub.selfPreservation.unconfirmed)} unconfirmed
          </>
        ) : (
          <span class="badge badge-up">off</span>
        )}
      </dd>
      <dt>Leases</dt>
      <dd>
        {duration(hub.instances.validTimeMs)} valid, {duration(hub.instances.retentionMs)} kept
      </dd>
      <dt>Version</dt>
      <dd>
        {hub.version}, up {duration(hub.uptimeMs)}
      </dd>
    </dl>
  );
}

function LatestEventsPanel({ now }: OverviewPanelProps) {
  const events = useResource(() => get<{ items: HubEvent[] }>('/v1/dashboard/events', { limit: 12 }), []);
  return (
    <>
      <ErrorNote error={events.error} />
      {events.data && <EventList events={events.data.items} now={now} />}
      <p>
        <Link href="/events">All events →</Link>
      </p>
    </>
  );
}
