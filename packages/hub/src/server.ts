import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHealth, describeError, eventLoopDelayCheck, type Health, type Logger } from '@heartbeat/sdk';
import { createKeyRing } from './auth/api-keys.js';
import { createClusterNode, newReplicaId, type ClusterNode } from './cluster/cluster-node.js';
import { apiDefinitionsFromConfig } from './config/api-config.js';
import type { HubConfig } from './config/hub-config.js';
import type { FlagValues } from './config/load-hub-config.js';
import { needsRestart, watchHubConfig, type HubConfigWatcher } from './config/watch-hub-config.js';
import { createEventBus } from './events/event-bus.js';
import { createHubListener } from './http/hub-app.js';
import type { HubContext } from './http/hub-context.js';
import type { ApiDefinition, Observation } from './domain/api.js';
import { createPulseSchedulerInWorker } from './pulse/scheduler-in-worker.js';
import { createHubMetrics } from './metrics/hub-metrics.js';
import { createApiRegistry } from './registry/api-registry.js';
import type { ProbeResultRecord } from './store/store.js';
import { createGroupCommitter } from './registry/group-committer.js';
import { createInstanceRegistry } from './registry/instance-registry.js';
import { createNotificationEngine } from './notify/engine.js';
import { openStore } from './store/open-store.js';

const PRUNE_EVERY_MS = 3_600_000;
const STORE_RETRY_MAX_MS = 10_000;
/** The leader waits this long past a lease's deadline for a beat another replica accepted in time. */
const CLUSTER_EXPIRY_GRACE_MS = 200;

export interface StartHubOptions {
  config: HubConfig;
  logger: Logger;
  /**
   * The YAML file the configuration came from, with the flags and env it was read with: the hub
   * then reloads it when it changes (and on `reloadConfig()`, which the CLI calls on SIGHUP).
   */
  configSource?: {
    file: string;
    flags?: Partial<FlagValues>;
    env?: Readonly<Record<string, string | undefined>>;
  };
  /** Called once with a freshly created admin key, when the hub had none. Default: print to stderr. */
  onBootstrapKey?: (token: string) => void;
}

/** A running hub. */
export interface RunningHub {
  url: string;
  port: number;
  server: Server;
  health: Health;
  context: HubContext;
  /** Resolves once the store is reachable and the registry loaded (the hub is ready). */
  ready: Promise<void>;
  /** Reads the configuration file again and applies what can change without a restart. */
  reloadConfig(): Promise<void>;
  /** Stops everything, in the reverse order it started. */
  stop(reason?: string): Promise<void>;
}

export const HUB_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The composition root: reads nothing itself — it is given the configuration — then builds the
 * store, the key ring, the committer, the registry and the HTTP API, starts them, and stops them
 * in reverse order. An unreachable store at start-up is not fatal: the hub serves, `/readyz`
 * answers 503 with the reason, and it keeps trying until the store answers.
 */
