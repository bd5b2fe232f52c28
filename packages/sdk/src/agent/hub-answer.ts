/**
 * Reading the hub's answer to a heartbeat: pure, no I/O. A refusal is data (what went wrong, in
 * words an operator can act on, and when to try again), never an exception.
 */

/** The parts of an HTTP answer the agent reads. */
export interface HubAnswer {
  statusCode: number;
  body: string;
  /** The `Location` header, for redirects. */
  location?: string | undefined;
}

/** What the agent does after a failed beat. */
export type RetryPolicy =
  /** A passing trouble (no answer, 408, 429, 5xx): retry soon, backing off. */
  | 'backoff'
  /** The hub refused this beat and would refuse the next one the same way: retry at the normal interval. */
  | 'interval';

export type HubVerdict =
  | { ok: true; warnings: string[]; validTime?: number }
  | { ok: false; retry: RetryPolicy; error: string; code?: string };

/** The command that makes a key the agent can use, quoted in every key refusal. */
export const CREATE_INGEST_KEY = 'heartbeat keys create --scope ingest';

const MAX_DETAILS_CHARS = 300;

/**
 * What a hub's answer to `POST /v1/instances/heartbeats` means.
 *
 * @example
 * readHubAnswer({ statusCode: 401, body: '{"error":{"code":"UNAUTHENTICATED","message":"unknown key"}}' }, { keySent: true })
 * // { ok: false, retry: 'interval', code: 'UNAUTHENTICATED',
 * //   error: 'the hub refused the key: unknown key; create one with `heartbeat keys create --scope ingest`' }
 */
export function readHubAnswer(answer: HubAnswer, context: { keySent: boolean }): HubVerdict {
  const { statusCode } = answer;
  if (statusCode >= 200 && statusCode < 300) return readAccepted(answer.body);
  const { code, message } = readError(answer);
  const refused = (retry: RetryPolicy, error: string): HubVerdict =>
    code === undefined ? { ok: false, retry, error } : { ok: false, retry, error, code };
  const http = `HTTP ${statusCode}`;

  if (statusCode >= 300 && statusCode < 400) {
    const where = answer.location ? ` to ${answer.location}` : '';
    return refused(
      'interval',
      `the hub URL redirects${where} (${http}); give the URL it redirects to as the hub`,
    );
  }
  if (statusCode === 408 || statusCode === 429) {
    return refused('backoff', `the hub is busy (${http}): ${message}`);
  }
  if (statusCode >= 500) {
    return refused('backoff', `the hub failed (${http}): ${message}`);
  }
  const refusal = ((): string => {
    switch (statusCode) {
      case 401:
        return context.keySent
          ? `the hub refused the key: ${message}; create one with \`${CREATE_INGEST_KEY}\``
          : `the hub wants a key: ${message}; pass one (the agent's \`key\`, or --key / HEARTBEAT_KEY for the sidecar); create one with \`${CREATE_INGEST_KEY}\``;
      case 403:
        return `the hub refused the key: ${message}; pushing heartbeats needs the ingest scope — create a key with \`${CREATE_INGEST_KEY}\``;
      case 400:
        return `the hub rejected the heartbeat as invalid (${http}): ${message}`;
      case 404:
        return `the hub has no heartbeat route at this URL (${http}: ${message}); check the hub URL and its route prefix`;
      case 413:
        return `the heartbeat is larger than the hub accepts (${http}): ${message}; send less extInfo, fewer plugins or checks`;
      default:
        return `the hub refused the heartbeat (${http}): ${message}`;
    }
  })();
  return refused('interval', refusal);
}

/** `{"accepted": 1, "warnings": […], "validTime": 60000}`; anything else in a 2xx still means accepted. */
function readAccepted(body: string): HubVerdict {
  const parsed = parseJson(body);
  const warnings: string[] = [];
  let validTime: number | undefined;
  if (typeof parsed === 'object' && parsed !== null) {
    const fields = parsed as { warnings?: unknown; validTime?: unknown };
    if (Array.isArray(fields.warnings)) {
      for (const warning of fields.warnings as unknown[]) {
        warnings.push(
          typeof warning === 'string' ? warning : clip(JSON.stringify(warning) ?? String(warning)),
        );
      }
    }
    if (typeof fields.validTime === 'number' && Number.isFinite(fields.validTime) && fields.validTime > 0) {
      validTime = fields.validTime;
    }
  }
  return validTime === undefined ? { ok: true, warnings } : { ok: true, warnings, validTime };
}

/** The hub's `{"error": {"code", "message", "details"}}`, or what a proxy in front of it said. */
function readError(answer: HubAnswer): { code?: string; message: string } {
  const parsed = parseJson(answer.body);
  const error = (parsed as { error?: unknown } | undefined)?.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
    const text = typeof message === 'string' && message !== '' ? message : 'no message';
    const detail =
      details === undefined || details === null ? '' : ` (${clip(JSON.stringify(details) ?? '')})`;
    return { ...(typeof code === 'string' && { code }), message: `${text}${detail}` };
  }
  const text = answer.body.trim().replace(/\s+/g, ' ');
  return { message: text === '' ? 'no message' : clip(text) };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > MAX_DETAILS_CHARS ? `${text.slice(0, MAX_DETAILS_CHARS - 1)}…` : text;
}
