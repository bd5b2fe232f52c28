import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { describeError, HeartbeatError, type Logger } from '@heartbeat/sdk';
import { suggest } from '../config/suggest.js';
import type { StoredEvent } from '../domain/events.js';
import type { DeliveryOutcome, NewDelivery, Store } from '../store/store.js';
import { changesFromEvents, currentConditions, type HubState } from './conditions.js';
import { maintenanceWindow, type MaintenanceConfig, type NotifierConfig, type RuleConfig } from './config.js';
import { createDeliveryLoop, type ConfiguredNotifier, type DeliveryLoop } from './delivery-loop.js';
import { AlertBook, type AlertOutput, type IsSilenced } from './domain/alerts.js';
import { Grouper } from './domain/grouping.js';
import {
  activeSpan,
  nextSpan,
  silencingWindow,
  type MaintenanceWindow,
  type WindowSpan,
} from './domain/maintenance.js';
import { buildMessage, testMessage } from './domain/message.js';
import { conditionKey, type AlertState, type ConditionKind, type Rule } from './domain/model.js';
import { NOTIFIER_TYPES, type NotifierTypeName } from './notifiers/index.js';
import type { NotifierType } from './notifier.js';

/** The part of the hub's configuration the engine runs on; re-read on reload. */
export interface NotificationSettings {
  notifiers: NotifierConfig[];
  rules: RuleConfig[];
  maintenance: MaintenanceConfig[];
  notifications: { maxAttempts: number; retention: number };
}

export interface NotificationEngineOptions {
  store: Store;
  logger: Logger;
  state: HubState;
  settings: () => NotificationSettings;
  /** Where links in messages point: `server.publicUrl`, or the hub's own address. */
  publicUrl: () => string;
  /**
   * Whether this hub decides alerts now. In a cluster only the leader evaluates rules (and writes
   * the outbox); every replica delivers, claiming outbox rows with a lease, so each notification is
   * sent once cluster-wide. A replica that becomes leader reloads the stored alert states first.
   * Default: always (a single hub).
   */
  decides?: () => boolean;
  now?: () => number;
  /** How often `for:`, `repeat:`, grouping and maintenance are looked at. Default 1000 ms. */
  tickMs?: number;
  /** How often the outbox is polled for due retries. Default 1000 ms. */
  pollMs?: number;
}

/** What "send test notification" answers. */
export interface TestOutcome {
  delivery: number;
  notifier: string;
  status: 'delivered' | 'failed' | 'pending';
  error?: string;
}

