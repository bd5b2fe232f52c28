/**
 * Load from autocannon, driven in this process: keep-alive connections, a warm-up that is thrown
 * away, then a measured run; targets measured in interleaved rounds so that drift on a shared
 * machine hits every target alike.
 */
import autocannon from 'autocannon';
import { machineCpuSeconds, processCpuSeconds } from './targets.js';

export interface LoadOptions {
  /** Concurrent keep-alive connections. */
  connections: number;
  /** Seconds of load before measuring, thrown away (JIT, connection set-up). */
  warmupSeconds: number;
  /** Seconds measured. */
  durationSeconds: number;
}

/** What one measured run gives. */
export interface LoadSample {
  /** 2xx responses per second of measured run. */
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Every response received, whatever its status. */
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Bytes received per response, head and body. */
  bytesPerResponse: number;
  seconds: number;
  /** Cores the target process used while measured (1 = one core busy); undefined without `/proc`. */
  targetCpu: number | undefined;
  /** Cores this load-generating process used meanwhile: near 1 means the load generator was the limit. */
  loadCpu: number;
  /**
   * Cores everything else on the machine used meanwhile (other processes, the kernel, hypervisor
   * steal): the noise. Undefined without `/proc`.
   */
  otherCpu: number | undefined;
  /** Runs made to get this sample (more than 1 when a noisier run was thrown away). */
  attempts: number;
  /** The rest of the machine stayed under the noise limit during the run (see `NoisePolicy`). */
  quiet: boolean;
}

/** A server to put load on: where, and (optionally) how to read its CPU time. */
export interface LoadTarget {
  id: string;
  url: string;
  cpuSeconds?: () => number | undefined;
}

/** Latencies in 10 µs buckets up to 2 s (plus an overflow), so percentiles need no sort and no hdr rounding. */
class LatencyHistogram {
  private static readonly BUCKET_MS = 0.01;
  private readonly buckets = new Uint32Array(200_000);
  private overflow = 0;
  private max = 0;
  count = 0;

  record(ms: number): void {
    const index = Math.floor(ms / LatencyHistogram.BUCKET_MS);
    if (index < this.buckets.length) this.buckets[index]!++;
    else this.overflow++;
    if (ms > this.max) this.max = ms;
    this.count++;
  }

  /** The upper edge of the bucket holding the p-th percentile, in ms. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return round((i + 1) * LatencyHistogram.BUCKET_MS, 2);
    }
    return round(this.max, 2);
  }

  get maximum(): number {
    return round(this.max, 2);
  }
}

/** Puts load on one URL: a warm-up, thrown away, then the measured run. */
export async function drive(target: LoadTarget, options: LoadOptions): Promise<LoadSample> {
  if (options.warmupSeconds > 0) {
    await autocannon({
      url: target.url,
      connections: options.connections,
      duration: options.warmupSeconds,
    });
  }

  const histogram = new LatencyHistogram();
  let ok = 0;
  const cpuBefore = target.cpuSeconds?.();
  const loadCpuBefore = process.cpuUsage();
  const machineBefore = machineCpuSeconds();
  const startedAt = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: target.url, connections: options.connections, duration: options.durationSeconds },
      (error: unknown, finished: autocannon.Result) => (error ? reject(toError(error)) : resolve(finished)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        histogram.record(responseTime);
      }
    });
  });
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const cpuAfter = target.cpuSeconds?.();
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const machineAfter = machineCpuSeconds();
  const targetCpu =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / seconds;
  const ownCpu = (loadCpu.user + loadCpu.system) / 1e6 / seconds;
  const otherCpu =
    machineBefore === undefined || machineAfter === undefined || targetCpu === undefined
      ? undefined
      : Math.max(0, (machineAfter - machineBefore) / seconds - targetCpu - ownCpu);

  const responses = result.requests.total;
  const ok2xx = result['2xx'];
  return {
    requestsPerSecond: round(ok / seconds, 0),
    latencyMs: {
      p50: histogram.percentile(50),
      p90: histogram.percentile(90),
      p99: histogram.percentile(99),
      max: histogram.maximum,
    },
    responses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: ok2xx > 0 ? round(result.throughput.total / ok2xx, 1) : 0,
    seconds: round(seconds, 2),
    targetCpu: targetCpu === undefined ? undefined : round(targetCpu, 2),
    loadCpu: round(ownCpu, 2),
    otherCpu: otherCpu === undefined ? undefined : round(otherCpu, 2),
    attempts: 1,
    quiet: true,
  };
}

