import { HeartbeatError } from '@heartbeat/sdk';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../../testing/http-receiver.js';
import { sampleMessage } from '../../../testing/sample-message.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook, webhookNotifier } from './index.js';

const logger = pino({ level: 'silent' });

describe('webhook notifier', () => {
  let receiver: HttpReceiver;
  beforeEach(async () => {
    receiver = await startHttpReceiver();
  });
  afterEach(() => receiver.close());

  it('POSTs the message as JSON, signed so the receiver can verify it', async () => {
    const notifier = webhookNotifier.create(
      { url: `${receiver.url}/hook`, secret: 's3cret', headers: { 'x-team': 'ops' } },
      { name: 'ops', logger },
    );
    const message = sampleMessage();
    await notifier.send(message, AbortSignal.timeout(5000));
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hook' });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-team': 'ops',
      'x-heartbeat-event': 'trigger',
      'x-heartbeat-delivery': message.id,
    });
    expect(request!.json).toEqual({ version: 1, notifier: 'ops', ...message });
    const headers = {
      signature: request!.headers[SIGNATURE_HEADER] as string,
      timestamp: request!.headers[TIMESTAMP_HEADER] as string,
    };
    expect(headers.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook('s3cret', headers, request!.body)).toBe(true);
    expect(verifyWebhook('other', headers, request!.body)).toBe(false);
    expect(verifyWebhook('s3cret', headers, request!.body.replace('DOWN', 'UP'))).toBe(false);
    expect(verifyWebhook('s3cret', headers, request!.body, { now: Date.now() + 600_000 })).toBe(false);
  });

  it('sends no signature without a secret', async () => {
    const notifier = webhookNotifier.create({ url: receiver.url, headers: {} }, { name: 'ops', logger });
    await notifier.send(sampleMessage(), AbortSignal.timeout(5000));
    expect(receiver.requests[0]!.headers[SIGNATURE_HEADER]).toBeUndefined();
  });

  it('fails on a 500 (retryable) and a 404 (permanent), saying what the receiver answered', async () => {
    const notifier = webhookNotifier.create({ url: receiver.url, headers: {} }, { name: 'ops', logger });
    receiver.answer(500);
    const failure = await notifier.send(sampleMessage(), AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HeartbeatError);
    expect((failure as HeartbeatError).message).toMatch(/answered HTTP 500: \{"error":"receiver says no"\}/);
    expect((failure as HeartbeatError).details).toMatchObject({ status: 500, permanent: false });
    receiver.answer(404);
    const gone = await notifier.send(sampleMessage(), AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect((gone as HeartbeatError).details).toMatchObject({ status: 404, permanent: true });
  });

  it('gives up on a receiver that hangs when the signal fires', async () => {
    const notifier = webhookNotifier.create({ url: receiver.url, headers: {} }, { name: 'ops', logger });
    receiver.answer('hang');
    const started = Date.now();
    const failure = await notifier.send(sampleMessage(), AbortSignal.timeout(200)).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/no answer before the timeout/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
