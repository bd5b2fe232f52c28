/**
 * Pulse at scale: 10,000 targets probed every 30 s against a local target server, while the same
 * process (standing in for the hub) serves a trivial API under light load. Measured per mode — no
 * Pulse (the baseline), Pulse in the API's thread, Pulse in a worker thread — over
 * `BENCH_PULSE_SECONDS` after every target has been probed once.
 *
 * Targets (from the issue): start lateness p99 under 250 ms, and the API process's event-loop delay
 * p99 under 50 ms meanwhile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { round, type LoadSample } from './lib/load.js';
import { summarizeRow, type ScenarioReport, type Verdict } from './lib/report.js';
import type { BenchSettings, Scenario } from './lib/scenario.js';
import { machineCpuSeconds, startTarget, withTargets, type RunningTarget } from './lib/targets.js';
import type { PulseHubStats } from './pulse-types.js';
import { machineInfo } from './lib/machine.js';

/**
 * Where Pulse runs (`off`: not at all, the baseline), and what the targets cost: a kept-alive
 * connection (plain), a new connection per probe (`-close`), or a new TLS connection per probe (`-tls`),
 * the case of thousands of distinct HTTPS origins.
 */
type Mode = 'off' | 'thread' | 'worker' | 'thread-close' | 'worker-close' | 'thread-tls' | 'worker-tls';

interface PulseBenchSettings {
  /** `BENCH_PULSE_TARGETS`, default 10,000. */
  targets: number;
  /** `BENCH_PULSE_INTERVAL` in seconds, default 30. */
  intervalSeconds: number;
  /** `BENCH_PULSE_SECONDS`: measured seconds per mode after every target has been probed once, default 60. */
  seconds: number;
  /** `BENCH_PULSE_MODES`, default `off,thread,worker`; also `thread-close`, `worker-close`, `thread-tls`, `worker-tls`. */
  modes: Mode[];
  /** `BENCH_PULSE_RATE`: API requests per second during the measurement, default 200. */
  apiRate: number;
  /** `BENCH_PULSE_CONCURRENCY`: the scheduler's concurrency, default 64. */
  concurrency: number;
}

const LATENESS_P99_MS = 250;
const EVENT_LOOP_P99_MS = 50;
/** The baseline without Pulse needs no warm-up round; it is measured this long at most. */
const OFF_SECONDS = 30;
const API_CONNECTIONS = 4;

const HUB_PULSE = fileURLToPath(new URL('../../packages/hub/dist/pulse/index.js', import.meta.url));

const LABELS: Record<Mode, string> = {
  off: 'no Pulse: the API alone (baseline)',
  thread: 'Pulse in the API’s thread (createPulseScheduler)',
  worker: 'Pulse in a worker thread (createPulseSchedulerInWorker)',
  'thread-close': 'Pulse in the API’s thread, a new connection per probe',
  'worker-close': 'Pulse in a worker thread, a new connection per probe',
  'thread-tls': 'Pulse in the API’s thread, a new TLS connection per probe',
  'worker-tls': 'Pulse in a worker thread, a new TLS connection per probe',
};

const placeOf = (mode: Mode): 'off' | 'thread' | 'worker' =>
  mode.split('-')[0] as 'off' | 'thread' | 'worker';
const variantOf = (mode: Mode): 'plain' | 'close' | 'tls' =>
  (mode.split('-')[1] as 'close' | 'tls' | undefined) ?? 'plain';

