/**
 * Cluster mode: heartbeat ingest on one and on two hub replicas sharing a PostgreSQL, against the
 * single-node SQLite hub measured in the same rounds, and the replication lag (a beat accepted by one
 * replica → visible through the other's API), idle and under load.
 *
 * PostgreSQL: `BENCH_POSTGRES_URL` or `TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test);
 * each cluster gets a fresh database, dropped at the end. The hubs' CPU is measured; PostgreSQL's is
 * not (it is a shared server here), so compare req/s, not CPU per request, across stores.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { heartbeatMessage } from './lib/heartbeat-messages.js';
import { percentileOf, roundTo } from './lib/histogram.js';
import { HUB_ADMIN_KEY, hubBuildInfo, hubRequest, startHubProcess, type HubProcess } from './lib/hub.js';
import { round, type LoadSample, type RoundsOptions } from './lib/load.js';
import { summarizeRow, type RowResult, type ScenarioReport, type Verdict } from './lib/report.js';
import { driveRequests, type RequestTarget } from './lib/request-load.js';
import { measureRoundsWith } from './lib/load.js';
import { roundsOptions, type BenchSettings, type Scenario } from './lib/scenario.js';
import { machineInfo } from './lib/machine.js';

const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL ??
  process.env.TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const INGEST_PATH = '/v1/instances/heartbeats';
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${HUB_ADMIN_KEY}` };
const IDS = 10_000;
const BATCH_SIZE = 100;
const LAG_SAMPLES = 200;
/** The promise: accepted on one replica, visible on every replica within 1 s. */
const LAG_P99_LIMIT_MS = 1000;
const SQLITE = 'sqlite-1';
const PG1 = 'postgres-1';
const PG2 = 'postgres-2';

const now = Date.now();
const times = (i: number) => ({ heartbeatTime: now + i, lastHeartbeatTime: now + i - 30_000 });
const singleBodies = (): string[] =>
  Array.from({ length: IDS }, (_, i) => JSON.stringify(heartbeatMessage(i, times(i))));
const batchBodies = (): string[] =>
  Array.from({ length: IDS / BATCH_SIZE }, (_, b) =>
    JSON.stringify(
      Array.from({ length: BATCH_SIZE }, (_, j) =>
        heartbeatMessage(b * BATCH_SIZE + j, times(b * BATCH_SIZE + j)),
      ),
    ),
  );

/** One target that may be several replicas: the load is split evenly over their origins. */
interface ClusterTarget {
  id: string;
  label: string;
  hubs: HubProcess[];
  bodies: readonly string[];
}

/** Drives every replica of a target at once (connections split), and sums what they did. */
async function driveCluster(target: ClusterTarget, options: RoundsOptions): Promise<LoadSample> {
  const share = Math.max(1, Math.floor(options.connections / target.hubs.length));
  const parts = await Promise.all(
    target.hubs.map((hub) => {
      const one: RequestTarget = {
        id: target.id,
        url: hub.origin + INGEST_PATH,
        method: 'POST',
        headers: HEADERS,
        bodies: target.bodies,
        cpuSeconds: hub.cpuSeconds,
      };
      return driveRequests(one, { ...options, connections: share });
    }),
  );
  if (parts.length === 1) return parts[0]!;
  const sum = (pick: (s: LoadSample) => number) => parts.reduce((total, s) => total + pick(s), 0);
  const cpu = parts.every((s) => s.targetCpu !== undefined)
    ? round(
        sum((s) => s.targetCpu!),
        2,
      )
    : undefined;
  return {
    requestsPerSecond: sum((s) => s.requestsPerSecond),
    // Percentiles of the union are not derivable from the parts; the worse replica's is reported.
    latencyMs: {
      p50: Math.max(...parts.map((s) => s.latencyMs.p50)),
      p90: Math.max(...parts.map((s) => s.latencyMs.p90)),
      p99: Math.max(...parts.map((s) => s.latencyMs.p99)),
      max: Math.max(...parts.map((s) => s.latencyMs.max)),
    },
    responses: sum((s) => s.responses),
    non2xx: sum((s) => s.non2xx),
    errors: sum((s) => s.errors),
    timeouts: sum((s) => s.timeouts),
    bytesPerResponse: parts[0]!.bytesPerResponse,
    seconds: Math.max(...parts.map((s) => s.seconds)),
    targetCpu: cpu,
    loadCpu: round(sum((s) => s.loadCpu) / parts.length, 2),
    otherCpu:
      parts[0]!.otherCpu === undefined ? undefined : round(Math.min(...parts.map((s) => s.otherCpu ?? 0)), 2),
    attempts: 1,
    quiet: parts.every((s) => s.quiet),
  };
}

