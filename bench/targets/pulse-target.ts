/**
 * What Pulse probes in the `pulse` scenario: one origin answering every path at once with a small
 * JSON body, the way an API's health endpoint would.
 *
 * Usage: `node pulse-target.js [plain|close|tls <dir with key.pem and cert.pem>]`. `close` ends every
 * connection after its answer, so each probe pays for a new one (the case of many distinct origins);
 * `tls` does the same over HTTPS, so each probe pays for a TLS handshake as well.
 */
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { listenAndAnnounce } from '../lib/serve.js';

const [variant = 'plain', certDir = ''] = process.argv.slice(2);
const closeEach = variant === 'close' || variant === 'tls';
const BODY = '{"status":"UP"}';
const HEADERS = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(BODY)),
  ...(closeEach && { connection: 'close' }),
};

const answer: RequestListener = (_request, response) => {
  response.writeHead(200, HEADERS).end(BODY);
};
const server =
  variant === 'tls'
    ? createHttpsServer(
        { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) },
        answer,
      )
    : createServer(answer);

await listenAndAnnounce(server);
