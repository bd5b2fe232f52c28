/**
 * The hub's API-status side at the issue's scale, each server in its own process, measured like
 * `hub-ingest` (autocannon in the runner, rotating rounds, medians, the same noise policy):
 *
 * - **Observation ingest**, 1,000 realistic request outcomes per `POST /v1/observations` over 100
 *   basepaths, against bare node:http reading, parsing and answering the same bodies. Since the
 *   target is "on one core" and the load generator shares the machine's two, the verdict is on
 *   observations per CPU-second of the hub process (`/proc/<pid>/stat`), wall observations/s beside it.
 * - **`GET /v1/heartbeats` over 10,000 APIs** (registered first, with known statuses) on a few
 *   connections, against bare node:http sending the same array serialized once; the filtered forms
 *   `?status=DOWN` and `?basepath=/api/5000` are measured too, one round each, reported only.
 *
 * Targets (from the issue): batched ingest ≥ 1,000,000 observations/s into the window on one core;
 * `GET /v1/heartbeats` over 10,000 APIs p99 under 20 ms.
 */
import { join } from 'node:path';
import {
  expectedHeartbeats,
  ingestBodies,
  registeredBasepath,
  registrationBodies,
} from './lib/api-observations.js';
import { HUB_ADMIN_KEY, hubBuildInfo, hubRequest, startHubProcess, type HubProcess } from './lib/hub.js';
import type { LoadSample } from './lib/load.js';
import { cpuProfileFlags, cpuProfilePath, formatProfileSummary, summarizeCpuProfile } from './lib/profile.js';
import {
  measurement,
  median,
  summarizeRow,
  type Measurement,
  type RowResult,
  type ScenarioReport,
  type Verdict,
} from './lib/report.js';
import { measureRequestRounds, type RequestTarget } from './lib/request-load.js';
import { roundsOptions, type BenchSettings, type Scenario } from './lib/scenario.js';
import { startTarget, type RunningTarget } from './lib/targets.js';
import { machineInfo } from './lib/machine.js';

const BASELINE = 'node:http';
const HUB = 'hub';
const OBSERVATIONS_PATH = '/v1/observations';
const HEARTBEATS_PATH = '/v1/heartbeats';
const PER_REQUEST = 1000;
const INGEST_BASEPATHS = 100;
/** Distinct ingest bodies sent in turn. */
const INGEST_BODIES = 20;
const APIS = 10_000;
const MIN_OBSERVATIONS_PER_CPU_SECOND = 1_000_000;
const MAX_HEARTBEATS_P99_MS = 20;
/** Connections for the reads (`BENCH_APIS_READ_CONNECTIONS`): a dashboard or a few pollers, not a crowd. */
const READ_CONNECTIONS = Math.round(Number(process.env.BENCH_APIS_READ_CONNECTIONS || 4));
/** The filtered reads are reported, not judged: one round each. */
const FILTER_ROUNDS = 1;
/** `BENCH_APIS_READS=0` measures the ingest row alone (for before/after comparisons of ingest). */
const WITH_READS = process.env.BENCH_APIS_READS !== '0';

const AUTH = { authorization: `Bearer ${HUB_ADMIN_KEY}` };
const POST_HEADERS = { 'content-type': 'application/json', ...AUTH };

type Labelled = RequestTarget & { label: string; request: string };

export const hubApis: Scenario = {
  name: 'hub-apis',
  title: 'Hub API status: observation ingest and GET /v1/heartbeats over 10,000 APIs',
  estimateSeconds(settings) {
    const run = settings.warmupSeconds + settings.durationSeconds + 0.5;
    return 2 * 2 * settings.rounds * run + 2 * 2 * FILTER_ROUNDS * run + settings.noiseBudget.seconds + 40;
  },
  async run(settings, log) {
    const startedAt = new Date().toISOString();
    const environment: Record<string, string | number> = {
      ...machineInfo(),
      ...hubBuildInfo(),
    };
    const ingest = await ingestRow(settings, log, environment);
    const reads = WITH_READS ? await readRows(settings, log) : [];
    const rows = [ingest, ...reads];
    const verdicts: Verdict[] = [ingestVerdict(ingest), ...reads.slice(0, 1).map(heartbeatsVerdict)];
    return {
      scenario: hubApis.name,
      title: hubApis.title,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment,
      settings: {
        connections: settings.connections,
        readConnections: READ_CONNECTIONS,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        filterRounds: FILTER_ROUNDS,
        maxOtherCpu: settings.maxOtherCpu,
        observationsPerRequest: PER_REQUEST,
        ingestBasepaths: INGEST_BASEPATHS,
        apis: APIS,
      },
      rows,
      verdicts,
      pass: verdicts.every((v) => v.pass),
    } satisfies ScenarioReport;
  },
};

