import type { Server } from 'node:http';
import type { CheckOptions, CheckResult, NormalizedCheck } from './core/check.js';
import { parseDuration, type Duration } from './core/duration.js';
import type { LifecycleState } from './core/lifecycle.js';
import { createHealthRegistry, type HealthRegistry } from './core/registry.js';
import { machineName, type ServiceInfo } from './core/service-info.js';
import type { HealthResponse } from './formats/response.js';
import {
  createHealthHandler,
  type HealthRequest,
  type HealthRequestHandler,
} from './handler/health-handler.js';
import { resolveRoutes, type HealthRouteOptions, type ResolvedRoutes } from './handler/routes.js';
import {
  createShutdownSequence,
  type ShutdownHook,
  type ShutdownOutcome,
} from './lifecycle/graceful-shutdown.js';
import { silentLogger, type Logger } from './lifecycle/logger.js';

export interface ServiceOptions {
  /** The service's name (default: `$npm_package_name`, else `service`). */
  name?: string;
  /** Default: the hostname. */
  id?: string;
  description?: string;
  version?: string;
  /** Free-form facts shown by `/status`. */
  properties?: Record<string, string>;
}

export interface ShutdownOptions {
  /**
   * How long to keep serving with readiness failed before running hooks, so load balancers and
   * Kubernetes endpoints stop sending traffic. Default 5s inside Kubernetes, 0 elsewhere.
   */
  delay?: Duration;
  /** How long hooks and closing servers may take in all. Default 10s. */
  timeout?: Duration;
  /** Signals that start the sequence when `handleSignals()` is called. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
}

export interface HealthOptions extends HealthRouteOptions {
  service?: ServiceOptions;
  /** Hostname or container name shown as `Machine`; never an IP. Default: the hostname. */
  machine?: string;
  /** Honour `Forwarded` and `X-Forwarded-*` headers; only behind a proxy you trust. Default false. */
  trustProxy?: boolean;
  /** Start already started (no startup phase). Default false: call `markStarted()` when ready. */
  started?: boolean;
  shutdown?: ShutdownOptions;
  /** pino, console, or anything with info/warn/error. Default: silent. */
  logger?: Logger;
  /** The clock, in epoch milliseconds; tests pass a fake one. */
  now?: () => number;
}

/**
 * A service's health: its checks, its lifecycle, and the one handler that answers every health
 * format. Mount it with an adapter (`nodeHttpListener`, `heartbeatExpress`, `heartbeatFastify`,
 * `heartbeatHono`) or serve it on its own port with `createHealthServer`.
 */
export interface Health {
  /** Adds a named check; returns this health for chaining. */
  addCheck(options: CheckOptions): Health;
  removeCheck(name: string): boolean;
  checks(): readonly NormalizedCheck[];
  /** Runs (or reuses the cached result of) every check. */
  runChecks(): Promise<CheckResult[]>;
  /** Declares the service started: startup passes and readiness can pass. */
  markStarted(): void;
  readonly state: LifecycleState;
  readonly service: ServiceInfo;
  readonly routes: ResolvedRoutes;
  readonly registry: HealthRegistry;
  /** The framework-free handler adapters call; undefined for paths that are not health routes. */
  handle: HealthRequestHandler;
  /** The same, on WHATWG `Request`/`Response` (Hono, Bun, Deno, service workers). */
  fetch(request: Request): Promise<Response | undefined>;
  /** Registers work to do on shutdown; hooks run last-registered first. */
  onShutdown(hook: ShutdownHook, name?: string): Health;
  /** Registers a server to close (gracefully) at the end of shutdown. */
  attachServer(server: Server): Health;
  /** Runs the shutdown sequence (once). Does not exit the process. */
  shutdown(reason?: string): Promise<ShutdownOutcome>;
  /**
   * Starts the shutdown sequence on SIGTERM/SIGINT and exits when it ends (0 when clean, 1 if not);
   * a second signal exits at once. Returns a function that removes the handlers.
   */
  handleSignals(options?: { exit?: boolean }): () => void;
  /** Stops background checks without the shutdown sequence (for tests and embedding). */
  close(): void;
}

