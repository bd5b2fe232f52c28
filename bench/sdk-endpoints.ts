/**
 * The SDK's hottest endpoints against their limit (bare node:http sending the same answer) and
 * against `@godaddy/terminus` and `lightship` doing the same job, each server in its own process.
 *
 * Targets: `/heartbeat` ≥ 0.90 × bare node:http; `/ops/heartbeat` with 5 cached checks ≥ 0.80 ×;
 * the SDK ahead of terminus and lightship on every row.
 */
import { join } from 'node:path';
import { loadTargetFor, measureRounds } from './lib/load.js';
import { header, probe, sameJsonShape, type ProbeAnswer } from './lib/probe.js';
import { cpuProfileFlags, cpuProfilePath, formatProfileSummary, summarizeCpuProfile } from './lib/profile.js';
import {
  aheadOf,
  atLeastRatio,
  summarizeRow,
  type RowResult,
  type ScenarioReport,
  type Verdict,
} from './lib/report.js';
import { roundsOptions, type BenchSettings, type Scenario } from './lib/scenario.js';
import { withTargets, type TargetSpec } from './lib/targets.js';
import type { Row } from './targets/fixtures.js';
import { machineInfo } from './lib/machine.js';

const BASELINE = 'node:http';
const SDK = 'sdk';
const PEERS = ['terminus', 'lightship'] as const;

interface RowTarget {
  id: string;
  label: string;
  /** Module under `targets/`, without extension. */
  module: string;
  path: string;
}

interface RowSpec {
  id: Row;
  title: string;
  /** The SDK's req/s must reach this × the baseline's. */
  minimumRatio: number;
  targets: RowTarget[];
  notes: string[];
}

const ROWS: RowSpec[] = [
  {
    id: 'heartbeat',
    title: '/heartbeat',
    minimumRatio: 0.9,
    targets: [
      {
        id: BASELINE,
        label: 'bare node:http, the SDK’s exact bytes and headers',
        module: 'bare-http',
        path: '/heartbeat',
      },
      {
        id: SDK,
        label: '@heartbeat/sdk, http.createServer(nodeHttpListener(health))',
        module: 'sdk',
        path: '/heartbeat',
      },
      {
        id: 'terminus',
        label: '@godaddy/terminus, healthChecks /heartbeat → ISO time',
        module: 'terminus',
        path: '/heartbeat',
      },
      { id: 'lightship', label: 'lightship 9.0.3 own server, /live', module: 'lightship', path: '/live' },
    ],
    notes: [
      'terminus wraps the value: {"status":"ok","info":"<time>","details":"<time>"} (verbatim cannot carry a string).',
      'lightship answers /live with the text SERVER_IS_NOT_SHUTTING_DOWN from its own Fastify 4 server.',
    ],
  },
  {
    id: 'ops-heartbeat',
    title: '/ops/heartbeat (5 cached checks)',
    minimumRatio: 0.8,
    targets: [
      {
        id: BASELINE,
        label: 'bare node:http, same JSON shape built per request',
        module: 'bare-http',
        path: '/ops/heartbeat',
      },
      {
        id: SDK,
        label: '@heartbeat/sdk, 5 checks cached 10s, markStarted()',
        module: 'sdk',
        path: '/ops/heartbeat',
      },
      {
        id: 'terminus',
        label: '@godaddy/terminus, Promise.all of 5 cached checks, verbatim',
        module: 'terminus',
        path: '/ops/heartbeat',
      },
      {
        id: 'lightship',
        label: 'lightship 9.0.3 own server, /health after signalReady()',
        module: 'lightship',
        path: '/health',
      },
    ],
    notes: [
      'lightship has no named checks: /health runs none and answers the text SERVER_IS_READY, so it does less work than the others.',
      'terminus (verbatim) sends the same body with "status":"ok" in front.',
    ],
  },
];