/** Observations per CPU-second of the target: 1,000 per request over its CPU µs per request. */
const perCpuSecond = (m: Measurement): number | undefined =>
  m.median.cpuUsPerRequest ? (PER_REQUEST * 1e6) / m.median.cpuUsPerRequest : undefined;

const formatCount = (value: number | undefined): string =>
  value === undefined ? '–' : Math.round(value).toLocaleString('en-US');

function ingestVerdict(row: RowResult): Verdict {
  const hub = measurement(row, HUB);
  const base = measurement(row, BASELINE);
  const perCpu = perCpuSecond(hub);
  return {
    description:
      `${row.title}: hub ≥ ${MIN_OBSERVATIONS_PER_CPU_SECOND.toLocaleString('en-US')} observations ` +
      'per CPU-second of the hub process (one core)',
    pass: hub.clean && perCpu !== undefined && perCpu >= MIN_OBSERVATIONS_PER_CPU_SECOND,
    actual:
      `${formatCount(perCpu)} per hub CPU-second${hub.clean ? '' : ' (non-2xx or errors)'} ` +
      `(${formatCount(hub.median.cpuUsPerRequest)} µs per request of 1,000; ${BASELINE}: ` +
      `${formatCount(perCpuSecond(base))}); wall ${formatCount(hub.median.requestsPerSecond * PER_REQUEST)} ` +
      `observations/s at ${hub.median.targetCpu?.toFixed(2) ?? '–'} hub cores (${BASELINE}: ` +
      `${formatCount(base.median.requestsPerSecond * PER_REQUEST)}/s), p99 ${hub.median.p99Ms.toFixed(2)} ms; ` +
      'each answer after the SQLite commit (durable)',
  };
}

function heartbeatsVerdict(row: RowResult): Verdict {
  const hub = measurement(row, HUB);
  const base = measurement(row, BASELINE);
  return {
    description: `${row.title}: hub p99 < ${MAX_HEARTBEATS_P99_MS} ms`,
    pass: hub.clean && hub.median.p99Ms < MAX_HEARTBEATS_P99_MS,
    actual:
      `p99 ${hub.median.p99Ms.toFixed(2)} ms${hub.clean ? '' : ' (non-2xx or errors)'} ` +
      `(p50 ${hub.median.p50Ms.toFixed(2)}, max ${maxLatency(hub).toFixed(2)} ms; ` +
      `${formatCount(hub.median.requestsPerSecond)} req/s on ${READ_CONNECTIONS} connections); ` +
      `${BASELINE} sending the pre-serialized array: p99 ${base.median.p99Ms.toFixed(2)} ms, ` +
      `${formatCount(base.median.requestsPerSecond)} req/s; CPU per request ` +
      `${formatCount(hub.median.cpuUsPerRequest)} vs ${formatCount(base.median.cpuUsPerRequest)} µs`,
  };
}

/** The worst latency of the samples the medians use (the quiet ones when there are any). */
function maxLatency(m: Measurement): number {
  const used = m.samples.some((s) => s.quiet) ? m.samples.filter((s) => s.quiet) : m.samples;
  return Math.max(...used.map((s) => s.latencyMs.max));
}

function latencyNote(m: Measurement): string {
  const used: LoadSample[] = m.samples.some((s) => s.quiet) ? m.samples.filter((s) => s.quiet) : m.samples;
  const p90 = median(used.map((s) => s.latencyMs.p90));
  return (
    `${m.id} p50/p90/p99/max ${m.median.p50Ms.toFixed(2)}/${p90.toFixed(2)}/` +
    `${m.median.p99Ms.toFixed(2)}/${maxLatency(m).toFixed(2)} ms`
  );
}

