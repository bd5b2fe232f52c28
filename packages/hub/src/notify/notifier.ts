import type { Logger } from '@heartbeat/sdk';
import type { OptionalSectionNode } from '../config/config-schema.js';
import type { NotificationMessage } from './domain/model.js';

/**
 * One configured receiver: formats a message for its service and sends it. `send` honours the
 * signal (the engine aborts it at the notifier's timeout) and rejects with the reason when the
 * receiver did not take the message; a `HeartbeatError` whose details say `permanent: true` is not
 * retried (a 400 or 404 will not get better).
 */
export interface Notifier {
  readonly name: string;
  readonly type: string;
  send(message: NotificationMessage, signal: AbortSignal): Promise<void>;
  /** Releases connections, if it keeps any. */
  close?(): Promise<void>;
}

export interface NotifierContext {
  /** The notifier's name in the configuration. */
  name: string;
  logger: Logger;
}

/**
 * A kind of notifier: its settings (a section of the YAML, read and documented by the config
 * machinery, errors with file:line) and how to build one. Listed once in `notifiers/index.ts`.
 *
 * @example
 * export const slackNotifier: NotifierType<SlackConfig> = { type: 'slack', schema: SLACK_SCHEMA, create: (config, context) => … };
 */
export interface NotifierType<Config> {
  readonly type: string;
  readonly schema: OptionalSectionNode<Config>;
  create(config: Config, context: NotifierContext): Notifier;
}
