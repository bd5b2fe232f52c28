import { useEffect, useRef, useState } from 'preact/hooks';
import { currentKey, get, HubError, isKeyNeeded, onKeyNeeded, saveKey } from './api.js';
import { connectLive, useLiveState } from './live.js';
import { ApiDetailPage } from './pages/api-detail.js';
import { ApisPage } from './pages/apis.js';
import { EventsPage } from './pages/events.js';
import { InstanceDetailPage } from './pages/instance-detail.js';
import { InstancesPage } from './pages/instances.js';
import { OverviewPage } from './pages/overview.js';
import { basepathFromPath, Link, useLocation, type Location } from './router.js';
import type { HubState } from './types.js';

const NAV = [
  { href: '/', label: 'Overview', match: (path: string) => path === '/' || path === '/overview' },
  { href: '/apis', label: 'APIs', match: (path: string) => path.startsWith('/apis') },
  { href: '/instances', label: 'Instances', match: (path: string) => path.startsWith('/instances') },
  { href: '/events', label: 'Events', match: (path: string) => path.startsWith('/events') },
];

type Access = 'checking' | 'granted' | 'key-needed' | 'unreachable';

export function App() {
  const location = useLocation();
  const [access, setAccess] = useState<Access>('checking');
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    let retry: ReturnType<typeof setTimeout> | undefined;
    let triedWithoutKey = false;
    const check = () => {
      get<HubState>('/v1/hub').then(
        () => {
          setAccess('granted');
          connectLive();
        },
        (error: unknown) => {
          if (error instanceof HubError && error.status === 401) {
            // A kept key the hub no longer knows: forget it, and see whether this hub reads without one.
            if (currentKey() !== null && !triedWithoutKey) {
              triedWithoutKey = true;
              saveKey(null);
              check();
            } else setAccess('key-needed');
          } else {
            setAccess('unreachable');
            setProblem(error instanceof Error ? error.message : String(error));
            retry = setTimeout(check, 2000);
          }
        },
      );
    };
    check();
    const stop = onKeyNeeded(() => {
      if (isKeyNeeded()) setAccess('key-needed');
    });
    return () => {
      clearTimeout(retry);
      stop();
    };
  }, []);

  useEffect(() => {
    const page = NAV.find((item) => item.match(location.path));
    document.title = page ? `${page.label} · Heartbeat` : 'Heartbeat';
  }, [location.path]);

  return (
    <>
      <a href="#main" class="skip">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <path
              d="M4 17h6l3-7 5 14 3-7h7"
              fill="none"
              stroke="currentColor"
              stroke-width="3"
              stroke-linejoin="round"
            />
          </svg>
          Heartbeat
        </Link>
        <nav aria-label="main">
          {NAV.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              aria-current={item.match(location.path) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        {access === 'granted' && <LiveIndicator />}
      </header>
      <main id="main" tabIndex={-1}>
        {access === 'checking' && <p class="muted">Connecting to the hub…</p>}
        {access === 'unreachable' && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        {access === 'key-needed' && (
          <KeyPrompt
            onAccepted={() => {
              setAccess('granted');
              connectLive();
            }}
          />
        )}
        {access === 'granted' && <Page location={location} />}
      </main>
    </>
  );
}

function Page({ location }: { location: Location }) {
  const { path } = location;
  if (path === '/' || path === '/overview') return <OverviewPage />;
  if (path === '/apis') return <ApisPage location={location} />;
  if (path.startsWith('/apis/')) return <ApiDetailPage basepath={basepathFromPath(path)} />;
  if (path === '/instances' || path === '/services') return <InstancesPage location={location} />;
  if (path.startsWith('/instances/'))
    return <InstanceDetailPage instanceId={decodeURIComponent(path.slice('/instances/'.length))} />;
  if (path === '/events') return <EventsPage location={location} />;
  return (
    <p>
      Nothing here. <Link href="/">Back to the overview</Link>
    </p>
  );
}

function LiveIndicator() {
  const state = useLiveState();
  const label = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
  return (
    <span class={`live live-${state}`} role="status" title="updates from the hub's event stream">
      <span class="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** Asked once; the key is kept in this browser (localStorage) until the hub refuses it. */
function KeyPrompt({ onAccepted }: { onAccepted: () => void }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const key = value.trim();
    if (!key) return;
    setBusy(true);
    try {
      await get('/v1/hub', undefined, key);
      saveKey(key);
      onAccepted();
    } catch (error) {
      setProblem(
        error instanceof HubError && error.status === 401
          ? 'The hub does not know this key (or it was revoked).'
          : error instanceof HubError && error.status === 403
            ? 'This key lacks the read scope.'
            : error instanceof Error
              ? error.message
              : String(error),
      );
    } finally {
      setBusy(false);
    }
  };
  const withoutKey = async () => {
    setBusy(true);
    try {
      await get('/v1/hub', undefined, null);
      saveKey(null);
      onAccepted();
    } catch {
      setProblem('This hub does not allow reading without a key.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card key-prompt" onSubmit={(event) => void submit(event)} aria-labelledby="key-title">
      <h1 id="key-title">A read key, please</h1>
      <p>
        This hub asks for a key with the <code>read</code> scope. Create one with{' '}
        <code>heartbeat keys create --scope read --name dashboard</code>. It is kept in this browser only.
      </p>
      <label>
        Key
        <input
          ref={input}
          type="password"
          name="key"
          autoComplete="off"
          placeholder="hb_…"
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </label>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Open the dashboard
        </button>
        <button type="button" disabled={busy} onClick={() => void withoutKey()}>
          Try without a key
        </button>
      </div>
    </form>
  );
}
