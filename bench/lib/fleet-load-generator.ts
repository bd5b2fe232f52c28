/**
 * The fleet's load generator, a process of its own (forked by `hub-fleet.ts`, driven over IPC): N
 * instances that each beat every `intervalMs` on their own schedule — instance i at
 * `t0 + i × interval / N + k × interval`, so beats are spread evenly — with realistic messages, as
 * single-message POSTs (as agents send them, with `Prefer: return=minimal`) or batches, over a pool
 * of keep-alive connections.
 *
 * It can register every instance first (batches of 100), reports its figures for a window on
 * request (beats sent and answered, request latency, how late beats left against their schedule),
 * and can stop one instance in every `stopEvery`, answering with the send and answer times of each
 * one's last acknowledged beat. It exits when the runner closes the IPC channel.
 */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { Histogram } from './histogram.js';
import { heartbeatMessage, instanceIdOf } from './heartbeat-messages.js';

export interface FleetStart {
  type: 'start';
  /** `http://127.0.0.1:<port>` */
  origin: string;
  path: string;
  authorization: string;
  instances: number;
  intervalMs: number;
  connections: number;
  /** Register every instance (batches of 100) before beating. */
  register: boolean;
}

export type FleetCommand =
  | FleetStart
  /** Figures since the last `stats` (or since beating started), then start a new window. */
  | { type: 'stats' }
  /** From now on, send due beats in batches of this many messages (1: one per POST). */
  | { type: 'batch'; size: number }
  /** Stop beating one instance in every `every`; answer once their beats in flight have returned. */
  | { type: 'stop-subset'; every: number };

export interface FleetStats {
  seconds: number;
  /** Requests sent and answered in the window. */
  requests: number;
  /** Heartbeats carried by the 2xx answers. */
  beatsAcknowledged: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Send → whole answer read, 2xx only, ms. */
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number };
  /** How long after its scheduled time each beat was sent, ms. */
  lagMs: { count: number; p50: number; p90: number; p99: number; max: number };
  /** Bytes read from the sockets (heads and bodies of answers) per answer. */
  bytesPerResponse: number;
  /** Requests in flight at the end of the window. */
  inFlight: number;
}

export interface LastBeat {
  index: number;
  instanceId: string;
  /** Epoch ms when the last 2xx-answered beat was sent, and when its answer arrived. */
  sentAt: number;
  ackedAt: number;
}

export type FleetReport =
  | { type: 'registered'; ms: number; requests: number }
  | { type: 'beating' }
  | ({ type: 'stats' } & FleetStats)
  | { type: 'stopped'; at: number; stopped: number; last: LastBeat[]; neverAcknowledged: number[] }
  | { type: 'error'; message: string };

const send = (report: FleetReport): void => void process.send?.(report);

let config: FleetStart | undefined;
let agent: Agent | undefined;
const sockets = new Set<Socket>();
let batchSize = 1;
let stopEvery = 0;
let stopRequested = false;
let stoppedAt = 0;

let windowStart = performance.now();
let latency = new Histogram();
let lag = new Histogram();
let counts = { requests: 0, beats: 0, ok: 0, non2xx: 0, errors: 0 };
let bytesAtWindowStart = 0;
let inFlight = 0;
/** Beats in flight per instance; and, once `stop-subset` came, of the stopped instances in all. */
let inFlightOf = new Uint8Array(0);
let subsetInFlight = 0;
let onSubsetDrained: (() => void) | undefined;

let lastAckedSentAt = new Float64Array(0);
let lastAckedAt = new Float64Array(0);
let lastHeartbeatTime = new Float64Array(0);

function bytesRead(): number {
  let total = 0;
  for (const socket of sockets) total += socket.bytesRead;
  return total;
}

function isStopped(index: number): boolean {
  return stopRequested && stopEvery > 0 && index % stopEvery === 0;
}

/** POSTs the beats of `indices` (one message, or an array) and books the answer. */
function post(indices: number[], dueAt: number): void {
  const cfg = config!;
  const wallNow = Date.now();
  const messages = indices.map((index) => {
    const previous = lastHeartbeatTime[index]!;
    return heartbeatMessage(
      index,
      { heartbeatTime: wallNow, ...(previous > 0 && { lastHeartbeatTime: previous }) },
      cfg.intervalMs,
    );
  });
  const body = JSON.stringify(messages.length === 1 && batchSize === 1 ? messages[0] : messages);
  for (const index of indices) inFlightOf[index]!++;
  inFlight++;
  counts.requests++;
  const started = performance.now();
  lag.record(started - dueAt);
  let finished = false;
  const done = (status: number) => {
    if (finished) return;
    finished = true;
    inFlight--;
    if (status >= 200 && status < 300) {
      const ackedAt = Date.now();
      latency.record(performance.now() - started);
      counts.ok++;
      counts.beats += indices.length;
      for (const index of indices) {
        lastAckedSentAt[index] = wallNow;
        lastAckedAt[index] = ackedAt;
        lastHeartbeatTime[index] = wallNow;
      }
    } else if (status > 0) counts.non2xx++;
    else counts.errors++;
    for (const index of indices) {
      inFlightOf[index]!--;
      if (isStopped(index)) subsetInFlight--;
    }
    if (onSubsetDrained && subsetInFlight === 0) onSubsetDrained();
  };
  const req = request(
    cfg.origin + cfg.path,
    {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        authorization: cfg.authorization,
        // What the SDK agent sends once the hub has answered it in full: the hub answers 204.
        prefer: 'return=minimal',
        'content-length': Buffer.byteLength(body),
      },
    },
    (res) => {
      res.on('data', () => {});
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', () => done(0));
    },
  );
  req.on('socket', (socket) => sockets.add(socket));
  req.on('error', () => done(0));
  req.end(body);
}

