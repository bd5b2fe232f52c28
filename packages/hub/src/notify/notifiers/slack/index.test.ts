import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../../testing/http-receiver.js';
import { sampleMessage } from '../../../testing/sample-message.js';
import { slackNotifier } from './index.js';

const logger = pino({ level: 'silent' });

describe('Slack notifier', () => {
  let receiver: HttpReceiver;
  beforeEach(async () => {
    receiver = await startHttpReceiver();
  });
  afterEach(() => receiver.close());

  it('posts text and blocks: a header, one section per subject with its link, evidence and runbook, a context line', async () => {
    const notifier = slackNotifier.create(
      { url: `${receiver.url}/services/T/B/X` },
      { name: 'chat', logger },
    );
    await notifier.send(sampleMessage({ total: 3 }), AbortSignal.timeout(5000));
    const [request] = receiver.requests;
    expect(request!.path).toBe('/services/T/B/X');
    const { text, blocks } = request!.json as { text: string; blocks: any[] };
    expect(text).toBe('2 APIs are DOWN');
    expect(blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '2 APIs are DOWN', emoji: true },
    });
    expect(blocks[1].text.type).toBe('mrkdwn');
    expect(blocks[1].text.text).toContain('*<https://hub.example/apis/orders/v1|API /orders/v1 is DOWN>*');
    expect(blocks[1].text.text).toContain('since <!date^1795255200^');
    expect(blocks[1].text.text).toContain('• success ratio 40.0% over 50 requests, 30 failed');
    expect(blocks[1].text.text).toContain('<https://wiki.example/orders|Runbook>');
    expect(blocks[3].text.text).toBe('… and 1 more');
    expect(blocks[4].elements[0].text).toBe('rule *api-down* · <https://hub.example/|Heartbeat>');
  });

  it('escapes what Slack would read as markup', async () => {
    const notifier = slackNotifier.create({ url: receiver.url }, { name: 'chat', logger });
    const message = sampleMessage();
    message.items[0]!.evidence = ['body <b>oops</b> & more'];
    await notifier.send(message, AbortSignal.timeout(5000));
    expect(receiver.requests[0]!.json.blocks[1].text.text).toContain(
      '• body &lt;b&gt;oops&lt;/b&gt; &amp; more',
    );
  });
});