export async function startHub({
  config,
  logger,
  configSource,
  onBootstrapKey = printBootstrapKey,
}: StartHubOptions): Promise<RunningHub> {
  const startedAt = Date.now();
  const store = openStore(config.store, config.data);
  const events = createEventBus();
  const metrics = createHubMetrics();
  // Cluster mode on PostgreSQL (one replica or many); SQLite serves one hub and none of it runs.
  const replicaId = store.kind === 'postgres' ? newReplicaId() : undefined;
  let cluster: ClusterNode | undefined;
  // Until it has joined, a replica decides nothing: another may lead already.
  const decides = () => replicaId === undefined || (cluster?.isLeader ?? false);
  const committer = createGroupCommitter({
    store,
    logger,
    ...(replicaId !== undefined && { replica: replicaId }),
    // In a cluster, events reach the streams through the change log, in commit order across replicas
    // (from the moment the replica starts reading it: nothing committed before is lost or doubled).
    onCommitted: (stored) => (replicaId === undefined ? events.publish(stored) : cluster?.poke()),
    onCommitTimed: (durationMs, committed) =>
      metrics.storeCommits.observe([committed ? 'committed' : 'failed'], durationMs / 1000),
  });
  const registry = createInstanceRegistry({
    store,
    committer,
    logger,
    validTimeMs: config.instances.validTime,
    retentionMs: config.instances.retention,
    selfPreservation: config.instances.selfPreservation,
    ...(replicaId !== undefined && {
      decides,
      expiryGraceMs: () => ((cluster?.live.length ?? 0) > 1 ? CLUSTER_EXPIRY_GRACE_MS : 0),
    }),
  });
  // Pulse: every result is an observation (source pulse) and a probe-history record, sent in batches.
  let pulseObservations: Observation[] = [];
  let probeResults: ProbeResultRecord[] = [];
  // In a worker thread: a probe's TLS handshake costs ~1.8 ms of CPU, which in the API's own thread
  // doubled its p99 with thousands of HTTPS targets (bench/README.md, scenario pulse).
  const pulse = createPulseSchedulerInWorker({
    logger,
    onResult(basepath, outcome, startedAt) {
      metrics.probes.inc([basepath, outcome.ok ? 'ok' : 'failed']);
      metrics.probeDuration.observe([basepath], outcome.durationMs / 1000);
      const failedExpectation = !outcome.ok && outcome.error === undefined;
      pulseObservations.push({
        basepath,
        durationMs: outcome.durationMs,
        timestamp: startedAt,
        source: 'pulse',
        // An answer that missed its expectations is a failure whatever its status code.
        ...(outcome.error !== undefined || failedExpectation
          ? { error: outcome.error ?? `expectation: ${outcome.detail ?? 'not met'}` }
          : { statusCode: outcome.statusCode ?? 200 }),
      });
      probeResults.push({
        basepath,
        at: startedAt,
        ok: outcome.ok,
        statusCode: outcome.statusCode ?? null,
        error: outcome.error ?? null,
        durationMs: outcome.durationMs,
        detail: outcome.detail ?? null,
      });
    },
  });
  const pulseFlush = setInterval(() => {
    if (pulseObservations.length === 0 && probeResults.length === 0) return;
    const observations = pulseObservations;
    const results = probeResults;
    pulseObservations = [];
    probeResults = [];
    const ingested = apis.ingest(observations);
    metrics.observations.inc(['pulse', 'accepted'], ingested.accepted);
    if (ingested.rejected > 0) metrics.observations.inc(['pulse', 'rejected'], ingested.rejected);
    ingested.stored.catch(() => {});
    committer.submit({ probeResults: results }).catch(() => {});
  }, 100);
  pulseFlush.unref();
  const apis = createApiRegistry({
    store,
    committer,
    logger,
    autoRegister: () => context.config.autoRegister,
    onDefinitionsChanged: (definitions) => pulse.sync(ownTargets(definitions)),
    ...(replicaId !== undefined && { replica: replicaId, decides }),
  });
  /** In a cluster, each probe runs on one replica: the Pulse targets this one owns. */
  function ownTargets(definitions: readonly ApiDefinition[]): readonly ApiDefinition[] {
    if (replicaId === undefined) return definitions;
    const node = cluster;
    return node ? definitions.filter((api) => api.pulse?.enabled && node.owns(api.basepath)) : [];
  }
  const keys = createKeyRing({ store, logger, adminKey: config.auth.adminKey });
  let ownUrl = '';
  const notifications = createNotificationEngine({
    store,
    logger,
    decides,
    state: {
      api: (basepath) => apis.view(basepath),
      apis: () => apis.views(),
      instance: (instanceId) => registry.get(instanceId),
      instances: () => registry.all(),
      selfPreservation: () => registry.selfPreservation,
    },
    settings: () => config,
    publicUrl: () => config.server.publicUrl ?? ownUrl,
  });
  events.subscribe((stored) => notifications.handle(stored));
  const context: HubContext = {
    config,
    store,
    committer,
    apis,
    registry,
    keys,
    events,
    notifications,
    logger,
    metrics,
    startedAt,
    version: HUB_VERSION,
    cluster: () => cluster,
  };

  let storeReady = false;
  let storeProblem = 'connecting to the store';
  const health = createHealth({ service: { name: 'heartbeat-hub', version: HUB_VERSION }, logger });
  health.addCheck({
    name: 'store',
    description: `the hub's ${store.kind} store answers and accepts writes`,
    dependency:
      store.kind === 'postgres'
        ? store.location
        : `file://${store.location.startsWith('/') ? '' : '/'}${store.location}`,
    componentType: 'datastore',
    timeout: '2s',
    cache: '250ms',
    run: async () => {
      if (!storeReady) return { status: 'error', message: storeProblem };
      await store.ping();
      if (!committer.healthy)
        return { status: 'error', message: `writes are failing: ${committer.lastError ?? 'unknown'}` };
    },
  });
  health.addCheck({
    name: 'self-preservation',
    critical: false,
    description: 'not suspecting itself of being cut off from the instances',
    run: () => {
      const state = registry.selfPreservation;
      return state.active
        ? {
            status: 'warning',
            message: `self-preservation since ${new Date(state.since ?? 0).toISOString()}: ${state.unconfirmed} instances unconfirmed`,
          }
        : undefined;
    },
  });
  health.addCheck({
    name: 'notifications',
    critical: false,
    description: 'notifications reach their receivers',
    run: () => {
      const failing = notifications.recentFailures();
      if (failing.length === 0) return undefined;
      return {
        status: 'warning',
        message: failing
          .map(
            (f) => `${f.failures} attempts to ${f.notifier} failed in the last 15 min, last: ${f.lastError}`,
          )
          .join('; '),
      };
    },
  });
  if (replicaId !== undefined) {
    health.addCheck({
      name: 'cluster',
      description: 'this replica renews its lease and follows what the other replicas commit',
      timeout: '1s',
      run: () => {
        if (!cluster) return { status: 'error', message: 'not joined yet' };
        const problem = cluster.problem();
        return problem === undefined ? undefined : { status: 'error', message: problem };
      },
    });
  }
  const loop = eventLoopDelayCheck({ warnMs: 100, errorMs: 1000 });
  health.addCheck({ name: 'event-loop', ...loop, critical: false, interval: '5s' });

  const server = createServer(createHubListener(context, health));
  server.keepAliveTimeout = 65_000; // longer than the usual load balancer idle timeout
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const url = `http://${shownHost}:${port}`;
  ownUrl = url;
  logger.info({ url, store: store.location, kind: store.kind }, `hub listening on ${url}`);

  let stopping = false;
  const ready = (async () => {
    let delay = 250;
    for (;;) {
      try {
        await store.migrate();
        // Read before loading: a change committed meanwhile is then read again, which is harmless
        // (replicated records and counts are applied idempotently), never missed.
        const fromSeq = replicaId !== undefined ? await store.lastChangeSeq() : 0;
        await registry.load();
        await apis.load();
        if (replicaId !== undefined && !cluster) {
          const node = createClusterNode({
            store,
            logger,
            replicaId,
            url: replicaUrl(config.server.host, url, port),
            version: HUB_VERSION,
            startedAt,
            leaseMs: replicaLeaseMs(config.instances.validTime),
            onChanges: (changes) => {
              for (const change of changes) {
                if (change.replica !== replicaId) {
                  apis.applyReplicated(change);
                  registry.applyReplicated(change);
                }
                if (change.events.length > 0) events.publish(change.events);
              }
            },
            onMembershipChanged: () => pulse.sync(ownTargets(apis.definitions())),
          });
          await node.start(fromSeq);
          cluster = node;
          pulse.sync(ownTargets(apis.definitions()));
        }
        await apis.syncDeclared(apiDefinitionsFromConfig(config, Date.now()));
        apis.start();
        await notifications.start();
        const token = await keys.bootstrap();
        if (token) onBootstrapKey(token);
        storeReady = true;
        health.markStarted();
        logger.info({ store: store.location }, 'hub ready');
        return;
      } catch (thrown) {
        if (stopping) return;
        storeProblem = `cannot use the store at ${store.location}: ${describeError(thrown)}`;
        logger.error({ retryInMs: delay }, `${storeProblem}; the hub is not ready and keeps trying`);
        await sleep(delay);
        delay = Math.min(STORE_RETRY_MAX_MS, delay * 2);
      }
    }
  })();

  const prune = setInterval(() => {
    const now = Date.now();
    const longestWindow = Math.max(0, ...apis.definitions().map((api) => api.windowMs));
    Promise.all([
      store.pruneEvents(now - config.events.retention),
      store.pruneRemovedInstances(now - config.events.retention),
      store.compactApiHistory({
        minutesBefore: now - config.apiHistory.minuteRetention,
        deleteBefore: now - config.apiHistory.retention,
        bucketsBefore: now - longestWindow - 60_000,
      }),
    ])
      .then(([events, instances, apiRows]) => {
        if (events + instances + apiRows > 0) {
          logger.info({ events, instances, apiRows }, 'pruned and downsampled history past its retention');
        }
      })
      .catch((thrown: unknown) =>
        logger.warn({ err: describeError(thrown) }, 'pruning history failed; will try again'),
      );
  }, PRUNE_EVERY_MS);
  prune.unref();

  /** Applies a reloaded configuration: the settings that can change live; the rest is logged. */
  function applyConfig(next: HubConfig, changed: string[]): void {
    const later = needsRestart(changed);
    if (later.length > 0)
      logger.warn(
        { settings: later },
        'these settings changed in the file but take effect only after a restart',
      );
    config.apis = next.apis;
    config.autoRegister = next.autoRegister;
    config.apiHistory = next.apiHistory;
    config.badges = next.badges;
    config.auth.publicRead = next.auth.publicRead;
    Object.assign(config.instances.selfPreservation, next.instances.selfPreservation);
    config.log.level = next.log.level;
    config.notifiers = next.notifiers;
    config.rules = next.rules;
    config.maintenance = next.maintenance;
    config.notifications = next.notifications;
    notifications.reload();
    if ('level' in logger) (logger as { level: string }).level = next.log.level;
    apis
      .syncDeclared(apiDefinitionsFromConfig(config, Date.now()))
      .then((result) => logger.info({ settings: changed, apis: result }, 'configuration reloaded'))
      .catch((thrown: unknown) =>
        logger.error(
          { err: describeError(thrown) },
          'configuration reloaded, but the API changes could not be stored',
        ),
      );
  }

  let watcher: HubConfigWatcher | undefined;
  if (configSource) {
    watcher = watchHubConfig({
      file: configSource.file,
      flags: configSource.flags,
      env: configSource.env ?? process.env,
      current: config,
      logger,
      onChange: (next, changed) => applyConfig(next.config, changed),
      onInvalid: (error) =>
        logger.error(
          { problems: (error.details as { problems?: unknown } | undefined)?.problems },
          `configuration change rejected; still running the previous configuration:\n${error.message}`,
        ),
    });
  }

  let stopped: Promise<void> | undefined;
  async function stop(reason = 'stop requested'): Promise<void> {
    stopping = true;
    logger.info({ reason }, 'hub stopping');
    watcher?.close();
    await health.shutdown(reason); // readiness fails first; the configured delay passes
    clearInterval(prune);
    events.close();
    await closeHttpServer(server, 5000);
    registry.stop();
    clearInterval(pulseFlush);
    await pulse.stop();
    apis.stop();
    await notifications.stop();
    await committer
      .flush()
      .catch((thrown: unknown) =>
        logger.error({ err: describeError(thrown) }, 'last writes could not be stored before stopping'),
      );
    committer.close();
    await cluster?.stop();
    loop.close();
    metrics.close();
    await store.close();
    logger.info({}, 'hub stopped');
  }

  return {
    url,
    port,
    server,
    health,
    context,
    ready,
    reloadConfig: () => watcher?.reload() ?? Promise.resolve(),
    stop: (reason) => (stopped ??= stop(reason)),
  };
}

/**
 * How long a replica's lease lasts: a quarter of the instances' valid time (so a dead replica's Pulse
 * probes move well within it), at least 2 s (renewals every lease/4 must not crowd the store) and at
 * most 10 s.
 */
export function replicaLeaseMs(validTimeMs: number): number {
  return Math.min(10_000, Math.max(2000, Math.floor(validTimeMs / 4)));
}

/** The URL other people reach this replica at: its host name when it listens on every interface. */
function replicaUrl(host: string, url: string, port: number): string {
  return host === '0.0.0.0' || host === '::' ? `http://${hostname()}:${port}` : url;
}

/** Stops accepting, lets requests finish, ends event streams and idle connections, cuts the rest at the deadline. */
function closeHttpServer(server: Server, withinMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const reaper = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), withinMs);
    server.close(() => {
      clearInterval(reaper);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function printBootstrapKey(token: string): void {
  process.stderr.write(
    [
      '',
      '  No API key existed, so the hub created an admin key. It is shown only this once:',
      '',
      `      ${token}`,
      '',
      '  Keep it somewhere safe. Send it as "Authorization: Bearer <key>".',
      '  Create narrower keys with:  heartbeat keys create --scope ingest --name my-agents',
      '',
      '',
    ].join('\n'),
  );
}
