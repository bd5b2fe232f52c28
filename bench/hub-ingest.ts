/**
 * The hub's heartbeat ingest against its limit — bare node:http reading the same bodies, parsing
 * them and answering 204 — and against Uptime Kuma's push endpoint, each server in its own process,
 * in the same rounds.
 *
 * Targets (from the issue): one heartbeat per POST over keep-alive ≥ 0.70 × bare node:http req/s with
 * the SQLite store; batches of 100 ≥ 100,000 heartbeats/s.
 */
import { join } from 'node:path';
import { heartbeatMessage } from './lib/heartbeat-messages.js';
import { HUB_ADMIN_KEY, hubBuildInfo, hubRequest, startHubProcess, type HubProcess } from './lib/hub.js';
import { cpuProfileFlags, cpuProfilePath, formatProfileSummary, summarizeCpuProfile } from './lib/profile.js';
import {
  atLeastRatio,
  measurement,
  summarizeRow,
  type RowResult,
  type ScenarioReport,
  type Verdict,
} from './lib/report.js';
import { measureRequestRounds, type RequestTarget } from './lib/request-load.js';
import { roundsOptions, type BenchSettings, type Scenario } from './lib/scenario.js';
import { processCpuSeconds, startTarget, type RunningTarget } from './lib/targets.js';
import { startUptimeKuma, uptimeKumaProblem, type UptimeKuma } from './uptime-kuma.js';
import { machineInfo } from './lib/machine.js';

const BASELINE = 'node:http';
const HUB = 'hub';
/** The same hub, asked without `Prefer: return=minimal`: it answers 200 with its JSON body. */
const HUB_JSON = 'hub (JSON answer)';
const KUMA = 'uptime-kuma';
const INGEST_PATH = '/v1/instances/heartbeats';
/** Instance ids the single-message row cycles over. */
const SINGLE_IDS = 10_000;
const BATCH_SIZE = 100;
/** Distinct batch bodies: 100 × 100 messages cover the same 10,000 ids. */
const BATCH_BODIES = 100;
const SINGLE_MINIMUM_RATIO = 0.7;
const BATCH_MINIMUM_HEARTBEATS = 100_000;

const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${HUB_ADMIN_KEY}` };
/**
 * What the SDK agent sends with every beat once the hub has answered one in full: it needs no
 * answer, and the hub answers 204 (`packages/sdk/src/agent/hub-agent.ts`). The single row's `hub`
 * and baseline get these; `hub (JSON answer)` gets `HEADERS`.
 */
const AGENT_HEADERS = { ...HEADERS, prefer: 'return=minimal' };

type RowId = 'single' | 'batch';

const now = Date.now();
const times = (index: number) => ({ heartbeatTime: now + index, lastHeartbeatTime: now + index - 30_000 });

/** One body per instance id, one message each. */
const singleBodies = (): string[] =>
  Array.from({ length: SINGLE_IDS }, (_, i) => JSON.stringify(heartbeatMessage(i, times(i))));

/** 100 bodies of 100 messages each (ids 0–99, 100–199, …). */
const batchBodies = (): string[] =>
  Array.from({ length: BATCH_BODIES }, (_, b) =>
    JSON.stringify(
      Array.from({ length: BATCH_SIZE }, (_, j) =>
        heartbeatMessage(b * BATCH_SIZE + j, times(b * BATCH_SIZE + j)),
      ),
    ),
  );

export const hubIngest: Scenario = {
  name: 'hub-ingest',
  title: 'Hub heartbeat ingest vs bare node:http and Uptime Kuma push',
  estimateSeconds(settings) {
    const targets = 4 + 2;
    return (
      targets * settings.rounds * (settings.warmupSeconds + settings.durationSeconds + 0.5) +
      settings.noiseBudget.seconds +
      120
    );
  },
  async run(settings, log) {
    const startedAt = new Date().toISOString();
    const kumaDir = process.env.UPTIME_KUMA_DIR;
    const kumaProblem = kumaDir ? uptimeKumaProblem(kumaDir) : 'UPTIME_KUMA_DIR is not set';
    if (kumaProblem) log(`hub-ingest: the Uptime Kuma row is skipped: ${kumaProblem}`);

    const environment: Record<string, string | number> = {
      ...machineInfo(),
      ...hubBuildInfo(),
    };
    const single = await runRow(
      'single',
      settings,
      log,
      environment,
      kumaDir && !kumaProblem ? kumaDir : undefined,
    );
    if (kumaProblem) {
      single.notes.push(`Uptime Kuma row skipped: ${kumaProblem} (see bench/uptime-kuma.ts to prepare it).`);
    }
    const batch = await runRow('batch', settings, log, environment, undefined);

    const verdicts: Verdict[] = [atLeastRatio(single, HUB, SINGLE_MINIMUM_RATIO), batchVerdict(batch)];
    const json = single.measurements.find((m) => m.id === HUB_JSON);
    if (json) {
      verdicts[0]!.actual +=
        `; ${HUB_JSON}: ${json.ratio.requestsPerSecond.toFixed(2)} × (CPU per request ` +
        `${json.ratio.cpuEfficiency?.toFixed(2) ?? '–'} ×)`;
    }
    const report: ScenarioReport = {
      scenario: hubIngest.name,
      title: hubIngest.title,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment,
      settings: {
        connections: settings.connections,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        maxOtherCpu: settings.maxOtherCpu,
        singleMessageIds: SINGLE_IDS,
        batchSize: BATCH_SIZE,
      },
      rows: [single, batch],
      verdicts,
      pass: verdicts.every((v) => v.pass),
    };
    return report;
  },
};

function batchVerdict(row: RowResult): Verdict {
  const hub = measurement(row, HUB);
  const base = measurement(row, BASELINE);
  const heartbeats = hub.median.requestsPerSecond * BATCH_SIZE;
  return {
    description: `${row.title}: hub ≥ ${BATCH_MINIMUM_HEARTBEATS.toLocaleString('en-US')} heartbeats/s`,
    pass: hub.clean && heartbeats >= BATCH_MINIMUM_HEARTBEATS,
    actual:
      `${heartbeats.toLocaleString('en-US')} heartbeats/s${hub.clean ? '' : ' (non-2xx or errors)'} ` +
      `(${hub.ratio.requestsPerSecond.toFixed(2)} × ${BASELINE}'s ${(base.median.requestsPerSecond * BATCH_SIZE).toLocaleString('en-US')}; ` +
      `CPU per request ${hub.ratio.cpuEfficiency?.toFixed(2) ?? '–'} ×)`,
  };
}

