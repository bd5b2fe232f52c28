/**
 * One Pulse probe: an HTTP(S) request through a shared keep-alive pool (undici), or a connect-only
 * `tcp://host:port` check, bounded in time (timeout), size (body cap) and hops (redirects).
 *
 * A failed probe is data, not an exception: `runProbe` never throws. Transport failures become short
 * error strings (`timeout`, `connection refused`, `dns: api.example.com not found`, `tls: …`), answers
 * that miss their expectations a one-line reason in `detail`.
 */
import { connect } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import { describeError } from '@heartbeat/sdk';
import type { PulseDefinition } from '../domain/api.js';
import { checkExpectations, checkResponseTime, formatBytes } from './expectations.js';

/** What one probe found: everything an observation and a probe-history record need. */
export interface ProbeOutcome {
  /** The answer met every expectation and no transport error happened. */
  ok: boolean;
  /**
   * The status of the (final, after redirects) answer. Also set next to `error` when the failure came
   * after the status line, e.g. a body cut by the timeout. Never set for `tcp://` probes.
   */
  statusCode?: number;
  /** A transport failure, short: `timeout`, `connection refused`, `too many redirects`, … */
  error?: string;
  /** From the start of the probe to its end (body read, connect made, or failure), in ms. */
  durationMs: number;
  /**
   * Why it failed, in one line: the expectation it missed (`status 503 not in 200-399`), or more about
   * an error (`connect ECONNREFUSED 127.0.0.1:9`). On a passing probe, only a note that the body was
   * larger than the cap and judged on its first part.
   */
  detail?: string;
}

export interface ProbeOptions {
  /** Where HTTP(S) requests go: a shared keep-alive pool from `createPulseDispatcher`. */
  dispatcher: Dispatcher;
  /** Aborts the probe (the scheduler stopping); the outcome is then `error: 'aborted'`. */
  signal?: AbortSignal;
  /** Bytes of body read at most; the rest is not downloaded. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Redirects followed at most; one more is the failure `too many redirects`. 0 judges the 3xx itself. Default 3. */
  maxRedirects?: number;
}

export const PROBE_DEFAULTS = { maxBodyBytes: 64 * 1024, maxRedirects: 3 } as const;

export interface PulseDispatcherOptions {
  /** Connections kept per origin at most; more requests to one origin wait for one. Default 8. */
  connectionsPerOrigin?: number;
  /**
   * Verify TLS certificates. Default true, and it should stay so: a probe that trusts any certificate
   * says an API is up when anyone could be answering for it. For a private CA, set `ca` (or
   * `NODE_EXTRA_CA_CERTS`) instead.
   */
  rejectUnauthorized?: boolean;
  /** Extra trusted certificate authorities (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** How long an idle connection is kept for the next probe (the server's `Keep-Alive` hint wins when shorter). Default 10 s. */
  keepAliveTimeoutMs?: number;
}

/**
 * The keep-alive pool every probe shares: one pool per origin, each bounded to
 * `connectionsPerOrigin` connections. Close it (`await dispatcher.close()`) when probing stops.
 *
 * @example
 * const dispatcher = createPulseDispatcher();
 * const outcome = await runProbe(api.pulse, { dispatcher });
 * await dispatcher.close();
 */
export function createPulseDispatcher(options: PulseDispatcherOptions = {}): Agent {
  return new Agent({
    connections: options.connectionsPerOrigin ?? 8,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs ?? 10_000, 60_000),
    connect: {
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ...(options.ca !== undefined && { ca: options.ca }),
    },
  });
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const USER_AGENT = 'heartbeat-pulse';

/**
 * Runs one probe. Never throws and never outlives `pulse.timeoutMs` (nor `options.signal`): every
 * failure is an outcome.
 *
 * @example
 * const outcome = await runProbe(
 *   { enabled: true, url: 'https://api.example.com/health', method: 'GET', headers: {}, intervalMs: 30_000,
 *     timeoutMs: 5000, expect: { status: [[200, 399]], json: [{ path: 'status', equals: 'UP' }] } },
 *   { dispatcher },
 * );
 * // → { ok: false, statusCode: 200, durationMs: 41.2, detail: 'body.status is "DOWN", expected "UP"' }
 */
export async function runProbe(pulse: PulseDefinition, options: ProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  let url: URL;
  try {
    url = new URL(pulse.url);
  } catch {
    return { ok: false, error: 'invalid url', durationMs: 0, detail: `not a URL: ${pulse.url}` };
  }
  const deadline = startDeadline(pulse.timeoutMs, options.signal);
  try {
    if (url.protocol === 'tcp:') return await probeTcp(url, pulse, deadline, elapsed);
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      return await probeHttp(url, pulse, options, deadline, elapsed);
    }
    return { ok: false, error: `unsupported scheme ${url.protocol}`, durationMs: 0 };
  } catch (thrown) {
    // probeHttp and probeTcp turn failures into outcomes; this is for the unforeseen.
    return { ok: false, ...transportFailure(thrown, url.hostname, deadline), durationMs: elapsed() };
  } finally {
    deadline.dispose();
  }
}

