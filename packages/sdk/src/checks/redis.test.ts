import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CheckDefinition, CheckOutcome } from '../core/check.js';
import {
  findClosedPort,
  probeRedis,
  REDIS_URL,
  requireService,
  startLoopbackServer,
} from '../testing/services.js';
import { redisCheck } from './redis.js';

const redisAvailable = await requireService(
  `Redis at ${REDIS_URL}`,
  (signal) => probeRedis(REDIS_URL, signal),
  {
    hint: 'start Redis (no password) or set TEST_REDIS_URL',
  },
);

/** A throwaway self-signed certificate for 127.0.0.1, made for this test run; undefined without openssl. */
function selfSignedCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-redis-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
      ].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } catch (thrown) {
    console.warn(
      `Skipping the rediss:// tests: could not make a certificate with openssl (${String(thrown)})`,
    );
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certificate = selfSignedCertificate();

async function run(
  check: CheckDefinition,
  signal = new AbortController().signal,
): Promise<CheckOutcome | void> {
  return check.run({ signal });
}

/** A fake Redis on loopback that records what it receives and answers with `answer(received)`. */
async function fakeRedis(answer: (socket: Socket, received: string) => void) {
  const received: string[] = [];
  const server = await startLoopbackServer((socket) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      received.push(text);
      answer(socket, text);
    });
  });
  onTestFinished(() => server.close());
  return { ...server, received };
}