async function runRow(
  rowId: RowId,
  settings: BenchSettings,
  log: (line: string) => void,
  environment: Record<string, string | number>,
  kumaDir: string | undefined,
): Promise<RowResult> {
  const title = rowId === 'single' ? 'one heartbeat per POST' : `${BATCH_SIZE} heartbeats per POST`;
  const bodies = rowId === 'single' ? singleBodies() : batchBodies();
  const bodyBytes = Buffer.byteLength(bodies[0]!);
  const profileDir = join(settings.resultsDir, 'profiles');
  const profileName = (id: string) => `hub-ingest-${rowId}-${id.replace(/[^\w.-]/g, '_')}`;
  const flagsFor = (id: string) =>
    settings.profile.has(id) ? cpuProfileFlags(profileDir, profileName(id)) : [];

  let bare: RunningTarget | undefined;
  let hub: HubProcess | undefined;
  let kuma: UptimeKuma | undefined;
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  let result: RowResult | undefined;
  try {
    log(`${title}: starting ${BASELINE}, ${HUB}${kumaDir ? `, ${KUMA}` : ''}`);
    bare = await startTarget({
      id: BASELINE,
      label: 'bare node:http: read body, JSON.parse, 204',
      script: new URL('./targets/bare-ingest.js', import.meta.url),
      nodeFlags: flagsFor(BASELINE),
    });
    hub = await startHubProcess({ nodeFlags: flagsFor(HUB) });
    environment.hubCommand = hub.command;
    if (kumaDir) {
      kuma = await startUptimeKuma(kumaDir, log, flagsFor(KUMA));
      environment.uptimeKuma = kuma.version;
      environment.uptimeKumaCommand = kuma.command;
    }

    // Register every instance first, so the measured beats renew leases (the steady state).
    const registration = batchBodies();
    for (const body of registration) {
      const answer = await hubRequest(hub.origin, 'POST', INGEST_PATH, JSON.parse(body));
      if (answer.status !== 200) throw new Error(`registering: the hub answered ${answer.status}`);
    }
    notes.push(
      `${SINGLE_IDS.toLocaleString('en-US')} instances registered before measuring: every measured beat renews a lease.`,
    );

    const hubProcess = hub;
    /** The hub, asked with these headers (the request column says whether they prefer no answer). */
    const hubTarget = (id: string, label: string, headers: Record<string, string>) => ({
      id,
      label,
      request: `POST ${INGEST_PATH}${'prefer' in headers ? ', Prefer: return=minimal' : ''}`,
      url: hubProcess.origin + INGEST_PATH,
      method: 'POST' as const,
      headers,
      bodies,
      cpuSeconds: hubProcess.cpuSeconds,
    });
    const targets: Array<RequestTarget & { label: string; request: string }> = [
      {
        id: BASELINE,
        label: 'bare node:http: read body, JSON.parse, 204',
        request: `POST ${INGEST_PATH}`,
        url: bare.origin + INGEST_PATH,
        method: 'POST',
        headers: rowId === 'single' ? AGENT_HEADERS : HEADERS,
        bodies,
        cpuSeconds: bare.cpuSeconds,
      },
      hubTarget(
        HUB,
        'heartbeat hub (CLI), SQLite, admin key as Bearer',
        rowId === 'single' ? AGENT_HEADERS : HEADERS,
      ),
    ];
    if (rowId === 'single') {
      targets.push(
        hubTarget(HUB_JSON, 'the same hub, without Prefer: answers 200 with its JSON body', HEADERS),
      );
      notes.push(
        `${HUB} sends what the SDK agent sends once the hub has answered it in full, \`Prefer: return=minimal\` ` +
          `(RFC 7240), and is answered 204 with no body; ${HUB_JSON} is the same hub process asked without it, ` +
          'answered 200 {"accepted":1,…}. The baseline gets the agent\'s headers too (and ignores them).',
      );
    }
    if (kuma) {
      const pid = kuma.pid;
      targets.push({
        id: KUMA,
        label: `Uptime Kuma ${kuma.version} push monitors, SQLite`,
        request: `GET /api/push/<token>?status=up&msg=OK&ping=`,
        url: kuma.origin + kuma.pushPaths[0]!,
        paths: kuma.pushPaths,
        method: 'GET',
        cpuSeconds: () => processCpuSeconds(pid),
      });
    }

    // One request each before measuring: what every target answers.
    const answers: Record<string, { status: number; body: string }> = {};
    for (const target of targets) {
      const response = await fetch(target.url, {
        method: target.method ?? 'GET',
        ...(target.headers && { headers: target.headers }),
        ...(target.bodies && { body: target.bodies[0] }),
      });
      answers[target.id] = { status: response.status, body: (await response.text()).slice(0, 500) };
      if (response.status >= 300)
        notes.push(`⚠ ${target.id} answered ${response.status}: ${answers[target.id]!.body}`);
    }
    details.answers = answers;
    notes.push(
      `request body: ${rowId === 'single' ? '1 message' : `${BATCH_SIZE} messages`}, ${bodyBytes.toLocaleString('en-US')} B ` +
        `(instance id, service, version, hostName, ip, processId, times, interval, status, 2 checks, 1 plugin); ` +
        `${bodies.length} different bodies sent in turn over ${SINGLE_IDS.toLocaleString('en-US')} instance ids; ` +
        `answers: ${targets.map((t) => `${t.id} ${answers[t.id]!.status} ${answers[t.id]!.body || '(empty)'}`).join('; ')}.`,
    );
    if (kuma) {
      notes.push(
        `Uptime Kuma: ${kuma.pushPaths.length} push monitors (created through its socket.io API in ${kuma.setupSeconds.toFixed(0)} s), ` +
          'pushed in turn, so that no two pushes in flight share a monitor (2.5.3 loses concurrent pushes to one monitor: see bench/uptime-kuma.ts); ' +
          'each push reads its monitor and previous beat, updates its uptime stats, stores a heartbeat row in SQLite and answers {"ok":true}. ' +
          'It has no batch form, so it is not in the batch row.',
      );
    }

    const samples = await measureRequestRounds(targets, roundsOptions(settings, log, title));
    const row = (result = summarizeRow({
      id: rowId,
      title,
      baseline: BASELINE,
      targets: targets.map((t) => ({ id: t.id, label: t.label, request: t.request })),
      samples,
      notes,
      details,
    }));
    if (rowId === 'batch') {
      row.notes.push(
        `heartbeats/s = req/s × ${BATCH_SIZE}: ` +
          row.measurements
            .map((m) => `${m.id} ${(m.median.requestsPerSecond * BATCH_SIZE).toLocaleString('en-US')}`)
            .join(', ') +
          '.',
      );
    } else if (kuma) {
      const h = measurement(row, HUB);
      const k = measurement(row, KUMA);
      if (!k.clean) {
        const failed = k.samples.reduce((sum, sample) => sum + sample.non2xx + sample.errors, 0);
        const answered = k.samples.reduce((sum, sample) => sum + sample.responses, 0);
        row.notes.push(
          `⚠ Uptime Kuma: ${failed} of ${answered} pushes were not answered 2xx; its req/s counts 2xx only.`,
        );
      }
      if (k.median.requestsPerSecond > 0)
        row.notes.push(
          `hub vs Uptime Kuma: ${(h.median.requestsPerSecond / k.median.requestsPerSecond).toFixed(1)} × the req/s, ` +
            `p99 ${h.median.p99Ms.toFixed(2)} vs ${k.median.p99Ms.toFixed(2)} ms, CPU per request ` +
            `${h.median.cpuUsPerRequest?.toFixed(0) ?? '–'} vs ${k.median.cpuUsPerRequest?.toFixed(0) ?? '–'} µs.`,
        );
    }
    const hubState = await hubRequest(hub.origin, 'GET', '/v1/hub');
    row.details = { ...row.details, hubAfter: hubState.body };
    return row;
  } finally {
    await Promise.all([bare?.stop(), hub?.close(), kuma?.close()]);
    for (const id of [BASELINE, HUB, KUMA]) {
      if (!settings.profile.has(id)) continue;
      const summary = summarizeCpuProfile(cpuProfilePath(profileDir, profileName(id)));
      if (summary) {
        log(formatProfileSummary(summary));
        if (result) result.details = { ...result.details, [`profile:${id}`]: summary };
      } else log(`${title}: no profile was written for ${id}`);
    }
  }
}
