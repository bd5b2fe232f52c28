import { get } from '../api.js';
import { ApiStatusBadge } from '../components/badges.js';
import { LineChart, Timeline, type Point } from '../components/charts.js';
import { Card, ErrorNote, Stat } from '../components/common.js';
import { EventList } from '../components/event-list.js';
import { Time } from '../components/time.js';
import { count, duration, millis, percent } from '../format.js';
import { useNow, useResource } from '../hooks.js';
import { Link } from '../router.js';
import type { ApiDetail, ApiStatus } from '../types.js';

const DAY_MS = 86_400_000;

export function ApiDetailPage({ basepath }: { basepath: string }) {
  const now = useNow();
  const detail = useResource(() => get<ApiDetail>(`/v1/apis${basepath}`, { days: 1 }), [basepath]);
  const api = detail.data;
  const to = now;
  const from = now - DAY_MS;
  const history = (api?.history ?? []).filter((row) => Date.parse(row.start) >= from - 3_600_000);
  const ratioPoints: Point[] = history.map((row) => ({ at: Date.parse(row.start), value: row.ratio }));
  const latencyPoints: Point[] = history.map((row) => ({ at: Date.parse(row.start), value: row.p95Ms }));
  const changes = (api?.timeline ?? [])
    .map((event) => ({ at: Date.parse(event.at), status: event.data.to as ApiStatus }))
    .sort((a, b) => a.at - b.at);
  const before = changes.filter((change) => change.at <= from).at(-1);
  const firstAfter = changes.find((change) => change.at > from);
  const initial: ApiStatus =
    before?.status ??
    (api?.timeline.find((e) => Date.parse(e.at) === firstAfter?.at)?.data.from as ApiStatus | undefined) ??
    api?.status ??
    'UNKNOWN';
  return (
    <>
      <p class="crumbs">
        <Link href="/apis">APIs</Link> /
      </p>
      <h1 class="mono">{basepath}</h1>
      <ErrorNote error={detail.error} />
      {api && (
        <>
          <div class="headline">
            <ApiStatusBadge status={api.status} />
            <span>
              since <Time at={api.since} now={now} />
            </span>
            {api.name && <span>{api.name}</span>}
            {api.owner && <span class="muted">owner {api.owner}</span>}
            <span class="muted">
              status driven by {api.drivenBy ?? 'nothing yet'}; window {duration(api.windowMs)}, UP at ≥{' '}
              {percent(api.threshold)}, at least {api.minSamples} samples
            </span>
          </div>
          {api.status === 'DOWN' && api.runbook && (
            <p class="runbook">
              Runbook: <a href={api.runbook}>{api.runbook}</a>
            </p>
          )}
          <div class="stats">
            <Stat
              value={percent(api.ratio)}
              label="success in window"
              tone={api.status === 'DOWN' ? 'bad' : undefined}
            />
            <Stat value={count(api.samples)} label="samples" />
            <Stat value={count(api.failures)} label="failures" />
            <Stat value={millis(api.p50Ms)} label="p50" />
            <Stat value={millis(api.p95Ms)} label="p95" />
            <Stat
              value={`${count(api.bySource.traffic)} / ${count(api.bySource.pulse)} / ${count(api.bySource.otlp)}`}
              label="traffic / pulse / otlp"
            />
          </div>
          <div class="cards">
            <Card title="Status, last 24 h" wide>
              <Timeline changes={changes} from={from} to={to} initial={initial} />
              <EventList events={[...api.timeline].reverse().slice(0, 10)} now={now} />
            </Card>
            <Card title="Last 24 h" wide>
              <div class="charts">
                <LineChart
                  points={ratioPoints}
                  from={from}
                  to={to}
                  max={1}
                  reference={api.threshold}
                  format={(v) => `${Math.round(v * 100)} %`}
                  label="success ratio per minute (dashed: the threshold)"
                />
                <LineChart
                  points={latencyPoints}
                  from={from}
                  to={to}
                  format={(v) => millis(v)}
                  label="p95 latency per minute"
                />
              </div>
            </Card>
            <Card title="Last failures" wide>
              {api.lastFailures.length === 0 ? (
                <p class="muted">No failures recorded.</p>
              ) : (
                <div class="table-wrap">
                  <table class="data">
                    <thead>
                      <tr>
                        <th>When</th>
                        <th>Outcome</th>
                        <th class="num">Duration</th>
                        <th>Source</th>
                      </tr>
                    </thead>
                    <tbody>
                      {api.lastFailures.slice(0, 10).map((failure, i) => (
                        <tr key={`${failure.at}-${i}`}>
                          <td>
                            <Time at={failure.at} now={now} />
                          </td>
                          <td class="mono">{failure.statusCode ?? failure.error}</td>
                          <td class="num">{millis(failure.durationMs)}</td>
                          <td>{failure.source}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
            <Card title="Pulse" wide>
              {!api.pulse ? (
                <p class="muted">
                  No synthetic probe for this API. Declare <code>pulse:</code> in its YAML entry to have the
                  hub probe it.
                </p>
              ) : (
                <>
                  <p>
                    {api.pulse.enabled ? 'Probing' : 'Paused:'} <span class="mono">{api.pulse.url}</span>{' '}
                    every {duration(api.pulse.intervalMs)}.
                  </p>
                  <div class="table-wrap">
                    <table class="data">
                      <thead>
                        <tr>
                          <th>When</th>
                          <th>Result</th>
                          <th>Answer</th>
                          <th class="num">Duration</th>
                          <th>Why</th>
                        </tr>
                      </thead>
                      <tbody>
                        {api.probes.slice(0, 10).map((probe, i) => (
                          <tr key={`${probe.at}-${i}`}>
                            <td>
                              <Time at={probe.at} now={now} compact />
                            </td>
                            <td>
                              <span class={`badge ${probe.ok ? 'badge-up' : 'badge-down'}`}>
                                {probe.ok ? 'ok' : 'failed'}
                              </span>
                            </td>
                            <td class="mono">{probe.statusCode ?? probe.error ?? '—'}</td>
                            <td class="num">{millis(probe.durationMs)}</td>
                            <td>{probe.detail ?? ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </>
              )}
            </Card>
          </div>
        </>
      )}
    </>
  );
}
