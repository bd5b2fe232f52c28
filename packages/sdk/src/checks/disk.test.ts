import { statfs } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../core/check.js';
import { diskSpaceCheck, type DiskSpaceCheckOptions } from './disk.js';

const never = new AbortController().signal;

function run(options: DiskSpaceCheckOptions): Promise<CheckOutcome> {
  return diskSpaceCheck(options).run({ signal: never }) as Promise<CheckOutcome>;
}

/** The real free share and size of the file system of /tmp; thresholds are set well either side. */
async function tmpSpace(): Promise<{ freeRatio: number; totalBytes: number }> {
  const stats = await statfs('/tmp');
  return { freeRatio: stats.bavail / stats.blocks, totalBytes: stats.blocks * stats.bsize };
}

describe('diskSpaceCheck', () => {
  it('describes itself for /health', () => {
    expect(diskSpaceCheck()).toMatchObject({ componentType: 'system', measurement: 'utilization' });
  });

  it('rejects thresholds it cannot use', () => {
    expect(() => diskSpaceCheck({ warnFreeRatio: 2 })).toThrow(/warnFreeRatio must be between 0 and 1/);
    expect(() => diskSpaceCheck({ warnFreeRatio: 0.1, errorFreeRatio: 0.2 })).toThrow(
      /errorFreeRatio is above warnFreeRatio/,
    );
    expect(() => diskSpaceCheck({ errorFreeBytes: -5 })).toThrow(/errorFreeBytes must be a number of bytes/);
    expect(() => diskSpaceCheck({ path: '' })).toThrow(/path must be a non-empty string/);
  });

  it('watches the working directory by default', async () => {
    const outcome = (await diskSpaceCheck().run({ signal: never })) as CheckOutcome;
    expect(outcome.message).toContain(` at ${process.cwd()}`);
  });

  it('is ok with the free percentage when there is room', async () => {
    const { freeRatio } = await tmpSpace();
    const outcome = await run({ path: '/tmp', warnFreeRatio: 0, errorFreeRatio: 0 });

    expect(outcome).toMatchObject({ status: 'ok', observedUnit: '%' });
    expect(outcome.observedValue).toBeCloseTo(freeRatio * 100, 0);
    expect(outcome.message).toMatch(/^\d+\.\d+ GiB free of \d+\.\d+ GiB \([\d.]+%\) at \/tmp$/);
  });

  it('warns below warnFreeRatio and fails below errorFreeRatio', async () => {
    const { freeRatio } = await tmpSpace();
    const above = (freeRatio + 1) / 2;

    const warned = await run({ path: '/tmp', warnFreeRatio: above, errorFreeRatio: freeRatio / 2 });
    expect(warned.status).toBe('warning');
    expect(warned.message).toMatch(/ at \/tmp: below [\d.]+% free$/);

    await expect(run({ path: '/tmp', warnFreeRatio: 1, errorFreeRatio: above })).resolves.toMatchObject({
      status: 'error',
    });
  });

  it('warns below warnFreeBytes and fails below errorFreeBytes', async () => {
    const { totalBytes } = await tmpSpace();
    const ratios = { warnFreeRatio: 0, errorFreeRatio: 0 };

    const warned = await run({ path: '/tmp', ...ratios, warnFreeBytes: totalBytes });
    expect(warned.status).toBe('warning');
    expect(warned.message).toMatch(/: below [\d.]+ GiB free$/);
    await expect(run({ path: '/tmp', ...ratios, errorFreeBytes: totalBytes })).resolves.toMatchObject({
      status: 'error',
    });
    await expect(run({ path: '/tmp', ...ratios, warnFreeBytes: 1 })).resolves.toMatchObject({ status: 'ok' });
  });

  it('fails with ENOENT for a path that does not exist', async () => {
    await expect(run({ path: '/tmp/heartbeat-no-such-dir/x' })).rejects.toThrow(
      /ENOENT: no such file or directory, statfs '\/tmp\/heartbeat-no-such-dir\/x'/,
    );
  });

  it('gives up when its signal has aborted', async () => {
    await expect(
      diskSpaceCheck({ path: '/tmp' }).run({ signal: AbortSignal.abort(new Error('timed out after 1s')) }),
    ).rejects.toThrow('gave up reading the free space of /tmp: timed out after 1s');
  });
});
