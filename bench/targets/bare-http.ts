/**
 * The limit: bare node:http doing what the SDK's answer needs and nothing more, written the way one
 * would by hand. `/heartbeat` sends the very bytes and headers the SDK sends; `/ops/heartbeat`
 * builds a body of the SDK's shape per request from five cached dependency entries. Like the SDK,
 * it sends a Content-Length rather than chunked framing.
 */
import { createServer, type ServerResponse } from 'node:http';
import { listenAndAnnounce, rowArgument } from '../lib/serve.js';
import { CHECKS, JSON_HEADERS, MACHINE, ROWS, cachedDependency } from './fixtures.js';

const row = rowArgument(ROWS);
const dependencies = CHECKS.map((check) => cachedDependency(check.dependency));

const server =
  row === 'heartbeat'
    ? createServer((request, response) => {
        if (request.url !== '/heartbeat') return notFound(response);
        sendJson(response, 200, JSON.stringify(new Date().toISOString()));
      })
    : createServer((request, response) => {
        if (request.url !== '/ops/heartbeat') return notFound(response);
        const startedAt = performance.now();
        const now = Date.now();
        const Dependencies = dependencies.map((dependency) => dependency(now));
        const body = {
          Status: 'OK',
          URL: `http://${request.headers.host ?? MACHINE}${request.url}`,
          Machine: MACHINE,
          UtcDateTime: new Date(now).toISOString(),
          RequestDuration: Math.round((performance.now() - startedAt) * 1000) / 1000,
          Dependencies,
        };
        sendJson(response, 200, JSON.stringify(body));
      });

function sendJson(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}

function notFound(response: ServerResponse): void {
  sendJson(response, 404, '{"error":"not found"}');
}

await listenAndAnnounce(server);
