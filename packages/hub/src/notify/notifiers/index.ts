import type { NotifierType } from '../notifier.js';
import { emailNotifier } from './email/index.js';
import { pagerdutyNotifier } from './pagerduty/index.js';
import { slackNotifier } from './slack/index.js';
import { webhookNotifier } from './webhook/index.js';

/**
 * Every kind of notifier, by the key that names it in the YAML (`notifiers: [{ name, slack: {…} }]`).
 * Adding one is a folder under `notifiers/` and a line here (CONTRIBUTING.md, "Add a notifier").
 */
export const NOTIFIER_TYPES = {
  webhook: webhookNotifier,
  slack: slackNotifier,
  pagerduty: pagerdutyNotifier,
  email: emailNotifier,
} as const;

export type NotifierTypeName = keyof typeof NOTIFIER_TYPES;

type ConfigOf<T> = T extends NotifierType<infer Config> ? Config : never;

/** One optional section per notifier type; a notifier sets exactly one. */
export type NotifierSettings = {
  [K in NotifierTypeName]?: ConfigOf<(typeof NOTIFIER_TYPES)[K]>;
};
