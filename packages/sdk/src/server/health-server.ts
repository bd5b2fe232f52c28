import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HeartbeatError } from '../errors.js';
import type { Health } from '../health.js';
import { nodeHttpListener } from '../adapters/node-http.js';

/** Where the standalone health server listens, as pip-services' `connection.*` parameters. */
export interface HealthServerConnection {
  /** `http` (default) or `https`. */
  protocol?: 'http' | 'https';
  /** Default `0.0.0.0`, so the kubelet can reach it on the pod IP. */
  host?: string;
  /** Default 9000; 0 picks a free port. */
  port?: number;
  /** All of it in one: `https://0.0.0.0:9443`. Overrides the fields above. */
  uri?: string;
}

export interface HealthServerOptions {
  connection?: HealthServerConnection;
  /** PEM key and certificate, required for https. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
}

export interface HealthServer {
  /** Starts listening; resolves with the URL it listens on. */
  start(): Promise<{ url: string }>;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
  readonly server: Server;
}

export const HEALTH_SERVER_DEFAULTS = { protocol: 'http', host: '0.0.0.0', port: 9000 } as const;

/**
 * A health server of its own, for processes that serve no HTTP otherwise (queue workers, cron
 * runners): every health endpoint on its own port, over http or https. It joins the shutdown
 * sequence, so it keeps answering liveness until the very end.
 *
 * @example
 * const server = createHealthServer(health, { connection: { port: 9000 } });
 * await server.start();
 */
export function createHealthServer(health: Health, options: HealthServerOptions = {}): HealthServer {
  const { protocol, host, port } = resolveConnection(options.connection);
  if (protocol === 'https' && !options.tls) {
    throw new HeartbeatError('VALIDATION_FAILED', 'an https health server needs tls.key and tls.cert', {
      field: 'tls',
    });
  }
  const listener = nodeHttpListener(health);
  const server: Server =
    protocol === 'https' ? createHttpsServer({ ...options.tls }, listener) : createHttpServer(listener);
  health.attachServer(server);
  return {
    server,
    start() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `${protocol}://${shownHost}:${address.port}` });
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Fills in defaults and reads `uri` when given. */
export function resolveConnection(
  connection: HealthServerConnection = {},
): Required<Omit<HealthServerConnection, 'uri'>> {
  if (connection.uri !== undefined) {
    let url: URL;
    try {
      url = new URL(connection.uri);
    } catch {
      throw new HeartbeatError(
        'VALIDATION_FAILED',
        `connection.uri ${JSON.stringify(connection.uri)} is not a URI`,
        {
          field: 'connection.uri',
        },
      );
    }
    const protocol = url.protocol.slice(0, -1);
    if (protocol !== 'http' && protocol !== 'https') {
      throw new HeartbeatError(
        'VALIDATION_FAILED',
        `connection.uri must be http:// or https://, not ${url.protocol}`,
        {
          field: 'connection.uri',
        },
      );
    }
    return {
      protocol,
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80,
    };
  }
  const protocol = connection.protocol ?? HEALTH_SERVER_DEFAULTS.protocol;
  if (protocol !== 'http' && protocol !== 'https') {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `connection.protocol must be http or https, not ${String(protocol)}`,
      {
        field: 'connection.protocol',
      },
    );
  }
  const port = connection.port ?? HEALTH_SERVER_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new HeartbeatError('VALIDATION_FAILED', `connection.port must be 0 to 65535, not ${String(port)}`, {
      field: 'connection.port',
    });
  }
  return { protocol, host: connection.host ?? HEALTH_SERVER_DEFAULTS.host, port };
}

/**
 * Reads pip-services style flat parameters (`connection.protocol`, `connection.host`,
 * `connection.port`, `connection.uri`) into options.
 *
 * @example
 * healthServerOptionsFromConfig({ 'connection.protocol': 'http', 'connection.port': '8080' })
 */
export function healthServerOptionsFromConfig(
  params: Record<string, string | number | undefined>,
): HealthServerOptions {
  const connection: HealthServerConnection = {};
  const protocol = params['connection.protocol'];
  if (protocol !== undefined) connection.protocol = String(protocol) as 'http' | 'https';
  if (params['connection.host'] !== undefined) connection.host = String(params['connection.host']);
  const port = params['connection.port'];
  if (port !== undefined) {
    connection.port = Number(port);
    if (String(port).trim() === '' || Number.isNaN(connection.port)) {
      throw new HeartbeatError(
        'VALIDATION_FAILED',
        `connection.port ${JSON.stringify(port)} is not a number`,
        {
          field: 'connection.port',
        },
      );
    }
  }
  if (params['connection.uri'] !== undefined) connection.uri = String(params['connection.uri']);
  return { connection };
}