export interface NotificationEngine {
  /** Loads stored alerts, reconciles them with the hub's state now, and starts the timers. */
  start(): Promise<void>;
  /** The event bus listener: queues and returns at once; the work runs after the current tick. */
  handle(events: readonly StoredEvent[]): void;
  /** Applies changed notifiers, rules and maintenance windows. */
  reload(): void;
  sendTest(notifier: string): Promise<TestOutcome>;
  notifiers(): { name: string; type: string; timeoutMs: number; concurrency: number; inFlight: number }[];
  maintenance(now?: number): {
    active: (WindowSpan & { rules: string[] })[];
    upcoming: (WindowSpan & { rules: string[] })[];
  };
  /** Alerts pending or firing now. */
  alerts(): AlertState[];
  /**
   * Attempts that failed within the last `withinMs` (default 15 min), by notifier, with the latest
   * error: what the hub's `notifications` health check reports.
   */
  recentFailures(withinMs?: number): { notifier: string; failures: number; lastError: string; at: number }[];
  /** Writes what is grouped but not sent yet (the next start delivers it), and waits for deliveries in flight. */
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 3_600_000;

function buildNotifiers(configs: readonly NotifierConfig[], logger: Logger): Map<string, ConfiguredNotifier> {
  const built = new Map<string, ConfiguredNotifier>();
  for (const config of configs) {
    for (const type of Object.keys(NOTIFIER_TYPES) as NotifierTypeName[]) {
      const settings = config[type];
      if (settings === undefined) continue;
      const kind = NOTIFIER_TYPES[type] as NotifierType<typeof settings>;
      built.set(config.name, {
        notifier: kind.create(settings, { name: config.name, logger }),
        timeoutMs: config.timeout,
        concurrency: config.concurrency,
      });
    }
  }
  return built;
}

/**
 * The notification engine, the I/O around the pure core in `domain/`: it turns committed events
 * into condition changes, lets the rules decide (with `for:`, `repeat:`, maintenance windows and
 * grouping), writes what to send to the store's outbox together with the alert states it settles,
 * and hands the outbox to the delivery loop. Nothing here runs in the ingest path: events are
 * queued by the bus listener and handled after the current tick.
 *
 * Alert states are stored (not reconstructed): a restart neither sends a trigger twice nor forgets
 * a pending `for:`; conditions that cleared while the hub was down resolve at start.
 */
export function createNotificationEngine(options: NotificationEngineOptions): NotificationEngine {
  const { store, logger, state } = options;
  const now = options.now ?? Date.now;
  const owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  let rules = new Map<string, Rule>();
  let watched = new Set<ConditionKind>();
  let windows: MaintenanceWindow[] = [];
  let notifiers = new Map<string, ConfiguredNotifier>();
  const book = new AlertBook(rules);
  const grouper = new Grouper();
  const waiters = new Map<number, (outcome: DeliveryOutcome) => void>();
  /** Failed attempts, newest last, for the health check; bounded. */
  const failures: { notifier: string; error: string; at: number }[] = [];
  let queue: StoredEvent[] = [];
  let scheduled = false;
  let started = false;
  let stopped = false;
  /** Alert ids whose state still has to be written (held with a group, or a failed write). */
  let carried = new Set<string>();
  let unsaved: NewDelivery[] = [];
  let writing: Promise<void> = Promise.resolve();
  let ticker: NodeJS.Timeout | undefined;
  let pruner: NodeJS.Timeout | undefined;
  const decides = options.decides ?? (() => true);
  /** Whether this hub's alert book is the cluster's: set once it has loaded the stored states. */
  let deciding = false;
  let takingOver: Promise<void> | undefined;

  const silenced: IsSilenced = (rule, subject, at) =>
    silencingWindow(windows, rule, subject, at) !== undefined;

  function configure(): void {
    const settings = options.settings();
    rules = new Map(settings.rules.map((rule) => [rule.name, rule]));
    watched = new Set(settings.rules.flatMap((rule) => rule.when));
    windows = settings.maintenance.map(maintenanceWindow);
    notifiers = buildNotifiers(settings.notifiers, logger);
    book.setRules(rules);
  }
  configure();

  const loop: DeliveryLoop = createDeliveryLoop({
    store,
    logger,
    owner,
    notifiers: () => notifiers,
    maxAttempts: () => options.settings().notifications.maxAttempts,
    now,
    ...(options.pollMs !== undefined && { pollMs: options.pollMs }),
    onOutcome(delivery, outcome) {
      waiters.get(delivery.id)?.(outcome);
      if (outcome.status !== 'delivered' && delivery.kind !== 'test') {
        failures.push({ notifier: delivery.notifier, error: outcome.error, at: outcome.at });
        if (failures.length > 1000) failures.splice(0, failures.length - 1000);
      }
    },
  });

  function add(outputs: readonly AlertOutput[]): void {
    if (outputs.length > 0) grouper.add(outputs);
  }

  function processQueue(): void {
    scheduled = false;
    if (!started || stopped) return;
    const events = queue;
    queue = [];
    if (!deciding) return;
    const at = now();
    try {
      for (const change of changesFromEvents(events, state, watched)) add(book.apply(change, at, silenced));
    } catch (thrown) {
      logger.error({ err: describeError(thrown) }, 'notifications: evaluating events failed');
    }
    flush(at);
  }

  function tick(): void {
    if (!started || stopped) return;
    if (deciding !== decides()) {
      if (deciding) {
        deciding = false; // leadership lost: the new leader reloads the stored states
        logger.info({}, 'notifications: another replica decides alerts now');
      } else {
        // Retried on the next tick when the store does not answer.
        takingOver ??= takeOver()
          .catch((thrown: unknown) =>
            logger.warn({ err: describeError(thrown) }, 'notifications: taking over the alerts failed'),
          )
          .finally(() => (takingOver = undefined));
      }
      return;
    }
    if (!deciding) return;
    const at = now();
    add(book.tick(at, silenced));
    flush(at);
  }

  /** Writes due messages with the alert states they settle, in one store transaction. */
  function flush(at: number, groups = grouper.due(at)): void {
    const deliveries: NewDelivery[] = [];
    const publicUrl = options.publicUrl();
    for (const group of groups) {
      const rule = rules.get(group.rule);
      if (rule === undefined) continue;
      const message = buildMessage(group, { publicUrl, now: at });
      for (const name of rule.notify) {
        if (!notifiers.has(name)) continue;
        deliveries.push({
          notifier: name,
          rule: group.rule,
          kind: group.kind,
          title: message.title,
          message,
          createdAt: at,
          nextAttemptAt: at,
        });
      }
    }
    const held = grouper.heldAlertIds();
    const ids = new Set([...carried, ...book.takeChanged()]);
    carried = new Set();
    const alerts: { rule: string; key: string; state: unknown; updatedAt: number }[] = [];
    const deletedAlerts: { rule: string; key: string }[] = [];
    for (const id of ids) {
      // An alert whose message waits in an open group is stored with that message, not before:
      // a crash in between then fires it again rather than losing it.
      if (held.has(id)) {
        carried.add(id);
        continue;
      }
      const alert = book.alerts.get(id);
      const [rule = '', key = ''] = id.split('\u0000');
      if (alert !== undefined) alerts.push({ rule, key, state: alert, updatedAt: at });
      else deletedAlerts.push({ rule, key });
    }
    const write = { deliveries: [...unsaved, ...deliveries], alerts, deletedAlerts };
    unsaved = [];
    if (write.deliveries.length === 0 && alerts.length === 0 && deletedAlerts.length === 0) return;
    writing = writing
      .then(() => store.recordNotifications(write))
      .then(
        () => {
          if (write.deliveries.length > 0) loop.wake();
        },
        (thrown: unknown) => {
          logger.error(
            { err: describeError(thrown), deliveries: write.deliveries.length },
            'notifications: could not store the outbox; will try again',
          );
          unsaved.push(...write.deliveries);
          for (const id of ids) if (!held.has(id)) carried.add(id);
        },
      );
  }

  /** Loads the stored alert states and reconciles them with the hub's state now; then this hub decides. */
  async function takeOver(): Promise<void> {
    const stored = await store.loadAlertStates();
    if (stopped) return;
    book.alerts.clear();
    book.restore(stored.map((record) => record.state as AlertState));
    book.setRules(rules);
    const at = now();
    const current = currentConditions(state, at);
    const holding = new Set(current.map((change) => conditionKey(change.condition, change.subject)));
    for (const alert of [...book.alerts.values()]) {
      if (holding.has(alert.key)) continue;
      add(
        book.apply(
          {
            condition: alert.condition,
            subject: alert.subject,
            active: false,
            at,
            evidence: { lines: ['cleared while no hub was deciding alerts (stopped, or leadership moving)'] },
          },
          at,
          silenced,
        ),
      );
    }
    for (const change of current) add(book.apply(change, at, silenced));
    deciding = true;
    if (started) flush(at);
  }

  function maintenanceView(at: number) {
    const active: (WindowSpan & { rules: string[] })[] = [];
    const upcoming: (WindowSpan & { rules: string[] })[] = [];
    for (const window of windows) {
      const span = activeSpan(window, at);
      if (span) active.push({ ...span, rules: window.rules });
      const next = nextSpan(window, at);
      if (next) upcoming.push({ ...next, rules: window.rules });
    }
    upcoming.sort((a, b) => a.start - b.start);
    return { active, upcoming };
  }

  return {
    async start() {
      // The hub's start-up retries its steps until the store answers: start once.
      if (started) return;
      if (decides()) await takeOver();
      started = true;
      logger.info(
        { alerts: book.alerts.size, rules: rules.size, notifiers: notifiers.size },
        'notifications: started',
      );
      ticker = setInterval(tick, options.tickMs ?? 1000);
      ticker.unref();
      pruner = setInterval(() => {
        store
          .pruneDeliveries(now() - options.settings().notifications.retention)
          .catch((thrown: unknown) =>
            logger.warn({ err: describeError(thrown) }, 'pruning the delivery log failed'),
          );
      }, PRUNE_EVERY_MS);
      pruner.unref();
      processQueue();
      if (deciding) flush(now());
      loop.wake();
    },

    handle(events) {
      // Before start (the store not reachable yet) nothing is queued: start reconciles with the
      // hub's state as it is then, so the queue cannot grow while the store is away.
      if (!started || stopped || rules.size === 0) return;
      for (const event of events) queue.push(event);
      if (!scheduled) {
        scheduled = true;
        setImmediate(processQueue);
      }
    },

    reload() {
      configure();
      if (started && !stopped && deciding) {
        // A new rule also covers what already holds, from when it started.
        const at = now();
        for (const change of currentConditions(state, at)) add(book.apply(change, at, silenced));
        flush(at);
      }
      logger.info(
        { rules: rules.size, notifiers: notifiers.size, maintenance: windows.length },
        'notifications: reloaded',
      );
    },

    async sendTest(name) {
      const configured = notifiers.get(name);
      if (configured === undefined) {
        const names = [...notifiers.keys()];
        const near = suggest(name, names);
        throw new HeartbeatError(
          'NOT_FOUND',
          `no notifier named "${name}"${near !== undefined ? `; did you mean ${near}?` : names.length > 0 ? `; the notifiers are ${names.join(', ')}` : '; declare one under notifiers: in the configuration'}`,
          { notifier: name, available: names },
        );
      }
      const at = now();
      const message = testMessage(name, { publicUrl: options.publicUrl(), now: at });
      const [row] = await store.recordNotifications({
        deliveries: [
          {
            notifier: name,
            rule: message.rule,
            kind: 'test',
            title: message.title,
            message,
            createdAt: at,
            nextAttemptAt: at,
          },
        ],
      });
      if (row === undefined) throw new HeartbeatError('INTERNAL', 'the test notification was not queued');
      const outcome = await new Promise<DeliveryOutcome | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), configured.timeoutMs + 5000);
        waiters.set(row.id, (result) => {
          clearTimeout(timer);
          resolve(result);
        });
        loop.wake();
      });
      waiters.delete(row.id);
      if (outcome === undefined) return { delivery: row.id, notifier: name, status: 'pending' };
      const result: TestOutcome = { delivery: row.id, notifier: name, status: outcome.status };
      if (outcome.status !== 'delivered') result.error = outcome.error;
      return result;
    },

    notifiers() {
      const busy = loop.inFlight();
      return [...notifiers.entries()].map(([name, configured]) => ({
        name,
        type: configured.notifier.type,
        timeoutMs: configured.timeoutMs,
        concurrency: configured.concurrency,
        inFlight: busy[name] ?? 0,
      }));
    },

    maintenance: (at = now()) => maintenanceView(at),

    alerts: () => [...book.alerts.values()],

    recentFailures(withinMs = 900_000) {
      const since = now() - withinMs;
      const byNotifier = new Map<
        string,
        { notifier: string; failures: number; lastError: string; at: number }
      >();
      for (const failure of failures) {
        if (failure.at < since) continue;
        const entry = byNotifier.get(failure.notifier);
        if (entry === undefined) {
          byNotifier.set(failure.notifier, {
            notifier: failure.notifier,
            failures: 1,
            lastError: failure.error,
            at: failure.at,
          });
        } else {
          entry.failures++;
          entry.lastError = failure.error;
          entry.at = failure.at;
        }
      }
      return [...byNotifier.values()];
    },

    async stop() {
      if (stopped) return;
      clearInterval(ticker);
      clearInterval(pruner);
      if (started) {
        if (queue.length > 0) processQueue();
        flush(now(), grouper.drain());
      }
      stopped = true;
      await writing;
      await loop.stop();
      for (const { notifier } of notifiers.values()) await notifier.close?.();
    },
  };
}