function profiler(settings: BenchSettings, row: string) {
  const dir = join(settings.resultsDir, 'profiles');
  const name = (id: string) => `hub-apis-${row}-${id.replace(/[^\w.-]/g, '_')}`;
  return {
    flags: (id: string) => (settings.profile.has(id) ? cpuProfileFlags(dir, name(id)) : []),
    /** After the processes exited: log each profile's summary and keep it in the row's details. */
    collect(log: (line: string) => void, rows: RowResult[]) {
      for (const id of [BASELINE, HUB]) {
        if (!settings.profile.has(id)) continue;
        const summary = summarizeCpuProfile(cpuProfilePath(dir, name(id)));
        if (!summary) {
          log(`${row}: no profile was written for ${id}`);
          continue;
        }
        log(formatProfileSummary(summary));
        const first = rows[0];
        if (first) first.details = { ...first.details, [`profile:${id}`]: summary };
      }
    },
  };
}

/** One request to each target, before measuring: status and the start of the body. */
async function answersOf(
  targets: readonly Labelled[],
): Promise<Record<string, { status: number; body: string }>> {
  const answers: Record<string, { status: number; body: string }> = {};
  for (const target of targets) {
    const response = await fetch(target.url, {
      method: target.method ?? 'GET',
      ...(target.headers && { headers: target.headers }),
      ...(target.bodies && { body: target.bodies[0] }),
    });
    answers[target.id] = { status: response.status, body: (await response.text()).slice(0, 300) };
  }
  return answers;
}

