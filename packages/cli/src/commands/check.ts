import { InvalidArgumentError, Option } from 'commander';
import {
  formatDuration,
  HeartbeatError,
  parseDuration,
  parseHealthUrl,
  probeHealthUrl,
  PROBE_DEFAULTS,
  type HealthProbeResult,
} from '@heartbeat/sdk';
import type { CommandRegistrar } from '../program.js';

interface CheckCommandOptions {
  timeout: number;
  header?: Array<[string, string]>;
  json?: boolean;
}

const EXAMPLES = `
Formats understood: heartbeat, status, system-check (/_system/check), ops-heartbeat (/ops/heartbeat),
health-json (application/health+json), kubernetes-probe (/livez /readyz /startupz), Spring Boot Actuator;
anything else is judged by its HTTP status (200-399 passes, as Kubernetes does).

Exit codes:
  0  ok or warning (a warning never fails a probe)
  1  error, or no answer (refused, timed out, DNS failure)
  2  usage error (bad URL, bad duration, bad header)

Examples:
  $ heartbeat check http://127.0.0.1:8080/readyz
  $ heartbeat check https://orders.example.com/health --timeout 2s --json
  $ heartbeat check http://127.0.0.1:8080/ops/heartbeat --header "Authorization: Bearer $TOKEN"

  Docker HEALTHCHECK (in a Dockerfile):
    HEALTHCHECK --interval=30s --timeout=5s --retries=3 \\
      CMD ["heartbeat", "check", "http://127.0.0.1:8080/readyz", "--timeout", "4s"]

  Kubernetes exec probe (for a container whose port is not reachable from the kubelet):
    livenessProbe:
      exec:
        command: ["heartbeat", "check", "http://127.0.0.1:8080/livez", "--timeout", "1s"]
      periodSeconds: 10
      timeoutSeconds: 2
`;

/**
 * `heartbeat check <url>`: one probe of a health URL in any format, one readable line, an exit code.
 *
 * @example
 * $ heartbeat check http://127.0.0.1:8080/readyz
 * ok  http://127.0.0.1:8080/readyz  (kubernetes-probe, HTTP 200, 3ms)
 *   ok
 */
export const checkCommand: CommandRegistrar = (program, context) =>
  program
    .command('check')
    .description('probe a health URL once; exit 0 if ok or warning, 1 if not')
    .argument('<url>', 'the health endpoint, e.g. http://127.0.0.1:8080/readyz', parseUrlArgument)
    .addOption(
      new Option('-t, --timeout <duration>', 'how long the whole answer may take: 500ms, 2s, 1m')
        .default(PROBE_DEFAULTS.timeoutMs, formatDuration(PROBE_DEFAULTS.timeoutMs))
        .argParser(parseTimeoutOption),
    )
    .addOption(
      new Option('-H, --header <name:value>', 'send a request header; repeat for more').argParser(
        collectHeader,
      ),
    )
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', EXAMPLES)
    .action(async (url: URL, options: CheckCommandOptions) => {
      const result = await probeHealthUrl(url, { timeout: options.timeout, headers: options.header ?? [] });
      context.out(
        options.json
          ? `${JSON.stringify({ url: url.href, ...result }, null, 2)}\n`
          : formatResult(url, result),
      );
      context.setOutcome(result.status === 'error' ? 'failed' : 'ok');
    });

/**
 * The readable form: a status line, the message, and the checks that are not ok.
 *
 * @example
 * error  http://127.0.0.1:8080/readyz  (kubernetes-probe, HTTP 503, 4ms)
 *   HTTP 503: readyz check failed; failing: db (connect ECONNREFUSED)
 *   [error] db: connect ECONNREFUSED
 */
export function formatResult(url: URL, result: HealthProbeResult): string {
  const facts =
    result.format === 'none'
      ? ['no answer', formatDuration(result.durationMs)]
      : [result.format, `HTTP ${result.statusCode}`, formatDuration(result.durationMs)];
  const lines = [`${result.status}  ${url.href}  (${facts.join(', ')})`, `  ${printable(result.message)}`];
  for (const check of result.checks ?? []) {
    if (check.status === 'ok') continue;
    const reason = check.message ? `: ${printable(check.message)}` : '';
    lines.push(`  [${check.status}] ${printable(check.name)}${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function parseUrlArgument(value: string): URL {
  try {
    return parseHealthUrl(value);
  } catch (thrown) {
    throw asUsageError(thrown);
  }
}

function parseTimeoutOption(value: string): number {
  try {
    const ms = parseDuration(value, 'timeout');
    if (ms > 0) return ms;
  } catch (thrown) {
    throw asUsageError(thrown);
  }
  throw new InvalidArgumentError('the timeout must be longer than 0; write it like 500ms, 2s or 1m');
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `--header "Authorization: Bearer abc"`, repeatable. */
function collectHeader(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const colon = value.indexOf(':');
  const name = value.slice(0, Math.max(colon, 0)).trim();
  const headerValue = value.slice(colon + 1).trim();
  // eslint-disable-next-line no-control-regex
  if (colon <= 0 || !HEADER_NAME.test(name) || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(headerValue)) {
    throw new InvalidArgumentError(
      'write a header as name:value, e.g. --header "Authorization: Bearer $TOKEN"',
    );
  }
  return [...previous, [name, headerValue]];
}

function asUsageError(thrown: unknown): unknown {
  return thrown instanceof HeartbeatError ? new InvalidArgumentError(thrown.message) : thrown;
}

/** A hostile server must not be able to drive the terminal: control characters shown as U+FFFD. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}
