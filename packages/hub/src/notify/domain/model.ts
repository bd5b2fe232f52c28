/**
 * The words of notifications, shared by the pure core (rules, maintenance, grouping, messages) and
 * the engine that feeds it events and delivers what it decides.
 */

/** What a rule can watch for. Each holds for a while, then clears. */
export const CONDITIONS = [
  'api.down',
  'api.unknown',
  'api.up',
  'instance.lost',
  'service.no_alive_instance',
  'hub.self_preservation',
] as const;
export type ConditionKind = (typeof CONDITIONS)[number];

/** What a condition is about: an API, an instance, a service or the hub itself. */
export interface Subject {
  type: 'api' | 'instance' | 'service' | 'hub';
  /** The basepath, instance id, service name, or `hub`. */
  id: string;
  service?: string;
  basepath?: string;
  owner?: string;
  labels?: Record<string, string>;
}

/** Why a condition holds, for people: short lines, plus the runbook when one is known. */
export interface Evidence {
  lines: string[];
  runbook?: string;
}

/** A condition started (or still holds, with fresher evidence) or cleared, at a time. */
export interface ConditionChange {
  condition: ConditionKind;
  subject: Subject;
  active: boolean;
  at: number;
  evidence: Evidence;
}

/** Which subjects a rule or a maintenance window covers; an empty list means any. */
export interface Selector {
  /** Globs: `/orders/*`. */
  basepath: string[];
  service: string[];
  owner: string[];
  /** Every one must be equal on the subject. */
  labels: Record<string, string>;
}

/** One `rules:` entry. Durations in ms. */
export interface Rule {
  name: string;
  when: ConditionKind[];
  /** The condition must hold this long before the rule fires (flap damping). */
  for: number;
  /** Remind this often while it still holds; unset: never. */
  repeat?: number;
  /** Send a message when it clears. */
  resolved: boolean;
  /** Notifications of one rule within this long go out as one (`0`: each at once). */
  group: number;
  match: Selector;
  /** Notifier names. */
  notify: string[];
  /** Used when the API has none of its own. */
  runbook?: string;
}

/**
 * One rule's view of one condition on one subject: pending until `for` has passed, then fired.
 * This is what is stored, so a restart neither fires twice nor forgets what is pending.
 */
export interface AlertState {
  rule: string;
  /** `<condition>:<subject id>`, stable for the life of the condition. */
  key: string;
  condition: ConditionKind;
  subject: Subject;
  /** When the condition started to hold. */
  since: number;
  /** When the trigger was sent; null while pending. */
  firedAt: number | null;
  /** When the trigger or last reminder was sent. */
  lastSentAt: number | null;
  evidence: Evidence;
}

export type NotificationKind = 'trigger' | 'reminder' | 'resolve' | 'test';

/** One thing a notification is about. */
export interface MessageItem {
  key: string;
  condition: ConditionKind;
  subject: Subject;
  /** `API /orders/v1 is DOWN`. */
  summary: string;
  since: number;
  evidence: string[];
  runbook?: string;
  /** The dashboard page of the subject. */
  url: string;
  /** Stable for the life of the condition (PagerDuty's dedup_key). */
  dedupKey: string;
}

/** A rendered notification: what every notifier formats for its receiver. Stored in the outbox as JSON. */
export interface NotificationMessage {
  id: string;
  kind: NotificationKind;
  rule: string;
  /** `API /orders/v1 is DOWN`, `RESOLVED: 12 instances are lost`. */
  title: string;
  /** The whole message as plain text. */
  text: string;
  at: number;
  /** How many subjects it covers; `items` lists the first few. */
  total: number;
  items: MessageItem[];
  /** The dashboard's front page. */
  dashboardUrl: string;
}

/** The key that identifies one rule's alert on one subject. */
export function alertId(rule: string, key: string): string {
  return `${rule}\u0000${key}`;
}

/** `<condition>:<subject id>`. */
export function conditionKey(condition: ConditionKind, subject: Pick<Subject, 'id'>): string {
  return `${condition}:${subject.id}`;
}
