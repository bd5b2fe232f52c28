import { API_STATUSES } from '../domain/api.js';
import { INSTANCE_STATES, type InstanceState } from '../domain/instance.js';
import type { HubContext } from '../http/hub-context.js';
import { escapeLabelValue, Exposition } from './exposition.js';

/**
 * Everything `GET /metrics` answers, computed from the registries' in-memory state at scrape time:
 * one pass over the APIs and one over the instances, no store query. At 10,000 APIs that is about
 * 50,000 lines (see bench/README.md, scenario metrics-scrape).
 */
export async function renderMetrics(hub: HubContext): Promise<string> {
  const out = new Exposition();
  out.family('heartbeat_hub_info', 'gauge', 'The hub: its version and store kind; always 1.');
  out.sample('heartbeat_hub_info', ['version', 'store'], [hub.version, hub.store.kind], 1);
  out.family('heartbeat_store_healthy', 'gauge', '1 while writes to the store succeed, else 0.');
  out.sample('heartbeat_store_healthy', [], [], hub.committer.healthy ? 1 : 0);

  const basepaths = writeApis(out, hub);
  writeInstances(out, hub);

  const metrics = hub.metrics;
  // A removed API's probe series go with it.
  const live = (values: readonly string[]) => basepaths.has(values[0] ?? '');
  metrics.probes.retain(live);
  metrics.probeDuration.retain(live);
  metrics.registry.write(out);
  await metrics.process.write(out);
  return out.text();
}

/** Writes the API families; returns the basepaths it wrote. */
function writeApis(out: Exposition, hub: HubContext): Set<string> {
  const views = hub.apis.views();
  const byStatus = { UP: 0, DOWN: 0, UNKNOWN: 0 };
  for (const view of views) byStatus[view.status]++;
  out.family('heartbeat_apis', 'gauge', 'APIs the hub judges, by status.');
  for (const status of API_STATUSES) out.sample('heartbeat_apis', ['status'], [status], byStatus[status]);

  // Label texts are built once per API and reused by each of its series.
  const labels = views.map((view) => `{basepath="${escapeLabelValue(view.definition.basepath)}"`);
  const closed = labels.map((label) => `${label}}`);
  out.family(
    'heartbeat_api_status',
    'gauge',
    "1 for the API's current status (UP, DOWN or UNKNOWN over its sliding window), 0 for the others.",
  );
  views.forEach((view, i) => {
    for (const status of API_STATUSES)
      out.sampleWithLabels(
        'heartbeat_api_status',
        `${labels[i]},status="${status}"}`,
        view.status === status ? 1 : 0,
      );
  });
  out.family(
    'heartbeat_api_success_ratio',
    'gauge',
    "Share of successful requests in the API's sliding window (absent while it has no samples).",
  );
  views.forEach((view, i) => {
    if (view.ratio !== null) out.sampleWithLabels('heartbeat_api_success_ratio', closed[i]!, view.ratio);
  });
  out.family('heartbeat_api_samples', 'gauge', "Requests counted in the API's sliding window.");
  views.forEach((view, i) => out.sampleWithLabels('heartbeat_api_samples', closed[i]!, view.window.total));
  out.family('heartbeat_api_failures', 'gauge', "Failed requests in the API's sliding window.");
  views.forEach((view, i) =>
    out.sampleWithLabels('heartbeat_api_failures', closed[i]!, view.window.failures),
  );
  out.family(
    'heartbeat_api_latency_p95_seconds',
    'gauge',
    "95th percentile of request duration in the API's sliding window (absent while it has no samples).",
  );
  views.forEach((view, i) => {
    if (view.window.p95Ms !== null)
      out.sampleWithLabels('heartbeat_api_latency_p95_seconds', closed[i]!, view.window.p95Ms / 1000);
  });
  out.family(
    'heartbeat_api_status_since_seconds',
    'gauge',
    'When the API took its current status, Unix time in seconds.',
  );
  views.forEach((view, i) =>
    out.sampleWithLabels('heartbeat_api_status_since_seconds', closed[i]!, view.since / 1000),
  );
  return new Set(views.map((view) => view.definition.basepath));
}

function writeInstances(out: Exposition, hub: HubContext): void {
  const byService = new Map<string, Record<InstanceState, number>>();
  let unconfirmed = 0;
  for (const record of hub.registry.all()) {
    let counts = byService.get(record.service);
    if (!counts) {
      counts = { alive: 0, lost: 0, stopped: 0 };
      byService.set(record.service, counts);
    }
    counts[record.state]++;
    if (record.unconfirmed) unconfirmed++;
  }
  out.family('heartbeat_instances', 'gauge', 'Instances in the live registry, by service and state.');
  for (const [service, counts] of byService) {
    const label = `{service="${escapeLabelValue(service)}",state="`;
    for (const state of INSTANCE_STATES)
      out.sampleWithLabels('heartbeat_instances', `${label}${state}"}`, counts[state]);
  }
  const selfPreservation = hub.registry.selfPreservation;
  out.family(
    'heartbeat_self_preservation_active',
    'gauge',
    '1 while the hub suspects itself of being cut off and keeps silent instances alive, else 0.',
  );
  out.sample('heartbeat_self_preservation_active', [], [], selfPreservation.active ? 1 : 0);
  out.family(
    'heartbeat_instances_unconfirmed',
    'gauge',
    'Alive instances kept alive by self-preservation without a recent heartbeat.',
  );
  out.sample('heartbeat_instances_unconfirmed', [], [], unconfirmed);
}
