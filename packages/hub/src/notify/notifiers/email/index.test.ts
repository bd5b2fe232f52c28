import type { AddressInfo } from 'node:net';
import { HeartbeatError } from '@heartbeat/sdk';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleMessage } from '../../../testing/sample-message.js';
import { emailNotifier } from './index.js';

const logger = pino({ level: 'silent' });

/** The body as text: quoted-printable soft breaks joined and `=XX` bytes decoded. */
function decodeQuotedPrintable(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? /^[0-9A-F]{2}/.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(joined.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

interface Mail {
  from: string | undefined;
  to: string[];
  raw: string;
  user: string | undefined;
}

describe('e-mail notifier (SMTP)', () => {
  let server: SMTPServer;
  let port: number;
  let mails: Mail[];
  let refuse: boolean;

  beforeEach(async () => {
    mails = [];
    refuse = false;
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'hub' && auth.password === 'pw') callback(null, { user: 'hub' });
        else callback(new Error('invalid login'));
      },
      onRcptTo(address, _session, callback) {
        if (refuse) {
          const error = new Error('no such mailbox') as Error & { responseCode: number };
          error.responseCode = 550;
          callback(error);
        } else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function notifier(user?: string, password?: string) {
    return emailNotifier.create(
      {
        smtp: { host: '127.0.0.1', port, secure: false, ...(user !== undefined && { user, password }) },
        from: 'Heartbeat <heartbeat@example.com>',
        to: ['ops@example.com', 'oncall@example.com'],
      },
      { name: 'mail', logger },
    );
  }

  it('sends the message as text, the title as subject, to every recipient', async () => {
    const message = sampleMessage({
      text: '2 APIs are DOWN\n\n• API /orders/v1 is DOWN — since 2026-11-21T10:00:00.000Z',
    });
    await notifier('hub', 'pw').send(message, AbortSignal.timeout(10_000));
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail).toMatchObject({
      from: 'heartbeat@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      user: 'hub',
    });
    expect(mail!.raw).toMatch(/^Subject: \[Heartbeat\] 2 APIs are DOWN$/m);
    expect(mail!.raw).toMatch(/^X-Heartbeat-Event: trigger$/m);
    expect(decodeQuotedPrintable(mail!.raw)).toContain(
      '• API /orders/v1 is DOWN — since 2026-11-21T10:00:00.000Z',
    );
  });

  it('reports a refused recipient as a permanent failure, and a wrong login clearly', async () => {
    refuse = true;
    const failure = await notifier()
      .send(sampleMessage(), AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HeartbeatError);
    expect((failure as HeartbeatError).message).toMatch(/SMTP 127\.0\.0\.1:\d+: .*no such mailbox/);
    expect((failure as HeartbeatError).details).toMatchObject({ permanent: true });
    refuse = false;
    const login = await notifier('hub', 'wrong')
      .send(sampleMessage(), AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect((login as HeartbeatError).message).toMatch(/invalid login/i);
  });
});