function pulseSettings(env: NodeJS.ProcessEnv): PulseBenchSettings {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number`);
    return value;
  };
  const modes = (env.BENCH_PULSE_MODES ?? 'off,thread,worker').split(',').filter(Boolean) as Mode[];
  const unknown = modes.filter((mode) => !(mode in LABELS));
  if (unknown.length)
    throw new Error(
      `BENCH_PULSE_MODES: unknown ${unknown.join(', ')}; known: ${Object.keys(LABELS).join(', ')}`,
    );
  return {
    targets: Math.round(number('BENCH_PULSE_TARGETS', 10_000)),
    intervalSeconds: number('BENCH_PULSE_INTERVAL', 30),
    seconds: number('BENCH_PULSE_SECONDS', 60),
    modes,
    apiRate: number('BENCH_PULSE_RATE', 200),
    concurrency: Math.round(number('BENCH_PULSE_CONCURRENCY', 64)),
  };
}

/** What one mode gave. */
interface ModeResult {
  mode: Mode;
  sample: LoadSample;
  /** Stats at the end of the measured window (the scheduler's over its last 50–60 s). */
  final: PulseHubStats;
  /**
   * Start lateness over the measured window: the worst of the scheduler's last-minute figures whose
   * minute lies inside the window (polled every 10 s from 60 s on, and at the end).
   */
  latenessP99Ms: number;
  latenessMaxMs: number;
  /** Cores the target server (what Pulse probes) used while measured. */
  targetServerCpu: number | undefined;
  /** Until every target had been probed once: how long, and the lateness over its last minute. */
  firstRound: { seconds: number; latenessP99Ms: number; latenessMaxMs: number } | null;
}

export const pulse: Scenario = {
  name: 'pulse',
  title: 'Pulse: 10,000 targets at a 30 s interval, and the API beside it',
  estimateSeconds() {
    const config = pulseSettings(process.env);
    return config.modes.reduce(
      (sum, mode) =>
        sum +
        (mode === 'off'
          ? Math.min(config.seconds, OFF_SECONDS) + 5
          : config.intervalSeconds + config.seconds + 15),
      10,
    );
  },
  async run(settings, log) {
    const config = pulseSettings(process.env);
    if (!existsSync(HUB_PULSE)) throw new Error(`${HUB_PULSE} is missing: run "npm run build" first`);
    const startedAt = new Date().toISOString();
    const busy = busyProcesses();
    log(
      `pulse: ${config.targets} targets every ${config.intervalSeconds} s; modes ${config.modes.join(', ')}`,
    );
    log(`pulse: the busiest other processes now:\n${busy.map((line) => `  ${line}`).join('\n')}`);

    const certDir = config.modes.some((mode) => variantOf(mode) === 'tls') ? makeCertificate() : undefined;
    const results: ModeResult[] = [];
    try {
      for (const mode of config.modes) {
        await waitForQuiet(settings, log);
        const variant = variantOf(mode);
        const result = await withTargets(
          [
            {
              id: `pulse-target-${variant}`,
              label: 'node:http answering {"status":"UP"} on every path',
              script: new URL('./targets/pulse-target.js', import.meta.url),
              args: variant === 'tls' ? ['tls', certDir!] : [variant],
            },
          ],
          ([target]) => measureMode(mode, target!, config, settings, log, certDir),
        );
        results.push(result);
      }
    } finally {
      if (certDir) rmSync(certDir, { recursive: true, force: true });
    }
    return report(results, config, settings, startedAt, busy);
  },
};

async function measureMode(
  mode: Mode,
  target: RunningTarget,
  config: PulseBenchSettings,
  settings: BenchSettings,
  log: (line: string) => void,
  certDir: string | undefined,
): Promise<ModeResult> {
  const tls = variantOf(mode) === 'tls';
  const hub = await startTarget({
    id: mode,
    label: LABELS[mode],
    script: new URL('./targets/pulse-hub.js', import.meta.url),
    args: [
      placeOf(mode),
      tls ? target.origin.replace('http:', 'https:') : target.origin,
      String(config.targets),
      String(config.intervalSeconds * 1000),
      String(config.concurrency),
      ...(tls ? [join(certDir!, 'cert.pem')] : []),
    ],
  });
  try {
    const stats = (): Promise<PulseHubStats> =>
      fetch(`${hub.origin}/__pulse/stats`).then((response) => response.json() as Promise<PulseHubStats>);
    let firstRound: ModeResult['firstRound'] = null;
    if (mode === 'off') {
      await sleep(2000);
    } else {
      // Every target gets its first start within one interval (jitter); wait until each has reported.
      const deadline = Date.now() + (config.intervalSeconds * 1.5 + 30) * 1000;
      for (let tick = 0; ; tick++) {
        const now = await stats();
        if (now.allReportedAfterSeconds !== null) {
          firstRound = {
            seconds: now.allReportedAfterSeconds,
            latenessP99Ms: now.scheduler?.latenessMs.p99 ?? NaN,
            latenessMaxMs: now.scheduler?.latenessMs.max ?? NaN,
          };
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`${mode}: not every target was probed within ${deadline} ms`);
        if (tick % 5 === 0) {
          log(
            `  ${mode}: first round: ${now.scheduler?.completed ?? 0}/${config.targets} probed, ` +
              `${now.scheduler?.probesPerSecond ?? 0}/s, ${now.results} results`,
          );
        }
        await sleep(1000);
      }
    }

    const seconds = mode === 'off' ? Math.min(config.seconds, OFF_SECONDS) : config.seconds;
    log(`  ${mode}: measuring ${seconds} s with ${config.apiRate} API req/s`);
    await fetch(`${hub.origin}/__pulse/reset`, { method: 'POST' });
    const measuredFrom = Date.now();
    let latenessP99Ms = 0;
    let latenessMaxMs = 0;
    const poll = setInterval(() => {
      void stats()
        .then((now) => {
          // The scheduler's figures cover its last 50–60 s: count them once that lies inside the window.
          if (Date.now() - measuredFrom >= 60_000) {
            latenessP99Ms = Math.max(latenessP99Ms, now.scheduler?.latenessMs.p99 ?? 0);
            latenessMaxMs = Math.max(latenessMaxMs, now.scheduler?.latenessMs.max ?? 0);
          }
          log(
            `  ${mode}: lateness p99 ${now.scheduler?.latenessMs.p99 ?? '–'} ms, loop delay p99 ` +
              `${now.eventLoopDelayMs.p99} ms, ${now.scheduler?.probesPerSecond ?? 0} probes/s`,
          );
        })
        .catch(() => undefined);
    }, 10_000);

    const cpu = { hub: hub.cpuSeconds(), target: target.cpuSeconds(), machine: machineCpuSeconds() };
    const own = process.cpuUsage();
    const began = process.hrtime.bigint();
    const latencies: number[] = [];
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${hub.origin}/api`,
          connections: API_CONNECTIONS,
          overallRate: config.apiRate,
          duration: seconds,
        },
        (error: unknown, finished: autocannon.Result) =>
          error
            ? reject(error instanceof Error ? error : new Error(JSON.stringify(error)))
            : resolve(finished),
      );
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      });
    });
    clearInterval(poll);
    const elapsed = Number(process.hrtime.bigint() - began) / 1e9;
    const final = await stats();
    latenessP99Ms = Math.max(latenessP99Ms, final.scheduler?.latenessMs.p99 ?? 0);
    latenessMaxMs = Math.max(latenessMaxMs, final.scheduler?.latenessMs.max ?? 0);

    const cores = (before: number | undefined, after: number | undefined): number | undefined =>
      before === undefined || after === undefined ? undefined : (after - before) / elapsed;
    const hubCpu = cores(cpu.hub, hub.cpuSeconds());
    const targetServerCpu = cores(cpu.target, target.cpuSeconds());
    const machine = cores(cpu.machine, machineCpuSeconds());
    const ownUsage = process.cpuUsage(own);
    const loadCpu = (ownUsage.user + ownUsage.system) / 1e6 / elapsed;
    const otherCpu =
      machine === undefined || hubCpu === undefined || targetServerCpu === undefined
        ? undefined
        : Math.max(0, machine - hubCpu - targetServerCpu - loadCpu);

    latencies.sort((a, b) => a - b);
    const at = (p: number): number =>
      latencies.length
        ? round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!, 2)
        : NaN;
    const ok = result['2xx'];
    const sample: LoadSample = {
      requestsPerSecond: round(ok / elapsed, 0),
      latencyMs: {
        p50: at(50),
        p90: at(90),
        p99: at(99),
        max: latencies.length ? round(latencies.at(-1)!, 2) : NaN,
      },
      responses: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      bytesPerResponse: ok > 0 ? round(result.throughput.total / ok, 1) : 0,
      seconds: round(elapsed, 2),
      targetCpu: hubCpu === undefined ? undefined : round(hubCpu, 2),
      loadCpu: round(loadCpu, 2),
      otherCpu: otherCpu === undefined ? undefined : round(otherCpu, 2),
      attempts: 1,
      quiet: otherCpu === undefined || otherCpu <= settings.maxOtherCpu,
    };
    log(
      `  ${mode}: API p99 ${sample.latencyMs.p99} ms; loop delay p99 ${final.eventLoopDelayMs.p99} ms; ` +
        `lateness p99 ${final.scheduler?.latenessMs.p99 ?? '–'} ms; other CPU ${sample.otherCpu ?? '–'}`,
    );
    return {
      mode,
      sample,
      final,
      latenessP99Ms,
      latenessMaxMs,
      targetServerCpu: targetServerCpu === undefined ? undefined : round(targetServerCpu, 2),
      firstRound,
    };
  } finally {
    await hub.stop();
  }
}

