import { describe, expect, it } from 'vitest';
import { createHealthRegistry, normalizeCheck } from './registry.js';

function fakeClock(start = 1_700_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the health registry', () => {
  it('reuses a result within the cache period and runs again after it', async () => {
    const clock = fakeClock();
    const registry = createHealthRegistry({ now: clock.now });
    let runs = 0;
    const check = registry.add({ name: 'db', cache: '5s', run: () => void runs++ });
    await registry.evaluate([check]);
    clock.advance(4999);
    const cached = registry.evaluate([check]);
    expect(Array.isArray(cached)).toBe(true); // answered synchronously from cache
    expect(runs).toBe(1);
    clock.advance(1);
    await registry.evaluate([check]);
    expect(runs).toBe(2);
  });

  it('shares one in-flight run among concurrent callers (single-flight)', async () => {
    const registry = createHealthRegistry();
    let runs = 0;
    let release!: () => void;
    const check = registry.add({
      name: 'slow',
      cache: 0,
      run: () => {
        runs++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const callers = Array.from({ length: 100 }, () => Promise.resolve(registry.evaluate([check])));
    await tick();
    release();
    const results = await Promise.all(callers);
    expect(runs).toBe(1);
    expect(new Set(results.map(([result]) => result))).toHaveProperty('size', 1);
  });

  it('runs checks concurrently, so the slowest bounds the wait', async () => {
    const registry = createHealthRegistry();
    const checks = ['a', 'b', 'c', 'd'].map((name) =>
      registry.add({ name, run: () => new Promise<void>((resolve) => setTimeout(resolve, 100)) }),
    );
    const started = performance.now();
    await registry.evaluate(checks);
    expect(performance.now() - started).toBeLessThan(300);
  });

  it.each([
    [
      'a returned outcome',
      () => ({ status: 'warning' as const, message: 'slow', observedValue: 3, observedUnit: 's' }),
      { status: 'warning', message: 'slow', observedValue: 3, observedUnit: 's' },
    ],
    ['nothing', () => undefined, { status: 'ok' }],
    ['true', () => true as never, { status: 'ok' }],
    ['false', () => false as never, { status: 'error', message: 'the check returned false' }],
    ['a bare status', () => 'warning' as never, { status: 'warning' }],
    [
      'a throw',
      () => {
        throw new Error('boom');
      },
      { status: 'error', message: 'boom' },
    ],
    ['a rejection', () => Promise.reject(new Error('nope')), { status: 'error', message: 'nope' }],
    [
      'a thrown string',
      () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error throw is what is tested
        throw 'plain';
      },
      { status: 'error', message: 'plain' },
    ],
    [
      'garbage',
      () => ({ foo: 1 }) as never,
      { status: 'error', message: 'the check returned {"foo":1}, not an outcome' },
    ],
  ])('turns %s into a result', async (_label, run, expected) => {
    const registry = createHealthRegistry();
    const check = registry.add({ name: 'x', run });
    const [result] = await registry.evaluate([check]);
    expect(result).toMatchObject(expected);
    expect(result!.critical).toBe(true);
  });

  it('cuts a hanging check off at its timeout, aborts its signal, and never piles up runs', async () => {
    const clock = fakeClock();
    const registry = createHealthRegistry({ now: clock.now });
    let runs = 0;
    let signal: AbortSignal | undefined;
    const check = registry.add({
      name: 'hang',
      timeout: 50,
      cache: 0,
      run: (context) => {
        runs++;
        signal = context.signal;
        return new Promise<never>(() => {});
      },
    });
    const started = performance.now();
    const [first] = await registry.evaluate([check]);
    expect(performance.now() - started).toBeLessThan(500);
    expect(first).toMatchObject({ status: 'error', message: 'timed out after 50ms' });
    expect(signal?.aborted).toBe(true);
    clock.advance(1000);
    const [second] = await registry.evaluate([check]);
    expect(second!.status).toBe('error');
    expect(second!.message).toMatch(/^still running 1\.1s after it started \(timeout 50ms\)/);
    expect(runs).toBe(1);
  });

  it('runs a check again once a timed-out run finally settles', async () => {
    const registry = createHealthRegistry();
    let release!: () => void;
    let runs = 0;
    const check = registry.add({
      name: 'late',
      timeout: 20,
      cache: 0,
      run: () => {
        runs++;
        return runs === 1 ? new Promise<void>((resolve) => (release = resolve)) : undefined;
      },
    });
    expect((await registry.evaluate([check]))[0]!.status).toBe('error');
    release();
    await tick();
    expect((await registry.evaluate([check]))[0]!.status).toBe('ok');
    expect(runs).toBe(2);
  });

  it('runs background checks on their interval and serves the latest result', async () => {
    const registry = createHealthRegistry();
    let runs = 0;
    const check = registry.add({
      name: 'bg',
      interval: 20,
      run: () => ({ status: 'ok', observedValue: ++runs }),
    });
    await new Promise((resolve) => setTimeout(resolve, 110));
    expect(runs).toBeGreaterThanOrEqual(3);
    const served = registry.evaluate([check]);
    expect(Array.isArray(served)).toBe(true);
    registry.close();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toBe(after);
  });

  it('keeps checks by probe, in the order they were added, and forgets removed ones', () => {
    const registry = createHealthRegistry();
    registry.add({ name: 'a', run: () => undefined });
    registry.add({ name: 'b', run: () => undefined, probes: ['liveness', 'readiness'] });
    registry.add({ name: 'c', run: () => undefined, probes: ['startup'] });
    expect(registry.forProbe('readiness').map((c) => c.name)).toEqual(['a', 'b']);
    expect(registry.forProbe('liveness').map((c) => c.name)).toEqual(['b']);
    expect(registry.forProbe('startup').map((c) => c.name)).toEqual(['c']);
    expect(registry.remove('b')).toBe(true);
    expect(registry.remove('b')).toBe(false);
    expect(registry.forProbe('readiness').map((c) => c.name)).toEqual(['a']);
  });

  it('refuses duplicates', () => {
    const registry = createHealthRegistry();
    registry.add({ name: 'a', run: () => undefined });
    expect(() => registry.add({ name: 'a', run: () => undefined })).toThrow(/already exists/);
  });
});

describe('check options', () => {
  const run = () => undefined;

  it('fills in the defaults', () => {
    expect(normalizeCheck({ name: 'db', run })).toMatchObject({
      critical: true,
      timeoutMs: 1000,
      cacheMs: 1000,
      intervalMs: undefined,
      probes: new Set(['readiness']),
      componentType: 'component',
    });
  });

  it('strips credentials from dependency URLs', () => {
    expect(normalizeCheck({ name: 'db', run, dependency: 'postgres://u:p@db:5432/x' }).dependency).toBe(
      'postgres://db:5432/x',
    );
  });

  it.each([
    [{ name: 'has space', run }, /check name "has space"/],
    [{ name: '', run }, /check name ""/],
    [{ name: 'x', run: 'nope' as never }, /needs a run function/],
    [{ name: 'x', run, timeout: 'soon' }, /"soon" is not a duration/],
    [{ name: 'x', run, timeout: 0 }, /at least 1ms/],
    [{ name: 'x', run, interval: 1 }, /at least 10ms/],
    [{ name: 'x', run, probes: ['sometimes' as never] }, /probe "sometimes"/],
    [{ name: 'x', run, dependency: 'db:5432' }, /names no host/],
    [{ name: 'x', run, dependency: 'db.internal' }, /not an absolute URL/],
    [{ name: 'x', run, runbook: 'wiki page' }, /runbook "wiki page" is not an absolute URL/],
  ])('rejects %j clearly', (options, message) => {
    expect(() => normalizeCheck(options as never)).toThrow(message);
  });
});
