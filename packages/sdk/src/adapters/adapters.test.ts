import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createHealthServer } from '../server/health-server.js';
import { heartbeatExpress } from './express.js';
import { heartbeatFastify } from './fastify.js';
import { runHealthEndpointSuite, type MountedServer } from './health-endpoints.case.js';
import { heartbeatHono } from './hono.js';
import { nodeHttpListener } from './node-http.js';

function closeable(server: Server): MountedServer {
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server): Promise<MountedServer> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(closeable(server))));
}

runHealthEndpointSuite(
  'node:http',
  (health) =>
    listen(
      createServer(
        nodeHttpListener(health, (request, response) => {
          response
            .writeHead(request.url === '/app' ? 200 : 404)
            .end(request.url === '/app' ? 'app' : 'not found');
        }),
      ),
    ),
  { servesApp: true },
);

runHealthEndpointSuite(
  'Express',
  (health) => {
    const app = express();
    app.use(heartbeatExpress(health));
    app.get('/app', (_request, response) => {
      response.send('app');
    });
    return listen(createServer(app));
  },
  { servesApp: true },
);

runHealthEndpointSuite(
  'Fastify',
  async (health) => {
    const app = Fastify();
    await app.register(heartbeatFastify, { health });
    app.get('/app', () => 'app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const mounted = closeable(app.server);
    return { baseUrl: mounted.baseUrl, close: () => app.close() };
  },
  { servesApp: true },
);

runHealthEndpointSuite(
  'Hono',
  (health) => {
    const app = new Hono();
    app.use(heartbeatHono(health));
    app.get('/app', (context) => context.text('app'));
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(closeable(server as Server)),
      );
    });
  },
  { servesApp: true },
);

runHealthEndpointSuite(
  'the standalone health server',
  async (health) => {
    const server = createHealthServer(health, { connection: { host: '127.0.0.1', port: 0 } });
    const { url } = await server.start();
    return { baseUrl: url, close: () => server.stop() };
  },
  { servesApp: false },
);
