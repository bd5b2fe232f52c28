import { describe, expect, it, onTestFinished } from 'vitest';
import { findClosedPort, startLoopbackServer } from '../testing/services.js';
import { tcpCheck } from './tcp.js';

describe('tcpCheck', () => {
  it('describes itself for /health', () => {
    const check = tcpCheck({ host: '127.0.0.1', port: 5432, timeout: '2s' });
    expect(check).toMatchObject({
      componentType: 'component',
      measurement: 'responseTime',
      dependency: 'tcp://127.0.0.1:5432',
      timeout: '2s',
    });
    expect(tcpCheck({ host: '::1', port: 80 }).dependency).toBe('tcp://[::1]:80');
    expect(tcpCheck({ host: 'db', port: 1 })).not.toHaveProperty('timeout');
  });

  it('rejects a missing host or a bad port when it is created', () => {
    expect(() => tcpCheck({ host: '', port: 80 })).toThrow(/needs a host/);
    expect(() => tcpCheck({ host: 'db', port: 0 })).toThrow(/port 0 is not between 1 and 65535/);
    expect(() => tcpCheck({ host: 'db', port: 70000 })).toThrow(/port 70000/);
  });

  it('is ok with the connect time when something listens, and closes its connection', async () => {
    const server = await startLoopbackServer();
    onTestFinished(() => server.close());
    let accepted = 0;
    server.server.on('connection', () => accepted++);

    const outcome = await tcpCheck({ host: '127.0.0.1', port: server.port }).run({
      signal: new AbortController().signal,
    });

    expect(outcome).toMatchObject({
      status: 'ok',
      message: `connected to 127.0.0.1:${server.port}`,
      observedUnit: 'ms',
    });
    expect(outcome && outcome.observedValue).toBeGreaterThanOrEqual(0);
    await expect.poll(() => accepted).toBe(1);
    await expect.poll(() => server.sockets.size).toBe(0);
  });

  it('fails with the connect error when nothing listens', async () => {
    const port = await findClosedPort();
    await expect(
      Promise.resolve(tcpCheck({ host: '127.0.0.1', port }).run({ signal: new AbortController().signal })),
    ).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('gives up and destroys the socket when its signal aborts', async () => {
    const server = await startLoopbackServer();
    onTestFinished(() => server.close());
    const controller = new AbortController();

    const run = Promise.resolve(tcpCheck({ host: '127.0.0.1', port: server.port }).run(controller));
    controller.abort(new Error('timed out after 1s'));

    await expect(run).rejects.toThrow(`gave up connecting to 127.0.0.1:${server.port}: timed out after 1s`);
    await expect.poll(() => server.sockets.size).toBe(0);
  });

  it('does not connect at all when the signal has already aborted', async () => {
    const server = await startLoopbackServer();
    onTestFinished(() => server.close());
    let accepted = 0;
    server.server.on('connection', () => accepted++);

    await expect(
      Promise.resolve(
        tcpCheck({ host: '127.0.0.1', port: server.port }).run({ signal: AbortSignal.abort() }),
      ),
    ).rejects.toThrow(/gave up connecting/);
    expect(accepted).toBe(0);
  });
});