describe('redisCheck', () => {
  it('works with no configuration, against a local Redis', () => {
    expect(redisCheck()).toMatchObject({
      componentType: 'datastore',
      measurement: 'responseTime',
      dependency: 'redis://127.0.0.1:6379',
    });
    expect(redisCheck({ url: 'rediss://u:p@cache:6380/2?x=1', timeout: '2s' })).toMatchObject({
      dependency: 'rediss://u:p@cache:6380/2',
      timeout: '2s',
    });
  });

  it('rejects a URL it cannot use when it is created', () => {
    expect(() => redisCheck({ url: 'cache:6379' })).toThrow(/cache:\/\/ is not redis:\/\/ or rediss:\/\//);
    expect(() => redisCheck({ url: 'not a url' })).toThrow(/not an absolute URL/);
    expect(() => redisCheck({ url: 'redis://cache/main' })).toThrow(
      /the path \/main is not a database number/,
    );
    expect(() => redisCheck({ client: {} as never })).toThrow(/ping\(\) method/);
  });

  it('fails with the connect error when nothing listens', async () => {
    const port = await findClosedPort();
    await expect(run(redisCheck({ url: `redis://127.0.0.1:${port}` }))).rejects.toThrow(
      `connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('sends AUTH and SELECT from the URL before PING, in one write', async () => {
    const fake = await fakeRedis((socket, text) => {
      if (text.endsWith('PING\r\n')) socket.write('+OK\r\n+OK\r\n$4\r\nPONG\r\n');
    });
    const outcome = await run(redisCheck({ url: `redis://app:p%40ss%C3%A9@127.0.0.1:${fake.port}/3` }));

    expect(outcome).toMatchObject({ status: 'ok', observedUnit: 'ms' });
    expect(fake.received.at(-1)).toBe(
      '*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\np@ssé\r\n' +
        '*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n' +
        '*1\r\n$4\r\nPING\r\n',
    );
    await expect.poll(() => fake.sockets.size).toBe(0);
  });

  it('reads a reply that arrives in pieces', async () => {
    const fake = await fakeRedis((socket) => {
      socket.write('+PO');
      setImmediate(() => socket.write('NG\r\n'));
    });
    await expect(run(redisCheck({ url: `redis://127.0.0.1:${fake.port}` }))).resolves.toMatchObject({
      status: 'ok',
    });
  });

  it('fails with the error reply, e.g. NOAUTH', async () => {
    const fake = await fakeRedis((socket) => socket.write('-NOAUTH Authentication required.\r\n'));
    await expect(run(redisCheck({ url: `redis://127.0.0.1:${fake.port}` }))).rejects.toThrow(
      `redis at 127.0.0.1:${fake.port} answered PING with NOAUTH Authentication required.`,
    );
  });

  it('fails naming the command whose reply was an error', async () => {
    const fake = await fakeRedis((socket) => socket.write('-WRONGPASS invalid username-password pair\r\n'));
    const failure = run(redisCheck({ url: `redis://:hunter2@127.0.0.1:${fake.port}` }));
    await expect(failure).rejects.toThrow(/answered AUTH with WRONGPASS invalid username-password pair$/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('fails when something other than Redis answers', async () => {
    const fake = await fakeRedis((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await expect(run(redisCheck({ url: `redis://127.0.0.1:${fake.port}` }))).rejects.toThrow(
      /the server answered "HTTP\/1.1 400 Bad Request.*", which is not a Redis reply/,
    );
  });

  it('fails when PING is answered with something other than PONG', async () => {
    const fake = await fakeRedis((socket) => socket.write('+HELLO\r\n'));
    await expect(run(redisCheck({ url: `redis://127.0.0.1:${fake.port}` }))).rejects.toThrow(
      'answered PING with "HELLO", not PONG',
    );
  });

  it('fails when the server hangs up without answering', async () => {
    const fake = await fakeRedis((socket) => socket.destroy());
    await expect(run(redisCheck({ url: `redis://127.0.0.1:${fake.port}` }))).rejects.toThrow(
      `redis at 127.0.0.1:${fake.port} closed the connection before it answered PING`,
    );
  });

  it('closes the connection at once when its signal aborts while the server is silent', async () => {
    const fake = await fakeRedis(() => undefined);
    const controller = new AbortController();
    const outcome = run(redisCheck({ url: `redis://127.0.0.1:${fake.port}` }), controller.signal);
    await expect.poll(() => fake.received.length).toBe(1);

    const abortedAt = performance.now();
    controller.abort(new Error('timed out after 1s'));

    await expect(outcome).rejects.toThrow(
      `gave up waiting for redis at 127.0.0.1:${fake.port} to answer PING: timed out after 1s`,
    );
    expect(performance.now() - abortedAt).toBeLessThan(50);
    await expect.poll(() => fake.sockets.size).toBe(0);
  });

  describe.skipIf(!certificate)('over TLS (rediss://)', () => {
    async function fakeTlsRedis(): Promise<number> {
      const server = createTlsServer({ key: certificate!.key, cert: certificate!.cert }, (socket) => {
        socket.on('error', () => undefined);
        socket.on('data', () => socket.write('+PONG\r\n'));
      });
      const sockets = new Set<Socket>();
      server.on('secureConnection', (socket) => sockets.add(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      onTestFinished(
        () =>
          new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => resolve());
          }),
      );
      return (server.address() as AddressInfo).port;
    }

    it('is ok when the certificate is trusted', async () => {
      const port = await fakeTlsRedis();
      const check = redisCheck({ url: `rediss://127.0.0.1:${port}`, tls: { ca: certificate!.cert } });
      await expect(run(check)).resolves.toMatchObject({ status: 'ok', observedUnit: 'ms' });
    });

    it('fails naming the address when the certificate is not trusted', async () => {
      const port = await fakeTlsRedis();
      await expect(run(redisCheck({ url: `rediss://127.0.0.1:${port}` }))).rejects.toThrow(
        new RegExp(`^127\\.0\\.0\\.1:${port}: .*self-signed certificate`),
      );
    });
  });

  describe('with a client of the service', () => {
    it('is ok when ping() resolves', async () => {
      const check = redisCheck({ client: { ping: () => Promise.resolve('PONG') } });
      expect(check.dependency).toBeUndefined();
      await expect(run(check)).resolves.toMatchObject({ status: 'ok', observedUnit: 'ms' });
    });

    it('fails with the reason ping() failed', async () => {
      const check = redisCheck({
        client: { ping: () => Promise.reject(new Error('Connection is closed.')) },
      });
      await expect(run(check)).rejects.toThrow('redis PING failed: Connection is closed.');
    });

    it('stops waiting when its signal aborts', async () => {
      const check = redisCheck({ client: { ping: () => new Promise(() => undefined) } });
      const controller = new AbortController();
      const outcome = run(check, controller.signal);
      controller.abort(new Error('timed out after 1s'));
      await expect(outcome).rejects.toThrow('gave up waiting for redis to answer PING: timed out after 1s');
    });
  });

  describe.skipIf(!redisAvailable)('against Redis', () => {
    const url = new URL(REDIS_URL);

    it('is ok with the time PING took', async () => {
      const outcome = await run(redisCheck({ url: REDIS_URL }));
      expect(outcome).toMatchObject({ status: 'ok', observedUnit: 'ms' });
      expect((outcome as CheckOutcome).observedValue).toBeGreaterThan(0);
    });

    it('selects the database from the path', async () => {
      url.pathname = '/1';
      await expect(run(redisCheck({ url: url.href }))).resolves.toMatchObject({ status: 'ok' });
      url.pathname = '/100000';
      await expect(run(redisCheck({ url: url.href }))).rejects.toThrow(
        /answered SELECT with ERR DB index is out of range/,
      );
    });

    it.skipIf(url.password !== '')(
      'fails naming AUTH when it sends a password Redis does not expect',
      async () => {
        const withPassword = new URL(REDIS_URL);
        withPassword.password = 'not-the-password';
        await expect(run(redisCheck({ url: withPassword.href }))).rejects.toThrow(
          /answered AUTH with (ERR|WRONGPASS) /,
        );
      },
    );
  });
});
