/**
 * `load.ts` for requests other than a plain GET: autocannon with a method, headers, and a body taken
 * in turn from a list (a counter shared by every connection, so consecutive requests carry different
 * instance ids), measured exactly as `drive` measures (warm-up thrown away, 2xx counted, latency in
 * 10 µs buckets, CPU of the target, of this process and of the rest of the machine), in rotating
 * rounds with the same noise rules as `measureRounds`.
 */
import autocannon from 'autocannon';
import { Histogram } from './histogram.js';
import {
  measureRoundsWith,
  round,
  type LoadOptions,
  type LoadSample,
  type LoadTarget,
  type RoundsOptions,
} from './load.js';
import { machineCpuSeconds } from './targets.js';

export interface RequestTarget extends LoadTarget {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Bodies sent in turn, one per request; none for a GET. */
  bodies?: readonly string[];
  /** Paths (with query) requested in turn instead of the URL's, e.g. one per push token. */
  paths?: readonly string[];
}

/** autocannon's options for a target: one request template, its body set per request when there are several. */
function autocannonOptions(target: RequestTarget, connections: number, duration: number): autocannon.Options {
  const url = new URL(target.url);
  const bodies = target.bodies ?? [];
  const paths = target.paths ?? [url.pathname + url.search];
  let next = 0;
  const template: autocannon.Request = {
    method: target.method ?? 'GET',
    path: paths[0]!,
    ...(target.headers && { headers: target.headers }),
    ...(bodies.length === 1 && { body: bodies[0] }),
    ...((bodies.length > 1 || paths.length > 1) && {
      setupRequest: (request: autocannon.Request) => {
        const turn = next++;
        if (paths.length > 1) request.path = paths[turn % paths.length]!;
        if (bodies.length > 1) request.body = bodies[turn % bodies.length];
        return request;
      },
    }),
  };
  return { url: url.origin, connections, duration, requests: [template] };
}

/** One target: a warm-up, thrown away, then the measured run. */
export async function driveRequests(target: RequestTarget, options: LoadOptions): Promise<LoadSample> {
  if (options.warmupSeconds > 0) {
    await autocannon(autocannonOptions(target, options.connections, options.warmupSeconds));
  }
  const histogram = new Histogram();
  let ok = 0;
  const cpuBefore = target.cpuSeconds?.();
  const loadCpuBefore = process.cpuUsage();
  const machineBefore = machineCpuSeconds();
  const startedAt = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      autocannonOptions(target, options.connections, options.durationSeconds),
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
  const latency = histogram.summary();
  const ok2xx = result['2xx'];
  return {
    requestsPerSecond: round(ok / seconds, 0),
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max },
    responses: result.requests.total,
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

/** `measureRounds` for request targets: the same rounds, driving requests with a method and body. */
export function measureRequestRounds(
  targets: readonly RequestTarget[],
  options: RoundsOptions,
): Promise<Map<string, LoadSample[]>> {
  return measureRoundsWith(targets, options, driveRequests);
}

function toError(value: unknown): Error {
  return value instanceof Error
    ? value
    : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
