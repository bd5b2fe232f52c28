import { field, optionalSection, requiredField } from '../../../config/config-schema.js';
import { types } from '../../../config/value-types.js';
import type { MessageItem, NotificationMessage } from '../../domain/model.js';
import type { NotifierType } from '../../notifier.js';
import { postJson } from '../post-json.js';

/** Events sent concurrently for one message. */
const EVENTS_AT_ONCE = 5;

export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

export interface PagerDutyConfig {
  routingKey: string;
  url: string;
  severity: (typeof PAGERDUTY_SEVERITIES)[number];
  source: string;
}

/** An Events API v2 event for one subject of a message. */
export function pagerDutyEvent(
  config: PagerDutyConfig,
  message: NotificationMessage,
  item: MessageItem,
): Record<string, unknown> {
  if (message.kind === 'resolve') {
    return { routing_key: config.routingKey, event_action: 'resolve', dedup_key: item.dedupKey };
  }
  const links: { href: string; text: string }[] = [{ href: item.url, text: 'Heartbeat dashboard' }];
  if (item.runbook !== undefined) links.push({ href: item.runbook, text: 'Runbook' });
  return {
    routing_key: config.routingKey,
    event_action: 'trigger',
    dedup_key: item.dedupKey,
    payload: {
      summary: item.summary.slice(0, 1024),
      source: config.source,
      severity: config.severity,
      timestamp: new Date(item.since).toISOString(),
      component: item.subject.id,
      ...(item.subject.service !== undefined && { group: item.subject.service }),
      class: item.condition,
      custom_details: {
        rule: message.rule,
        since: new Date(item.since).toISOString(),
        evidence: item.evidence,
      },
    },
    links,
  };
}

/**
 * PagerDuty Events API v2: one event per subject, keyed by a dedup key that is stable for the life
 * of the condition, so a reminder re-triggers the same incident and the resolve closes it. A test
 * sends a trigger and its resolve, leaving no incident open.
 */
export const pagerdutyNotifier: NotifierType<PagerDutyConfig> = {
  type: 'pagerduty',
  schema: optionalSection<PagerDutyConfig>(
    {
      routingKey: requiredField(types.string({ nonEmpty: true }), {
        doc: "the integration's routing key (Events API v2)",
        redact: () => '***',
      }),
      url: field(types.url(), {
        default: 'https://events.pagerduty.com/v2/enqueue',
        doc: 'the Events API endpoint',
      }),
      severity: field(types.oneOf(PAGERDUTY_SEVERITIES), {
        default: 'critical',
        doc: 'severity of triggers',
      }),
      source: field(types.string({ nonEmpty: true }), { default: 'heartbeat-hub', doc: '`payload.source`' }),
    },
    { doc: 'PagerDuty Events API v2 (trigger and resolve with a stable dedup key)' },
  ),
  create(config, { name }) {
    const post = (event: Record<string, unknown>, signal: AbortSignal) =>
      postJson(config.url, JSON.stringify(event), {}, signal);
    return {
      name,
      type: 'pagerduty',
      async send(message, signal) {
        if (message.kind === 'test') {
          const item: MessageItem = {
            key: 'test',
            condition: 'hub.self_preservation',
            subject: { type: 'hub', id: 'hub' },
            summary: message.title,
            since: message.at,
            evidence: ['a test: nothing is wrong'],
            url: message.dashboardUrl,
            dedupKey: `heartbeat/test/${message.id}`,
          };
          await post({ ...pagerDutyEvent(config, message, item), event_action: 'trigger' }, signal);
          await post(
            { routing_key: config.routingKey, event_action: 'resolve', dedup_key: item.dedupKey },
            signal,
          );
          return;
        }
        // A few at a time, so a grouped message of many subjects fits in the timeout. A retry of the
        // message sends the same events again, which PagerDuty dedups by key.
        for (let start = 0; start < message.items.length; start += EVENTS_AT_ONCE) {
          await Promise.all(
            message.items
              .slice(start, start + EVENTS_AT_ONCE)
              .map((item) => post(pagerDutyEvent(config, message, item), signal)),
          );
        }
      },
    };
  },
};
