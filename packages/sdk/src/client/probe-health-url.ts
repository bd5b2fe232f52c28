import { formatDuration, parseDuration, type Duration } from '../core/duration.js';
import { describeError, HeartbeatError } from '../errors.js';
import { interpretHealthResponse, type HealthInterpretation } from './interpret-health-response.js';

export interface ProbeHealthUrlOptions {
  /** How long the whole probe may take, body included. Default 5s. */
  timeout?: Duration;
  /** Aborts the probe early, e.g. when the service stops; the result is then `no answer: aborted`. */
  signal?: AbortSignal;
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
  /** Read no more of the body than this; the rest is not downloaded. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** One probe: what the answer says, or why there was none. A failed probe is data, never a throw. */
export interface HealthProbeResult extends HealthInterpretation {
  /** The HTTP status of the answer; absent when no answer came. */
  statusCode?: number;
  /** From sending the request to the end of the body (or the failure), in milliseconds. */
  durationMs: number;
}

export const PROBE_DEFAULTS = {
  timeoutMs: 5000,
  maxBodyBytes: 1024 * 1024,
} as const;

// Ask for the richest format an endpoint can give; anything else is still read.
const ACCEPT = 'application/health+json, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5';

/**
 * GETs a health URL once and reads the answer in whatever format it speaks (see
 * `interpretHealthResponse`). Redirects are followed (at most 20, as `fetch` does). A refused
 * connection, a DNS failure or a timeout is `{ status: 'error', format: 'none', message: 'no answer: …' }`.
 * Throws `VALIDATION_FAILED` only for what the caller got wrong: the URL, the timeout, the headers.
 *
 * @example
 * const result = await probeHealthUrl('http://127.0.0.1:8080/readyz', { timeout: '2s' });
 * if (result.status === 'error') console.error(result.message);
 */
export async function probeHealthUrl(
  url: string | URL,
  options: ProbeHealthUrlOptions = {},
): Promise<HealthProbeResult> {
  const target = parseHealthUrl(url);
  const timeoutMs =
    options.timeout === undefined ? PROBE_DEFAULTS.timeoutMs : parseDuration(options.timeout, 'timeout');
  if (timeoutMs <= 0) {
    throw new HeartbeatError('VALIDATION_FAILED', 'timeout must be longer than 0ms', {
      field: 'timeout',
      value: options.timeout,
    });
  }
  const maxBodyBytes = options.maxBodyBytes ?? PROBE_DEFAULTS.maxBodyBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new HeartbeatError('VALIDATION_FAILED', 'maxBodyBytes must be a positive whole number of bytes', {
      field: 'maxBodyBytes',
      value: maxBodyBytes,
    });
  }
  const headers = requestHeaders(options.headers);

  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;
  const startedAt = performance.now();
  const elapsed = (): number => Math.round(performance.now() - startedAt);
  const noAnswer = (thrown: unknown, statusCode?: number, during = ''): HealthProbeResult => {
    const reason = options.signal?.aborted
      ? `aborted${describeAbortReason(options.signal.reason)}`
      : timeoutSignal.aborted
        ? `timed out after ${formatDuration(timeoutMs)}`
        : describeFetchError(thrown, target);
    const result: HealthProbeResult = {
      status: 'error',
      format: 'none',
      message: `no answer: ${reason}${during}`,
      durationMs: elapsed(),
    };
    if (statusCode !== undefined) result.statusCode = statusCode;
    return result;
  };

  let response: Response;
  try {
    response = await fetch(target, { method: 'GET', headers, signal, redirect: 'follow' });
  } catch (thrown) {
    return noAnswer(thrown);
  }
  let body: { text: string; truncated: boolean };
  try {
    body = await readBody(response, maxBodyBytes);
  } catch (thrown) {
    return noAnswer(thrown, response.status, ` while reading the body (HTTP ${response.status})`);
  }
  const interpretation = interpretHealthResponse(
    {
      statusCode: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      body: body.text,
    },
    { now: Date.now() },
  );
  if (body.truncated) interpretation.message += ` (read only the first ${maxBodyBytes} bytes of the body)`;
  return { ...interpretation, statusCode: response.status, durationMs: elapsed() };
}

/**
 * An absolute http(s) URL, or `VALIDATION_FAILED` saying how to write one.
 *
 * @example
 * parseHealthUrl('http://127.0.0.1:8080/readyz') // URL
 */
export function parseHealthUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `"${String(url)}" is not a URL; write it like http://127.0.0.1:8080/readyz`,
      { field: 'url', value: String(url) },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `"${String(url)}" is not an http or https URL; write it like http://127.0.0.1:8080/readyz`,
      { field: 'url', value: String(url) },
    );
  }
  return parsed;
}

function requestHeaders(extra: ProbeHealthUrlOptions['headers']): Headers {
  const headers = new Headers({ accept: ACCEPT, 'user-agent': 'heartbeat-probe' });
  try {
    const entries: Iterable<readonly [string, string]> = Array.isArray(extra)
      ? (extra as ReadonlyArray<readonly [string, string]>)
      : Object.entries(extra ?? {});
    for (const [name, value] of entries) headers.set(name, value);
  } catch (thrown) {
    throw new HeartbeatError('VALIDATION_FAILED', `invalid header: ${describeError(thrown)}`, {
      field: 'headers',
    });
  }
  return headers;
}

/**
 * Reads at most `maxBytes` of the body and cancels the rest, so an endless or huge body cannot
 * exhaust memory. Decoded as UTF-8 (or the declared charset when the runtime knows it).
 */
async function readBody(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const decoder = decoderFor(response.headers.get('content-type'));
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    // Typed loosely by @types/node without the DOM lib; fetch bodies are byte streams.
    const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array | undefined };
    if (done || !value) break;
    const room = maxBytes - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      size += room;
      truncated = true;
      // Cancelling closes the connection; the answer so far is what we judge.
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: decoder.decode(bytes), truncated };
}

function decoderFor(contentType: string | null): { decode(input: Uint8Array): string } {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  if (charset) {
    try {
      return new TextDecoder(charset);
    } catch {
      // An unknown charset: UTF-8 is the best guess for a health body.
    }
  }
  return new TextDecoder('utf-8');
}

/** `fetch failed` says nothing; its cause says `connect ECONNREFUSED 127.0.0.1:8080`. */
function describeFetchError(thrown: unknown, target: URL): string {
  const cause = thrown instanceof Error && thrown.cause !== undefined ? thrown.cause : thrown;
  const reason = describeError(cause);
  // The Fetch standard never connects to some ports (1, 25, 6000, …) and says only "bad port".
  if (reason === 'bad port') return `fetch refuses to connect to port ${target.port} (a blocked port)`;
  return reason;
}

function describeAbortReason(reason: unknown): string {
  if (reason === undefined) return '';
  if (reason instanceof Error && reason.name === 'AbortError') return '';
  const text = describeError(reason);
  return text ? ` (${text})` : '';
}