/** Registers every instance in batches of 100, a few requests at a time. */
async function register(): Promise<number> {
  const cfg = config!;
  const total = Math.ceil(cfg.instances / 100);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const batch = next++;
      const at = Date.now();
      const body = JSON.stringify(
        Array.from({ length: Math.min(100, cfg.instances - batch * 100) }, (_, j) =>
          heartbeatMessage(batch * 100 + j, { heartbeatTime: at }, cfg.intervalMs),
        ),
      );
      const response = await fetch(cfg.origin + cfg.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: cfg.authorization },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`registering batch ${batch}: status ${response.status}`);
      for (let j = batch * 100; j < Math.min(cfg.instances, batch * 100 + 100); j++)
        lastHeartbeatTime[j] = at;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return total;
}

/** Sends every beat that has come due, in schedule order, every few ms. */
function beat(): void {
  const cfg = config!;
  const t0 = performance.now();
  const spacing = cfg.intervalMs / cfg.instances;
  let sent = 0;
  let pending: number[] = [];
  let pendingDue = 0;
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - t0) / spacing);
    for (; sent < due; sent++) {
      const index = sent % cfg.instances;
      if (isStopped(index)) continue;
      if (pending.length === 0) pendingDue = t0 + sent * spacing;
      pending.push(index);
      if (pending.length >= batchSize) {
        post(pending, pendingDue);
        pending = [];
      }
    }
  }, 5);
  timer.ref();
}

function stats(): FleetStats {
  const now = performance.now();
  const bytes = bytesRead();
  const answered = counts.ok + counts.non2xx;
  const result: FleetStats = {
    seconds: (now - windowStart) / 1000,
    requests: counts.requests,
    beatsAcknowledged: counts.beats,
    ok: counts.ok,
    non2xx: counts.non2xx,
    errors: counts.errors,
    latencyMs: latency.summary(),
    lagMs: lag.summary(),
    bytesPerResponse: answered > 0 ? Math.round(((bytes - bytesAtWindowStart) / answered) * 10) / 10 : 0,
    inFlight,
  };
  windowStart = now;
  latency = new Histogram();
  lag = new Histogram();
  counts = { requests: 0, beats: 0, ok: 0, non2xx: 0, errors: 0 };
  bytesAtWindowStart = bytes;
  return result;
}

function stopSubset(every: number): void {
  const cfg = config!;
  stopEvery = every;
  stopRequested = true;
  stoppedAt = Date.now();
  const answer = () => {
    onSubsetDrained = undefined;
    const last: LastBeat[] = [];
    const neverAcknowledged: number[] = [];
    for (let index = 0; index < cfg.instances; index += every) {
      if (lastAckedAt[index]! > 0) {
        last.push({
          index,
          instanceId: instanceIdOf(index),
          sentAt: lastAckedSentAt[index]!,
          ackedAt: lastAckedAt[index]!,
        });
      } else neverAcknowledged.push(index);
    }
    send({
      type: 'stopped',
      at: stoppedAt,
      stopped: last.length + neverAcknowledged.length,
      last,
      neverAcknowledged,
    });
  };
  // Beats of those instances already on the wire still count: answer once they are back.
  subsetInFlight = 0;
  for (let index = 0; index < cfg.instances; index += every) subsetInFlight += inFlightOf[index]!;
  if (subsetInFlight === 0) answer();
  else onSubsetDrained = answer;
}

process.on('disconnect', () => process.exit(0));
process.on('message', (command: FleetCommand) => {
  void (async () => {
    try {
      switch (command.type) {
        case 'start': {
          config = command;
          agent = new Agent({
            keepAlive: true,
            maxSockets: command.connections,
            maxFreeSockets: command.connections,
            scheduling: 'fifo',
          });
          inFlightOf = new Uint8Array(command.instances);
          lastAckedSentAt = new Float64Array(command.instances);
          lastAckedAt = new Float64Array(command.instances);
          lastHeartbeatTime = new Float64Array(command.instances);
          if (command.register) {
            const started = performance.now();
            const requests = await register();
            send({ type: 'registered', ms: Math.round(performance.now() - started), requests });
          }
          stats();
          beat();
          send({ type: 'beating' });
          break;
        }
        case 'stats':
          send({ type: 'stats', ...stats() });
          break;
        case 'batch':
          batchSize = Math.max(1, Math.floor(command.size));
          break;
        case 'stop-subset':
          stopSubset(command.every);
          break;
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
