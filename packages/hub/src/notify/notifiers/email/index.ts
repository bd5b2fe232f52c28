import { describeError, HeartbeatError } from '@heartbeat/sdk';
import nodemailer from 'nodemailer';
import {
  field,
  optionalField,
  optionalSection,
  requiredField,
  section,
  values,
} from '../../../config/config-schema.js';
import { types } from '../../../config/value-types.js';
import type { NotifierType } from '../../notifier.js';

export interface EmailConfig {
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  from: string;
  to: string[];
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/;

function address() {
  return types.string({
    description: 'e-mail address',
    refine: (value) =>
      ADDRESS.test(value.trim())
        ? { ok: true, value: value.trim() }
        : {
            ok: false,
            problem: 'is not an e-mail address; write it like ops@example.com or "Ops <ops@example.com>"',
          },
  });
}

/** E-mail over SMTP (nodemailer): the message as plain text, the title as the subject. */
export const emailNotifier: NotifierType<EmailConfig> = {
  type: 'email',
  schema: optionalSection<EmailConfig>(
    {
      smtp: section({
        host: field(types.string({ nonEmpty: true }), { default: 'localhost', doc: 'SMTP server' }),
        port: field(types.port(), { default: 587, doc: 'SMTP port (465 with `secure`)' }),
        secure: field(types.boolean(), {
          default: false,
          doc: '`true`: TLS from the start (port 465); `false`: STARTTLS when the server offers it',
        }),
        user: optionalField(types.string({ nonEmpty: true }), { doc: 'login, when the server asks' }),
        password: optionalField(types.string(), { doc: 'password for `user`', redact: () => '***' }),
      }),
      from: requiredField(address(), { doc: 'sender address' }),
      to: values(address(), { default: [], minItems: 1, doc: 'recipients' }),
    },
    { doc: 'e-mail over SMTP' },
  ),
  create(config, { name }) {
    const { host, port, secure, user, password } = config.smtp;
    return {
      name,
      type: 'email',
      async send(message, signal) {
        const transport = nodemailer.createTransport({
          host,
          port,
          secure,
          ...(user !== undefined && { auth: { user, pass: password ?? '' } }),
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000,
        });
        const aborted = new Promise<never>((_resolve, reject) => {
          const onAbort = () =>
            reject(new HeartbeatError('UNAVAILABLE', `SMTP ${host}:${port}: no answer before the timeout`));
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        });
        try {
          await Promise.race([
            transport.sendMail({
              from: config.from,
              to: config.to,
              subject: `[Heartbeat] ${message.title}`,
              text: message.text,
              headers: { 'X-Heartbeat-Event': message.kind, 'X-Heartbeat-Delivery': message.id },
            }),
            aborted,
          ]);
        } catch (thrown) {
          if (thrown instanceof HeartbeatError) throw thrown;
          const code = (thrown as { responseCode?: number }).responseCode;
          throw new HeartbeatError('UNAVAILABLE', `SMTP ${host}:${port}: ${describeError(thrown)}`, {
            // 5xx is the server refusing for good (unknown mailbox, bad login); 4xx says try later.
            permanent: code !== undefined && code >= 500,
          });
        } finally {
          transport.close();
        }
      },
    };
  },
};