function report(
  results: ModeResult[],
  config: PulseBenchSettings,
  settings: BenchSettings,
  startedAt: string,
  busy: string[],
): ScenarioReport {
  const title = `GET /api while Pulse probes ${config.targets.toLocaleString('en-US')} targets every ${config.intervalSeconds} s`;
  const row = summarizeRow({
    id: 'pulse',
    title,
    baseline: results[0]!.mode,
    targets: results.map((result) => ({ id: result.mode, label: LABELS[result.mode], request: 'GET /api' })),
    samples: new Map(results.map((result) => [result.mode, [result.sample]])),
    notes: [pulseTable(results), ...notes(results, config)],
    details: {
      settings: config,
      busyProcessesAtStart: busy,
      modes: results.map(({ sample: _sample, ...rest }) => rest),
    },
  });

  const verdicts: Verdict[] = results
    .filter((result) => result.mode !== 'off')
    .flatMap((result): Verdict[] => {
      const late = result.final.scheduler?.latenessMs;
      const loop = result.final.eventLoopDelayMs;
      return [
        {
          description: `${result.mode}: start lateness p99 < ${LATENESS_P99_MS} ms`,
          pass: result.latenessP99Ms < LATENESS_P99_MS,
          actual:
            `${result.latenessP99Ms} ms (p50 ${late?.p50 ?? '–'}, max ${result.latenessMaxMs} ms; ` +
            `last minute of the first round: p99 ${result.firstRound?.latenessP99Ms ?? '–'} ms)`,
        },
        {
          description: `${result.mode}: the API process's event-loop delay p99 < ${EVENT_LOOP_P99_MS} ms`,
          pass: loop.p99 < EVENT_LOOP_P99_MS,
          actual: `${loop.p99} ms (p50 ${loop.p50}, max ${loop.max} ms, ${loop.samples} samples)`,
        },
        {
          description: `${result.mode}: every probe succeeded`,
          pass: result.final.failures === 0 && result.final.results > 0,
          actual: `${result.final.failures} of ${result.final.results} failed${
            result.final.failures ? ` (${JSON.stringify(result.final.errors)})` : ''
          }`,
        },
      ];
    });

  return {
    scenario: 'pulse',
    title: pulse.title,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      ...machineInfo(),
    },
    settings: {
      targets: config.targets,
      intervalSeconds: config.intervalSeconds,
      seconds: config.seconds,
      apiRate: config.apiRate,
      apiConnections: API_CONNECTIONS,
      concurrency: config.concurrency,
      maxOtherCpu: settings.maxOtherCpu,
    },
    rows: [row],
    verdicts,
    pass: verdicts.every((verdict) => verdict.pass),
  };
}

