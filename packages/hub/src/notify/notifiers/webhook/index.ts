import { createHmac, timingSafeEqual } from 'node:crypto';
import { map, optionalField, optionalSection, requiredField } from '../../../config/config-schema.js';
import { types } from '../../../config/value-types.js';
import type { NotifierType } from '../../notifier.js';
import { postJson } from '../post-json.js';

export interface WebhookConfig {
  url: string;
  secret?: string;
  headers: Record<string, string>;
}

export const SIGNATURE_HEADER = 'x-heartbeat-signature';
export const TIMESTAMP_HEADER = 'x-heartbeat-timestamp';

/**
 * `sha256=<hex>`: HMAC-SHA256 with the shared secret over `<timestamp>.<body>`, the timestamp
 * being the `X-Heartbeat-Timestamp` header (Unix seconds). Signing the time with the body lets a
 * receiver refuse a replayed request; docs/notifications.md shows how to verify.
 *
 * @example
 * signWebhook('s3cret', 1795255200, '{"kind":"trigger"}') // 'sha256=9f…'
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute the signature and compare in constant time; refuse old timestamps. */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  { now = Date.now(), toleranceMs = 300_000 }: { now?: number; toleranceMs?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isSafeInteger(timestamp) || Math.abs(now - timestamp * 1000) > toleranceMs) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A generic JSON webhook: the message as JSON, signed when a secret is set. */
export const webhookNotifier: NotifierType<WebhookConfig> = {
  type: 'webhook',
  schema: optionalSection<WebhookConfig>(
    {
      url: requiredField(types.url(), { doc: 'where the JSON is POSTed' }),
      secret: optionalField(types.string({ nonEmpty: true }), {
        doc: 'signs each request: `X-Heartbeat-Signature: sha256=<hmac>` over `<timestamp>.<body>`',
        redact: () => '***',
      }),
      headers: map(types.string({ nonEmpty: true }), types.string(), { doc: 'extra request headers' }),
    },
    { doc: 'a generic JSON webhook, HMAC-signed' },
  ),
  create(config, { name }) {
    return {
      name,
      type: 'webhook',
      async send(message, signal) {
        const body = JSON.stringify({ version: 1, notifier: name, ...message });
        const headers: Record<string, string> = {
          ...config.headers,
          'x-heartbeat-event': message.kind,
          'x-heartbeat-delivery': message.id,
        };
        if (config.secret !== undefined) {
          const timestamp = Math.floor(Date.now() / 1000);
          headers[TIMESTAMP_HEADER] = String(timestamp);
          headers[SIGNATURE_HEADER] = signWebhook(config.secret, timestamp, body);
        }
        await postJson(config.url, body, headers, signal);
      },
    };
  },
};