export const sdkEndpoints: Scenario = {
  name: 'sdk-endpoints',
  title: 'SDK endpoints vs bare node:http, terminus and lightship',
  estimateSeconds(settings) {
    const runs = ROWS.reduce((sum, row) => sum + row.targets.length, 0) * settings.rounds;
    return (
      runs * (settings.warmupSeconds + settings.durationSeconds + 0.5) +
      settings.noiseBudget.seconds +
      ROWS.length * 10
    );
  },
  async run(settings, log) {
    const startedAt = new Date().toISOString();
    const rows: RowResult[] = [];
    for (const row of ROWS) rows.push(await runRow(row, settings, log));
    const verdicts: Verdict[] = [];
    for (const [i, row] of rows.entries()) {
      verdicts.push(atLeastRatio(row, SDK, ROWS[i]!.minimumRatio));
      for (const peer of PEERS) verdicts.push(aheadOf(row, SDK, peer));
    }
    const report: ScenarioReport = {
      scenario: sdkEndpoints.name,
      title: sdkEndpoints.title,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: {
        ...machineInfo(),
      },
      settings: {
        connections: settings.connections,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        maxOtherCpu: settings.maxOtherCpu,
        noiseBudgetSecondsLeft: settings.noiseBudget.seconds,
      },
      rows,
      verdicts,
      pass: verdicts.every((v) => v.pass),
    };
    return report;
  },
};

async function runRow(
  row: RowSpec,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<RowResult> {
  const profileDir = join(settings.resultsDir, 'profiles');
  const profileName = (target: RowTarget): string => `${row.id}-${target.id.replace(/[^\w.-]/g, '_')}`;
  const specs: TargetSpec[] = row.targets.map((target) => ({
    id: target.id,
    label: target.label,
    script: new URL(`./targets/${target.module}.js`, import.meta.url),
    args: [row.id],
    nodeFlags: settings.profile.has(target.id) ? cpuProfileFlags(profileDir, profileName(target)) : [],
  }));

  log(`${row.title}: starting ${specs.map((s) => s.id).join(', ')}`);
  const result = await withTargets(specs, async (running) => {
    const answers = new Map<string, ProbeAnswer>();
    for (const [i, target] of running.entries()) {
      answers.set(target.spec.id, await probe(target.origin + row.targets[i]!.path));
    }
    const notes = [...row.notes, ...fairness(row, answers)];
    const samples = await measureRounds(
      running.map((target, i) => loadTargetFor(target, row.targets[i]!.path)),
      roundsOptions(settings, log, row.title),
    );
    return summarizeRow({
      id: row.id,
      title: row.title,
      baseline: BASELINE,
      targets: row.targets.map((t) => ({ id: t.id, label: t.label, request: `GET ${t.path}` })),
      samples,
      notes,
      details: {
        answers: Object.fromEntries(
          [...answers].map(([id, a]) => [
            id,
            { status: a.status, headers: a.headers, bodyBytes: a.bodyBytes, body: a.body.slice(0, 2000) },
          ]),
        ),
      },
    });
  });

  for (const target of row.targets) {
    if (!settings.profile.has(target.id)) continue;
    const summary = summarizeCpuProfile(cpuProfilePath(profileDir, profileName(target)));
    if (summary) {
      log(formatProfileSummary(summary));
      result.details = { ...result.details, [`profile:${target.id}`]: summary };
    } else {
      log(`${row.title}: no profile was written for ${target.id}`);
    }
  }
  return result;
}

/** Checks, from one answer of each, that the baseline sends what the SDK sends; returns notes. */
function fairness(row: RowSpec, answers: ReadonlyMap<string, ProbeAnswer>): string[] {
  const base = answers.get(BASELINE)!;
  const sdk = answers.get(SDK)!;
  const notes: string[] = [];
  for (const [id, answer] of answers) {
    if (answer.status < 200 || answer.status >= 300)
      notes.push(`⚠ ${id} answered ${answer.status}: ${answer.body}`);
  }
  const names = (a: ProbeAnswer): string =>
    a.headers.map(([name, value]) => (name === 'date' ? name : `${name}: ${value}`)).join(' | ');
  const sameHeaders = names(base) === names(sdk);
  const sameShape = sameJsonShape(base.body, sdk.body);
  const sizes = [...answers].map(([id, a]) => `${id} ${a.bodyBytes} B`).join(', ');
  notes.push(
    `${sameHeaders && sameShape ? '✓' : '⚠'} baseline vs SDK: ${sameHeaders ? 'same' : 'DIFFERENT'} headers, ` +
      `${sameShape ? 'same' : 'DIFFERENT'} JSON shape; bodies: ${sizes}.`,
  );
  if (!sameHeaders) notes.push(`⚠ headers: ${BASELINE} [${names(base)}] vs ${SDK} [${names(sdk)}]`);
  const sdkType = header(sdk, 'content-type');
  if (row.id === 'heartbeat' && sdkType !== 'application/json; charset=utf-8') {
    notes.push(`⚠ the SDK sent content-type ${sdkType}`);
  }
  return notes;
}
