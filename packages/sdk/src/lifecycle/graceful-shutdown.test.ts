import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createShutdownSequence } from './graceful-shutdown.js';
import { silentLogger } from './logger.js';

function sequence(overrides: Partial<Parameters<typeof createShutdownSequence>[0]> = {}) {
  const states: string[] = [];
  const run = createShutdownSequence({
    delayMs: 0,
    timeoutMs: 1000,
    logger: silentLogger,
    onStopping: () => states.push('stopping'),
    onStopped: () => states.push('stopped'),
    ...overrides,
  });
  return { run, states };
}

describe('the shutdown sequence', () => {
  it('fails readiness first, waits the delay, runs hooks last-registered first, then stops', async () => {
    const order: string[] = [];
    const { run, states } = sequence({ delayMs: 50 });
    run.addHook('pool', () => order.push('pool'));
    run.addHook('consumer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push('consumer');
    });
    const started = performance.now();
    const outcome = await run.run('test');
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    expect(order).toEqual(['consumer', 'pool']);
    expect(states).toEqual(['stopping', 'stopped']);
    expect(outcome).toMatchObject({ clean: true, failures: [] });
  });

  it('runs once, however often it is asked', async () => {
    let runs = 0;
    const { run } = sequence();
    run.addHook('count', () => void runs++);
    const [a, b] = await Promise.all([run.run('one'), run.run('two')]);
    expect(a).toBe(b);
    expect(runs).toBe(1);
  });

  it('reports a hook that throws or overruns, and still finishes within the timeout', async () => {
    const { run } = sequence({ timeoutMs: 100 });
    run.addHook('late', () => new Promise(() => {}));
    run.addHook('broken', () => {
      throw new Error('flush failed');
    });
    const started = performance.now();
    const outcome = await run.run('test');
    expect(performance.now() - started).toBeLessThan(400);
    expect(outcome.clean).toBe(false);
    expect(outcome.failures).toEqual(['broken: flush failed', 'late: did not finish within 100ms']);
  });

  it('lets an in-flight request finish before the server closes', async () => {
    const server = createServer((_request, response) => {
      setTimeout(() => response.end('finished'), 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { run } = sequence();
    run.addServer(server);
    const body = new Promise<string>((resolve, reject) => {
      httpRequest({ port, host: '127.0.0.1', path: '/' }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await run.run('test');
    expect(await body).toBe('finished');
    expect(server.listening).toBe(false);
  });
});

describe('signals', () => {
  const sdk = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const script = `
    import http from 'node:http';
    import { createHealth, nodeHttpListener } from ${JSON.stringify(sdk)};
    const health = createHealth({ started: true, shutdown: { delay: 300 } });
    health.onShutdown(() => console.log('hook ran'), 'print');
    const server = http.createServer(nodeHttpListener(health));
    health.attachServer(server);
    health.handleSignals();
    server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
  `;

  it('on SIGTERM: readiness fails, liveness holds during the delay, hooks run, the process exits 0', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /port (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', () => reject(new Error(`child exited early: ${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect(await exited).toBe(0);
    expect(output).toContain('hook ran');
  });
});
