import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../core/check.js';
import { memoryCheck, type MemoryCheckOptions } from './memory.js';

function run(options?: MemoryCheckOptions): CheckOutcome {
  return memoryCheck(options).run({ signal: new AbortController().signal }) as CheckOutcome;
}

/** The share of the heap limit in use right now; thresholds are set well either side of it. */
function heapRatio(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size / heap.heap_size_limit;
}

const SUMMARY = /^heap \d+\.\d MiB used of \d+\.\d MiB \([\d.]+%\), RSS \d+\.\d MiB/;

describe('memoryCheck', () => {
  it('describes itself for /health', () => {
    expect(memoryCheck()).toMatchObject({ componentType: 'system', measurement: 'utilization' });
  });

  it('rejects thresholds it cannot use', () => {
    expect(() => memoryCheck({ heapWarnRatio: 1.5 })).toThrow(/heapWarnRatio must be between 0 and 1/);
    expect(() => memoryCheck({ heapWarnRatio: 0.9, heapErrorRatio: 0.8 })).toThrow(
      /heapErrorRatio is below heapWarnRatio/,
    );
    expect(() => memoryCheck({ rssWarnBytes: -1 })).toThrow(/rssWarnBytes must be a number of bytes/);
    expect(() => memoryCheck({ rssWarnBytes: 2, rssErrorBytes: 1 })).toThrow(
      /rssErrorBytes is below rssWarnBytes/,
    );
  });

  it('is ok with the heap in use as a percentage of its limit, by default', () => {
    const outcome = run();
    expect(outcome).toMatchObject({ status: 'ok', observedUnit: '%' });
    expect(outcome.message).toMatch(new RegExp(`${SUMMARY.source}$`));
    expect(outcome.observedValue).toBeGreaterThan(0);
    expect(outcome.observedValue).toBeCloseTo(heapRatio() * 100, 0);
  });

  it('warns when the heap reaches heapWarnRatio', () => {
    const outcome = run({ heapWarnRatio: heapRatio() / 2 });
    expect(outcome.status).toBe('warning');
    expect(outcome.message).toMatch(new RegExp(`${SUMMARY.source}: heap at or above [\\d.]+% of its limit$`));
  });

  it('fails when the heap reaches heapErrorRatio', () => {
    const outcome = run({ heapWarnRatio: heapRatio() / 4, heapErrorRatio: heapRatio() / 2 });
    expect(outcome.status).toBe('error');
  });

  it('warns or fails on the resident set size when asked to', () => {
    const rss = process.memoryUsage().rss;
    expect(run({ rssWarnBytes: rss * 2 }).status).toBe('ok');
    const warned = run({ rssWarnBytes: Math.floor(rss / 2) });
    expect(warned.status).toBe('warning');
    expect(warned.message).toMatch(/: RSS at or above \d+\.\d MiB$/);
    expect(run({ rssWarnBytes: Math.floor(rss / 4), rssErrorBytes: Math.floor(rss / 2) }).status).toBe(
      'error',
    );
  });

  it('reports the worse of heap and RSS, with both reasons', () => {
    const outcome = run({ heapWarnRatio: heapRatio() / 2, rssErrorBytes: 1 });
    expect(outcome.status).toBe('error');
    expect(outcome.message).toMatch(/: heap at or above [\d.]+% of its limit; RSS at or above 0\.0 MiB$/);
  });
});
