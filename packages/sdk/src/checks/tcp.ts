import type { CheckDefinition } from '../core/check.js';
import type { Duration } from '../core/duration.js';
import { HeartbeatError } from '../errors.js';
import { elapsedMs, formatAddress, openSocket } from './shared.js';

/** Options of `tcpCheck`. */
export interface TcpCheckOptions {
  /** The host name or IP address to connect to. */
  host: string;
  /** The TCP port, 1 to 65535. */
  port: number;
  /** The check's default timeout; the connect attempt is abandoned when it passes. */
  timeout?: Duration;
}

/**
 * A check that opens a TCP connection and closes it again: `ok` with the connect time in ms, `error`
 * with the reason the connection failed, e.g. `connect ECONNREFUSED 127.0.0.1:5999`.
 *
 * @example
 * health.addCheck({ name: 'smtp', ...tcpCheck({ host: 'mail.internal', port: 25 }), critical: false });
 */
export function tcpCheck(options: TcpCheckOptions): CheckDefinition {
  const { host, port } = options;
  if (typeof host !== 'string' || host === '') {
    throw new HeartbeatError('VALIDATION_FAILED', 'tcpCheck needs a host', { field: 'host', value: host });
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `tcpCheck port ${String(port)} is not between 1 and 65535`,
      {
        field: 'port',
        value: port,
      },
    );
  }
  const address = formatAddress(host, port);
  const definition: CheckDefinition = {
    componentType: 'component',
    measurement: 'responseTime',
    dependency: `tcp://${address}`,
    run: async function runTcpCheck({ signal }) {
      const startedAt = performance.now();
      const socket = await openSocket({ host, port }, signal);
      const connectMs = elapsedMs(startedAt);
      socket.destroy();
      return {
        status: 'ok',
        message: `connected to ${address}`,
        observedValue: connectMs,
        observedUnit: 'ms',
      };
    },
  };
  if (options.timeout !== undefined) definition.timeout = options.timeout;
  return definition;
}
