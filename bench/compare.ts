/**
 * `npm run bench:compare -- <other build's packages/cli/dist/main.js> [workload] [pairs] [seconds]`:
 * the hub's CPU per request under one workload, this build (B) against another (A), measured in
 * PAIRS. Both hubs run at once; each is loaded in turn for `seconds`, the order alternating pair by
 * pair, and the median of the per-pair ratios B/A is the answer (below 1: B is cheaper).
 *
 * Why pairs: on a shared VM the whole machine's speed drifts by ±20 % over minutes, so a "before" run
 * and an "after" run a few minutes apart cannot see a 10 % change; two runs seconds apart can. Run
 * the other build against itself first (give this build's own main.js) to see the noise: an A/A
 * comparison here gives 0.97–1.03.
 *
 * Workloads: `heartbeat` (one per POST over 10,000 instances), `heartbeats-100` (100 per POST),
 * `observations` (1,000 per POST over 100 APIs), `fleet` (100,000 instances at 3,333 beats/s).
 *
 * @example
 * git worktree add /tmp/before HEAD~1 && (cd /tmp/before && npm ci && npm run build)
 * npm run build && npm run bench:compare -- /tmp/before/packages/cli/dist/main.js heartbeats-100 8 3
 */
import autocannon from 'autocannon';
import { ingestBodies } from './lib/api-observations.js';
import { heartbeatMessage } from './lib/heartbeat-messages.js';
import { HUB_ADMIN_KEY, HUB_CLI, startHubProcess, type HubProcess } from './lib/hub.js';
import { median } from './lib/report.js';
import { killAllTargets } from './lib/targets.js';

interface Workload {
  path: string;
  /** Bodies sent in turn while measured. */
  bodies: string[];
  /** Bodies sent once before measuring (registrations). */
  setup: string[];
  /** Requests per second for the whole run; unset: as fast as 50 connections go. */
  rate?: number;
}

const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${HUB_ADMIN_KEY}` };
const BEATS = '/v1/instances/heartbeats';

function workload(name: string): Workload {
  const now = Date.now();
  const message = (i: number) =>
    JSON.stringify(heartbeatMessage(i, { heartbeatTime: now, lastHeartbeatTime: now - 30_000 }));
  const batches = (count: number, per: number) =>
    Array.from({ length: count / per }, (_, b) => {
      const items = Array.from({ length: per }, (_, i) => message(b * per + i));
      return per === 1 ? items[0]! : `[${items.join(',')}]`;
    });
  switch (name) {
    case 'heartbeat': {
      const bodies = batches(10_000, 1);
      return { path: BEATS, bodies, setup: bodies };
    }
    case 'heartbeats-100': {
      const bodies = batches(10_000, 100);
      return { path: BEATS, bodies, setup: bodies };
    }
    case 'observations': {
      const bodies = ingestBodies(20, 1000, 100, now);
      return { path: '/v1/observations', bodies, setup: bodies.slice(0, 2) };
    }
    case 'fleet':
      return { path: BEATS, bodies: batches(100_000, 1), setup: batches(100_000, 100), rate: 3333 };
    default:
      throw new Error(`unknown workload ${name}: heartbeat, heartbeats-100, observations or fleet`);
  }
}

interface Sample {
  cpuUsPerRequest: number;
  requestsPerSecond: number;
}

async function load(hub: HubProcess, work: Workload, seconds: number): Promise<Sample> {
  let next = 0;
  const before = hub.cpuSeconds();
  const result = await autocannon({
    url: hub.origin + work.path,
    connections: 50,
    duration: seconds,
    method: 'POST',
    headers: HEADERS,
    ...(work.rate !== undefined && { overallRate: work.rate }),
    requests: [
      { setupRequest: (request) => ({ ...request, body: work.bodies[next++ % work.bodies.length] }) },
    ],
  });
  const after = hub.cpuSeconds();
  const ok = result['2xx'];
  if (before === undefined || after === undefined) throw new Error('no /proc here: CPU time is unknown');
  if (ok === 0 || result.non2xx > 0) throw new Error(`${hub.id}: ${result.non2xx} non-2xx answers`);
  return { cpuUsPerRequest: ((after - before) * 1e6) / ok, requestsPerSecond: ok / seconds };
}

async function main(): Promise<void> {
  const [other, name = 'heartbeat', pairsText = '6', secondsText = '3'] = process.argv.slice(2);
  if (!other) {
    throw new Error(
      'usage: npm run bench:compare -- <other build main.js> [heartbeat|heartbeats-100|observations|fleet] [pairs] [seconds]',
    );
  }
  const [pairs, seconds] = [Number(pairsText), Number(secondsText)];
  if (!(pairs >= 1 && seconds >= 1)) throw new Error('pairs and seconds must be at least 1');
  const work = workload(name);
  const hubs = [
    await startHubProcess({ id: 'A', cli: other }),
    await startHubProcess({ id: 'B', cli: HUB_CLI }),
  ];
  try {
    for (const hub of hubs) {
      for (const body of work.setup) {
        const answer = await fetch(hub.origin + work.path, { method: 'POST', headers: HEADERS, body });
        if (!answer.ok)
          throw new Error(`${hub.id}: set-up answered ${answer.status}: ${await answer.text()}`);
      }
      await load(hub, work, 1); // warm-up
    }
    console.log(`A = ${other}\nB = ${HUB_CLI}\n${name}: ${pairs} pairs of ${seconds} s each\n`);
    const ratios: number[] = [];
    const cpu: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let pair = 0; pair < pairs; pair++) {
      const order = pair % 2 === 0 ? hubs : [hubs[1]!, hubs[0]!];
      const samples: Partial<Record<string, Sample>> = {};
      for (const hub of order) samples[hub.id] = await load(hub, work, seconds);
      const [a, b] = [samples.A!, samples.B!];
      cpu.A.push(a.cpuUsPerRequest);
      cpu.B.push(b.cpuUsPerRequest);
      ratios.push(b.cpuUsPerRequest / a.cpuUsPerRequest);
      console.log(
        `pair ${pair + 1}: A ${a.cpuUsPerRequest.toFixed(1)} µs/request (${Math.round(a.requestsPerSecond)}/s), ` +
          `B ${b.cpuUsPerRequest.toFixed(1)} µs/request (${Math.round(b.requestsPerSecond)}/s), B/A ${ratios.at(-1)!.toFixed(3)}`,
      );
    }
    console.log(
      `\nmedian CPU per request: A ${median(cpu.A).toFixed(1)} µs, B ${median(cpu.B).toFixed(1)} µs; ` +
        `median of the pairs' B/A: ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
    );
  } finally {
    await Promise.all(hubs.map((hub) => hub.close()));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  killAllTargets();
  process.exitCode = 2;
});
