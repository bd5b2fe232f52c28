import { InvalidArgumentError, Option } from 'commander';
import {
  CREATE_INGEST_KEY,
  createHubAgent,
  formatDuration,
  HeartbeatError,
  HUB_AGENT_DEFAULTS,
  parseDuration,
  parseHealthUrl,
  probeHealthUrl,
  type CheckStatus,
  type InstanceStatusReport,
  type Logger,
  type StatusSource,
} from '@heartbeat/sdk';
import type { CommandRegistrar } from '../program.js';

interface AgentCommandOptions {
  hub?: string;
  key?: string;
  service?: string;
  healthUrl?: URL;
  interval: number;
  timeout: number;
  instanceId?: string;
  version?: string;
  appName?: string;
  appType?: string;
  basepath?: string[];
  ext?: Record<string, string>;
}

const EXAMPLES = `
Each beat probes --health-url (any format: /readyz, /health, /ops/heartbeat, /_system/check,
Spring Boot Actuator, …) and reports its status and checks. An unreachable health URL is reported
as status error with a check named health-url: the instance is alive but unhealthy, and the hub
still gets its beats. Without --health-url the beats carry no status.

The key is better passed in HEARTBEAT_KEY than on the command line, where ps shows it. Create one
with: ${CREATE_INGEST_KEY}

Stops on SIGTERM or SIGINT: says goodbye to the hub (the instance becomes stopped, not lost) and
exits 0. A second signal exits at once.

Exit codes:
  0  stopped by SIGTERM or SIGINT after saying goodbye
  2  usage error (missing --hub, --key or --service, bad URL, bad duration)

Examples:
  $ HEARTBEAT_KEY=hb_… heartbeat agent --hub http://hub:8900 --service billing \\
      --health-url http://127.0.0.1:8080/actuator/health --version 3.2.0 --basepath /eni/billing

  Kubernetes (a sidecar container in the pod of a service not written in Node):
    - name: heartbeat-agent
      image: node:20-alpine
      command: ["npx", "-y", "@heartbeat/cli", "agent", "--service", "billing",
                "--health-url", "http://127.0.0.1:8080/health"]
      env:
        - { name: HEARTBEAT_HUB, value: "http://heartbeat-hub:8900" }
        - { name: HEARTBEAT_KEY, valueFrom: { secretKeyRef: { name: heartbeat, key: ingest } } }
`;

/**
 * `heartbeat agent`: the sidecar for services not written in Node. Pushes heartbeats to the hub
 * for a service, with the status of its health URL, until SIGTERM or SIGINT.
 *
 * @example
 * $ heartbeat agent --hub http://hub:8900 --key $KEY --service billing --health-url http://127.0.0.1:8080/health
 */
export const agentCommand: CommandRegistrar = (program, context) => {
  // createProgram enables positional options, so the agent's own `--version <v>` is not the program's.
  return program
    .command('agent')
    .description('push heartbeats to the hub for a service not written in Node (a sidecar)')
    .addOption(
      new Option('--hub <url>', 'the hub, route prefix included: http://hub:8900')
        .env('HEARTBEAT_HUB')
        .argParser(parseHubOption),
    )
    .addOption(new Option('--key <key>', 'a hub key with the ingest scope').env('HEARTBEAT_KEY'))
    .option('--service <name>', 'the service this instance belongs to')
    .addOption(
      new Option('--health-url <url>', "the service's health endpoint, probed at every beat").argParser(
        parseUrlOption,
      ),
    )
    .addOption(
      new Option('--interval <duration>', 'how often to beat: at least 1s')
        .default(HUB_AGENT_DEFAULTS.intervalMs, formatDuration(HUB_AGENT_DEFAULTS.intervalMs))
        .argParser(parseIntervalOption),
    )
    .addOption(
      new Option('--timeout <duration>', 'how long a request to the hub or the health URL may take')
        .default(HUB_AGENT_DEFAULTS.timeoutMs, formatDuration(HUB_AGENT_DEFAULTS.timeoutMs))
        .argParser(parseTimeoutOption),
    )
    .option('--instance-id <id>', 'default: <service>-<hostname>-<pid>-<random>')
    .option('--version <version>', "the service's version")
    .option('--app-name <name>', 'the application name shown by the hub')
    .option('--app-type <type>', 'the application type, e.g. java, go, python')
    .addOption(
      new Option(
        '--basepath <path>',
        'an API this instance serves, e.g. /eni/billing; repeat for more',
      ).argParser(collectBasepath),
    )
    .addOption(
      new Option('--ext <key=value>', 'extra information sent with every beat; repeat for more').argParser(
        collectExt,
      ),
    )
    .addHelpText('after', EXAMPLES)
    .action(async (options: AgentCommandOptions) => {
      const { hub, key, service } = requiredOptions(options);
      const logger = lineLogger(context.err);
      const agent = createHubAgent({
        hub,
        key,
        service,
        interval: options.interval,
        timeout: options.timeout,
        ...(options.instanceId !== undefined && { instanceId: options.instanceId }),
        ...(options.healthUrl && {
          statusSource: probingStatusSource(options.healthUrl, options.timeout, logger),
        }),
        metadata: {
          ...(options.version !== undefined && { version: options.version }),
          ...(options.appName !== undefined && { appName: options.appName }),
          ...(options.appType !== undefined && { appType: options.appType }),
          ...(options.basepath && { basepaths: options.basepath }),
        },
        logger,
      });
      if (options.ext) {
        const ext = options.ext;
        agent.setExtInfo(() => ext);
      }
      const health = options.healthUrl
        ? `, health from ${options.healthUrl.href}`
        : ', no --health-url: beats carry no status';
      logger.info(
        {},
        `heartbeat agent: beating as ${agent.instanceId} (service ${service}) to ${hub} every ${formatDuration(options.interval)}${health}`,
      );
      agent.start();
      const signal = await untilSignal(() => {
        logger.error({}, 'heartbeat agent: second signal: exiting without waiting for the goodbye');
        process.exit(1);
      });
      logger.info({ signal }, `heartbeat agent: received ${signal}: saying goodbye`);
      await agent.stop();
      context.setOutcome('ok');
    });
};

