import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Health, HealthResponse } from '../health.js';

export interface HeartbeatFastifyOptions {
  health: Health;
}

const READ_METHODS: HTTPMethods[] = ['GET', 'HEAD'];
const OTHER_METHODS: HTTPMethods[] = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A Fastify plugin serving every health route, registered at the root (use `baseRoute`, not a
 * register prefix, to move them). It decorates the instance with `heartbeat`, closes background
 * checks when Fastify closes, and hands Fastify's server to the shutdown sequence.
 *
 * @example
 * await app.register(heartbeatFastify, { health });
 */
export function heartbeatFastify(
  fastify: FastifyInstance,
  options: HeartbeatFastifyOptions,
  done: () => void,
): void {
  const { health } = options;
  const handler = (request: FastifyRequest, reply: FastifyReply): Promise<void> | void => {
    const answer = health.handle({
      method: request.method,
      url: request.url,
      header: (name) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value.join(', ') : value;
      },
      protocol: request.protocol,
    });
    if (answer === undefined) return reply.callNotFound();
    if (answer instanceof Promise) return answer.then((settled) => send(reply, settled));
    send(reply, answer);
  };
  for (const { path, acceptsName } of health.routes.paths) {
    const urls = acceptsName ? [path, `${path === '/' ? '' : path}/*`] : [path];
    for (const url of urls) {
      fastify.route({ method: READ_METHODS, url, handler, exposeHeadRoute: false });
      fastify.route({ method: OTHER_METHODS, url, handler });
    }
  }
  fastify.decorate('heartbeat', health);
  fastify.addHook('onClose', (_instance, hookDone) => {
    health.close();
    hookDone();
  });
  health.attachServer(fastify.server);
  done();
}

function send(reply: FastifyReply, answer: HealthResponse): void {
  void reply.code(answer.status).headers(answer.headers).send(answer.body);
}

// What fastify-plugin would set: no encapsulation, a name in errors, the Fastify versions supported.
Object.assign(heartbeatFastify, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@heartbeat/sdk',
  [Symbol.for('plugin-meta')]: { name: '@heartbeat/sdk', fastify: '>=4' },
});

declare module 'fastify' {
  interface FastifyInstance {
    heartbeat: Health;
  }
}
