import type { StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';
import type { ApiView } from '../registry/api-registry.js';
import {
  CONDITIONS,
  type ConditionChange,
  type ConditionKind,
  type Evidence,
  type Subject,
} from './domain/model.js';

/** What the engine reads of the hub's state: for evidence, and to reconcile after a restart. */
export interface HubState {
  api(basepath: string): ApiView | undefined;
  apis(): Iterable<ApiView>;
  instance(instanceId: string): InstanceRecord | undefined;
  instances(): Iterable<InstanceRecord>;
  selfPreservation(): { active: boolean; since: number | null; unconfirmed: number };
}

const API_CONDITIONS: Record<string, ConditionKind> = {
  DOWN: 'api.down',
  UNKNOWN: 'api.unknown',
  UP: 'api.up',
};

function percent(ratio: unknown): string {
  return typeof ratio === 'number' ? `${(ratio * 100).toFixed(1)}%` : 'n/a';
}

function seconds(ms: unknown): string {
  if (typeof ms !== 'number') return '?';
  return ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

function apiSubject(basepath: string, view: ApiView | undefined): Subject {
  const subject: Subject = { type: 'api', id: basepath, basepath };
  const definition = view?.definition;
  if (definition?.owner !== undefined) subject.owner = definition.owner;
  if (definition !== undefined) subject.labels = { ...definition.labels };
  return subject;
}

interface FailureLike {
  at: number;
  statusCode: number | null;
  error: string | null;
  source: string;
}

/** The evidence for an API's status: ratio, samples, sources, the last failures, its runbook. */
function apiEvidence(
  data: {
    ratio?: unknown;
    samples?: unknown;
    failures?: unknown;
    threshold?: unknown;
    minSamples?: unknown;
    windowMs?: unknown;
    bySource?: unknown;
    lastFailures?: unknown;
  },
  view: ApiView | undefined,
): Evidence {
  const lines = [
    `success ratio ${percent(data.ratio)} over ${String(data.samples)} requests, ${String(data.failures)} failed ` +
      `(UP at ≥ ${percent(data.threshold)}, at least ${String(data.minSamples)} samples in ${seconds(data.windowMs)})`,
  ];
  const sources = Object.entries((data.bySource ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
  if (sources.length > 0) lines.push(`sources: ${sources.map(([source, n]) => `${source} ${n}`).join(', ')}`);
  const failures = (Array.isArray(data.lastFailures) ? data.lastFailures : []) as FailureLike[];
  if (failures.length > 0) {
    lines.push(
      `last failures: ${failures
        .map(
          (failure) =>
            `${failure.statusCode ?? failure.error ?? 'failed'} (${failure.source}) at ${new Date(failure.at).toISOString()}`,
        )
        .join('; ')}`,
    );
  }
  const evidence: Evidence = { lines };
  const runbook = view?.definition.runbook;
  if (runbook !== undefined) evidence.runbook = runbook;
  return evidence;
}

function viewData(view: ApiView): Parameters<typeof apiEvidence>[0] {
  return {
    ratio: view.ratio,
    samples: view.window.total,
    failures: view.window.failures,
    threshold: view.definition.threshold,
    minSamples: view.definition.minSamples,
    windowMs: view.definition.windowMs,
    bySource: view.window.bySource,
    lastFailures: view.recentFailures.slice(-3),
  };
}

/** Failing checks with their messages, from the instance's last heartbeat. */
function failingChecks(record: InstanceRecord | undefined): string[] {
  const checks = record?.message.checks ?? [];
  return checks
    .filter((check) => check.status !== 'ok')
    .map((check) => `check ${check.name}: ${check.status}${check.message ? ` — ${check.message}` : ''}`);
}

function instanceSubject(instanceId: string, service: string | undefined): Subject {
  const subject: Subject = { type: 'instance', id: instanceId };
  if (service !== undefined) subject.service = service;
  return subject;
}

function lostEvidence(
  record: InstanceRecord | undefined,
  silentForMs: unknown,
  validTimeMs: unknown,
): Evidence {
  const lines = [
    `no heartbeat for ${seconds(silentForMs)} (valid time ${seconds(validTimeMs)})` +
      (record ? `; last at ${new Date(record.lastHeartbeatAt).toISOString()}` : ''),
  ];
  if (record?.message.hostName !== undefined) lines.push(`host ${record.message.hostName}`);
  if (record?.message.status !== undefined && record.message.status !== 'ok') {
    lines.push(`last reported status: ${record.message.status}`);
  }
  lines.push(...failingChecks(record));
  return { lines };
}

/**
 * Condition changes that events imply. API statuses and instance states come straight from their
 * events; "a service has no alive instance" is recomputed for the services the events touch.
 */
export function changesFromEvents(
  events: readonly StoredEvent[],
  state: HubState,
  /** The conditions some rule watches; the others are not computed (a service census is a scan). */
  watched: ReadonlySet<ConditionKind> = new Set(CONDITIONS),
): ConditionChange[] {
  const changes: ConditionChange[] = [];
  const services = new Set<string>();
  for (const event of events) {
    const data = event.data;
    switch (event.kind) {
      case 'api.status_changed': {
        const basepath = event.basepath ?? String(data.basepath);
        const view = state.api(basepath);
        const subject = apiSubject(basepath, view);
        const evidence = apiEvidence(data, view);
        const from = API_CONDITIONS[String(data.from)];
        const to = API_CONDITIONS[String(data.to)];
        if (from !== undefined && from !== to) {
          changes.push({
            condition: from,
            subject,
            active: false,
            at: event.at,
            evidence: { lines: [`now ${String(data.to)}`, ...evidence.lines] },
          });
        }
        if (to !== undefined) changes.push({ condition: to, subject, active: true, at: event.at, evidence });
        break;
      }
      case 'api.removed': {
        const basepath = event.basepath ?? String(data.basepath);
        for (const condition of Object.values(API_CONDITIONS)) {
          changes.push({
            condition,
            subject: apiSubject(basepath, undefined),
            active: false,
            at: event.at,
            evidence: { lines: ['the API was removed'] },
          });
        }
        break;
      }
      case 'instance.lost': {
        if (event.instanceId === undefined) break;
        const record = state.instance(event.instanceId);
        changes.push({
          condition: 'instance.lost',
          subject: instanceSubject(event.instanceId, event.service),
          active: true,
          at: event.at,
          evidence: lostEvidence(record, data.silentForMs, data.validTimeMs),
        });
        if (event.service !== undefined) services.add(event.service);
        break;
      }
      case 'instance.recovered':
      case 'instance.registered':
      case 'instance.stopped':
      case 'instance.removed': {
        if (event.instanceId === undefined) break;
        const why =
          event.kind === 'instance.recovered'
            ? `heartbeats again after ${seconds(data.lostForMs)} lost`
            : event.kind === 'instance.stopped'
              ? 'stopped gracefully'
              : event.kind === 'instance.removed'
                ? 'removed from the registry'
                : 'registered again';
        changes.push({
          condition: 'instance.lost',
          subject: instanceSubject(event.instanceId, event.service),
          active: false,
          at: event.at,
          evidence: { lines: [why] },
        });
        if (event.service !== undefined) services.add(event.service);
        break;
      }
      case 'hub.self_preservation_entered':
        changes.push({
          condition: 'hub.self_preservation',
          subject: { type: 'hub', id: 'hub' },
          active: true,
          at: event.at,
          evidence: {
            lines: [
              `${String(data.silent)} of ${String(data.alive)} alive instances went silent at once; ` +
                'the hub suspects itself or its network and keeps them alive, unconfirmed',
            ],
          },
        });
        break;
      case 'hub.self_preservation_left':
        changes.push({
          condition: 'hub.self_preservation',
          subject: { type: 'hub', id: 'hub' },
          active: false,
          at: event.at,
          evidence: {
            lines: [
              `left after ${seconds(data.durationMs)}; ${String(data.stillSilent)} instances still silent` +
                (data.forced === true ? ' (maximum duration reached)' : ''),
            ],
          },
        });
        break;
      default:
        break;
    }
  }
  if (services.size > 0 && watched.has('service.no_alive_instance'))
    changes.push(...serviceChanges(state, services, events.at(-1)?.at ?? Date.now()));
  return changes.filter((change) => watched.has(change.condition));
}

/** `service.no_alive_instance` for these services (all when undefined): none alive, and some lost. */
export function serviceChanges(
  state: HubState,
  only: ReadonlySet<string> | undefined,
  at: number,
): ConditionChange[] {
  const counts = new Map<string, { alive: number; lost: string[]; stopped: number }>();
  for (const record of state.instances()) {
    if (only !== undefined && !only.has(record.service)) continue;
    let count = counts.get(record.service);
    if (count === undefined) {
      count = { alive: 0, lost: [], stopped: 0 };
      counts.set(record.service, count);
    }
    if (record.state === 'alive') count.alive++;
    else if (record.state === 'lost') count.lost.push(record.instanceId);
    else count.stopped++;
  }
  const changes: ConditionChange[] = [];
  for (const service of only ?? counts.keys()) {
    const count = counts.get(service) ?? { alive: 0, lost: [], stopped: 0 };
    const active = count.alive === 0 && count.lost.length > 0;
    const shown = count.lost.slice(0, 5).join(', ') + (count.lost.length > 5 ? ', …' : '');
    changes.push({
      condition: 'service.no_alive_instance',
      subject: { type: 'service', id: service, service },
      active,
      at,
      evidence: {
        lines: active
          ? [`${count.lost.length} lost (${shown}), ${count.stopped} stopped, none alive`]
          : [`${count.alive} alive`],
      },
    });
  }
  return changes;
}

/** Every condition that holds now, with when it started: what a restarted engine reconciles with. */
export function currentConditions(state: HubState, now: number): ConditionChange[] {
  const changes: ConditionChange[] = [];
  for (const view of state.apis()) {
    const condition = API_CONDITIONS[view.status];
    if (condition === undefined) continue;
    changes.push({
      condition,
      subject: apiSubject(view.definition.basepath, view),
      active: true,
      at: view.since,
      evidence: apiEvidence(viewData(view), view),
    });
  }
  for (const record of state.instances()) {
    if (record.state !== 'lost') continue;
    changes.push({
      condition: 'instance.lost',
      subject: instanceSubject(record.instanceId, record.service),
      active: true,
      at: record.stateChangedAt,
      evidence: lostEvidence(record, now - record.lastHeartbeatAt, undefined),
    });
  }
  for (const change of serviceChanges(state, undefined, now)) if (change.active) changes.push(change);
  const preservation = state.selfPreservation();
  if (preservation.active) {
    changes.push({
      condition: 'hub.self_preservation',
      subject: { type: 'hub', id: 'hub' },
      active: true,
      at: preservation.since ?? now,
      evidence: { lines: [`${preservation.unconfirmed} instances kept alive, unconfirmed`] },
    });
  }
  return changes;
}
