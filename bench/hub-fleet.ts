/**
 * A fleet against the hub: 100,000 live instances beating every 30 s (≈ 3,333 single-message POSTs
 * per second, spread evenly, from a load generator in its own process), against the hub on SQLite
 * as it ships. Measured: the hub's CPU (a fraction of one core, from `/proc/<pid>/stat`), its RSS
 * (`/proc/<pid>/status`), the request p99; then expiry precision: 1 % of the instances stop beating,
 * and each one's `instance.lost` event, watched on `GET /v1/events/stream`, is compared with its last
 * acknowledged beat + validTime.
 *
 * Baseline in the same run: bare node:http (read body, JSON.parse, 204) receiving the same beats
 * from the same generator, so the hub's CPU is also given as a ratio.
 *
 * Targets (from the issue): hub CPU under a quarter of one core; RSS reported; every expiry within 1 s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetCommand, FleetReport, FleetStats, LastBeat } from './lib/fleet-load-generator.js';
import { instanceIdOf } from './lib/heartbeat-messages.js';
import { percentileOf, roundTo } from './lib/histogram.js';
import { HUB_ADMIN_KEY, hubBuildInfo, hubRequest, startHubProcess, type HubProcess } from './lib/hub.js';
import type { LoadSample } from './lib/load.js';
import { cpuProfileFlags, cpuProfilePath, formatProfileSummary, summarizeCpuProfile } from './lib/profile.js';
import { summarizeRow, type RowResult, type ScenarioReport, type Verdict } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { adoptChild, processMemory, sleep } from './lib/server-process.js';
import { machineCpuSeconds, processCpuSeconds, startTarget, type RunningTarget } from './lib/targets.js';
import { machineInfo } from './lib/machine.js';

const BASELINE = 'node:http';
const HUB = 'hub';
const INGEST_PATH = '/v1/instances/heartbeats';
const INTERVAL_MS = 30_000;
/** One instance in this many stops beating: 1 %, far below self-preservation's 50 %. */
const STOP_EVERY = 100;
const BATCH_SIZE = 100;
const MAX_CPU = 0.25;
const MAX_EXPIRY_LATENESS_MS = 1000;

interface FleetSettings {
  instances: number;
  /** Measured seconds of the steady fleet (`BENCH_FLEET_SECONDS`). */
  seconds: number;
  /** Seconds of beating before measuring, after registration (`BENCH_FLEET_WARMUP`). */
  warmupSeconds: number;
  /** Measured seconds of the baseline (`BENCH_FLEET_BASELINE_SECONDS`). */
  baselineSeconds: number;
  /** Measured seconds of the batched variant, 0 to skip it (`BENCH_FLEET_BATCHED_SECONDS`). */
  batchedSeconds: number;
  connections: number;
}

function fleetSettings(env: NodeJS.ProcessEnv): FleetSettings {
  const number = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`${name}=${raw} must be a number ≥ ${min}`);
    return value;
  };
  return {
    instances: Math.round(number('BENCH_FLEET_INSTANCES', 100_000, 1000)),
    seconds: number('BENCH_FLEET_SECONDS', 60, 1),
    warmupSeconds: number('BENCH_FLEET_WARMUP', 10, 0),
    baselineSeconds: number('BENCH_FLEET_BASELINE_SECONDS', 20, 1),
    batchedSeconds: number('BENCH_FLEET_BATCHED_SECONDS', 20, 0),
    connections: Math.round(number('BENCH_FLEET_CONNECTIONS', 50, 1)),
  };
}