/** How to deal with a machine that others are using too. */
export interface NoisePolicy {
  /** A run counts as quiet when the rest of the machine used at most this many cores meanwhile. */
  maxOtherCpu: number;
  /** Seconds that waiting for quiet and re-running noisy runs may still spend; shared and used up. */
  budget: { seconds: number };
}

export interface RoundsOptions extends LoadOptions {
  rounds: number;
  /**
   * After a noisy run, wait (up to 15 s) for the machine to quiet down before the next, and run a
   * noisy run once more, keeping the quieter of the two; all within the shared budget.
   */
  noise?: NoisePolicy;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * Measures every target `rounds` times, one at a time, rotating the order each round (A B C, B C A,
 * C A B, …) so that neither drift nor going first favours any target. Returns the samples per target
 * id, each marked `quiet` or not.
 */
export function measureRounds(
  targets: readonly LoadTarget[],
  options: RoundsOptions,
): Promise<Map<string, LoadSample[]>> {
  return measureRoundsWith(targets, options, drive);
}

/**
 * The rounds themselves, for any kind of target and the function that loads one: every target once
 * per round in rotating order; after a noisy run, wait (up to 15 s, within the budget) for quiet, and
 * run a noisy run once more, keeping the quieter; each sample marked `quiet` or not.
 */
export async function measureRoundsWith<Target extends { id: string }>(
  targets: readonly Target[],
  options: RoundsOptions,
  load: (target: Target, options: RoundsOptions) => Promise<LoadSample>,
): Promise<Map<string, LoadSample[]>> {
  const { noise, log = () => undefined } = options;
  const isQuiet = (sample: LoadSample): boolean =>
    noise === undefined || sample.otherCpu === undefined || sample.otherCpu <= noise.maxOtherCpu;
  const samples = new Map<string, LoadSample[]>(targets.map((target) => [target.id, []]));
  const runSeconds = options.warmupSeconds + options.durationSeconds + 0.5;
  let lastQuiet = true;
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length]!;
      let best: LoadSample | undefined;
      for (let attempt = 1; ; attempt++) {
        if (!lastQuiet && noise) await waitForQuiet(noise, log);
        log(`round ${round + 1}/${options.rounds} ${target.id}${attempt > 1 ? ' (again)' : ''}`);
        const sample = await load(target, options);
        lastQuiet = isQuiet(sample);
        if (!best || (sample.otherCpu ?? 0) < (best.otherCpu ?? 0)) best = sample;
        best.attempts = attempt;
        if (lastQuiet) break;
        log(`  the rest of the machine used ${sample.otherCpu} cores during that run`);
        // One re-run at most, so that a long noisy spell cannot spend the whole budget on one target.
        if (attempt >= 2 || !noise || noise.budget.seconds < runSeconds) break;
        noise.budget.seconds -= runSeconds;
      }
      samples.get(target.id)!.push({ ...best, quiet: isQuiet(best) });
    }
  }
  return samples;
}

/** Waits, polling twice a second, until the rest of the machine is quiet, for 15 s or the budget at most. */
async function waitForQuiet(noise: NoisePolicy, log: (line: string) => void): Promise<void> {
  let waited = 0;
  let other: number | undefined;
  while (noise.budget.seconds >= 0.5 && waited < 15) {
    const machineBefore = machineCpuSeconds();
    const ownBefore = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const machineAfter = machineCpuSeconds();
    const own = process.cpuUsage(ownBefore);
    if (machineBefore === undefined || machineAfter === undefined) return;
    other = (machineAfter - machineBefore - (own.user + own.system) / 1e6) / 0.5;
    if (other <= noise.maxOtherCpu) break;
    waited += 0.5;
    noise.budget.seconds -= 0.5;
  }
  if (waited > 0)
    log(`  waited ${waited} s for the machine to quiet down (now ${round(other ?? NaN, 2)} cores busy)`);
}

/** A load target for a running target process: its origin plus a path, and its CPU time. */
export function loadTargetFor(
  target: { spec: { id: string }; origin: string; pid: number },
  path: string,
): LoadTarget {
  return { id: target.spec.id, url: target.origin + path, cpuSeconds: () => processCpuSeconds(target.pid) };
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