/** The Pulse figures per mode, as a Markdown table (printed among the notes). */
function pulseTable(results: ModeResult[]): string {
  const header = [
    'Mode',
    'lateness p50 ms',
    'lateness p99 ms',
    'lateness max ms',
    'loop delay p50 ms',
    'loop delay p99 ms',
    'loop delay max ms',
    'probes/s',
    'skipped',
    'failed',
    'API p99 ms',
    'hub CPU',
    'target CPU',
    'other CPU',
    'RSS MB',
    'first round s',
    'first round lateness p99 ms',
  ];
  const lines = results.map((result) => {
    const s = result.final.scheduler;
    const loop = result.final.eventLoopDelayMs;
    const dash = (value: number | null | undefined): string =>
      value === null || value === undefined ? '–' : String(value);
    return [
      result.mode,
      dash(s?.latenessMs.p50),
      dash(s ? result.latenessP99Ms : undefined),
      dash(s ? result.latenessMaxMs : undefined),
      String(loop.p50),
      String(loop.p99),
      String(loop.max),
      dash(s?.probesPerSecond),
      dash(s?.skipped),
      s ? `${result.final.failures}/${result.final.results}` : '–',
      String(result.sample.latencyMs.p99),
      dash(result.sample.targetCpu),
      dash(result.targetServerCpu),
      dash(result.sample.otherCpu),
      String(result.final.rssMb),
      dash(result.firstRound?.seconds),
      dash(result.firstRound?.latenessP99Ms),
    ];
  });
  const rows = [header, header.map(() => '---'), ...lines];
  return `Pulse figures:\n\n${rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n')}\n`;
}

