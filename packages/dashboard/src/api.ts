/**
 * Talking to the hub: the API prefix the hub wrote into index.html, the read key kept in the
 * browser, and one `get` that turns a 401 into "ask for the key" and any other error into a message.
 */
const KEY_STORAGE = 'heartbeat.readKey';

function readPrefix(): string {
  const content = document.querySelector('meta[name="heartbeat-api"]')?.getAttribute('content') ?? '';
  return content === '__API_PREFIX__' ? '' : content.replace(/\/+$/, '');
}

export const apiPrefix = readPrefix();

let key: string | null = safeStorage(() => localStorage.getItem(KEY_STORAGE));
const keyListeners = new Set<() => void>();
let keyNeeded = false;

export function currentKey(): string | null {
  return key;
}

export function isKeyNeeded(): boolean {
  return keyNeeded;
}

/** Called when the hub refuses the key (or asks for one): the app shows the prompt. */
export function onKeyNeeded(listener: () => void): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

export function saveKey(value: string | null): void {
  key = value;
  keyNeeded = false;
  safeStorage(() =>
    value ? localStorage.setItem(KEY_STORAGE, value) : localStorage.removeItem(KEY_STORAGE),
  );
  for (const listener of keyListeners) listener();
}

export class HubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiUrl(path: string, params?: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {}))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const query = search.toString();
  return `${apiPrefix}${path}${query ? `?${query}` : ''}`;
}

/** GET a JSON resource of the hub's API. */
export async function get<T>(
  path: string,
  params?: Record<string, string | number | undefined | null>,
  withKey: string | null = key,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(apiUrl(path, params), {
      headers: withKey ? { authorization: `Bearer ${withKey}` } : {},
    });
  } catch {
    throw new HubError(0, 'the hub does not answer; retrying as soon as it is back');
  }
  if (response.status === 401 && withKey === key) {
    keyNeeded = true;
    for (const listener of keyListeners) listener();
  }
  if (!response.ok) throw await hubError(response);
  return (await response.json()) as T;
}

/**
 * POST JSON to the hub (actions such as "send test notification"). A refusal (401/403: the key
 * lacks the scope) is thrown as a HubError with the hub's message; it never opens the key prompt,
 * which asks for a read key.
 */
export async function post<T>(path: string, body: unknown, withKey: string | null = key): Promise<T> {
  let response: Response;
  try {
    response = await fetch(apiUrl(path), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(withKey ? { authorization: `Bearer ${withKey}` } : {}),
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new HubError(0, 'the hub does not answer');
  }
  if (!response.ok) throw await hubError(response);
  return (await response.json()) as T;
}

/** The hub's `{error: {message}}`, else the status line. */
async function hubError(response: Response): Promise<HubError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON: keep the status line.
  }
  return new HubError(response.status, message);
}

function safeStorage<T>(action: () => T): T | null {
  try {
    return action();
  } catch {
    return null; // storage disabled (private mode): the key lasts for the page
  }
}
