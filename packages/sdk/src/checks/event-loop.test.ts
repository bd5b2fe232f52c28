import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CheckOutcome } from '../core/check.js';
import { eventLoopDelayCheck, type EventLoopDelayCheckOptions } from './event-loop.js';

const never = new AbortController().signal;

/** A check whose first run (which only starts sampling) is done, closed when the test ends. */
async function startedCheck(options?: EventLoopDelayCheckOptions) {
  const check = eventLoopDelayCheck(options);
  onTestFinished(() => check.close());
  await check.run({ signal: never });
  return { check, run: () => check.run({ signal: never }) as Promise<CheckOutcome> };
}

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else runs meanwhile
  }
}

describe('eventLoopDelayCheck', () => {
  it('describes itself for /health', () => {
    const check = eventLoopDelayCheck();
    expect(check).toMatchObject({ componentType: 'system', measurement: 'eventLoopDelay' });
    expect(check).not.toHaveProperty('dependency');
  });

  it('rejects thresholds and resolutions it cannot use', () => {
    expect(() => eventLoopDelayCheck({ warnMs: 200, errorMs: 100 })).toThrow(
      /errorMs 100 is below warnMs 200/,
    );
    expect(() => eventLoopDelayCheck({ warnMs: 0 })).toThrow(/warnMs must be a positive number/);
    expect(() => eventLoopDelayCheck({ resolution: 0.5 })).toThrow(/resolution must be a whole number/);
  });

  it('starts sampling on its first run, which is ok without a value', async () => {
    const check = eventLoopDelayCheck();
    onTestFinished(() => check.close());
    await expect(check.run({ signal: never })).resolves.toEqual({
      status: 'ok',
      message: 'started measuring the event loop delay; the next run reports it',
    });
  });

  it('is ok with the p99 delay in ms when the loop is idle', async () => {
    const { run } = await startedCheck();
    await sleep(70);

    const outcome = await run();

    expect(outcome).toMatchObject({ status: 'ok', observedUnit: 'ms' });
    expect(outcome.observedValue).toBeLessThan(100);
    expect(outcome.message).toMatch(
      /^event loop delay p99 [\d.]+ms \(max [\d.]+ms, \d+ samples? since the previous run\)$/,
    );
  });

  it('warns or fails when the loop was blocked since the previous run, and starts afresh after', async () => {
    const lenient = await startedCheck({ warnMs: 100, errorMs: 500 });
    const strict = await startedCheck({ warnMs: 50, errorMs: 200 });
    await sleep(50); // the samplers have ticked, so the block below falls inside a sample

    blockEventLoop(300);
    const [warned, failed] = [await lenient.run(), await strict.run()];

    expect(warned).toMatchObject({ status: 'warning', observedUnit: 'ms' });
    expect(warned.observedValue).toBeGreaterThanOrEqual(250);
    expect(warned.message).toMatch(/, at or above 100ms$/);
    expect(failed).toMatchObject({ status: 'error' });
    expect(failed.message).toMatch(/, at or above 200ms$/);

    await sleep(70);
    await expect(lenient.run()).resolves.toMatchObject({ status: 'ok' });
  });

  it('reports ok without a value when runs come closer together than the resolution', async () => {
    const { run } = await startedCheck({ resolution: 1000 });
    await expect(run()).resolves.toEqual({
      status: 'ok',
      message: 'no complete 1000ms sample since the previous run',
    });
  });

  it('stops sampling on close(); later runs fail', async () => {
    const { check, run } = await startedCheck();
    check.close();
    await expect(run()).rejects.toThrow('the event loop delay check was closed');
  });

  it('gives up when its signal has aborted', async () => {
    const { check } = await startedCheck();
    await expect(check.run({ signal: AbortSignal.abort(new Error('timed out after 1s')) })).rejects.toThrow(
      'gave up measuring the event loop delay: timed out after 1s',
    );
  });
});
