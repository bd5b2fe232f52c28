import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { formatDuration, parseDuration, type Duration } from '../core/duration.js';
import { describeError, HeartbeatError } from '../errors.js';
import type { Health } from '../health.js';
import { silentLogger, type Logger } from '../lifecycle/logger.js';
import { backoffDelay, parseRetryAfter } from './backoff.js';
import {
  normalizeExtInfo,
  normalizeStatusReport,
  reportFromCheckResults,
  type HeartbeatMessage,
  type InstanceMetadata,
  type InstanceStatusReport,
  type PluginInfo,
} from './heartbeat-message.js';
import { readHubAnswer, type HubVerdict } from './hub-answer.js';

/** Where the instance's own health comes from when no `Health` is given (the sidecar probes a URL). */
export type StatusSource = (context: {
  /** Aborts when the agent stops; a source should stop waiting then. */
  signal: AbortSignal;
}) => InstanceStatusReport | Promise<InstanceStatusReport>;

/** Read at every beat; its result is the beat's `extInfo`. */
export type ExtInfoProvider = () => Record<string, string>;

export interface HubAgentOptions {
  /** The hub's base URL, route prefix included: `http://hub:8900` or `https://hub.example.com/eni/heartbeat`. */
  hub: string | URL;
  /** A hub key with the `ingest` scope, sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** The service this instance belongs to. */
  service: string;
  /** Default `<service>-<hostname>-<pid>-<4 random hex>`, stable for the life of the process. */
  instanceId?: string;
  /** How often to beat. Default 30s, at least 1s. */
  interval?: Duration;
  /** How long one request to the hub may take. Default 5s. */
  timeout?: Duration;
  /**
   * The service's health: every beat carries its aggregated `status` and its `checks`, and a graceful
   * `health.shutdown()` says goodbye to the hub.
   */
  health?: Health;
  /** Instead of `health`: any source of `{status, checks?}` (the sidecar probes a health URL). */
  statusSource?: StatusSource;
  /** Facts sent with every beat; see `HUB_AGENT_DEFAULTS` for what is filled in. */
  metadata?: InstanceMetadata;
  plugins?: PluginInfo[];
  /** pino, console, or anything with info/warn/error. Default: silent. */
  logger?: Logger;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** The clock for `heartbeatTime`, in epoch ms. Default `Date.now`. */
  now?: () => number;
}

export type HubAgentPhase = 'idle' | 'running' | 'stopping' | 'stopped';

/** A snapshot of how the agent is doing. */
export interface HubAgentState {
  readonly instanceId: string;
  readonly phase: HubAgentPhase;
  /** When the hub last accepted a beat (epoch ms). */
  readonly lastSuccessAt: number | undefined;
  /** Why the latest failed beat failed; kept after recovery (see `consecutiveFailures`). */
  readonly lastError: string | undefined;
  readonly lastErrorAt: number | undefined;
  /** Failed beats since the last accepted one; 0 while all is well. */
  readonly consecutiveFailures: number;
}

/** What one beat came to. A failed beat is data, never a throw. */
export interface BeatOutcome {
  ok: boolean;
  /** The hub's HTTP status; absent when no answer came. */
  statusCode?: number;
  /** Why the beat failed, in words an operator can act on. */
  error?: string;
  /** The hub's error code, e.g. `UNAUTHENTICATED`. */
  code?: string;
  /** What the hub said about the message (unknown fields, …). */
  warnings: string[];
  /** How long the hub keeps the instance alive without a beat, when it said. */
  validTime?: number;
  /** The message sent; absent when none was (a stopped agent). */
  message?: HeartbeatMessage;
  durationMs: number;
}

/**
 * Pushes this instance's heartbeat to a Heartbeat hub: at once on `start()`, then every interval.
 * It never throws into the application: a failed beat is logged (once, not at every retry) and
 * retried with backoff; only `createHubAgent` throws, for bad options.
 */
