/**
 * A notification storm: 1,000 APIs flip to DOWN at once on a hub (its own process, SQLite) whose
 * rule sends each flip on its own (`group: 0`) to a signed webhook receiver on loopback (in this
 * process). Observations are driven through the hub's API throughout.
 *
 * 1. Setup: 3 × 1,000 storm APIs get 10 successful outcomes each (UP); a rule `api-down` (basepaths
 *    `/storm/*`) notifies `hook`.
 * 2. Three rounds of:
 *    - observation ingest (1,000 outcomes per request, on 100 other basepaths, 4 connections) for
 *      `BENCH_NOTIFY_SEGMENT` seconds (default 6): observations/s with no storm;
 *    - the same ingest load again, and at its start 100 failures for each of this round's 1,000 storm
 *      APIs (10 requests of 10,000 outcomes): 1,000 transitions at once, 1,000 deliveries.
 *
 * Reported: notifications delivered (3,000 expected), transition → delivery latency p50/p99/max
 * (the transition time is the item's `since`, stamped by the hub; the hub and the receiver share
 * this machine's clock), and ingest throughput during a storm ÷ without it, the median of the
 * rounds (target ≥ 0.8).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUB_ADMIN_KEY, hubBuildInfo, startHubProcess, type HubProcess } from './lib/hub.js';
import { cpuProfileFlags, formatProfileSummary, summarizeCpuProfile } from './lib/profile.js';
import { median, type ScenarioReport, type Verdict } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { machineInfo } from './lib/machine.js';

const STORM_APIS = 1000;
const LOAD_BASEPATHS = 100;
const PER_REQUEST = 1000;
const LOAD_CONNECTIONS = 4;
const MIN_RATIO = 0.8;
const DELIVERY_TIMEOUT_MS = 30_000;
/** Rounds of (no storm, storm); each storm flips its own 1,000 APIs. The ratio is their median. */
const ROUNDS = 3;
const SEGMENT_SECONDS = Number(process.env.BENCH_NOTIFY_SEGMENT || 6);
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${HUB_ADMIN_KEY}` };

interface Receiver {
  url: string;
  /** Transition → delivery, ms, one per notified API. */
  latencies: Map<string, number>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const latencies = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const arrived = Date.now();
      try {
        const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          kind: string;
          items: { key: string; since: number }[];
        };
        if (message.kind === 'trigger')
          for (const item of message.items) latencies.set(item.key, arrived - item.since);
      } catch {
        // Counted as missing.
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    latencies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function post(origin: string, body: string): Promise<void> {
  const response = await fetch(`${origin}/v1/observations`, { method: 'POST', headers: HEADERS, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`POST /v1/observations answered ${response.status}`);
}

function outcomes(basepaths: readonly string[], perApi: number, statusCode: number): string {
  const at = Date.now();
  const items: unknown[] = [];
  for (const basepath of basepaths)
    for (let i = 0; i < perApi; i++)
      items.push({ basepath, statusCode, durationMs: 3 + (i % 7), timestamp: at });
  return JSON.stringify(items);
}

/** Ingest load for `seconds` on a few connections: observations accepted, and per second. */
async function ingestLoad(origin: string, seconds: number): Promise<{ observations: number; rate: number }> {
  // All successes: the load's own APIs stay UP, so every notification is the storm's.
  const bodies = [
    outcomes(
      Array.from({ length: LOAD_BASEPATHS }, (_, i) => `/load/${i}`),
      PER_REQUEST / LOAD_BASEPATHS,
      200,
    ),
  ];
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  let requests = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONNECTIONS }, async (_, connection) => {
      for (let n = connection; Date.now() < end; n++) {
        await post(origin, bodies[n % bodies.length]!);
        requests++;
      }
    }),
  );
  const observations = requests * PER_REQUEST;
  return { observations, rate: observations / ((Date.now() - started) / 1000) };
}

/** How many deliveries took 1, 2, … attempts, and the errors seen, from the hub's delivery log. */
async function deliveryAttempts(origin: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let before: number | null = null;
  do {
    const response = await fetch(
      `${origin}/v1/notifications?limit=500${before === null ? '' : `&before=${before}`}`,
      { headers: HEADERS },
    );
    const page = (await response.json()) as {
      deliveries: { attempts: number; status: string; lastError: string | null }[];
      next: number | null;
    };
    for (const row of page.deliveries) {
      const key = `${row.status}/${row.attempts}${row.lastError ? ` (${row.lastError})` : ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    before = page.next;
  } while (before !== null);
  return counts;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const notifyStorm: Scenario = {
  name: 'notify-storm',
  title: 'Notifications: 1,000 APIs flipping at once, webhook on loopback',
  estimateSeconds: () => ROUNDS * 2 * SEGMENT_SECONDS + 30,
  async run(_settings, log) {
    const startedAt = new Date().toISOString();
    const receiver = await startReceiver();
    const configDir = mkdtempSync(join(tmpdir(), 'heartbeat-bench-notify-'));
    const configFile = join(configDir, 'hub.yaml');
    writeFileSync(
      configFile,
      `notifiers:
  - name: hook
    concurrency: 8
    webhook: { url: ${receiver.url}, secret: bench-secret }
rules:
  - name: api-down
    when: api.down
    match: { basepath: ${process.env.BENCH_NOTIFY_OFF ? '/none/*' : '/storm/*'} }
    group: 0s
    notify: hook
`,
    );
    let hub: HubProcess | undefined;
    try {
      const profiling = (process.env.BENCH_PROFILE ?? '').split(',').includes('hub');
      hub = await startHubProcess({
        id: 'hub',
        env: { HEARTBEAT_CONFIG: configFile },
        ...(profiling && { nodeFlags: cpuProfileFlags(configDir, 'notify-storm-hub') }),
      });
      const origin = hub.origin;
      const storms = Array.from({ length: ROUNDS }, (_, round) =>
        Array.from({ length: STORM_APIS }, (_, i) => `/storm/${round}/${i}`),
      );
      log(`notify-storm: ${ROUNDS} × 1,000 APIs UP`);
      for (const storm of storms) await post(origin, outcomes(storm, 10, 200));
      await ingestLoad(origin, 2); // warm-up: JIT, connections, the load basepaths registered
      const baselines: number[] = [];
      const during: number[] = [];
      /** Observations per CPU-second of the hub, without and during a storm (robust to the machine's noise). */
      const cpuBaselines: number[] = [];
      const cpuDuring: number[] = [];
      const cpu = () => hub?.cpuSeconds() ?? NaN;
      let flipMs = 0;
      for (const [round, storm] of storms.entries()) {
        log(`notify-storm: round ${round + 1}: ingest without a storm, ${SEGMENT_SECONDS} s`);
        const cpuBefore = cpu();
        const quiet = await ingestLoad(origin, SEGMENT_SECONDS);
        baselines.push(quiet.rate);
        cpuBaselines.push(quiet.observations / (cpu() - cpuBefore));
        const cpuStorm = cpu();
        log(
          `notify-storm: round ${round + 1}: 1,000 APIs flip to DOWN, ingest goes on for ${SEGMENT_SECONDS} s`,
        );
        const load = ingestLoad(origin, SEGMENT_SECONDS);
        const flipStarted = Date.now();
        for (let i = 0; i < 10; i++)
          await post(origin, outcomes(storm.slice(i * 100, (i + 1) * 100), 100, 503));
        flipMs = Math.max(flipMs, Date.now() - flipStarted);
        const loaded = await load;
        during.push(loaded.rate);
        // The storm's own 100,000 outcomes count as ingest too.
        cpuDuring.push((loaded.observations + STORM_APIS * 100) / (cpu() - cpuStorm));
        const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
        while (receiver.latencies.size < (round + 1) * STORM_APIS && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const latencies = [...receiver.latencies.values()].sort((a, b) => a - b);
      const attempts = await deliveryAttempts(origin);
      log(`notify-storm: attempts per delivery ${JSON.stringify(attempts)}`);
      const delivered = latencies.length;
      const ratios = baselines.map((baseline, i) => (during[i] ?? 0) / baseline);
      const ratio = median(ratios);
      const cpuRatios = cpuBaselines.map((quiet, i) => (cpuDuring[i] ?? 0) / quiet);
      const baseline = median(baselines);
      const stormRate = median(during);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const max = latencies.at(-1) ?? NaN;
      const round = (n: number) => Math.round(n).toLocaleString('en-US');
      const verdicts: Verdict[] = [
        {
          description: `all ${(ROUNDS * STORM_APIS).toLocaleString('en-US')} notifications delivered (${ROUNDS} storms of ${STORM_APIS.toLocaleString('en-US')})`,
          pass: delivered === ROUNDS * STORM_APIS,
          actual:
            `${delivered} delivered; transition → delivery p50 ${round(p50)} ms, p99 ${round(p99)} ms, ` +
            `max ${round(max)} ms (sending the 1,000 flips took up to ${round(flipMs)} ms)`,
        },
        {
          description: `ingest during the storm ≥ ${MIN_RATIO} × without it`,
          pass: ratio >= MIN_RATIO,
          actual:
            `${ratio.toFixed(2)} × (median of ${ratios.map((r) => r.toFixed(2)).join(', ')}; ` +
            `${round(stormRate)} vs ${round(baseline)} observations/s, ` +
            `${LOAD_CONNECTIONS} connections of ${PER_REQUEST} outcomes per request); per hub CPU-second ` +
            `${median(cpuRatios).toFixed(2)} × (median of ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}; ` +
            `${round(median(cpuDuring))} vs ${round(median(cpuBaselines))})`,
        },
      ];
      return {
        scenario: notifyStorm.name,
        title: notifyStorm.title,
        startedAt,
        finishedAt: new Date().toISOString(),
        environment: {
          ...machineInfo(),
          ...hubBuildInfo(),
        },
        settings: {
          stormApis: STORM_APIS,
          rounds: ROUNDS,
          segmentSeconds: SEGMENT_SECONDS,
          loadConnections: LOAD_CONNECTIONS,
          observationsPerRequest: PER_REQUEST,
          delivered,
          latencyP50Ms: p50,
          latencyP99Ms: p99,
          latencyMaxMs: max,
          baselineObservationsPerSecond: Math.round(baseline),
          stormObservationsPerSecond: Math.round(stormRate),
          observationsPerHubCpuSecondRatio: median(cpuRatios),
        },
        rows: [],
        verdicts,
        pass: verdicts.every((verdict) => verdict.pass),
      } satisfies ScenarioReport;
    } finally {
      await hub?.close();
      const profile = summarizeCpuProfile(join(configDir, 'notify-storm-hub.cpuprofile'), 25);
      if (profile) log(formatProfileSummary(profile));
      await receiver.close();
      rmSync(configDir, { recursive: true, force: true });
    }
  },
};