const DEFAULT_SHUTDOWN_TIMEOUT = '10s';

/**
 * Creates a service's health.
 *
 * @example
 * const health = createHealth({ service: { name: 'orders', version: '1.4.2' } });
 * health.addCheck({ name: 'db', ...postgresCheck({ connectionString }), runbook: 'https://wiki/orders/db' });
 * http.createServer(nodeHttpListener(health, app)).listen(8080, () => health.markStarted());
 * health.handleSignals();
 */
export function createHealth(options: HealthOptions = {}): Health {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const registry = createHealthRegistry({ now });
  const routes = resolveRoutes(options);
  let state: LifecycleState = options.started ? 'ready' : 'starting';
  const machine = machineName(options.machine);
  const service: ServiceInfo = {
    id: options.service?.id ?? machine,
    name: options.service?.name ?? process.env.npm_package_name ?? 'service',
    description: options.service?.description,
    version: options.service?.version ?? process.env.npm_package_version,
    properties: { ...options.service?.properties },
    machine,
    startedAt: now(),
  };
  const inKubernetes = process.env.KUBERNETES_SERVICE_HOST !== undefined;
  const shutdownSequence = createShutdownSequence({
    delayMs: parseDuration(options.shutdown?.delay ?? (inKubernetes ? '5s' : 0), 'shutdown.delay'),
    timeoutMs: parseDuration(options.shutdown?.timeout ?? DEFAULT_SHUTDOWN_TIMEOUT, 'shutdown.timeout'),
    logger,
    onStopping: () => {
      state = 'stopping';
    },
    onStopped: () => {
      state = 'stopped';
      registry.close();
    },
  });
  const signals = options.shutdown?.signals ?? ['SIGTERM', 'SIGINT'];
  const handle = createHealthHandler({
    registry,
    routes,
    service,
    lifecycle: () => state,
    now,
    trustProxy: options.trustProxy ?? false,
  });

  const health: Health = {
    addCheck(check) {
      registry.add(check);
      return health;
    },
    removeCheck: (name) => registry.remove(name),
    checks: () => registry.list(),
    runChecks: () => Promise.resolve(registry.evaluate(registry.list())),
    markStarted() {
      if (state === 'starting') {
        state = 'ready';
        logger.info({ service: service.name }, 'service started: readiness can pass');
      }
    },
    get state() {
      return state;
    },
    service,
    routes,
    registry,
    handle,
    async fetch(request) {
      const url = new URL(request.url);
      const answer = await handle({
        method: request.method,
        url: url.pathname + url.search,
        header: (name) => request.headers.get(name) ?? undefined,
        protocol: url.protocol === 'https:' ? 'https' : 'http',
      });
      return answer && toWebResponse(answer);
    },
    onShutdown(hook, name = `hook ${shutdownHookCount++ + 1}`) {
      shutdownSequence.addHook(name, hook);
      return health;
    },
    attachServer(server) {
      shutdownSequence.addServer(server);
      return health;
    },
    shutdown: (reason = 'shutdown requested') => shutdownSequence.run(reason),
    handleSignals({ exit = true } = {}) {
      const onSignal = (signal: NodeJS.Signals): void => {
        if (shutdownSequence.started) {
          logger.warn({ signal }, 'second signal during shutdown: exiting now');
          if (exit) process.exit(1);
          return;
        }
        void shutdownSequence.run(`received ${signal}`).then((outcome) => {
          if (exit) process.exit(outcome.clean ? 0 : 1);
        });
      };
      for (const signal of signals) process.on(signal, onSignal);
      return () => {
        for (const signal of signals) process.off(signal, onSignal);
      };
    },
    close() {
      registry.close();
    },
  };
  let shutdownHookCount = 0;
  return health;
}

/** Builds a WHATWG Response from a health response. */
export function toWebResponse(answer: HealthResponse): Response {
  return new Response(answer.body === '' ? null : answer.body, {
    status: answer.status,
    headers: answer.headers,
  });
}

export type { HealthRequest, HealthResponse };