async function ingestRow(
  settings: BenchSettings,
  log: (line: string) => void,
  environment: Record<string, string | number>,
): Promise<RowResult> {
  const title = `${PER_REQUEST.toLocaleString('en-US')} observations per POST`;
  const prof = profiler(settings, 'ingest');
  let bare: RunningTarget | undefined;
  let hub: HubProcess | undefined;
  let result: RowResult | undefined;
  try {
    log(`${title}: starting ${BASELINE}, ${HUB}`);
    bare = await startTarget({
      id: BASELINE,
      label: 'bare node:http: read body, JSON.parse, 204',
      script: new URL('./targets/bare-ingest.js', import.meta.url),
      nodeFlags: prof.flags(BASELINE),
    });
    hub = await startHubProcess({ nodeFlags: prof.flags(HUB) });
    environment.hubCommand = hub.command;

    // Timestamps are "now" when the bodies are made: the row lasts about a minute, well inside the 5-minute window.
    const builtAt = Date.now();
    const bodies = ingestBodies(INGEST_BODIES, PER_REQUEST, INGEST_BASEPATHS, builtAt);
    const sample = JSON.parse(bodies[0]!) as Array<{ statusCode?: number; error?: string }>;
    const failed = sample.filter((o) => o.error !== undefined || (o.statusCode ?? 0) >= 500).length;
    const timeouts = sample.filter((o) => o.error === 'timeout').length;
    const targets: Labelled[] = [
      {
        id: BASELINE,
        label: 'bare node:http: read body, JSON.parse, 204',
        request: `POST ${OBSERVATIONS_PATH}`,
        url: bare.origin + OBSERVATIONS_PATH,
        method: 'POST',
        headers: POST_HEADERS,
        bodies,
        cpuSeconds: bare.cpuSeconds,
      },
      {
        id: HUB,
        label: 'heartbeat hub (CLI), SQLite, admin key as Bearer',
        request: `POST ${OBSERVATIONS_PATH}`,
        url: hub.origin + OBSERVATIONS_PATH,
        method: 'POST',
        headers: POST_HEADERS,
        bodies,
        cpuSeconds: hub.cpuSeconds,
      },
    ];
    const answers = await answersOf(targets);
    let accepted: unknown;
    try {
      accepted = (JSON.parse(answers[HUB]!.body) as { accepted?: unknown }).accepted;
    } catch {
      // not JSON: refused below
    }
    if (answers[HUB]!.status !== 200 || accepted !== PER_REQUEST) {
      throw new Error(`the hub did not accept a whole batch: ${answers[HUB]!.status} ${answers[HUB]!.body}`);
    }
    const notes = [
      `request body: ${PER_REQUEST} observations, ${Buffer.byteLength(bodies[0]!).toLocaleString('en-US')} B ` +
        `(${INGEST_BODIES} different bodies in turn) over ${INGEST_BASEPATHS} basepaths (\`/gw/svc-<k>/v<n>\`, ` +
        `skewed towards a few busy ones); in the first: ${failed} failures (${failed - timeouts} 5xx, ${timeouts} ` +
        "`error: 'timeout'`), 2xx/3xx/4xx otherwise; durations log-normal (median ≈ 20 ms); timestamps within the " +
        "second before the bodies were made; `source: 'traffic'`. Answers: " +
        `${targets.map((t) => `${t.id} ${answers[t.id]!.status} ${answers[t.id]!.body || '(empty)'}`).join('; ')}.`,
      'The hub answers only after the accepted observations are committed to SQLite (durable: they survive kill -9); ' +
        'the baseline stores nothing.',
    ];

    const samples = await measureRequestRounds(targets, roundsOptions(settings, log, title));
    const row = (result = summarizeRow({
      id: 'ingest',
      title,
      baseline: BASELINE,
      targets: targets.map((t) => ({ id: t.id, label: t.label, request: t.request })),
      samples,
      notes,
      details: { answers },
    }));
    row.notes.push(
      'observations/s (req/s × 1,000): ' +
        row.measurements
          .map((m) => `${m.id} ${formatCount(m.median.requestsPerSecond * PER_REQUEST)}`)
          .join(', ') +
        '; per CPU-second of the target process: ' +
        row.measurements.map((m) => `${m.id} ${formatCount(perCpuSecond(m))}`).join(', ') +
        '.',
      `latency: ${row.measurements.map(latencyNote).join('; ')}.`,
    );

    // What ended up in the window: every accepted observation counts as a sample of its API.
    const apis = await hubRequest(hub.origin, 'GET', '/v1/apis?limit=1000');
    const items = (apis.body?.items ?? []) as Array<{ samples?: number; status?: string }>;
    const inWindow = items.reduce((sum, item) => sum + (item.samples ?? 0), 0);
    const statuses = new Map<string, number>();
    for (const item of items) statuses.set(item.status ?? '?', (statuses.get(item.status ?? '?') ?? 0) + 1);
    const memory = hub.memory();
    row.notes.push(
      `after the row the hub's window held ${inWindow.toLocaleString('en-US')} observations over ${items.length} APIs ` +
        `(${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}); hub RSS ` +
        `${memory ? Math.round(memory.rssBytes / 1048576) : '–'} MB (peak ${memory ? Math.round(memory.peakRssBytes / 1048576) : '–'} MB).`,
    );
    row.details = { ...row.details, window: { observations: inWindow, apis: items.length } };
    return row;
  } finally {
    await Promise.all([bare?.stop(), hub?.close()]);
    prof.collect(log, result ? [result] : []);
  }
}