/** The state of a request as it goes, for a precise `detail` when it fails half-way. */
interface Progress {
  statusCode?: number;
  bodyBytes: number;
  phase: 'answer' | 'body';
}

async function probeHttp(
  start: URL,
  pulse: PulseDefinition,
  options: ProbeOptions,
  deadline: Deadline,
  elapsed: () => number,
): Promise<ProbeOutcome> {
  const maxBodyBytes = options.maxBodyBytes ?? PROBE_DEFAULTS.maxBodyBytes;
  const maxRedirects = options.maxRedirects ?? PROBE_DEFAULTS.maxRedirects;
  const keepBody = pulse.expect.json.length > 0;
  let url = start;
  let method = pulse.method.toUpperCase();
  let body = pulse.body;
  let headers = withUserAgent(pulse.headers);
  const progress: Progress = { bodyBytes: 0, phase: 'answer' };

  try {
    for (let redirects = 0; ; redirects++) {
      progress.phase = 'answer';
      const response = await request(url, {
        dispatcher: options.dispatcher,
        method,
        headers,
        ...(body !== undefined && { body }),
        signal: deadline.signal,
      });
      progress.statusCode = response.statusCode;
      const location = header(response.headers, 'location');

      if (maxRedirects > 0 && REDIRECT_STATUSES.has(response.statusCode) && location !== undefined) {
        // Read (a little of) the body so the connection can be reused; at most 128 KiB.
        await response.body.dump({ limit: 128 * 1024, signal: deadline.signal });
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return failed(
            elapsed,
            progress,
            'invalid redirect',
            `Location ${JSON.stringify(location)} is not a URL`,
          );
        }
        if (redirects >= maxRedirects) {
          return failed(
            elapsed,
            progress,
            'too many redirects',
            `more than ${maxRedirects}, the last to ${next.href}`,
          );
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          return failed(elapsed, progress, `redirect to unsupported scheme ${next.protocol}`);
        }
        // What browsers do: 303 always, and 301/302 after a POST, continue as a GET without a body.
        if (
          response.statusCode === 303 ||
          ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')
        ) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
          headers = without(headers, (name) => name === 'content-type' || name === 'content-length');
        }
        if (next.origin !== url.origin) headers = without(headers, (name) => CREDENTIAL_HEADERS.has(name));
        url = next;
        continue;
      }

      progress.phase = 'body';
      const chunks: Buffer[] = [];
      let cut = false;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const room = maxBodyBytes - progress.bodyBytes;
        if (chunk.length > room) {
          if (keepBody) chunks.push(chunk.subarray(0, room));
          progress.bodyBytes = maxBodyBytes;
          cut = true;
          // Leaving the loop destroys the stream: the rest is never downloaded (nor the connection reused).
          break;
        }
        if (keepBody) chunks.push(chunk);
        progress.bodyBytes += chunk.length;
      }
      const durationMs = elapsed();
      const reason = checkExpectations(pulse.expect, {
        statusCode: response.statusCode,
        durationMs,
        ...(keepBody && { bodyText: Buffer.concat(chunks).toString('utf8') }),
        ...(header(response.headers, 'content-type') !== undefined && {
          contentType: header(response.headers, 'content-type'),
        }),
        ...(cut && { bodyCutAtBytes: maxBodyBytes }),
      });
      // A failed JSON condition already says the body was cut; a failed status has nothing to do with it.
      const detail =
        reason ?? (cut ? `body cut at ${formatBytes(maxBodyBytes)}; judged on what was read` : undefined);
      return {
        ok: reason === undefined,
        statusCode: response.statusCode,
        durationMs,
        ...(detail !== undefined && { detail }),
      };
    }
  } catch (thrown) {
    const failure = transportFailure(thrown, url.hostname, deadline);
    if (failure.error === 'timeout') {
      failure.detail =
        progress.phase === 'body'
          ? `body not complete within ${pulse.timeoutMs}ms (${formatBytes(progress.bodyBytes)} read)`
          : `no answer within ${pulse.timeoutMs}ms`;
    }
    return {
      ok: false,
      ...(progress.statusCode !== undefined &&
        progress.phase === 'body' && { statusCode: progress.statusCode }),
      ...failure,
      durationMs: elapsed(),
    };
  }
}

function failed(elapsed: () => number, progress: Progress, error: string, detail?: string): ProbeOutcome {
  return {
    ok: false,
    ...(progress.statusCode !== undefined && { statusCode: progress.statusCode }),
    error,
    durationMs: elapsed(),
    ...(detail !== undefined && { detail }),
  };
}

