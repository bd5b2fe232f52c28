/**
 * `GET /metrics` at the scale: a hub holding 10,000 APIs (registered by observations, with
 * known statuses) and 100,000 live instances (pushed as heartbeats), scraped the way Prometheus
 * does (one connection, `Accept-Encoding: gzip`), in the same run and the same process as two
 * reads over the same data: `GET /v1/heartbeats` (the 10,000 APIs, served from a cached
 * serialization) and `GET /v1/services` (a walk over the 100,000 instances).
 *
 * Target: a scrape costs the hub at most 150 ms of CPU, so a 15 s scrape interval takes under 1 %
 * of a core, and answers within Prometheus's default 10 s scrape timeout by far (p99 < 1 s).
 */
import { registrationBodies } from './lib/api-observations.js';
import { heartbeatMessage } from './lib/heartbeat-messages.js';
import { HUB_ADMIN_KEY, hubBuildInfo, hubRequest, startHubProcess, type HubProcess } from './lib/hub.js';
import {
  measurement,
  summarizeRow,
  type RowResult,
  type ScenarioReport,
  type Verdict,
} from './lib/report.js';
import { measureRequestRounds, type RequestTarget } from './lib/request-load.js';
import { roundsOptions, type Scenario } from './lib/scenario.js';
import { machineInfo } from './lib/machine.js';

const APIS = 10_000;
const INSTANCES = 100_000;
const BATCH = 1000;
const MAX_CPU_MS_PER_SCRAPE = 150;
const MAX_P99_MS = 1000;
const AUTH = { authorization: `Bearer ${HUB_ADMIN_KEY}` };

type Labelled = RequestTarget & { label: string; request: string };

export const metricsScrape: Scenario = {
  name: 'metrics-scrape',
  title: 'GET /metrics over 10,000 APIs and 100,000 instances, beside two reads of the same data',
  estimateSeconds(settings) {
    return 3 * settings.rounds * (settings.warmupSeconds + settings.durationSeconds + 0.5) + 60;
  },
  async run(settings, log) {
    const startedAt = new Date().toISOString();
    const environment: Record<string, string | number> = {
      ...machineInfo(),
      ...hubBuildInfo(),
    };
    let hub: HubProcess | undefined;
    try {
      // Leases longer than the run: no instance goes lost while it is measured.
      hub = await startHubProcess({ env: { HEARTBEAT_INSTANCES_VALID_TIME: '1h' } });
      environment.hubCommand = hub.command;
      const filled = await fill(hub, log);
      const scrape = await fetch(`${hub.origin}/metrics`, { headers: AUTH });
      const text = await scrape.text();
      const gzipped = await fetch(`${hub.origin}/metrics`, {
        headers: { ...AUTH, 'accept-encoding': 'gzip' },
      });
      const target = (id: string, path: string, label: string, headers = {}): Labelled => ({
        id,
        label,
        request: `GET ${path}`,
        url: hub!.origin + path,
        method: 'GET',
        headers: { ...AUTH, ...headers },
        cpuSeconds: hub!.cpuSeconds,
      });
      const targets = [
        target('heartbeats', '/v1/heartbeats', 'the hub, 10,000 APIs (cached serialization)'),
        target('services', '/v1/services', 'the hub, a walk over 100,000 instances'),
        target('metrics', '/metrics', 'the hub, a Prometheus scrape (gzip)', { 'accept-encoding': 'gzip' }),
      ];
      const samples = await measureRequestRounds(targets, {
        ...roundsOptions(settings, log, 'scrape'),
        connections: 1,
      });
      const row: RowResult = summarizeRow({
        id: 'scrape',
        title: `GET /metrics, ${APIS.toLocaleString('en-US')} APIs, ${INSTANCES.toLocaleString('en-US')} instances`,
        baseline: 'heartbeats',
        targets: targets.map((t) => ({ id: t.id, label: t.label, request: t.request })),
        samples,
        notes: [
          `${filled}; one connection, as a scraper uses. The three requests hit the same hub process in rotating rounds; ` +
            'ratios are against GET /v1/heartbeats.',
          `the scrape: ${text.split('\n').length.toLocaleString('en-US')} lines, ${Buffer.byteLength(text).toLocaleString('en-US')} B ` +
            `(${Number(gzipped.headers.get('content-length')).toLocaleString('en-US')} B gzipped, as Prometheus asks for it).`,
        ],
      });
      const metrics = measurement(row, 'metrics');
      const services = measurement(row, 'services');
      const cpuMs = (metrics.median.cpuUsPerRequest ?? Infinity) / 1000;
      const verdicts: Verdict[] = [
        {
          description: `${row.title}: ≤ ${MAX_CPU_MS_PER_SCRAPE} ms of hub CPU per scrape (under 1 % of a core at a 15 s interval), p99 < ${MAX_P99_MS} ms`,
          pass: metrics.clean && cpuMs <= MAX_CPU_MS_PER_SCRAPE && metrics.median.p99Ms < MAX_P99_MS,
          actual:
            `${cpuMs.toFixed(1)} ms CPU per scrape, p50 ${metrics.median.p50Ms.toFixed(1)} / p99 ${metrics.median.p99Ms.toFixed(1)} ms; ` +
            `GET /v1/services ${((services.median.cpuUsPerRequest ?? 0) / 1000).toFixed(1)} ms CPU, p99 ${services.median.p99Ms.toFixed(1)} ms; ` +
            `scrape/services CPU ratio ${(cpuMs / ((services.median.cpuUsPerRequest ?? 1) / 1000)).toFixed(2)}`,
        },
      ];
      return {
        scenario: metricsScrape.name,
        title: metricsScrape.title,
        startedAt,
        finishedAt: new Date().toISOString(),
        environment,
        settings: {
          warmupSeconds: settings.warmupSeconds,
          durationSeconds: settings.durationSeconds,
          rounds: settings.rounds,
          connections: 1,
          apis: APIS,
          instances: INSTANCES,
        },
        rows: [row],
        verdicts,
        pass: verdicts.every((v) => v.pass),
      } satisfies ScenarioReport;
    } finally {
      await hub?.close();
    }
  },
};

/** Registers the APIs and pushes one beat per instance; returns what the hub then holds. */
async function fill(hub: HubProcess, log: (line: string) => void): Promise<string> {
  const started = Date.now();
  for (const body of registrationBodies(APIS, BATCH, started)) {
    const answer = await hubRequest(hub.origin, 'POST', '/v1/observations', body);
    if (answer.status !== 200)
      throw new Error(`registering APIs: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  for (let start = 0; start < INSTANCES; start += BATCH) {
    const messages = Array.from({ length: BATCH }, (_, i) =>
      heartbeatMessage(start + i, { heartbeatTime: Date.now() }, 600_000),
    );
    const answer = await hubRequest(hub.origin, 'POST', '/v1/instances/heartbeats', messages);
    if (answer.status !== 200)
      throw new Error(`pushing beats: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  const status = await hubRequest(hub.origin, 'GET', '/v1/hub');
  const apis = await hubRequest(hub.origin, 'GET', '/v1/apis?limit=1');
  const summary =
    `the hub held ${Number(apis.body?.total).toLocaleString('en-US')} APIs and ` +
    `${Number(status.body?.instances?.live).toLocaleString('en-US')} live instances over 10 services ` +
    `(filled in ${((Date.now() - started) / 1000).toFixed(1)} s)`;
  log(`  metrics-scrape: ${summary}`);
  return summary;
}