async function readRows(settings: BenchSettings, log: (line: string) => void): Promise<RowResult[]> {
  const title = `GET ${HEARTBEATS_PATH}, ${APIS.toLocaleString('en-US')} APIs`;
  const prof = profiler(settings, 'heartbeats');
  let bare: RunningTarget | undefined;
  let hub: HubProcess | undefined;
  const rows: RowResult[] = [];
  try {
    log(`${title}: starting ${BASELINE}, ${HUB}`);
    bare = await startTarget({
      id: BASELINE,
      label: 'bare node:http: the same array, serialized once',
      script: new URL('./targets/bare-heartbeats.js', import.meta.url),
      args: [String(APIS)],
      nodeFlags: prof.flags(BASELINE),
    });
    hub = await startHubProcess({ nodeFlags: prof.flags(HUB) });

    // Register the 10,000 APIs with known statuses: 48,000 observations, 1,000 per POST.
    const registeredAt = Date.now();
    const registration = registrationBodies(APIS, PER_REQUEST, registeredAt);
    for (const body of registration) {
      const answer = await hubRequest(hub.origin, 'POST', OBSERVATIONS_PATH, body);
      if (answer.status !== 200 || answer.body?.rejected !== 0) {
        throw new Error(`registering: the hub answered ${answer.status} ${JSON.stringify(answer.body)}`);
      }
    }
    const registrationSeconds = (Date.now() - registeredAt) / 1000;
    const expected = JSON.stringify(expectedHeartbeats(APIS));
    const fromHub = await (await fetch(hub.origin + HEARTBEATS_PATH, { headers: AUTH })).text();
    const fromBare = await (await fetch(bare.origin + HEARTBEATS_PATH)).text();
    const same = fromHub === expected && fromBare === expected;
    const counts = new Map<string, number>();
    for (const entry of JSON.parse(fromHub) as Array<{ status: string }>) {
      counts.set(entry.status, (counts.get(entry.status) ?? 0) + 1);
    }
    const notes = [
      `${APIS.toLocaleString('en-US')} APIs (\`/api/0\` … \`/api/${APIS - 1}\`) registered first by ` +
        `${registration.length} POSTs of up to ${PER_REQUEST} observations (${registrationSeconds.toFixed(1)} s): ` +
        `one in 20 DOWN (5 × 503), one in 20 UNKNOWN (1 outcome, under minSamples), the rest UP (5 × 200); ` +
        `the hub's list: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}.`,
      same
        ? `the hub's answer is byte for byte the baseline's (${Buffer.byteLength(fromHub).toLocaleString('en-US')} B of body).`
        : `⚠ the answers differ: hub ${Buffer.byteLength(fromHub)} B, baseline ${Buffer.byteLength(fromBare)} B, expected ${Buffer.byteLength(expected)} B.`,
    ];

    const target = (
      id: string,
      origin: string,
      query: string,
      cpuSeconds: () => number | undefined,
    ): Labelled => ({
      id,
      label:
        id === HUB
          ? 'heartbeat hub (CLI), SQLite, admin key as Bearer'
          : 'bare node:http: the same array, serialized once',
      request: `GET ${HEARTBEATS_PATH}${query}`,
      url: origin + HEARTBEATS_PATH + query,
      method: 'GET',
      headers: AUTH,
      cpuSeconds,
    });
    const readOptions = (row: string, rounds: number) => ({
      ...roundsOptions(settings, log, row),
      connections: READ_CONNECTIONS,
      rounds,
    });
    const queries: Array<{ id: string; query: string; rounds: number; title: string }> = [
      { id: 'heartbeats', query: '', rounds: settings.rounds, title },
      {
        id: 'heartbeats-down',
        query: '?status=DOWN',
        rounds: FILTER_ROUNDS,
        title: `GET ${HEARTBEATS_PATH}?status=DOWN`,
      },
      {
        id: 'heartbeats-basepath',
        query: `?basepath=${registeredBasepath(5000)}`,
        rounds: FILTER_ROUNDS,
        title: `GET ${HEARTBEATS_PATH}?basepath=${registeredBasepath(5000)}`,
      },
    ];
    for (const q of queries) {
      const targets = [
        target(BASELINE, bare.origin, q.query, bare.cpuSeconds),
        target(HUB, hub.origin, q.query, hub.cpuSeconds),
      ];
      const answers = await answersOf(targets);
      const samples = await measureRequestRounds(targets, readOptions(q.title, q.rounds));
      const row = summarizeRow({
        id: q.id,
        title: q.title,
        baseline: BASELINE,
        targets: targets.map((t) => ({ id: t.id, label: t.label, request: t.request })),
        samples,
        notes: q.id === 'heartbeats' ? notes : [],
        details: {
          answers: Object.fromEntries(
            Object.entries(answers).map(([id, a]) => [id, { status: a.status, body: a.body.slice(0, 120) }]),
          ),
        },
      });
      row.notes.push(
        `${READ_CONNECTIONS} connections, ${q.rounds} round${q.rounds > 1 ? 's' : ''}` +
          `${q.rounds < settings.rounds ? ' (reported, not judged)' : ''}; latency: ${row.measurements.map(latencyNote).join('; ')}.`,
      );
      rows.push(row);
    }
    const memory = hub.memory();
    rows[0]!.notes.push(
      `hub RSS after the reads ${memory ? Math.round(memory.rssBytes / 1048576) : '–'} MB ` +
        `(peak ${memory ? Math.round(memory.peakRssBytes / 1048576) : '–'} MB).`,
    );
    return rows;
  } finally {
    await Promise.all([bare?.stop(), hub?.close()]);
    prof.collect(log, rows);
  }
}
