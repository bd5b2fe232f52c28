import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { HealthBadge, StateBadge } from '../components/badges.js';
import { Card, ErrorNote, Pager, Segmented, Stat } from '../components/common.js';
import { Time } from '../components/time.js';
import { count } from '../format.js';
import { useDebounced, useNow, useResource } from '../hooks.js';
import { instanceHref, Link, setQuery, type Location } from '../router.js';
import type { Instance, Overview, ServiceSummary } from '../types.js';

const PAGE = 50;

/** Sermant's panel and more: counts, then every instance with its plugins, paged on the hub. */
export function InstancesPage({ location }: { location: Location }) {
  const now = useNow();
  const state = location.query.get('state') ?? '';
  const service = location.query.get('service') ?? '';
  const q = location.query.get('q') ?? '';
  const search = useDebounced(q, 200);
  // The hub pages with opaque cursors: keep the ones that led here to go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  useEffect(() => setCursors([]), [state, service, search]);

  const overview = useResource(() => get<Overview>('/v1/dashboard/overview'), []);
  const services = useResource(() => get<{ items: ServiceSummary[] }>('/v1/services'), []);
  const page = useResource(
    () =>
      get<{ items: Instance[]; total: number; nextCursor: string | null }>('/v1/instances', {
        state,
        service,
        q: search,
        limit: PAGE,
        cursor,
      }),
    [state, service, search, cursor],
  );
  const rows = page.data?.items ?? [];
  const counts = overview.data;
  return (
    <>
      <h1>Services and instances</h1>
      {counts && (
        <div class="cards cards-tight">
          <Card title="Applications">
            <Stat value={count(counts.applications)} label="applications" />
          </Card>
          <Card title="Services">
            <Stat value={count(counts.services)} label="services" />
          </Card>
          <Card title="Instances">
            <div class="stats">
              <Stat value={count(counts.instances.alive)} label="alive" tone="good" />
              <Stat
                value={count(counts.instances.lost)}
                label="lost"
                tone={counts.instances.lost ? 'bad' : undefined}
              />
              <Stat value={count(counts.instances.stopped)} label="stopped" />
            </div>
          </Card>
        </div>
      )}
      <div class="toolbar">
        <Segmented
          label="state"
          value={state}
          onChange={(value) => setQuery({ state: value })}
          options={[
            { value: '', label: 'All' },
            { value: 'alive', label: 'Alive' },
            { value: 'lost', label: 'Lost' },
            { value: 'stopped', label: 'Stopped' },
          ]}
        />
        <label class="select">
          <span class="visually-hidden">Service</span>
          <select value={service} onChange={(event) => setQuery({ service: event.currentTarget.value })}>
            <option value="">All services</option>
            {(services.data?.items ?? []).map((s) => (
              <option key={s.service} value={s.service}>
                {s.service} ({s.instances.alive}/{s.instances.total})
              </option>
            ))}
          </select>
        </label>
        <label class="search">
          <span class="visually-hidden">Search by service, host, IP or version</span>
          <input
            type="search"
            placeholder="Search service, host, IP, version…"
            value={q}
            onInput={(event) => setQuery({ q: event.currentTarget.value })}
          />
        </label>
      </div>
      <ErrorNote error={page.error ?? overview.error} />
      <div class="table-wrap">
        <table class="data" aria-busy={page.loading}>
          <thead>
            <tr>
              <th>State</th>
              <th>Instance</th>
              <th>Service</th>
              <th>Host</th>
              <th>IPs</th>
              <th>Version</th>
              <th>Health</th>
              <th>Plugins</th>
              <th>extInfo</th>
              <th>Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((instance) => (
              <tr key={instance.instanceId} data-instance={instance.instanceId}>
                <td>
                  <StateBadge state={instance.state} unconfirmed={instance.unconfirmed} />
                </td>
                <td class="mono">
                  <Link href={instanceHref(instance.instanceId)}>{instance.instanceId}</Link>
                </td>
                <td>{instance.service}</td>
                <td class="nowrap">{instance.hostName ?? <span class="muted">—</span>}</td>
                <td class="mono">{instance.ip.join(', ')}</td>
                <td>{instance.version ?? <span class="muted">—</span>}</td>
                <td>
                  <HealthBadge status={instance.status} />
                </td>
                <td>
                  <ul class="chips">
                    {instance.plugins.map((plugin) => (
                      <li key={plugin.name} class="chip" title={keyValues(plugin.extInfo)}>
                        {plugin.name}
                        {plugin.version ? <span class="muted"> {plugin.version}</span> : null}
                      </li>
                    ))}
                  </ul>
                </td>
                <td class="small">{keyValues(instance.extInfo)}</td>
                <td>
                  <Time at={instance.lastHeartbeatAt} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.data && (
        <Pager
          from={cursors.length * PAGE}
          shown={rows.length}
          total={page.data.total}
          onPrevious={cursors.length > 0 ? () => setCursors(cursors.slice(0, -1)) : undefined}
          onNext={page.data.nextCursor ? () => setCursors([...cursors, page.data!.nextCursor!]) : undefined}
        />
      )}
    </>
  );
}

export function keyValues(values: Record<string, string> | undefined): string {
  return Object.entries(values ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}
