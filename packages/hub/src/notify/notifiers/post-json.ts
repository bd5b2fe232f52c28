import { describeError, HeartbeatError } from '@heartbeat/sdk';

/** A status the receiver will answer again however often it is asked: do not retry. */
function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

/**
 * POSTs a JSON body and resolves on a 2xx; otherwise rejects with a `HeartbeatError('UNAVAILABLE')`
 * saying what the receiver answered (status and the start of its body), `details.permanent` for a
 * 4xx that retrying will not fix. Shared by the HTTP notifiers.
 *
 * @example
 * await postJson('https://hooks.slack.com/services/…', JSON.stringify({ text: 'hi' }), {}, signal);
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'heartbeat-hub', ...headers },
      signal,
      redirect: 'error',
    });
  } catch (thrown) {
    const reason = signal.aborted ? 'no answer before the timeout' : describeError(thrown);
    throw new HeartbeatError('UNAVAILABLE', `POST to ${host} failed: ${reason}`, { permanent: false });
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  const text = (await response.text().catch(() => '')).slice(0, 200).trim();
  throw new HeartbeatError(
    'UNAVAILABLE',
    `${host} answered HTTP ${response.status}${text === '' ? '' : `: ${text}`}`,
    { status: response.status, permanent: isPermanent(response.status) },
  );
}
