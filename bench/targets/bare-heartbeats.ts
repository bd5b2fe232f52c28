/**
 * The limit for `GET /v1/heartbeats`: bare node:http answering with the hub's headers and a body
 * serialized once at start-up — the same entries the hub holds for the `hub-apis` scenario
 * (`lib/api-observations.ts`), filtered by `status` and `basepath` as the hub filters them, each
 * distinct answer serialized on first use and kept. What is left is what any server pays to send
 * that many bytes; the hub's extra is building and serializing the list per request.
 *
 * Usage: `node bare-heartbeats.js <apis>`.
 */
import { createServer } from 'node:http';
import { expectedHeartbeats } from '../lib/api-observations.js';
import { listenAndAnnounce } from '../lib/serve.js';

const apis = Number(process.argv[2] ?? 10_000);
const entries = expectedHeartbeats(apis);
const answers = new Map<string, string>([['|', JSON.stringify(entries)]]);

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const status = url.searchParams.get('status')?.toUpperCase() ?? '';
  const basepath = url.searchParams.get('basepath') ?? '';
  const key = `${status}|${basepath}`;
  let body = answers.get(key);
  if (body === undefined) {
    body = JSON.stringify(
      entries.filter((e) => (!status || e.status === status) && (!basepath || e.basepath === basepath)),
    );
    answers.set(key, body);
  }
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(body);
});

await listenAndAnnounce(server);
