import { readdir, readFile } from 'node:fs/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Exposition } from './exposition.js';

/**
 * The hub's own process, under the names Prometheus client libraries use (`process_*`, `nodejs_*`),
 * so the usual dashboards and alerts work unchanged. Open and maximum file descriptors are read from
 * `/proc` and left out where there is none.
 */
export interface ProcessMetrics {
  write(out: Exposition): Promise<void>;
  close(): void;
}

export function createProcessMetrics(): ProcessMetrics {
  const startTime = Math.round(Date.now() - process.uptime() * 1000) / 1000;
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let maxFds: number | null | undefined;

  return {
    async write(out) {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const heap = getHeapStatistics();
      gauge(
        out,
        'process_cpu_user_seconds_total',
        'counter',
        'User CPU time spent, in seconds.',
        cpu.user / 1e6,
      );
      gauge(
        out,
        'process_cpu_system_seconds_total',
        'counter',
        'System CPU time spent, in seconds.',
        cpu.system / 1e6,
      );
      gauge(
        out,
        'process_cpu_seconds_total',
        'counter',
        'User and system CPU time spent, in seconds.',
        (cpu.user + cpu.system) / 1e6,
      );
      gauge(out, 'process_resident_memory_bytes', 'gauge', 'Resident memory size, in bytes.', memory.rss);
      gauge(
        out,
        'process_start_time_seconds',
        'gauge',
        'Start time of the process since the Unix epoch, in seconds.',
        startTime,
      );
      const open = await openFds();
      if (open !== null) gauge(out, 'process_open_fds', 'gauge', 'Open file descriptors.', open);
      maxFds ??= await readMaxFds();
      if (maxFds !== null)
        gauge(out, 'process_max_fds', 'gauge', 'Most file descriptors the process may open.', maxFds);
      gauge(out, 'nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.', memory.heapUsed);
      gauge(out, 'nodejs_heap_size_total_bytes', 'gauge', 'V8 heap allocated, in bytes.', memory.heapTotal);
      gauge(
        out,
        'nodejs_heap_size_limit_bytes',
        'gauge',
        'Largest the V8 heap may grow, in bytes.',
        heap.heap_size_limit,
      );
      gauge(
        out,
        'nodejs_external_memory_bytes',
        'gauge',
        'Memory of C++ objects bound to JavaScript, in bytes.',
        memory.external,
      );
      // Since the previous scrape: the histogram is reset each time it is read.
      const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      const measured = delay.count > 0;
      gauge(
        out,
        'nodejs_eventloop_lag_mean_seconds',
        'gauge',
        'Mean event loop delay since the previous scrape, in seconds.',
        measured ? seconds(delay.mean) : 0,
      );
      gauge(
        out,
        'nodejs_eventloop_lag_p99_seconds',
        'gauge',
        '99th percentile of the event loop delay since the previous scrape, in seconds.',
        measured ? seconds(delay.percentile(99)) : 0,
      );
      gauge(
        out,
        'nodejs_eventloop_lag_max_seconds',
        'gauge',
        'Longest event loop delay since the previous scrape, in seconds.',
        measured ? seconds(delay.max) : 0,
      );
      delay.reset();
    },
    close() {
      delay.disable();
    },
  };
}

function gauge(out: Exposition, name: string, type: 'gauge' | 'counter', help: string, value: number): void {
  out.family(name, type, help);
  out.sampleWithLabels(name, '', value);
}

async function openFds(): Promise<number | null> {
  try {
    // The listing itself holds one descriptor open while it reads.
    return (await readdir('/proc/self/fd')).length - 1;
  } catch {
    return null;
  }
}

async function readMaxFds(): Promise<number | null> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? null : Number(soft);
  } catch {
    return null;
  }
}
