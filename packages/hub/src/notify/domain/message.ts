import type { AlertOutput } from './alerts.js';
import type { OutputGroup } from './grouping.js';
import type { ConditionKind, MessageItem, NotificationMessage, Subject } from './model.js';

/** How many subjects a grouped message lists; the rest are counted. */
export const MESSAGE_ITEMS_SHOWN = 20;

const WHAT: Record<ConditionKind, { one: string; many: string; cleared: string }> = {
  'api.down': { one: 'is DOWN', many: 'APIs are DOWN', cleared: 'is no longer DOWN' },
  'api.unknown': { one: 'is UNKNOWN', many: 'APIs are UNKNOWN', cleared: 'is no longer UNKNOWN' },
  'api.up': { one: 'is UP', many: 'APIs are UP', cleared: 'is no longer UP' },
  'instance.lost': { one: 'is lost', many: 'instances are lost', cleared: 'is back' },
  'service.no_alive_instance': {
    one: 'has no alive instance',
    many: 'services have no alive instance',
    cleared: 'has an alive instance again',
  },
  'hub.self_preservation': {
    one: 'is in self-preservation',
    many: 'hubs are in self-preservation',
    cleared: 'left self-preservation',
  },
};

/** `API /orders/v1`, `instance i-1 (orders)`, `service orders`, `the hub`. */
export function describeSubject(subject: Subject): string {
  switch (subject.type) {
    case 'api':
      return `API ${subject.id}`;
    case 'instance':
      return `instance ${subject.id}${subject.service !== undefined ? ` (${subject.service})` : ''}`;
    case 'service':
      return `service ${subject.id}`;
    case 'hub':
      return 'the hub';
  }
}

/** The dashboard page of a subject under `publicUrl`. */
export function subjectUrl(publicUrl: string, subject: Subject): string {
  const base = publicUrl.replace(/\/+$/, '');
  switch (subject.type) {
    case 'api':
      return `${base}/apis${subject.id === '/' ? '/' : subject.id}`;
    case 'instance':
      return `${base}/instances/${encodeURIComponent(subject.id)}`;
    case 'service':
      return `${base}/services/${encodeURIComponent(subject.id)}`;
    case 'hub':
      return `${base}/`;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function itemOf(output: AlertOutput, publicUrl: string): MessageItem {
  const { alert } = output;
  const what = WHAT[alert.condition];
  const verb = output.kind === 'resolve' ? what.cleared : what.one;
  const item: MessageItem = {
    key: alert.key,
    condition: alert.condition,
    subject: alert.subject,
    summary: `${capitalize(describeSubject(alert.subject))} ${verb}`,
    since: alert.since,
    evidence: output.kind === 'resolve' ? (output.evidence ?? []) : alert.evidence.lines,
    url: subjectUrl(publicUrl, alert.subject),
    dedupKey: `heartbeat/${output.rule.name}/${alert.key}`,
  };
  const runbook = alert.evidence.runbook ?? output.rule.runbook;
  if (runbook !== undefined) item.runbook = runbook;
  return item;
}

const PREFIX: Record<AlertOutput['kind'], string> = {
  trigger: '',
  reminder: 'STILL: ',
  resolve: 'RESOLVED: ',
};

/**
 * The message for a group: what changed, since when, the evidence, the runbook and the dashboard
 * links, for the first `MESSAGE_ITEMS_SHOWN` subjects; a count for the rest.
 *
 * @example
 * buildMessage(group, { publicUrl: 'https://hub.example', now: Date.now() }).title // 'API /orders/v1 is DOWN'
 */
export function buildMessage(
  group: OutputGroup,
  { publicUrl, now }: { publicUrl: string; now: number },
): NotificationMessage {
  const total = group.outputs.length;
  const items = group.outputs.slice(0, MESSAGE_ITEMS_SHOWN).map((output) => itemOf(output, publicUrl));
  const first = items[0];
  const conditions = new Set(group.outputs.map((output) => output.alert.condition));
  const [only] = conditions;
  let title: string;
  if (total === 1 && first !== undefined) title = first.summary;
  else if (conditions.size === 1 && only !== undefined) {
    title = `${total} ${group.kind === 'resolve' ? resolvedMany(only) : WHAT[only].many}`;
  } else title = `${total} conditions of rule ${group.rule}`;
  title = PREFIX[group.kind] + title;
  const lines = [title, ''];
  for (const item of items) {
    lines.push(`• ${item.summary} — since ${iso(item.since)}`);
    for (const evidence of item.evidence) lines.push(`    ${evidence}`);
    if (item.runbook !== undefined) lines.push(`    runbook: ${item.runbook}`);
    lines.push(`    ${item.url}`);
  }
  if (total > items.length) lines.push(`… and ${total - items.length} more`);
  lines.push('', `rule ${group.rule} · ${iso(now)}`);
  return {
    id: `${group.rule}/${group.kind}/${first?.key ?? 'none'}/${group.openedAt}`,
    kind: group.kind,
    rule: group.rule,
    title,
    text: lines.join('\n'),
    at: now,
    total,
    items,
    dashboardUrl: `${publicUrl.replace(/\/+$/, '')}/`,
  };
}

function resolvedMany(condition: ConditionKind): string {
  switch (condition) {
    case 'instance.lost':
      return 'instances are back';
    case 'service.no_alive_instance':
      return 'services have an alive instance again';
    case 'hub.self_preservation':
      return 'hubs left self-preservation';
    default:
      return `APIs are no longer ${condition.slice(4).toUpperCase()}`;
  }
}

/** A message for "send test notification": says so, and changes nothing. */
export function testMessage(
  notifier: string,
  { publicUrl, now }: { publicUrl: string; now: number },
): NotificationMessage {
  const title = `Test notification from Heartbeat to ${notifier}`;
  const message: NotificationMessage = {
    id: `test/${notifier}/${now}`,
    kind: 'test',
    rule: '(test)',
    title,
    text: `${title}\n\nIf you can read this, the notifier "${notifier}" works.\n${publicUrl.replace(/\/+$/, '')}/`,
    at: now,
    total: 0,
    items: [],
    dashboardUrl: `${publicUrl.replace(/\/+$/, '')}/`,
  };
  return message;
}
