/**
 * The overview's operations panels: the hub replicas sharing the store, the maintenance windows
 * (what is silenced now, what will be), and the notifiers with the latest failed deliveries and a
 * "send test notification" button. Each loads its own data, so the counts never wait for them.
 */
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorNote } from '../components/common.js';
import { Time } from '../components/time.js';
import { absoluteTime, duration } from '../format.js';
import { useResource } from '../hooks.js';
import type { Delivery, Maintenance, MaintenanceSpan, Notifier, TestOutcome } from '../types.js';
import type { OverviewPanelProps } from './overview.js';

/** How many upcoming maintenance windows and failed deliveries the overview lists. */
const UPCOMING_SHOWN = 3;
const FAILED_SHOWN = 5;

export function ReplicasPanel({ hub, now }: OverviewPanelProps) {
  const replicas = hub.replicas ?? [];
  if (replicas.length === 0) return <p class="muted">This hub does not report its replicas.</p>;
  return (
    <div class="table-wrap">
      <table class="data replicas">
        <thead>
          <tr>
            <th>Replica</th>
            <th>URL</th>
            <th>State</th>
            <th>Role</th>
            <th>Since</th>
            <th>Version</th>
          </tr>
        </thead>
        <tbody>
          {replicas.map((replica) => (
            <tr key={replica.id} data-replica={replica.id}>
              <td class="mono">
                {replica.id}
                {replica.self && (
                  <>
                    {' '}
                    <span class="chip">this replica</span>
                  </>
                )}
              </td>
              <td class="mono">{replica.url ?? <span class="muted">—</span>}</td>
              <td>
                <span class={`badge ${replica.state === 'live' ? 'badge-up' : 'badge-down'}`}>
                  {replica.state}
                </span>
              </td>
              <td>
                {replica.leader ? (
                  <span class="badge badge-leader" title="evaluates notification rules and runs the clean-up">
                    leader
                  </span>
                ) : (
                  <span class="muted">follower</span>
                )}
              </td>
              <td>
                <Time at={replica.since} now={now} />
              </td>
              <td>{replica.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function rulesOf(span: MaintenanceSpan): string {
  return span.rules.length === 0 ? 'every rule' : span.rules.join(', ');
}

export function MaintenancePanel({ now }: OverviewPanelProps) {
  const windows = useResource(() => get<Maintenance>('/v1/maintenance'), []);
  if (!windows.data) return <ErrorNote error={windows.error} />;
  const { active, upcoming } = windows.data;
  return (
    <>
      <ErrorNote error={windows.error} />
      {active.length === 0 ? (
        <p class="muted">No window open: every rule notifies.</p>
      ) : (
        active.map((span) => (
          <div key={span.name} class="notice notice-warn" role="status" data-maintenance={span.name}>
            <span class="badge badge-silenced">silenced</span> <strong>{span.name}</strong>{' '}
            <div>
              {rulesOf(span)} until <Time at={span.end} now={now} compact />{' '}
              <span class="muted">{absoluteTime(span.end)}</span>
            </div>
          </div>
        ))
      )}
      <h3 class="subhead">Upcoming</h3>
      {upcoming.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="plain">
          {upcoming.slice(0, UPCOMING_SHOWN).map((span) => (
            <li key={`${span.name}@${span.start}`} data-upcoming={span.name}>
              <strong>{span.name}</strong> <Time at={span.start} now={now} compact />{' '}
              <span class="muted">
                {absoluteTime(span.start)} – {absoluteTime(span.end)}, {rulesOf(span)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** Where a test notification stands, per notifier. */
type TestState =
  { step: 'sending' } | { step: 'done'; outcome: TestOutcome } | { step: 'refused'; message: string };

export function NotificationsPanel({ now }: OverviewPanelProps) {
  const [tests, setTests] = useState<Record<string, TestState>>({});
  const [testsSent, setTestsSent] = useState(0);
  const notifiers = useResource(() => get<{ notifiers: Notifier[] }>('/v1/notifiers'), []);
  // A test changes the delivery log: read it again after each.
  const failed = useResource(
    () => get<{ deliveries: Delivery[] }>('/v1/notifications', { status: 'failed', limit: FAILED_SHOWN }),
    [testsSent],
  );

  async function sendTest(name: string) {
    setTests((previous) => ({ ...previous, [name]: { step: 'sending' } }));
    let next: TestState;
    try {
      next = { step: 'done', outcome: await post<TestOutcome>('/v1/notifications/test', { notifier: name }) };
    } catch (error) {
      next = { step: 'refused', message: error instanceof Error ? error.message : String(error) };
    }
    setTests((previous) => ({ ...previous, [name]: next }));
    setTestsSent((count) => count + 1);
  }

  return (
    <>
      <ErrorNote error={notifiers.error} />
      {notifiers.data &&
        (notifiers.data.notifiers.length === 0 ? (
          <p class="muted">
            No notifier configured (the hub's <code>notifiers:</code>).
          </p>
        ) : (
          <div class="table-wrap">
            <table class="data notifiers">
              <thead>
                <tr>
                  <th>Notifier</th>
                  <th>Type</th>
                  <th class="num">In flight</th>
                  <th class="num">Timeout</th>
                  <th>Test</th>
                </tr>
              </thead>
              <tbody>
                {notifiers.data.notifiers.map((notifier) => (
                  <tr key={notifier.name} data-notifier={notifier.name}>
                    <td class="mono">{notifier.name}</td>
                    <td>{notifier.type}</td>
                    <td class="num">{notifier.inFlight}</td>
                    <td class="num">{duration(notifier.timeoutMs)}</td>
                    <td>
                      <button
                        type="button"
                        disabled={tests[notifier.name]?.step === 'sending'}
                        onClick={() => void sendTest(notifier.name)}
                      >
                        Send test notification
                      </button>{' '}
                      <TestResult state={tests[notifier.name]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <h3 class="subhead">Latest failed deliveries</h3>
      <ErrorNote error={failed.error} />
      {failed.data &&
        (failed.data.deliveries.length === 0 ? (
          <p class="muted">none</p>
        ) : (
          <div class="table-wrap">
            <table class="data deliveries">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Notifier</th>
                  <th>Rule</th>
                  <th>Message</th>
                  <th class="num">Attempts</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {failed.data.deliveries.map((delivery) => (
                  <tr key={delivery.id} data-delivery={delivery.id}>
                    <td>
                      <Time at={delivery.updatedAt} now={now} />
                    </td>
                    <td class="mono">{delivery.notifier}</td>
                    <td>{delivery.rule}</td>
                    <td>{delivery.title}</td>
                    <td class="num">{delivery.attempts}</td>
                    <td class="error">{delivery.lastError ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </>
  );
}

function TestResult({ state }: { state: TestState | undefined }) {
  if (!state) return null;
  if (state.step === 'sending')
    return (
      <span class="test-result muted" role="status">
        sending…
      </span>
    );
  if (state.step === 'refused')
    return (
      <span class="test-result error" role="alert">
        refused: {state.message}
      </span>
    );
  const { status, error } = state.outcome;
  const badge = status === 'delivered' ? 'badge-up' : status === 'failed' ? 'badge-down' : '';
  return (
    <span class="test-result" role="status">
      <span class={`badge ${badge}`}>{status}</span>
      {error && <span class="error"> {error}</span>}
    </span>
  );
}