export interface HubAgent {
  readonly instanceId: string;
  readonly state: HubAgentState;
  /** Beats at once, then every interval (timers unref'd). A stopped agent does not start again. */
  start(): HubAgent;
  /**
   * Stops beating: waits for a beat in flight (up to the timeout), then says goodbye
   * (`DELETE /v1/instances/{id}`) when `goodbye` (default true) and the hub knows the instance.
   * Later calls return the first call's promise. Never rejects.
   */
  stop(options?: { goodbye?: boolean }): Promise<void>;
  /** Sets the function read at every beat for `extInfo` (Sermant's `setExtInfo`); `undefined` clears it. */
  setExtInfo(provider: ExtInfoProvider | undefined): void;
  /** Beats now (joining a beat already in flight). Never rejects. */
  beatNow(): Promise<BeatOutcome>;
}

export const HUB_AGENT_DEFAULTS = {
  intervalMs: 30_000,
  minIntervalMs: 1000,
  timeoutMs: 5000,
  heartbeatsPath: '/v1/instances/heartbeats',
  instancesPath: '/v1/instances',
} as const;

/**
 * Once the hub has answered a beat in full (its valid time, any warnings), the agent asks for no
 * answer (`Prefer: return=minimal`, RFC 7240): the hub then answers 204, and still answers in full
 * when it has a warning. A full answer is asked for again after a failure and at least this often,
 * so a hub whose valid time changed says so.
 */
const FULL_ANSWER_EVERY_MS = 10 * 60_000;
const MINIMAL_ANSWER = { prefer: 'return=minimal' } as const;

/** The hub's answer is read up to this size; a beat's answer is a few bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Distinct hub warnings remembered (each is logged once); beyond this, no more are logged. */
const MAX_REMEMBERED_WARNINGS = 100;
/** A status source has its own timeouts; this backstop only keeps a hung one from stopping the beats. */
const STATUS_GRACE_MS = 1000;

/**
 * Creates an agent that pushes heartbeats to a Heartbeat hub (SPEC.md §4). Call `start()`.
 *
 * @example
 * const agent = createHubAgent({ hub: 'http://hub:8900', key: process.env.HEARTBEAT_KEY, service: 'orders', health });
 * agent.setExtInfo(() => ({ queue: String(queue.length) }));
 * agent.start();
 */