function notes(results: ModeResult[], config: PulseBenchSettings): string[] {
  return [
    `each mode ran once (${config.seconds} s measured after the first round; the baseline ${Math.min(config.seconds, OFF_SECONDS)} s), ` +
      `API load ${config.apiRate} req/s over ${API_CONNECTIONS} connections; BENCH_ROUNDS does not apply`,
    'lateness: the scheduler’s last-minute figures (50–60 s) taken at the end of the window and every 10 s from 60 s on, the worst of them; first round lateness: the same figure when every target had been probed once (its last minute, while the first starts were spread over one interval); loop delay: monitorEventLoopDelay (10 ms resolution, less those 10 ms) over the measured window',
    'hub CPU: the stand-in process (API + Pulse, worker thread included); target CPU: the server Pulse probes; other CPU: everything else on the machine, noise',
    ...(config.seconds < 60
      ? [`the window is shorter than the scheduler's minute: its lateness figures reach back before it`]
      : []),
    ...results
      .filter((result) => !result.sample.quiet)
      .map(
        (result) =>
          `${result.mode}: the rest of the machine used ${result.sample.otherCpu} cores meanwhile (noisy)`,
      ),
  ];
}

/** A self-signed certificate for 127.0.0.1 (`key.pem`, `cert.pem` in a new temporary directory), made by openssl. */
function makeCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pulse-'));
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
      '2',
      '-subj',
      '/CN=bench',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return dir;
}

/**
 * Waits (polling every second, 30 s at most, within the shared noise budget) until the rest of the
 * machine uses at most `BENCH_MAX_NOISE` cores, so that a mode starts on a machine as quiet as it gets.
 */
async function waitForQuiet(settings: BenchSettings, log: (line: string) => void): Promise<void> {
  let waited = 0;
  let other = NaN;
  while (waited < 30 && settings.noiseBudget.seconds >= 1) {
    const machineBefore = machineCpuSeconds();
    const ownBefore = process.cpuUsage();
    await sleep(1000);
    const machineAfter = machineCpuSeconds();
    const own = process.cpuUsage(ownBefore);
    if (machineBefore === undefined || machineAfter === undefined) return;
    other = machineAfter - machineBefore - (own.user + own.system) / 1e6;
    if (other <= settings.maxOtherCpu) break;
    waited++;
    settings.noiseBudget.seconds--;
  }
  if (waited > 0)
    log(`  waited ${waited} s for the machine to quiet down (now ${round(other, 2)} cores busy)`);
}

/** The busiest processes, for the noise note. */
function busyProcesses(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pid,ppid,pcpu,etime,args', '--sort=-pcpu'], { encoding: 'utf8' })
      .split('\n')
      .slice(1, 8)
      .filter(Boolean)
      .map((line) => line.trim().replace(/\s+/g, ' ').slice(0, 160));
  } catch {
    return [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