/** `--hub`, `--key` and `--service` are required; say how to give each. */
function requiredOptions(options: AgentCommandOptions): { hub: string; key: string; service: string } {
  const missing = (what: string): HeartbeatError => new HeartbeatError('VALIDATION_FAILED', what);
  if (options.hub === undefined) {
    throw missing('the hub is missing: pass --hub http://hub:8900 or set HEARTBEAT_HUB');
  }
  if (options.key === undefined || options.key === '') {
    throw missing(
      `the key is missing: set HEARTBEAT_KEY (or pass --key); create one with \`${CREATE_INGEST_KEY}\``,
    );
  }
  if (options.service === undefined || options.service.trim() === '') {
    throw missing('the service is missing: pass --service <name>, e.g. --service billing');
  }
  return { hub: options.hub, key: options.key, service: options.service };
}

/**
 * Probes the health URL at every beat. No answer is `error` with a `health-url` check saying why;
 * an answer without checks of its own becomes one `health-url` check with its message.
 */
function probingStatusSource(url: URL, timeoutMs: number, logger: Logger): StatusSource {
  let previous: CheckStatus | undefined;
  return async function probeHealthUrlForBeat({ signal }): Promise<InstanceStatusReport> {
    const result = await probeHealthUrl(url, { timeout: timeoutMs, signal });
    const message = result.format === 'none' ? `${result.message} (${url.href})` : result.message;
    const checks =
      result.checks && result.checks.length > 0
        ? result.checks
        : [{ name: 'health-url', status: result.status, message }];
    if (result.status !== previous) {
      const line = `heartbeat agent: the health URL says ${result.status}: ${printable(message)}`;
      if (result.status === 'ok' || previous === undefined) logger.info({ status: result.status }, line);
      else logger.warn({ status: result.status }, line);
      previous = result.status;
    }
    return { status: result.status, checks };
  };
}

/** Resolves with the first SIGTERM or SIGINT; a second one calls `onSecond`. Keeps the process alive meanwhile. */
function untilSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    // The agent's timers are unref'd so they never hold an application open; the sidecar is the application.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const onSignal = (signal: NodeJS.Signals): void => {
      clearInterval(keepAlive);
      process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
      process.once('SIGTERM', onSecond).once('SIGINT', onSecond);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  });
}

/** One plain line per event on stderr: time, level, message. */
function lineLogger(write: (text: string) => void): Logger {
  const line =
    (level: 'info' | 'warn' | 'error') =>
    (_object: object, message = ''): void =>
      write(`${new Date().toISOString()} ${level.padEnd(5)} ${printable(message)}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

function parseHubOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL; write it like http://hub:8900`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`"${value}" is not an http or https URL; write it like http://hub:8900`);
  }
  return value;
}

function parseUrlOption(value: string): URL {
  try {
    return parseHealthUrl(value);
  } catch (thrown) {
    throw asUsageError(thrown);
  }
}

function parseIntervalOption(value: string): number {
  const ms = parseDurationOption(value, 'interval');
  if (ms < HUB_AGENT_DEFAULTS.minIntervalMs) {
    throw new InvalidArgumentError(
      `the interval must be at least 1s (got ${formatDuration(ms)}); write it like 30s`,
    );
  }
  return ms;
}

function parseTimeoutOption(value: string): number {
  const ms = parseDurationOption(value, 'timeout');
  if (ms <= 0)
    throw new InvalidArgumentError('the timeout must be longer than 0; write it like 500ms, 2s or 1m');
  return ms;
}

function parseDurationOption(value: string, field: string): number {
  try {
    return parseDuration(value, field);
  } catch (thrown) {
    throw asUsageError(thrown);
  }
}

/** SPEC.md §5: a basepath starts with `/`, at most 256 characters of `A-Za-z0-9._~/-`. */
const BASEPATH = /^\/[A-Za-z0-9._~/-]{0,255}$/;

function collectBasepath(value: string, previous: string[] = []): string[] {
  if (!BASEPATH.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" is not a basepath; write it like /eni/billing (a leading /, then letters, digits, . _ ~ / -)`,
    );
  }
  const trimmed = value.length > 1 ? value.replace(/\/+$/, '') || '/' : value;
  return previous.includes(trimmed) ? previous : [...previous, trimmed];
}

function collectExt(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals <= 0)
    throw new InvalidArgumentError('write extra information as key=value, e.g. --ext region=eu-west-1');
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
}

function asUsageError(thrown: unknown): unknown {
  return thrown instanceof HeartbeatError ? new InvalidArgumentError(thrown.message) : thrown;
}

/** A hostile health endpoint must not be able to drive the terminal: control characters shown as U+FFFD. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}
