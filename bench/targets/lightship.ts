/**
 * lightship 9.0.3 (the last release supporting Node 20) doing the same job: it serves its own port
 * (a Fastify 4 server), so that server is the target. `heartbeat` → `GET /live`; `ops-heartbeat` →
 * `GET /health` after `signalReady()`: lightship has no named checks, so there is no per-check work
 * and no dependency list in its answer (`SERVER_IS_READY`, text).
 */
import type { AddressInfo } from 'node:net';
import { createLightship } from 'lightship';
import { announce, rowArgument } from '../lib/serve.js';
import { ROWS } from './fixtures.js';

rowArgument(ROWS);
const lightship = await createLightship({
  detectKubernetes: false,
  port: 0,
  shutdownDelay: 0,
  signals: [],
});
lightship.signalReady();
announce((lightship.server.address() as AddressInfo).port);