export function createHubAgent(options: HubAgentOptions): HubAgent {
  const config = resolveOptions(options);
  const log = safeLogger(options.logger ?? silentLogger);
  const fetchHub = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const { intervalMs, timeoutMs, instanceId } = config;
  const where = { hub: config.shownHub, instanceId };

  let phase: HubAgentPhase = 'idle';
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<BeatOutcome> | undefined;
  let beatAbort: AbortController | undefined;
  let stopping: Promise<void> | undefined;
  let extInfoProvider: ExtInfoProvider | undefined;
  let extInfoFailing = false;
  let extInfoDroppedLogged = false;
  let lastSuccessAt: number | undefined;
  let lastAcceptedHeartbeatTime: number | undefined;
  let lastError: string | undefined;
  let lastErrorAt: number | undefined;
  let consecutiveFailures = 0;
  let failingSince: number | undefined;
  let lastLoggedFailure: string | undefined;
  let validTimeWarned = false;
  /** When the hub last answered a beat in full (with its valid time). */
  let lastFullAnswerAt: number | undefined;
  const minimalHeaders = { ...config.headers, ...MINIMAL_ANSWER };
  const loggedWarnings = new Set<string>();

  function schedule(delayMs: number): void {
    clearTimeout(timer);
    timer = setTimeout(function heartbeatTick() {
      timer = undefined;
      void agent.beatNow();
    }, delayMs);
    timer.unref();
  }

  /** One beat: status, extInfo, the POST, and what it means. Never rejects. */
  async function beat(abort: AbortController): Promise<{ outcome: BeatOutcome; next: number }> {
    const startedAt = performance.now();
    const elapsed = (): number => Math.round(performance.now() - startedAt);
    let message: HeartbeatMessage | undefined;
    let verdict: HubVerdict;
    let statusCode: number | undefined;
    let retryAfterMs: number | undefined;
    try {
      const report = await gatherStatus(abort.signal);
      message = buildMessage(report, readExtInfo());
      ({ verdict, statusCode, retryAfterMs } = await post(message, abort.signal));
    } catch (thrown) {
      // Nothing above should throw; if something does, it is one failed beat, not a crash.
      verdict = { ok: false, retry: 'backoff', error: `the beat failed: ${describeError(thrown)}` };
    }
    const outcome: BeatOutcome = {
      ok: verdict.ok,
      warnings: verdict.ok ? verdict.warnings : [],
      durationMs: elapsed(),
    };
    if (statusCode !== undefined) outcome.statusCode = statusCode;
    if (message) outcome.message = message;
    if (verdict.ok) {
      if (verdict.validTime !== undefined) outcome.validTime = verdict.validTime;
      onAccepted(outcome, message?.heartbeatTime);
      return { outcome, next: Math.max(0, intervalMs - outcome.durationMs) };
    }
    outcome.error = verdict.error;
    if (verdict.code !== undefined) outcome.code = verdict.code;
    const next =
      verdict.retry === 'backoff'
        ? Math.max(backoffDelay(consecutiveFailures + 1, intervalMs), Math.min(retryAfterMs ?? 0, intervalMs))
        : Math.max(HUB_AGENT_DEFAULTS.minIntervalMs, intervalMs - outcome.durationMs);
    onFailed(outcome, verdict.retry, next, abort.signal.aborted);
    return { outcome, next };
  }

  function onAccepted(outcome: BeatOutcome, heartbeatTime: number | undefined): void {
    const at = now();
    if (consecutiveFailures > 0) {
      log.warn(
        { ...where, failures: consecutiveFailures, downMs: at - (failingSince ?? at) },
        `heartbeat agent: the hub accepts beats again, after ${plural(consecutiveFailures, 'failed beat')} over ${formatDuration(at - (failingSince ?? at))}`,
      );
    }
    if (lastSuccessAt === undefined) {
      log.info(
        { ...where, intervalMs },
        `heartbeat agent: the hub accepted the first beat of ${instanceId}; beating every ${formatDuration(intervalMs)}`,
      );
    }
    for (const warning of outcome.warnings) {
      if (loggedWarnings.has(warning) || loggedWarnings.size >= MAX_REMEMBERED_WARNINGS) continue;
      loggedWarnings.add(warning);
      log.warn({ ...where, warning }, `heartbeat agent: the hub warns: ${warning}`);
    }
    if (outcome.validTime !== undefined && outcome.validTime <= intervalMs && !validTimeWarned) {
      validTimeWarned = true;
      log.warn(
        { ...where, validTime: outcome.validTime, intervalMs },
        `heartbeat agent: the hub counts an instance lost after ${formatDuration(outcome.validTime)} without a beat, but the interval is ${formatDuration(intervalMs)}; lower the interval`,
      );
    }
    lastSuccessAt = at;
    lastAcceptedHeartbeatTime = heartbeatTime;
    consecutiveFailures = 0;
    failingSince = undefined;
    lastLoggedFailure = undefined;
  }

  function onFailed(
    outcome: BeatOutcome,
    retry: 'backoff' | 'interval',
    nextMs: number,
    aborted: boolean,
  ): void {
    const at = now();
    consecutiveFailures += 1;
    failingSince ??= at;
    lastError = outcome.error;
    lastErrorAt = at;
    if (aborted) return; // stopped mid-beat: stop() says what happens next
    // Log the first failure and any change of kind (503 → refused key), not every retry.
    const kind = `${outcome.statusCode ?? 'no answer'} ${outcome.code ?? ''}`;
    if (kind === lastLoggedFailure) return;
    lastLoggedFailure = kind;
    const fields = {
      ...where,
      ...(outcome.statusCode !== undefined && { statusCode: outcome.statusCode }),
      ...(outcome.code !== undefined && { code: outcome.code }),
      retryInMs: nextMs,
    };
    const text = `heartbeat agent: ${outcome.error}; next try in ${formatDuration(nextMs)}`;
    if (retry === 'interval') log.error(fields, text);
    else log.warn(fields, text);
  }

  async function gatherStatus(signal: AbortSignal): Promise<InstanceStatusReport | undefined> {
    const { health } = options;
    const source: StatusSource | undefined = health
      ? async () => reportFromCheckResults(await health.runChecks())
      : options.statusSource;
    if (!source) return undefined;
    const checkName = health ? 'health' : 'status-source';
    const failed = (message: string): InstanceStatusReport => ({
      status: 'error',
      checks: [{ name: checkName, status: 'error', message }],
    });
    let backstop: NodeJS.Timeout | undefined;
    const limitMs = timeoutMs + STATUS_GRACE_MS;
    try {
      const value = await Promise.race([
        Promise.resolve().then(() => source({ signal })),
        new Promise<string>((resolve) => {
          backstop = setTimeout(() => resolve(`no status within ${formatDuration(limitMs)}`), limitMs);
          backstop.unref();
          signal.addEventListener('abort', () => resolve('the agent stopped'), { once: true });
        }),
      ]);
      if (typeof value === 'string') return failed(value);
      const report = normalizeStatusReport(value);
      return typeof report === 'string' ? failed(`the status source returned no status: ${report}`) : report;
    } catch (thrown) {
      return failed(describeError(thrown));
    } finally {
      clearTimeout(backstop);
    }
  }

  function readExtInfo(): Record<string, string> | undefined {
    const provider = extInfoProvider;
    if (!provider) return undefined;
    try {
      const value: unknown = provider();
      if (isThenable(value)) {
        value.then(undefined, () => undefined); // never an unhandled rejection
        throw new TypeError('the provider returned a promise; it must return the object itself');
      }
      const { extInfo, dropped } = normalizeExtInfo(value);
      if (extInfoFailing) log.info(where, 'heartbeat agent: the extInfo provider works again');
      extInfoFailing = false;
      if (dropped.length > 0 && !extInfoDroppedLogged) {
        extInfoDroppedLogged = true;
        log.warn(
          { ...where, dropped },
          `heartbeat agent: extInfo values must be strings; left out: ${dropped.join(', ')}`,
        );
      }
      return extInfo;
    } catch (thrown) {
      if (!extInfoFailing) {
        log.warn(
          { ...where, error: describeError(thrown) },
          `heartbeat agent: the extInfo provider failed (${describeError(thrown)}); beats go without extInfo until it works`,
        );
      }
      extInfoFailing = true;
      return undefined;
    }
  }

  function buildMessage(
    report: InstanceStatusReport | undefined,
    extInfo: Record<string, string> | undefined,
  ): HeartbeatMessage {
    const message: HeartbeatMessage = {
      instanceId,
      service: config.service,
      ...config.metadata,
      heartbeatTime: now(),
    };
    if (lastAcceptedHeartbeatTime !== undefined) message.lastHeartbeatTime = lastAcceptedHeartbeatTime;
    message.interval = intervalMs;
    if (config.plugins.length > 0) message.plugins = config.plugins;
    if (extInfo) message.extInfo = extInfo;
    if (report) {
      message.status = report.status;
      if (report.checks) message.checks = report.checks;
    }
    return message;
  }

  async function post(
    message: HeartbeatMessage,
    stopSignal: AbortSignal,
  ): Promise<{ verdict: HubVerdict; statusCode?: number; retryAfterMs?: number }> {
    const at = now();
    const full =
      lastFullAnswerAt === undefined ||
      consecutiveFailures > 0 ||
      at - lastFullAnswerAt >= FULL_ANSWER_EVERY_MS;
    const answer = await request(
      config.heartbeatsUrl,
      'POST',
      JSON.stringify(message),
      stopSignal,
      full ? config.headers : minimalHeaders,
    );
    if ('noAnswer' in answer) return { verdict: { ok: false, retry: 'backoff', error: answer.noAnswer } };
    const verdict = readHubAnswer(answer, { keySent: config.key !== undefined });
    if (verdict.ok && verdict.validTime !== undefined) lastFullAnswerAt = at;
    const retryAfterMs = parseRetryAfter(answer.retryAfter, now());
    return { verdict, statusCode: answer.statusCode, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }

  /** One request to the hub, cut at the timeout; the answer's body read up to a bound. */
  async function request(
    url: URL,
    method: 'POST' | 'DELETE',
    body: string | undefined,
    stopSignal: AbortSignal,
    headers: Record<string, string> = config.headers,
  ): Promise<
    { statusCode: number; body: string; location?: string; retryAfter?: string } | { noAnswer: string }
  > {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([stopSignal, timeout]);
    const reason = (thrown: unknown): string =>
      timeout.aborted
        ? `the hub did not answer within ${formatDuration(timeoutMs)}`
        : stopSignal.aborted
          ? 'the agent stopped before the hub answered'
          : `the hub did not answer: ${describeFetchError(thrown, url)}`;
    let response: Response;
    try {
      response = await fetchHub(url, {
        method,
        headers,
        ...(body !== undefined && { body }),
        signal,
        redirect: 'manual',
      });
    } catch (thrown) {
      return { noAnswer: reason(thrown) };
    }
    let text = '';
    try {
      text = await readBounded(response, MAX_ANSWER_BYTES);
    } catch {
      // The status is the answer; a body cut off mid-way only loses the details.
    }
    const location = response.headers.get('location') ?? undefined;
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    return {
      statusCode: response.status,
      body: text,
      ...(location !== undefined && { location }),
      ...(retryAfter !== undefined && { retryAfter }),
    };
  }

  async function sayGoodbye(): Promise<void> {
    const url = new URL(config.instancesUrl);
    url.pathname = `${url.pathname}/${encodeURIComponent(instanceId)}`;
    const answer = await request(url, 'DELETE', undefined, new AbortController().signal);
    if ('noAnswer' in answer) {
      log.warn(
        { ...where, error: answer.noAnswer },
        `heartbeat agent: could not say goodbye (${answer.noAnswer}); the hub will count the instance lost after its validTime`,
      );
    } else if (answer.statusCode >= 200 && answer.statusCode < 300) {
      log.info(where, `heartbeat agent: stopped and said goodbye; the hub marks ${instanceId} stopped`);
    } else if (answer.statusCode === 404) {
      log.info(where, `heartbeat agent: the hub no longer knew ${instanceId}; nothing to say goodbye to`);
    } else {
      const verdict = readHubAnswer(answer, { keySent: config.key !== undefined });
      const error = verdict.ok ? `HTTP ${answer.statusCode}` : verdict.error;
      log.warn(
        { ...where, statusCode: answer.statusCode, error },
        `heartbeat agent: the hub refused the goodbye: ${error}`,
      );
    }
  }

  async function stopAgent(goodbye: boolean): Promise<void> {
    phase = 'stopping';
    clearTimeout(timer);
    timer = undefined;
    const pending = inFlight;
    if (pending) {
      const finished = await settlesWithin(pending, timeoutMs);
      if (!finished) {
        beatAbort?.abort();
        await pending;
      }
    }
    phase = 'stopped';
    if (!goodbye) log.info(where, 'heartbeat agent: stopped without a goodbye');
    else if (lastSuccessAt === undefined) {
      log.info(
        where,
        'heartbeat agent: stopped; the hub never accepted a beat, so there is no goodbye to say',
      );
    } else await sayGoodbye();
  }

  const agent: HubAgent = {
    instanceId,
    get state(): HubAgentState {
      return {
        instanceId,
        phase,
        lastSuccessAt,
        lastError,
        lastErrorAt,
        consecutiveFailures,
      };
    },
    start() {
      if (phase === 'idle') {
        phase = 'running';
        void agent.beatNow();
      } else if (phase !== 'running') {
        log.warn(where, 'heartbeat agent: a stopped agent does not start again; create a new one');
      }
      return agent;
    },
    stop({ goodbye = true } = {}) {
      stopping ??= stopAgent(goodbye).catch((thrown: unknown) => {
        log.error({ ...where, error: describeError(thrown) }, 'heartbeat agent: stopping failed');
      });
      return stopping;
    },
    setExtInfo(provider) {
      extInfoProvider = provider;
      extInfoFailing = false;
      extInfoDroppedLogged = false;
    },
    beatNow() {
      if (phase === 'stopping' || phase === 'stopped') {
        return Promise.resolve({ ok: false, error: 'the agent is stopped', warnings: [], durationMs: 0 });
      }
      if (inFlight) return inFlight;
      const abort = new AbortController();
      beatAbort = abort;
      const running = beat(abort).then(({ outcome, next }) => {
        inFlight = undefined;
        if (beatAbort === abort) beatAbort = undefined;
        if (phase === 'running') schedule(next);
        return outcome;
      });
      inFlight = running;
      return running;
    },
  };

  options.health?.onShutdown(() => agent.stop(), 'heartbeat agent goodbye');
  return agent;
}

interface ResolvedAgentOptions {
  heartbeatsUrl: URL;
  instancesUrl: URL;
  /** The hub URL without credentials, for logs. */
  shownHub: string;
  key: string | undefined;
  headers: Record<string, string>;
  service: string;
  instanceId: string;
  intervalMs: number;
  timeoutMs: number;
  metadata: InstanceMetadata;
  plugins: PluginInfo[];
}

function resolveOptions(options: HubAgentOptions): ResolvedAgentOptions {
  const hubBase = parseHubUrl(options.hub);
  const service = requireText(
    options.service,
    'service',
    'the service this instance belongs to, e.g. "orders"',
  );
  const intervalMs = parseDuration(options.interval ?? HUB_AGENT_DEFAULTS.intervalMs, 'interval');
  if (intervalMs < HUB_AGENT_DEFAULTS.minIntervalMs) {
    throw invalid(
      'interval',
      options.interval,
      `interval must be at least 1s (got ${formatDuration(intervalMs)})`,
    );
  }
  const timeoutMs = parseDuration(options.timeout ?? HUB_AGENT_DEFAULTS.timeoutMs, 'timeout');
  if (timeoutMs <= 0) throw invalid('timeout', options.timeout, 'timeout must be longer than 0ms');
  if (options.health && options.statusSource) {
    throw invalid('statusSource', undefined, 'give health or statusSource, not both');
  }
  if (options.statusSource !== undefined && typeof options.statusSource !== 'function') {
    throw invalid('statusSource', undefined, 'statusSource must be a function returning {status, checks?}');
  }
  const key = options.key;
  if (key !== undefined && !/^[\x21-\x7e]+$/.test(key)) {
    throw invalid(
      'key',
      undefined,
      'key must be the key itself: printable characters, no spaces or line breaks, no "Bearer " prefix',
    );
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'heartbeat-agent',
  };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;

  const instanceId =
    options.instanceId === undefined
      ? `${service}-${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`
      : requireText(options.instanceId, 'instanceId', 'a stable id of this process, e.g. "orders-7f9c-1"');

  const given = options.metadata ?? {};
  const metadata: InstanceMetadata = {};
  for (const field of ['appName', 'appType', 'artifact'] as const) {
    const value = given[field];
    if (value !== undefined) metadata[field] = requireText(value, `metadata.${field}`, 'a string');
  }
  metadata.hostName =
    given.hostName === undefined ? hostname() : requireText(given.hostName, 'metadata.hostName', 'a string');
  const version = given.version ?? options.health?.service.version;
  if (version !== undefined) metadata.version = requireText(version, 'metadata.version', 'a string');
  metadata.ip = given.ip === undefined ? localAddresses() : requireStrings(given.ip, 'metadata.ip');
  const processId = given.processId ?? process.pid;
  if (!Number.isSafeInteger(processId) || processId < 0) {
    throw invalid('metadata.processId', processId, 'metadata.processId must be a whole number');
  }
  metadata.processId = processId;
  if (given.basepaths !== undefined)
    metadata.basepaths = requireStrings(given.basepaths, 'metadata.basepaths');

  return {
    heartbeatsUrl: joinHubPath(hubBase, HUB_AGENT_DEFAULTS.heartbeatsPath),
    instancesUrl: joinHubPath(hubBase, HUB_AGENT_DEFAULTS.instancesPath),
    shownHub: shownUrl(hubBase),
    key,
    headers,
    service,
    instanceId,
    intervalMs,
    timeoutMs,
    metadata,
    plugins: (options.plugins ?? []).map(normalizePlugin),
  };
}

/**
 * The hub's base URL: absolute http(s), route prefix kept, query and fragment dropped. A URL that
 * already ends in the heartbeats path is taken for its base.
 *
 * @example
 * parseHubUrl('https://hub.example.com/eni/heartbeat/').href // 'https://hub.example.com/eni/heartbeat'
 */
export function parseHubUrl(hub: string | URL): URL {
  let url: URL;
  try {
    url = new URL(hub);
  } catch {
    throw invalid(
      'hub',
      String(hub),
      `hub "${String(hub)}" is not a URL; write it like http://127.0.0.1:8900`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(
      'hub',
      String(hub),
      `hub "${String(hub)}" is not an http or https URL; write it like http://127.0.0.1:8900`,
    );
  }
  url.search = '';
  url.hash = '';
  let path = url.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  if (path.endsWith(HUB_AGENT_DEFAULTS.heartbeatsPath))
    path = path.slice(0, -HUB_AGENT_DEFAULTS.heartbeatsPath.length);
  url.pathname = path === '' ? '/' : path;
  return url;
}

/**
 * A hub route under the hub's base URL, prefix kept.
 *
 * @example
 * joinHubPath(new URL('https://hub.example.com/eni/heartbeat'), '/v1/instances/heartbeats').href
 * // 'https://hub.example.com/eni/heartbeat/v1/instances/heartbeats'
 */
export function joinHubPath(base: URL, path: string): URL {
  const url = new URL(base);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return url;
}

/** The machine's non-internal IPv4 and IPv6 addresses. */
export function localAddresses(): string[] {
  try {
    const addresses: string[] = [];
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) {
        if (!entry.internal && !addresses.includes(entry.address)) addresses.push(entry.address);
      }
    }
    return addresses;
  } catch {
    // Some sandboxes refuse to list interfaces; the hub sees the connection's address anyway.
    return [];
  }
}

