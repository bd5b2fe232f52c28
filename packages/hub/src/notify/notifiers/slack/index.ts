import { optionalSection, requiredField } from '../../../config/config-schema.js';
import { types } from '../../../config/value-types.js';
import type { NotificationMessage } from '../../domain/model.js';
import type { NotifierType } from '../../notifier.js';
import { postJson } from '../post-json.js';

export interface SlackConfig {
  url: string;
}

/** Slack's limits: 50 blocks, 150 characters of header, 3000 of section text. */
const ITEMS_SHOWN = 10;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const EMOJI: Record<NotificationMessage['kind'], string> = {
  trigger: ':red_circle:',
  reminder: ':large_orange_circle:',
  resolve: ':large_green_circle:',
  test: ':white_check_mark:',
};

/**
 * An incoming-webhook payload: `text` (the notification's fallback and push text) and `blocks`: a
 * header, one section per subject (summary linked to its dashboard page, since when, evidence,
 * runbook), a count of the rest, and a context line.
 */
export function slackPayload(message: NotificationMessage): { text: string; blocks: unknown[] } {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150), emoji: true } },
  ];
  for (const item of message.items.slice(0, ITEMS_SHOWN)) {
    const since = Math.floor(item.since / 1000);
    const lines = [
      `${EMOJI[message.kind]} *<${item.url}|${escape(item.summary)}>*`,
      `since <!date^${since}^{date_short_pretty} {time}|${new Date(item.since).toISOString()}>`,
      ...item.evidence.map((line) => `• ${escape(line)}`),
    ];
    if (item.runbook !== undefined) lines.push(`<${item.runbook}|Runbook>`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } });
  }
  const more = message.total - Math.min(message.items.length, ITEMS_SHOWN);
  if (more > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `… and ${more} more` } });
  }
  if (message.kind === 'test') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'This is a test; nothing is wrong.' } });
  }
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: `rule *${escape(message.rule)}* · <${message.dashboardUrl}|Heartbeat>` },
    ],
  });
  return { text: message.title, blocks };
}

/** Slack incoming webhooks. */
export const slackNotifier: NotifierType<SlackConfig> = {
  type: 'slack',
  schema: optionalSection<SlackConfig>(
    {
      url: requiredField(types.url(), {
        doc: 'the incoming webhook URL, `https://hooks.slack.com/services/…`',
        redact: () => '***',
      }),
    },
    { doc: 'a Slack incoming webhook' },
  ),
  create(config, { name }) {
    return {
      name,
      type: 'slack',
      send: (message, signal) => postJson(config.url, JSON.stringify(slackPayload(message)), {}, signal),
    };
  },
};
