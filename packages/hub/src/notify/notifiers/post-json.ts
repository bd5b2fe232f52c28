import { describeError, HeartbeatError } from '@heartbeat/sdk';
import { Agent, request } from 'undici';

/** A status the receiver will answer again however often it is asked: do not retry. */
function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

/**
 * One keep-alive pool for every HTTP notifier. undici's `request` rather than `fetch`: a third of
 * the CPU per call, which matters when a storm sends a thousand notifications beside ingest.
 */
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });

/**
 * POSTs a JSON body and resolves on a 2xx; otherwise rejects with a `HeartbeatError('UNAVAILABLE')`
 * saying what the receiver answered (status and the start of its body), `details.permanent` for a
 * 4xx that retrying will not fix. Redirects are not followed. Shared by the HTTP notifiers.
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
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'heartbeat-hub', ...headers },
      signal,
      dispatcher: agent,
    });
  } catch (thrown) {
    const reason = signal.aborted ? 'no answer before the timeout' : describeError(thrown);
    throw new HeartbeatError('UNAVAILABLE', `POST to ${host} failed: ${reason}`, { permanent: false });
  }
  const status = response.statusCode;
  if (status >= 200 && status < 300) {
    await response.body.dump();
    return;
  }
  const text = (await response.body.text().catch(() => '')).slice(0, 200).trim();
  throw new HeartbeatError(
    'UNAVAILABLE',
    `${host} answered HTTP ${status}${text === '' ? '' : `: ${text}`}`,
    {
      status,
      permanent: (status >= 300 && status < 400) || isPermanent(status),
    },
  );
}
