#!/usr/bin/env node
/**
 * An orders service instrumented with @heartbeat/sdk: a critical PostgreSQL check that declares the
 * database as a dependency, a non-critical Redis check, graceful shutdown, and every health format.
 *
 *   PORT=8080 DATABASE_URL=postgres://… REDIS_URL=redis://… npm run example
 *
 * With HEARTBEAT_HUB (and HEARTBEAT_KEY, a key with the ingest scope) it also pushes heartbeats to
 * a Heartbeat hub, with its health, and says goodbye when it stops.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHealth, createHubAgent, nodeHttpListener, postgresCheck, redisCheck } from '@heartbeat/sdk';
import { pino } from 'pino';

const port = Number(process.env.PORT ?? 8080);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ name: 'orders', level: process.env.LOG_LEVEL ?? 'info' });

const health = createHealth({ service: { name: 'orders', version: '1.0.0' }, logger });

const database = postgresCheck({ connectionString: databaseUrl });
health.addCheck({
  name: 'db',
  ...database,
  critical: true,
  description: 'orders are stored in PostgreSQL',
  runbook: 'https://github.com/heartbeat/heartbeat/blob/main/docs/sdk.md#runbook-example-db',
});
health.addCheck({
  name: 'cache',
  ...redisCheck({ url: redisUrl }),
  critical: false,
  description: 'order summaries are cached in Redis; without it, reads are slower but correct',
});

// The application itself: a tiny in-memory order book, so there is something to keep healthy.
const orders: Array<{ id: number; item: string; at: string }> = [];
function app(request: IncomingMessage, response: ServerResponse): void {
  const json = (status: number, value: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(value));
  };
  if (request.url === '/orders' && request.method === 'GET') return json(200, orders);
  if (request.url === '/orders' && request.method === 'POST') {
    const order = { id: orders.length + 1, item: 'coffee', at: new Date().toISOString() };
    orders.push(order);
    return json(201, order);
  }
  json(404, { error: { code: 'NOT_FOUND', message: `nothing is served at ${request.url ?? '/'}` } });
}

// Push heartbeats to a hub when one is named. The agent joins the shutdown sequence: goodbye on SIGTERM.
if (process.env.HEARTBEAT_HUB) {
  const agent = createHubAgent({
    hub: process.env.HEARTBEAT_HUB,
    key: process.env.HEARTBEAT_KEY,
    service: 'orders',
    health,
    logger,
    interval: process.env.HEARTBEAT_INTERVAL ?? '30s',
    metadata: { appName: 'orders-example', basepaths: ['/orders'] },
    plugins: [{ name: 'orders-book', version: '1.0.0' }],
  });
  agent.setExtInfo(() => ({ orders: String(orders.length) }));
  agent.start();
}

const server = createServer(nodeHttpListener(health, app));
health.attachServer(server);
health.onShutdown(() => database.close(), 'postgres pool');
health.handleSignals();

server.on('error', (error) => {
  logger.fatal({ err: error, port }, `cannot listen on port ${port}; set PORT to a free port`);
  process.exit(1);
});
server.listen(port, () => {
  health.markStarted();
  const base = `http://127.0.0.1:${port}`;
  logger.info(
    { port, database: health.checks()[0]?.dependency, redis: redisUrl },
    `orders service listening on ${base} — try ${base}/ops/heartbeat, ${base}/health, ${base}/readyz?verbose`,
  );
});