export const hubFleet: Scenario = {
  name: 'hub-fleet',
  title: 'Hub with 100,000 live instances beating every 30 s',
  estimateSeconds() {
    const f = fleetSettings(process.env);
    return (
      5 +
      f.baselineSeconds +
      30 +
      f.warmupSeconds +
      f.seconds +
      65 +
      (f.batchedSeconds ? 5 + f.batchedSeconds : 0)
    );
  },
  async run(settings, log) {
    const startedAt = new Date().toISOString();
    const fleet = fleetSettings(process.env);
    const beatsPerSecond = fleet.instances / (INTERVAL_MS / 1000);
    const profileDir = join(settings.resultsDir, 'profiles');
    const flagsFor = (id: string) =>
      settings.profile.has(id) ? cpuProfileFlags(profileDir, `hub-fleet-${id.replace(/[^\w.-]/g, '_')}`) : [];
    const environment: Record<string, string | number> = {
      ...machineInfo(),
      ...hubBuildInfo(),
    };
    const fleetStart = (origin: string, register: boolean): FleetCommand => ({
      type: 'start',
      origin,
      path: INGEST_PATH,
      authorization: `Bearer ${HUB_ADMIN_KEY}`,
      instances: fleet.instances,
      intervalMs: INTERVAL_MS,
      connections: fleet.connections,
      register,
    });

    // 1. The baseline: bare node:http receiving the same beats.
    let bare: RunningTarget | undefined;
    let generator: LoadGenerator | undefined;
    let baseline: Window;
    try {
      bare = await startTarget({
        id: BASELINE,
        label: 'bare node:http: read body, JSON.parse, 204',
        script: new URL('./targets/bare-ingest.js', import.meta.url),
        nodeFlags: flagsFor(BASELINE),
      });
      generator = await startGenerator();
      generator.send(fleetStart(bare.origin, false));
      await generator.next('beating', 10_000);
      log(
        `${BASELINE}: ${fleet.instances.toLocaleString('en-US')} instances beating; 5 s warm-up, then ${fleet.baselineSeconds} s measured`,
      );
      await sleep(5000);
      baseline = await measureWindow(bare.pid, generator, sleep(fleet.baselineSeconds * 1000));
    } finally {
      await generator?.close();
      await bare?.stop();
    }
    log(`${BASELINE}: ${describeWindow(baseline)}`);

    // 2. The hub: register the fleet, let it beat, measure.
    let hub: HubProcess | undefined;
    let watcher: LostWatcher | undefined;
    generator = undefined;
    const details: Record<string, unknown> = {};
    const notes: string[] = [];
    let steady: Window;
    let expiry: Expiry;
    let expiryWindow: Window;
    let batched: Window | undefined;
    let memory: Record<string, number | undefined>;
    let hubAfter: any;
    let selfPreservationEvents: number;
    let storedLost: number;
    try {
      hub = await startHubProcess({ nodeFlags: flagsFor(HUB) });
      environment.hubCommand = hub.command;
      const validTimeMs = Number(
        (await hubRequest(hub.origin, 'GET', '/v1/hub')).body?.instances?.validTimeMs,
      );
      if (!(validTimeMs > 0)) throw new Error('GET /v1/hub did not say the validTime');
      await sleep(1000);
      const idle = processMemory(hub.pid);
      generator = await startGenerator();
      generator.send(fleetStart(hub.origin, true));
      const registered = await generator.next('registered', 300_000);
      await generator.next('beating', 10_000);
      const afterRegistration = processMemory(hub.pid);
      log(
        `${HUB}: ${fleet.instances.toLocaleString('en-US')} instances registered in ${(registered.ms / 1000).toFixed(1)} s ` +
          `(${registered.requests} POSTs of 100); beating every ${INTERVAL_MS / 1000} s; ${fleet.warmupSeconds} s warm-up, ` +
          `then ${fleet.seconds} s measured`,
      );
      await sleep(fleet.warmupSeconds * 1000);
      steady = await measureWindow(hub.pid, generator, sleep(fleet.seconds * 1000));
      log(`${HUB}: ${describeWindow(steady)}`);

      // 3. Expiry: one instance in a hundred stops beating; watch their `instance.lost` events.
      watcher = await watchLost(hub.origin);
      generator.send({ type: 'stop-subset', every: STOP_EVERY });
      const stopped = await generator.next('stopped', 30_000);
      const lastAck = Math.max(...stopped.last.map((beat) => beat.ackedAt));
      const deadline = lastAck + validTimeMs + MAX_EXPIRY_LATENESS_MS + 4000;
      const expected = new Set(stopped.last.map((beat) => beat.instanceId));
      log(
        `${HUB}: ${stopped.stopped.toLocaleString('en-US')} instances stopped beating; their leases run out over the next ` +
          `${Math.round((lastAck + validTimeMs - Date.now()) / 1000)} s`,
      );
      expiryWindow = await measureWindow(hub.pid, generator, watcher.waitFor(expected, deadline));
      expiry = expiryFigures(stopped.last, stopped.neverAcknowledged, watcher, validTimeMs);
      log(
        `${HUB}: ${expiry.seen}/${expiry.stopped} lost events seen; on the stream late by max ${expiry.seenLateMs.max} ms, ` +
          `p99 ${expiry.seenLateMs.p99} ms (from the agent's send: max ${expiry.agentLateMs.max} ms)`,
      );

      // 4. Optionally the same fleet sending batches of 100 (as a sidecar or proxy would).
      if (fleet.batchedSeconds > 0) {
        generator.send({ type: 'batch', size: BATCH_SIZE });
        await sleep(3000);
        batched = await measureWindow(hub.pid, generator, sleep(fleet.batchedSeconds * 1000));
        log(`${HUB} batched: ${describeWindow(batched)}`);
      }

      // 5. Cross-checks from the store.
      storedLost = await countEvents(hub.origin, 'instance.lost');
      selfPreservationEvents = await countEvents(hub.origin, 'hub.self_preservation_entered');
      hubAfter = (await hubRequest(hub.origin, 'GET', '/v1/hub')).body;
      memory = {
        idleRssBytes: idle?.rssBytes,
        afterRegistrationRssBytes: afterRegistration?.rssBytes,
        steadyEndRssBytes: steady.memory.end,
        steadyMaxRssBytes: steady.memory.max,
        peakRssBytes: processMemory(hub.pid)?.peakRssBytes,
      };
      details.hubOutput = hub.output().slice(-4000);
    } finally {
      watcher?.close();
      await generator?.close();
      await hub?.close();
    }

    for (const id of [BASELINE, HUB]) {
      if (!settings.profile.has(id)) continue;
      const summary = summarizeCpuProfile(
        cpuProfilePath(profileDir, `hub-fleet-${id.replace(/[^\w.-]/g, '_')}`),
      );
      if (summary) {
        log(formatProfileSummary(summary));
        details[`profile:${id}`] = summary;
      } else log(`hub-fleet: no profile was written for ${id}`);
    }

    const mb = (bytes: number | undefined) =>
      bytes === undefined ? '–' : `${(bytes / 1048576).toFixed(0)} MB`;
    const perInstance =
      memory.steadyEndRssBytes !== undefined && memory.idleRssBytes !== undefined
        ? Math.round((memory.steadyEndRssBytes - memory.idleRssBytes) / fleet.instances)
        : undefined;
    notes.push(
      `${fleet.instances.toLocaleString('en-US')} instances, each beating every ${INTERVAL_MS / 1000} s on its own schedule ` +
        `(${Math.round(beatsPerSecond).toLocaleString('en-US')} beats/s spread evenly), one message per POST, ` +
        `${fleet.connections} keep-alive connections from a load generator process; hub validTime ${steadyValid(hubAfter)} (its default).`,
      `generator kept to schedule: beats left late by p99 ${steady.stats.lagMs.p99} ms (max ${steady.stats.lagMs.max} ms) ` +
        `against their slot; ${steady.stats.beatsAcknowledged.toLocaleString('en-US')} beats acknowledged in ` +
        `${steady.stats.seconds.toFixed(1)} s.`,
      `hub RSS: ${mb(memory.idleRssBytes)} idle → ${mb(memory.afterRegistrationRssBytes)} after registering → ` +
        `${mb(memory.steadyEndRssBytes)} at the end of the measured window (max ${mb(memory.steadyMaxRssBytes)} while measured, ` +
        `peak ${mb(memory.peakRssBytes)}); ${perInstance === undefined ? '–' : perInstance.toLocaleString('en-US')} B per instance over idle.`,
      `expiry: ${expiry.stopped.toLocaleString('en-US')} instances (1 %; self-preservation needs 50 %) stopped; ` +
        `${expiry.seen.toLocaleString('en-US')} instance.lost events seen on the stream (${storedLost.toLocaleString('en-US')} in the store), ` +
        `${expiry.unexpected.length} for instances still beating, ${selfPreservationEvents} self-preservation events. ` +
        `Late by — hub's event time vs its own lease end (lastHeartbeatAt + validTime): max ${expiry.hubLateMs.max} ms, p99 ${expiry.hubLateMs.p99} ms, min ${expiry.hubLateMs.min} ms; ` +
        `seen on the stream vs that lease end: max ${expiry.seenLateMs.max} ms, p99 ${expiry.seenLateMs.p99} ms; ` +
        `seen on the stream vs the agent's send of its last acknowledged beat + validTime: max ${expiry.agentLateMs.max} ms, p99 ${expiry.agentLateMs.p99} ms ` +
        '(this one also counts the time the beat waited to be read by the hub: an upper bound).' +
        (expiry.inconsistent
          ? ` ⚠ ${expiry.inconsistent} events carry a lastHeartbeatAt outside that beat's send–answer span.`
          : ''),
      `hub while those ${expiry.stopped.toLocaleString('en-US')} leases ran out (the other 99 % beating): ${describeWindow(expiryWindow)}.`,
      ...(batched
        ? [
            `batched variant (the same fleet, ${BATCH_SIZE} beats per POST, ≈ ${Math.round(beatsPerSecond / BATCH_SIZE)} POSTs/s): ` +
              `${describeWindow(batched)}.`,
          ]
        : []),
    );

    const toSample = (window: Window): LoadSample => ({
      requestsPerSecond: Math.round(window.stats.ok / window.stats.seconds),
      latencyMs: {
        p50: window.stats.latencyMs.p50,
        p90: window.stats.latencyMs.p90,
        p99: window.stats.latencyMs.p99,
        max: window.stats.latencyMs.max,
      },
      responses: window.stats.ok + window.stats.non2xx,
      non2xx: window.stats.non2xx,
      errors: window.stats.errors,
      timeouts: 0,
      bytesPerResponse: window.stats.bytesPerResponse,
      seconds: roundTo(window.seconds, 2),
      targetCpu: window.targetCpu,
      loadCpu: window.loadCpu,
      otherCpu: window.otherCpu,
      attempts: 1,
      quiet: window.otherCpu === undefined || window.otherCpu <= settings.maxOtherCpu,
    });
    const row: RowResult = summarizeRow({
      id: 'fleet',
      title: `${fleet.instances.toLocaleString('en-US')} instances / ${INTERVAL_MS / 1000} s`,
      baseline: BASELINE,
      targets: [
        {
          id: BASELINE,
          label: 'bare node:http: read body, JSON.parse, 204',
          request: `POST ${INGEST_PATH} (1 msg)`,
        },
        { id: HUB, label: 'heartbeat hub (CLI), SQLite', request: `POST ${INGEST_PATH} (1 msg)` },
      ],
      samples: new Map([
        [BASELINE, [toSample(baseline)]],
        [HUB, [toSample(steady)]],
      ]),
      notes,
      details: {
        ...details,
        baseline,
        steady,
        expiryWindow,
        ...(batched && { batched }),
        expiry,
        memory,
        storedLost,
        selfPreservationEvents,
        hubAfter,
      },
    });

    const hubCpu = steady.targetCpu;
    const verdicts: Verdict[] = [
      {
        description: `${row.title}: hub CPU < ${MAX_CPU} of one core`,
        pass:
          hubCpu !== undefined && hubCpu < MAX_CPU && steady.stats.non2xx === 0 && steady.stats.errors === 0,
        actual:
          `${hubCpu?.toFixed(3) ?? '–'} of one core at ${Math.round(steady.stats.ok / steady.stats.seconds).toLocaleString('en-US')} beats/s, ` +
          `p99 ${steady.stats.latencyMs.p99} ms (${BASELINE} receiving the same beats: ${baseline.targetCpu?.toFixed(3) ?? '–'}; ` +
          `hub = ${hubCpu !== undefined && baseline.targetCpu ? (hubCpu / baseline.targetCpu).toFixed(2) : '–'} × its CPU); ` +
          `RSS ${mb(memory.steadyEndRssBytes)}`,
      },
      {
        description: `${row.title}: every expiry seen within ${MAX_EXPIRY_LATENESS_MS / 1000} s`,
        pass:
          expiry.seen === expiry.stopped &&
          expiry.unexpected.length === 0 &&
          expiry.inconsistent === 0 &&
          expiry.seenLateMs.max <= MAX_EXPIRY_LATENESS_MS &&
          expiry.hubLateMs.min >= 0,
        actual:
          `${expiry.seen}/${expiry.stopped} lost events seen on the stream, late by max ${expiry.seenLateMs.max} ms, ` +
          `p99 ${expiry.seenLateMs.p99} ms after (last acknowledged beat received + validTime); event time: max ` +
          `${expiry.hubLateMs.max} ms, p99 ${expiry.hubLateMs.p99} ms, min ${expiry.hubLateMs.min} ms; from the agent's send ` +
          `of that beat: max ${expiry.agentLateMs.max} ms, p99 ${expiry.agentLateMs.p99} ms; ${expiry.unexpected.length} unexpected, ` +
          `${expiry.inconsistent} not the last acknowledged beat`,
      },
    ];
    return {
      scenario: hubFleet.name,
      title: hubFleet.title,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment,
      settings: {
        instances: fleet.instances,
        intervalMs: INTERVAL_MS,
        connections: fleet.connections,
        warmupSeconds: fleet.warmupSeconds,
        durationSeconds: fleet.seconds,
        baselineSeconds: fleet.baselineSeconds,
        batchedSeconds: fleet.batchedSeconds,
        stoppedEvery: STOP_EVERY,
      },
      rows: [row],
      verdicts,
      pass: verdicts.every((v) => v.pass),
    } satisfies ScenarioReport;
  },
};

