import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  at: number;
}

/** How the receiver answers: a status (200 by default), or `hang` to never answer. */
export type ReceiverAnswer = number | 'hang';

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Changes how the next requests are answered. */
  answer(how: ReceiverAnswer | ((request: ReceivedRequest) => ReceiverAnswer)): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback that records every request: the webhook, Slack or PagerDuty end
 * of a notification test. It can answer 500s or hang, to test retries and timeouts.
 */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let how: (request: ReceivedRequest) => ReceiverAnswer = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        at: Date.now(),
      };
      requests.push(received);
      const answer = how(received);
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(answer < 300 ? '{"ok":true}' : '{"error":"receiver says no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(next) {
      how = typeof next === 'function' ? next : () => next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