async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hb_bench_${Math.random().toString(16).slice(2, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => client.end());
    },
  };
}

/** Beats sent one at a time to `from`; each one's lag is until `to` answers for it. */
async function measureLag(from: HubProcess, to: HubProcess, tag: string): Promise<number[]> {
  const lags: number[] = [];
  for (let i = 0; i < LAG_SAMPLES; i++) {
    const instanceId = `lag-${tag}-${i}`;
    const answer = await hubRequest(from.origin, 'POST', INGEST_PATH, { instanceId, service: 'lag' });
    if (answer.status !== 200) throw new Error(`lag probe: ${from.id} answered ${answer.status}`);
    const acceptedAt = performance.now();
    for (;;) {
      const response = await fetch(`${to.origin}/v1/instances/${instanceId}`, { headers: HEADERS });
      await response.arrayBuffer();
      if (response.status === 200) break;
      if (performance.now() - acceptedAt > 10_000)
        throw new Error(`${instanceId} not visible on ${to.id} after 10 s`);
    }
    lags.push(performance.now() - acceptedAt);
  }
  return lags;
}

function lagSummary(lags: readonly number[]) {
  return {
    samples: lags.length,
    p50Ms: roundTo(percentileOf(lags, 50), 2),
    p99Ms: roundTo(percentileOf(lags, 99), 2),
    maxMs: roundTo(Math.max(...lags), 2),
  };
}