function normalizePlugin(plugin: PluginInfo, index: number): PluginInfo {
  const field = `plugins[${index}]`;
  if (typeof plugin !== 'object' || plugin === null)
    throw invalid(field, plugin, `${field} must be {name, version?, extInfo?}`);
  const normalized: PluginInfo = { name: requireText(plugin.name, `${field}.name`, 'the plugin name') };
  if (plugin.version !== undefined)
    normalized.version = requireText(plugin.version, `${field}.version`, 'a string');
  if (plugin.extInfo !== undefined) {
    let extInfo: { extInfo: Record<string, string>; dropped: string[] };
    try {
      extInfo = normalizeExtInfo(plugin.extInfo);
    } catch (thrown) {
      throw invalid(`${field}.extInfo`, undefined, `${field}.extInfo: ${describeError(thrown)}`);
    }
    if (extInfo.dropped.length > 0) {
      throw invalid(
        `${field}.extInfo`,
        extInfo.dropped,
        `${field}.extInfo values must be strings: ${extInfo.dropped.join(', ')}`,
      );
    }
    normalized.extInfo = extInfo.extInfo;
  }
  return normalized;
}

function requireText(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(field, value, `${field} must be a non-empty string: ${what}`);
  }
  return value;
}

function requireStrings(value: unknown, field: string): string[] {
  const strings: string[] = [];
  for (const entry of Array.isArray(value) ? (value as unknown[]) : [undefined]) {
    if (typeof entry !== 'string') throw invalid(field, value, `${field} must be an array of strings`);
    strings.push(entry);
  }
  return strings;
}

