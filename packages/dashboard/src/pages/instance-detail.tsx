import { get } from '../api.js';
import { HealthBadge, StateBadge } from '../components/badges.js';
import { Card, ErrorNote } from '../components/common.js';
import { EventList } from '../components/event-list.js';
import { Time } from '../components/time.js';
import { count, duration } from '../format.js';
import { useNow, useResource } from '../hooks.js';
import { apiHref, Link } from '../router.js';
import type { HubEvent, Instance } from '../types.js';

export function InstanceDetailPage({ instanceId }: { instanceId: string }) {
  const now = useNow();
  const detail = useResource(
    () => get<Instance>(`/v1/instances/${encodeURIComponent(instanceId)}`),
    [instanceId],
  );
  const events = useResource(
    () => get<{ items: HubEvent[] }>('/v1/dashboard/events', { instanceId, limit: 50 }),
    [instanceId],
  );
  const instance = detail.data;
  return (
    <>
      <p class="crumbs">
        <Link href="/instances">Instances</Link> /
      </p>
      <h1 class="mono">{instanceId}</h1>
      <ErrorNote error={detail.error} />
      {instance && (
        <>
          <div class="headline">
            <StateBadge state={instance.state} unconfirmed={instance.unconfirmed} />
            <span>
              since <Time at={instance.stateChangedAt} now={now} />
            </span>
            <span>
              service{' '}
              <Link href={`/instances?service=${encodeURIComponent(instance.service)}`}>
                {instance.service}
              </Link>
            </span>
          </div>
          <div class="cards">
            <Card title="Metadata">
              <dl class="facts">
                <dt>Application</dt>
                <dd>
                  {instance.appName ?? '—'}{' '}
                  {instance.appType && <span class="muted">({instance.appType})</span>}
                </dd>
                <dt>Artifact</dt>
                <dd>{instance.artifact ?? '—'}</dd>
                <dt>Version</dt>
                <dd>{instance.version ?? '—'}</dd>
                <dt>Host</dt>
                <dd>{instance.hostName ?? '—'}</dd>
                <dt>IPs</dt>
                <dd class="mono">{instance.ip.join(', ') || '—'}</dd>
                <dt>Process</dt>
                <dd>{instance.processId ?? '—'}</dd>
                <dt>Beats</dt>
                <dd>
                  {count(instance.beats)}
                  {instance.interval ? `, every ${duration(instance.interval)}` : ''}
                </dd>
                <dt>Last heartbeat</dt>
                <dd>
                  <Time at={instance.lastHeartbeatAt} now={now} />
                </dd>
                <dt>Lease ends</dt>
                <dd>
                  <Time at={instance.leaseExpiresAt} now={now} />
                </dd>
                <dt>Registered</dt>
                <dd>
                  <Time at={instance.registeredAt} now={now} />
                </dd>
                <dt>APIs served</dt>
                <dd>
                  {instance.basepaths.length === 0
                    ? '—'
                    : instance.basepaths.map((basepath) => (
                        <Link key={basepath} href={apiHref(basepath)} class="mono chip">
                          {basepath}
                        </Link>
                      ))}
                </dd>
                {Object.entries(instance.extInfo).map(([name, value]) => (
                  <>
                    <dt key={`k-${name}`}>{name}</dt>
                    <dd key={`v-${name}`}>{value}</dd>
                  </>
                ))}
              </dl>
            </Card>
            <Card title="Checks">
              <p>
                Reported health: <HealthBadge status={instance.status} />
              </p>
              {instance.checks.length === 0 ? (
                <p class="muted">This instance reports no checks.</p>
              ) : (
                <table class="data">
                  <thead>
                    <tr>
                      <th>Check</th>
                      <th>Status</th>
                      <th>Message</th>
                    </tr>
                  </thead>
                  <tbody>
                    {instance.checks.map((check) => (
                      <tr key={check.name}>
                        <td>{check.name}</td>
                        <td>
                          <HealthBadge status={check.status} />
                        </td>
                        <td>{check.message ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Plugins">
              {instance.plugins.length === 0 ? (
                <p class="muted">No plugins reported.</p>
              ) : (
                <table class="data">
                  <thead>
                    <tr>
                      <th>Plugin</th>
                      <th>Version</th>
                      <th>extInfo</th>
                    </tr>
                  </thead>
                  <tbody>
                    {instance.plugins.map((plugin) => (
                      <tr key={plugin.name}>
                        <td>{plugin.name}</td>
                        <td>{plugin.version ?? '—'}</td>
                        <td class="small">
                          {Object.entries(plugin.extInfo ?? {})
                            .map(([k, v]) => `${k}=${v}`)
                            .join(', ')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="History" wide>
              <ErrorNote error={events.error} />
              {events.data && <EventList events={events.data.items} now={now} />}
            </Card>
          </div>
        </>
      )}
    </>
  );
}