/** A connect-only probe: the port accepts a TCP connection within the timeout. */
function probeTcp(
  url: URL,
  pulse: PulseDefinition,
  deadline: Deadline,
  elapsed: () => number,
): Promise<ProbeOutcome> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) {
    return Promise.resolve({
      ok: false,
      error: 'invalid url',
      durationMs: 0,
      detail: 'expected tcp://host:port',
    });
  }
  return new Promise<ProbeOutcome>((resolve) => {
    const socket = connect({ host, port });
    let done = false;
    const finish = (thrown?: unknown): void => {
      if (done) return;
      done = true;
      deadline.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      const durationMs = elapsed();
      if (thrown !== undefined) {
        const failure = transportFailure(thrown, host, deadline);
        if (failure.error === 'timeout') failure.detail = `no connection within ${pulse.timeoutMs}ms`;
        resolve({ ok: false, ...failure, durationMs });
        return;
      }
      const reason = checkResponseTime(pulse.expect, durationMs);
      resolve({ ok: reason === undefined, durationMs, ...(reason !== undefined && { detail: reason }) });
    };
    const onAbort = (): void => finish(deadline.signal.reason);
    socket.once('connect', () => finish());
    // `on`, not `once`: a socket may report a second error, and an unheard one would crash the process.
    socket.on('error', (error) => finish(error));
    if (deadline.signal.aborted) onAbort();
    else deadline.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The probe's own signal: aborted by its timeout or by the caller. Not `AbortSignal.any([
 * AbortSignal.timeout(ms), signal])`: that leaves a timer running after every probe that ended early
 * (hundreds a second at scale) and ties one more dependent signal to the scheduler's long-lived one;
 * this clears both when the probe ends, and knows which of the two fired.
 */
interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

function startDeadline(timeoutMs: number, outer: AbortSignal | undefined): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs}ms`, 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/** Error codes, anywhere in an error's cause chain, and the short error each one means. */
const ERROR_BY_CODE: ReadonlyArray<[(code: string) => boolean, (host: string, error: Error) => string]> = [
  [(code) => code === 'ECONNREFUSED', () => 'connection refused'],
  [(code) => ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(code), () => 'connection reset'],
  [
    (code) =>
      ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].includes(
        code,
      ),
    () => 'timeout',
  ],
  [(code) => ['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA'].includes(code), (host) => `dns: ${host} not found`],
  [(code) => code === 'EAI_AGAIN', (host) => `dns: lookup of ${host} failed`],
  [(code) => code === 'EHOSTUNREACH', () => 'host unreachable'],
  [(code) => code === 'ENETUNREACH', () => 'network unreachable'],
  [(code) => code === 'ERR_TLS_CERT_ALTNAME_INVALID', (host) => `tls: certificate is not valid for ${host}`],
  [(code) => isTlsCode(code), (_host, error) => `tls: ${opensslReason(error.message)}`],
  // undici's "other side closed": the server hung up before (or while) answering.
  [(code) => code === 'UND_ERR_SOCKET', () => 'connection closed'],
];

/** Certificate verification codes (OpenSSL's names) and Node's TLS error codes. */
function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    /CERT|_SIGNED_|UNABLE_TO_(GET|VERIFY|DECRYPT|DECODE)/.test(code)
  );
}

/** `…:SSL routines:ssl3_get_record:wrong version number` → `wrong version number`. */
function opensslReason(message: string): string {
  const reason = /:([^:]+)$/.exec(message.split('\n')[0] ?? '')?.[1] ?? message;
  return shorten(reason.trim());
}

/**
 * A short error (and, when it says more, the full message as detail) for anything a request threw.
 *
 * @example
 * transportFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), '127.0.0.1');
 * // → { error: 'connection refused', detail: 'connect ECONNREFUSED 127.0.0.1:9' }
 */
export function transportFailure(
  thrown: unknown,
  host: string,
  deadline?: Pick<Deadline, 'timedOut' | 'signal'>,
): { error: string; detail?: string } {
  if (deadline?.timedOut()) return { error: 'timeout' };
  if (deadline?.signal.aborted) return { error: 'aborted' };
  const message = describeError(thrown);
  for (const error of causeChain(thrown)) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') continue;
    for (const [matches, describe] of ERROR_BY_CODE) {
      if (!matches(code)) continue;
      const short = describe(host, error);
      return short === message ? { error: short } : { error: short, detail: shorten(message) };
    }
  }
  return { error: shorten(message) };
}

/** The error, its causes, and the errors of an AggregateError (happy-eyeballs connects), outermost first. */
function causeChain(thrown: unknown): Error[] {
  const chain: Error[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (!(value instanceof Error) || depth > 5 || chain.includes(value)) return;
    chain.push(value);
    if (value instanceof AggregateError) for (const inner of value.errors) visit(inner, depth + 1);
    visit(value.cause, depth + 1);
  };
  visit(thrown, 0);
  return chain;
}

function shorten(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function withUserAgent(headers: Record<string, string>): Record<string, string> {
  return Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent')
    ? { ...headers }
    : { ...headers, 'user-agent': USER_AGENT };
}

function without(
  headers: Record<string, string>,
  drop: (lowerName: string) => boolean,
): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !drop(name.toLowerCase())));
}
