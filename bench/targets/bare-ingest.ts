/**
 * The limit for heartbeat ingest: bare node:http doing the least a receiver must do — read the whole
 * body, `JSON.parse` it, answer 204 — and nothing else (no auth, no validation, no storage). It takes
 * single messages and batches alike.
 */
import { createServer } from 'node:http';
import { listenAndAnnounce } from '../lib/serve.js';

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(405, { allow: 'POST' });
    response.end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      response.writeHead(400);
      response.end();
      return;
    }
    response.writeHead(204);
    response.end();
  });
});

await listenAndAnnounce(server);