function steadyValid(hubAfter: any): string {
  const ms = Number(hubAfter?.instances?.validTimeMs);
  return Number.isFinite(ms) ? `${ms / 1000} s` : '?';
}

// ---- the load generator process ----------------------------------------------------------------

type ReportOf<T extends FleetReport['type']> = Extract<FleetReport, { type: T }>;

interface LoadGenerator {
  pid: number;
  send(command: FleetCommand): void;
  next<T extends FleetReport['type']>(type: T, timeoutMs: number): Promise<ReportOf<T>>;
  close(): Promise<void>;
}

async function startGenerator(): Promise<LoadGenerator> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./lib/fleet-load-generator.js', import.meta.url)),
    [],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  adoptChild(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const waiting: Array<{
    type: string;
    resolve: (report: FleetReport) => void;
    reject: (error: Error) => void;
  }> = [];
  /** Reports that came before anyone asked for them (several can arrive in one read). */
  const unclaimed: FleetReport[] = [];
  child.on('message', (report: FleetReport) => {
    if (report.type === 'error') {
      for (const waiter of waiting.splice(0)) waiter.reject(new Error(`load generator: ${report.message}`));
      return;
    }
    const index = waiting.findIndex((waiter) => waiter.type === report.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(report);
    else unclaimed.push(report);
  });
  child.once('exit', (code, signal) => {
    for (const waiter of waiting.splice(0))
      waiter.reject(new Error(`load generator exited (${signal ?? code})`));
  });
  return {
    pid: child.pid!,
    send: (command) => void child.send(command),
    next<T extends FleetReport['type']>(type: T, timeoutMs: number) {
      const early = unclaimed.findIndex((report) => report.type === type);
      if (early >= 0) return Promise.resolve(unclaimed.splice(early, 1)[0] as ReportOf<T>);
      return new Promise<ReportOf<T>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`load generator: no "${type}" within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.push({
          type,
          resolve: (report) => {
            clearTimeout(timer);
            resolve(report as ReportOf<T>);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- a measured window ---------------------------------------------------------------------------

interface Window {
  seconds: number;
  stats: FleetStats;
  /** Cores used by the server, by the load (generator + this process), by the rest of the machine. */
  targetCpu: number | undefined;
  loadCpu: number;
  otherCpu: number | undefined;
  memory: { start?: number; end?: number; max?: number };
}

/** Measures the server `pid` under the generator's load until `until` resolves. */
async function measureWindow(
  pid: number,
  generator: LoadGenerator,
  until: Promise<unknown>,
): Promise<Window> {
  generator.send({ type: 'stats' });
  await generator.next('stats', 10_000);
  const startedAt = performance.now();
  const cpu0 = processCpuSeconds(pid);
  const generatorCpu0 = processCpuSeconds(generator.pid);
  const own0 = process.cpuUsage();
  const machine0 = machineCpuSeconds();
  const memory: Window['memory'] = { start: processMemory(pid)?.rssBytes };
  memory.max = memory.start;
  const sampler = setInterval(() => {
    const rss = processMemory(pid)?.rssBytes;
    if (rss !== undefined) memory.max = Math.max(memory.max ?? 0, rss);
  }, 1000);
  try {
    await until;
  } finally {
    clearInterval(sampler);
  }
  generator.send({ type: 'stats' });
  const stats = await generator.next('stats', 10_000);
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu1 = processCpuSeconds(pid);
  const generatorCpu1 = processCpuSeconds(generator.pid);
  const own = process.cpuUsage(own0);
  const machine1 = machineCpuSeconds();
  memory.end = processMemory(pid)?.rssBytes;
  if (memory.end !== undefined) memory.max = Math.max(memory.max ?? 0, memory.end);
  const targetCpu = cpu0 === undefined || cpu1 === undefined ? undefined : (cpu1 - cpu0) / seconds;
  const loadCpu =
    ((generatorCpu1 ?? 0) - (generatorCpu0 ?? 0)) / seconds + (own.user + own.system) / 1e6 / seconds;
  const otherCpu =
    machine0 === undefined || machine1 === undefined || targetCpu === undefined
      ? undefined
      : Math.max(0, (machine1 - machine0) / seconds - targetCpu - loadCpu);
  return {
    seconds: roundTo(seconds, 2),
    stats,
    targetCpu: targetCpu === undefined ? undefined : roundTo(targetCpu, 3),
    loadCpu: roundTo(loadCpu, 2),
    otherCpu: otherCpu === undefined ? undefined : roundTo(otherCpu, 2),
    memory,
  };
}

function describeWindow(window: Window): string {
  const s = window.stats;
  return (
    `${Math.round(s.beatsAcknowledged / s.seconds).toLocaleString('en-US')} beats/s in ` +
    `${Math.round(s.ok / s.seconds).toLocaleString('en-US')} req/s, p99 ${s.latencyMs.p99} ms, ` +
    `${s.non2xx} non-2xx, ${s.errors} errors; target CPU ${window.targetCpu?.toFixed(3) ?? '–'} cores, ` +
    `load ${window.loadCpu.toFixed(2)}, other ${window.otherCpu?.toFixed(2) ?? '–'}` +
    (window.memory.end === undefined ? '' : `; RSS ${(window.memory.end / 1048576).toFixed(0)} MB`)
  );
}

// ---- instance.lost, from the live stream ----------------------------------------------------------

interface LostEvent {
  id: number;
  instanceId: string;
  at: number;
  lastHeartbeatAt: number;
  validTimeMs: number;
  /** When this process read it from the stream (epoch ms). */
  receivedAt: number;
}

interface LostWatcher {
  events: Map<string, LostEvent>;
  /** Resolves once every id has been seen, or at `deadline` (epoch ms). */
  waitFor(ids: ReadonlySet<string>, deadline: number): Promise<void>;
  close(): void;
}

/** Follows `GET /v1/events/stream?kind=instance.lost`, time-stamping each event as it arrives. */
async function watchLost(origin: string): Promise<LostWatcher> {
  const events = new Map<string, LostEvent>();
  let onEvent: (() => void) | undefined;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${origin}/v1/events/stream?kind=instance.lost`, {
      headers: { authorization: `Bearer ${HUB_ADMIN_KEY}`, accept: 'text/event-stream' },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  if (response.statusCode !== 200) throw new Error(`event stream: ${response.statusCode}`);
  response.setEncoding('utf8');
  let buffer = '';
  let ready: (() => void) | undefined;
  const connected = new Promise<void>((resolve) => (ready = resolve));
  response.on('data', (chunk: string) => {
    const receivedAt = Date.now();
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith('retry:')) ready?.();
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (!data) continue;
      const event = JSON.parse(data) as {
        id: number;
        at: string;
        kind: string;
        instanceId: string;
        data: { lastHeartbeatAt: number; validTimeMs: number };
      };
      if (event.kind !== 'instance.lost') continue;
      events.set(event.instanceId, {
        id: event.id,
        instanceId: event.instanceId,
        at: Date.parse(event.at),
        lastHeartbeatAt: event.data.lastHeartbeatAt,
        validTimeMs: event.data.validTimeMs,
        receivedAt,
      });
    }
    onEvent?.();
  });
  // The hub subscribes before it writes anything after `retry:`; give it a moment either way.
  await Promise.race([connected, sleep(2000)]);
  return {
    events,
    waitFor(ids, deadline) {
      return new Promise<void>((resolve) => {
        const check = () => {
          if ([...ids].every((id) => events.has(id)) || Date.now() >= deadline) {
            clearTimeout(timer);
            onEvent = undefined;
            resolve();
          }
        };
        const timer = setTimeout(check, Math.max(0, deadline - Date.now()));
        onEvent = check;
        check();
      });
    },
    close: () => response.destroy(),
  };
}

interface Spread {
  max: number;
  p99: number;
  p50: number;
  min: number;
}

interface Expiry {
  stopped: number;
  seen: number;
  /** Instances that stopped before any beat of theirs was answered (should be none). */
  neverAcknowledged: number;
  /** `instance.lost` for instances that kept beating. */
  unexpected: string[];
  /** Of the stopped instances, those with no event by the deadline. */
  missing: string[];
  /** Event `at` − (the hub's lastHeartbeatAt + validTime): the hub's own timer. */
  hubLateMs: Spread;
  /** Seen on the stream − (lastHeartbeatAt + validTime): timer, commit and delivery. */
  seenLateMs: Spread;
  /** Seen on the stream − (send time of the last acknowledged beat + validTime): what an agent-side clock sees; an upper bound. */
  agentLateMs: Spread;
  /** Events whose lastHeartbeatAt is not within that beat's send → answer span (1 ms slack). */
  inconsistent: number;
}

function expiryFigures(
  last: readonly LastBeat[],
  neverAcknowledged: readonly number[],
  watcher: LostWatcher,
  validTimeMs: number,
): Expiry {
  const stoppedIds = new Set(last.map((beat) => beat.instanceId));
  for (const index of neverAcknowledged) stoppedIds.add(instanceIdOf(index));
  const hubLate: number[] = [];
  const seenLate: number[] = [];
  const agentLate: number[] = [];
  const missing: string[] = [];
  let inconsistent = 0;
  for (const beat of last) {
    const event = watcher.events.get(beat.instanceId);
    if (!event) {
      missing.push(beat.instanceId);
      continue;
    }
    const leaseEnd = event.lastHeartbeatAt + event.validTimeMs;
    hubLate.push(event.at - leaseEnd);
    seenLate.push(event.receivedAt - leaseEnd);
    agentLate.push(event.receivedAt - (beat.sentAt + validTimeMs));
    if (event.lastHeartbeatAt < beat.sentAt - 1 || event.lastHeartbeatAt > beat.ackedAt + 1) inconsistent++;
  }
  const spread = (values: number[]): Spread => ({
    max: values.length ? Math.max(...values) : NaN,
    p99: percentileOf(values, 99),
    p50: percentileOf(values, 50),
    min: values.length ? Math.min(...values) : NaN,
  });
  return {
    stopped: stoppedIds.size,
    seen: [...stoppedIds].filter((id) => watcher.events.has(id)).length,
    neverAcknowledged: neverAcknowledged.length,
    unexpected: [...watcher.events.keys()].filter((id) => !stoppedIds.has(id)),
    missing,
    hubLateMs: spread(hubLate),
    seenLateMs: spread(seenLate),
    agentLateMs: spread(agentLate),
    inconsistent,
  };
}

/** How many events of a kind the store holds (paging through `GET /v1/events`). */
async function countEvents(origin: string, kind: string): Promise<number> {
  let count = 0;
  let after: number | null = 0;
  while (after !== null) {
    const page = await hubRequest(origin, 'GET', `/v1/events?kind=${kind}&limit=1000&after=${after}`);
    if (page.status !== 200) throw new Error(`GET /v1/events?kind=${kind}: ${page.status}`);
    count += (page.body.items as unknown[]).length;
    after = page.body.nextAfter as number | null;
  }
  return count;
}