export const cluster: Scenario = {
  name: 'cluster',
  title: 'Cluster mode: ingest on 1 and 2 PostgreSQL replicas vs single-node SQLite, and replication lag',
  estimateSeconds(settings) {
    const s = local(settings);
    return 2 * 3 * s.rounds * (s.warmupSeconds + s.durationSeconds + 0.5) + 60;
  },
  async run(settings, log) {
    const s = local(settings);
    const startedAt = new Date().toISOString();
    const environment: Record<string, string | number> = {
      ...machineInfo(),
      postgres: new URL(POSTGRES_URL).host,
      ...hubBuildInfo(),
    };
    const databases: Array<{ drop(): Promise<void> }> = [];
    const hubs: HubProcess[] = [];
    try {
      const one = await createDatabase();
      const two = await createDatabase();
      databases.push(one, two);
      log('cluster: starting the SQLite hub, one PostgreSQL replica, and two replicas of another');
      const sqlite = await startHubProcess({ id: SQLITE });
      const pg1 = await startHubProcess({ id: PG1, env: { HEARTBEAT_STORE: one.url } });
      const pg2 = await Promise.all([
        startHubProcess({ id: `${PG2}a`, env: { HEARTBEAT_STORE: two.url } }),
        startHubProcess({ id: `${PG2}b`, env: { HEARTBEAT_STORE: two.url } }),
      ]);
      hubs.push(sqlite, pg1, ...pg2);
      environment.hubCommand = pg1.command.replace(one.url, '<fresh database>');

      // Every instance registered first: measured beats renew leases (the steady state).
      for (const hub of [sqlite, pg1, pg2[0]]) {
        for (const body of batchBodies()) {
          const answer = await hubRequest(hub.origin, 'POST', INGEST_PATH, JSON.parse(body));
          if (answer.status !== 200) throw new Error(`registering on ${hub.id}: ${answer.status}`);
        }
      }

      const rows: RowResult[] = [];
      for (const [rowId, title, bodies] of [
        ['single', 'one heartbeat per POST', singleBodies()],
        ['batch', `${BATCH_SIZE} heartbeats per POST`, batchBodies()],
      ] as const) {
        const targets: ClusterTarget[] = [
          { id: SQLITE, label: 'one hub, SQLite (single node)', hubs: [sqlite], bodies },
          { id: PG1, label: 'one hub replica, PostgreSQL', hubs: [pg1], bodies },
          { id: PG2, label: 'two hub replicas, one PostgreSQL, load split evenly', hubs: pg2, bodies },
        ];
        const options = { ...roundsOptions(settings, log, title), ...s, noise: undefined };
        const samples = await measureRoundsWith(targets, options, driveCluster);
        const row = summarizeRow({
          id: rowId,
          title,
          baseline: SQLITE,
          targets: targets.map((t) => ({ id: t.id, label: t.label, request: `POST ${INGEST_PATH}` })),
          samples,
          notes: [
            `${IDS.toLocaleString('en-US')} instances registered before measuring; bodies as in hub-ingest.`,
            `${PG2}: req/s summed over both replicas, p99 the worse replica's, CPU both hub processes (PostgreSQL's own CPU not counted).`,
          ],
        });
        if (rowId === 'batch')
          row.notes.push(
            `heartbeats/s = req/s × ${BATCH_SIZE}: ` +
              row.measurements
                .map((m) => `${m.id} ${(m.median.requestsPerSecond * BATCH_SIZE).toLocaleString('en-US')}`)
                .join(', ') +
              '.',
          );
        rows.push(row);
      }

      log(`cluster: replication lag, ${LAG_SAMPLES} beats idle, then ${LAG_SAMPLES} under load`);
      const [a, b] = pg2;
      const idle = lagSummary(await measureLag(a, b, 'idle'));
      const background = autocannon(
        {
          url: b.origin,
          connections: 8,
          duration: 60,
          requests: [{ method: 'POST', path: INGEST_PATH, headers: HEADERS, body: batchBodies()[0] }],
        },
        () => {},
      );
      let loaded;
      try {
        loaded = lagSummary(await measureLag(a, b, 'loaded'));
      } finally {
        background.stop();
      }
      const lagRow: RowResult = {
        id: 'lag',
        title:
          'replication lag: accepted (200) by replica A → GET /v1/instances/{id} answers 200 on replica B',
        baseline: PG2,
        measurements: [],
        notes: [
          `idle: p50 ${idle.p50Ms} ms, p99 ${idle.p99Ms} ms, max ${idle.maxMs} ms over ${idle.samples} beats.`,
          `while replica B ingests 100-beat batches on 8 connections: p50 ${loaded.p50Ms} ms, p99 ${loaded.p99Ms} ms, max ${loaded.maxMs} ms.`,
          'Each sample polls B back to back, so it includes one GET round trip (~1 ms) of resolution.',
        ],
        details: { idle, loaded },
      };
      rows.push(lagRow);

      const verdicts: Verdict[] = [
        {
          description: `replication lag p99 < ${LAG_P99_LIMIT_MS} ms (idle and under load)`,
          pass: idle.p99Ms < LAG_P99_LIMIT_MS && loaded.p99Ms < LAG_P99_LIMIT_MS,
          actual: `idle p99 ${idle.p99Ms} ms, under load p99 ${loaded.p99Ms} ms`,
        },
      ];
      return {
        scenario: cluster.name,
        title: cluster.title,
        startedAt,
        finishedAt: new Date().toISOString(),
        environment,
        settings: {
          connections: s.connections,
          warmupSeconds: s.warmupSeconds,
          durationSeconds: s.durationSeconds,
          rounds: s.rounds,
          maxOtherCpu: settings.maxOtherCpu,
          batchSize: BATCH_SIZE,
          lagSamples: LAG_SAMPLES,
        },
        rows,
        verdicts,
        pass: verdicts.every((v) => v.pass),
      } satisfies ScenarioReport;
    } finally {
      await Promise.all(hubs.map((hub) => hub.close()));
      for (const database of databases) await database.drop().catch(() => {});
    }
  },
};

/**
 * Shorter runs than the default, and no re-runs of noisy rounds, so that the whole scenario stays
 * near a minute on a shared machine; `BENCH_*` still lowers them (the noise shows in "other CPU").
 */
function local(settings: BenchSettings) {
  return {
    connections: settings.connections,
    warmupSeconds: Math.min(settings.warmupSeconds, 1),
    durationSeconds: Math.min(settings.durationSeconds, 3),
    rounds: Math.min(settings.rounds, 2),
  };
}