function invalid(field: string, value: unknown, message: string): HeartbeatError {
  return new HeartbeatError('VALIDATION_FAILED', message, value === undefined ? { field } : { field, value });
}

function shownUrl(url: URL): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return shown.href.replace(/\/$/, '');
}

/** `fetch failed` says nothing; its cause says `connect ECONNREFUSED 127.0.0.1:8900`. */
function describeFetchError(thrown: unknown, url: URL): string {
  const reason = describeError(thrown instanceof Error && thrown.cause !== undefined ? thrown.cause : thrown);
  // The Fetch standard never connects to some ports (1, 25, 6000, …) and says only "bad port".
  return reason === 'bad port' ? `fetch refuses to connect to port ${url.port} (a blocked port)` : reason;
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    // Typed loosely by @types/node without the DOM lib; fetch bodies are byte streams.
    const { done, value } = (await reader.read()) as { done: boolean; value: Uint8Array | undefined };
    if (done || !value) break;
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
    if (size >= maxBytes) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}

/** Whether `promise` settles within `ms`; the timer does not hold the process open. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A logger that throws must not break a beat. */
function safeLogger(logger: Logger): Logger {
  const call =
    (level: keyof Logger) =>
    (object: object, message?: string): void => {
      try {
        logger[level](object, message);
      } catch {
        // Logging is best effort; the beat matters more.
      }
    };
  return { info: call('info'), warn: call('warn'), error: call('error') };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
