/**
 * From samples to what people read: medians of rounds, ratios against the baseline measured in the
 * same run, verdicts against targets, a Markdown table, and a JSON file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { round, type LoadSample } from './load.js';

/**
 * One target in one row: every round's sample, their medians, and ratios to the baseline. Medians
 * are taken over the quiet samples when there is any, else over all.
 */
export interface Measurement {
  id: string;
  label: string;
  /** What was requested, e.g. `GET /live`. */
  request: string;
  samples: LoadSample[];
  /** How many samples were quiet; the medians use only those when there is any. */
  quietSamples: number;
  median: {
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    bytesPerResponse: number;
    targetCpu: number | undefined;
    loadCpu: number;
    otherCpu: number | undefined;
    /** Target CPU microseconds per request: what a request costs, however busy the machine was. */
    cpuUsPerRequest: number | undefined;
  };
  /**
   * Against the baseline's medians: req/s above 1 is faster, p99 below 1 is faster; `cpuEfficiency`
   * is the baseline's CPU per request over this one's (above 1 is cheaper), the req/s ratio a
   * CPU-bound server would reach with a core to itself.
   */
  ratio: { requestsPerSecond: number; p99Ms: number; cpuEfficiency: number | undefined };
  /** Every response of every round was 2xx, with no socket errors. */
  clean: boolean;
}

export interface RowResult {
  id: string;
  title: string;
  /** Id of the measurement every ratio is taken against. */
  baseline: string;
  measurements: Measurement[];
  notes: string[];
  /** Anything else the scenario records about the row, e.g. each target's answer. */
  details?: Record<string, unknown>;
}

export interface Verdict {
  description: string;
  pass: boolean;
  /** The figures the verdict was decided on. */
  actual: string;
}

export interface ScenarioReport {
  scenario: string;
  title: string;
  startedAt: string;
  finishedAt: string;
  environment: Record<string, string | number>;
  settings: Record<string, number>;
  rows: RowResult[];
  verdicts: Verdict[];
  pass: boolean;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Turns the samples of one row into measurements; `baseline` names the target ratios are taken against. */
export function summarizeRow(row: {
  id: string;
  title: string;
  baseline: string;
  targets: ReadonlyArray<{ id: string; label: string; request: string }>;
  samples: ReadonlyMap<string, LoadSample[]>;
  notes?: string[];
  details?: Record<string, unknown>;
}): RowResult {
  const medians = new Map(
    row.targets.map((target) => {
      const samples = usedSamples(row.samples.get(target.id) ?? []);
      const cpu = defined(samples.map((s) => s.targetCpu));
      const other = defined(samples.map((s) => s.otherCpu));
      const perRequest = defined(
        samples.map((s) =>
          s.targetCpu === undefined || s.requestsPerSecond === 0
            ? undefined
            : (s.targetCpu / s.requestsPerSecond) * 1e6,
        ),
      );
      return [
        target.id,
        {
          requestsPerSecond: Math.round(median(samples.map((s) => s.requestsPerSecond))),
          p50Ms: median(samples.map((s) => s.latencyMs.p50)),
          p99Ms: median(samples.map((s) => s.latencyMs.p99)),
          bytesPerResponse: median(samples.map((s) => s.bytesPerResponse)),
          targetCpu: cpu.length ? median(cpu) : undefined,
          loadCpu: median(samples.map((s) => s.loadCpu)),
          otherCpu: other.length ? median(other) : undefined,
          cpuUsPerRequest: perRequest.length ? round(median(perRequest), 1) : undefined,
        },
      ] as const;
    }),
  );
  const base = medians.get(row.baseline);
  if (!base) throw new Error(`row ${row.id}: no baseline "${row.baseline}" among its targets`);
  return {
    id: row.id,
    title: row.title,
    baseline: row.baseline,
    notes: row.notes ?? [],
    ...(row.details && { details: row.details }),
    measurements: row.targets.map((target) => {
      const samples = row.samples.get(target.id) ?? [];
      const m = medians.get(target.id)!;
      return {
        id: target.id,
        label: target.label,
        request: target.request,
        samples,
        quietSamples: samples.filter((s) => s.quiet).length,
        median: m,
        ratio: {
          requestsPerSecond: round(m.requestsPerSecond / base.requestsPerSecond, 3),
          p99Ms: round(m.p99Ms / base.p99Ms, 3),
          cpuEfficiency:
            m.cpuUsPerRequest === undefined || base.cpuUsPerRequest === undefined
              ? undefined
              : round(base.cpuUsPerRequest / m.cpuUsPerRequest, 3),
        },
        clean:
          samples.length > 0 && samples.every((s) => s.non2xx === 0 && s.errors === 0 && s.timeouts === 0),
      };
    }),
  };
}

/** The quiet samples, or all of them when none was quiet. */
function usedSamples(samples: readonly LoadSample[]): readonly LoadSample[] {
  const quiet = samples.filter((s) => s.quiet);
  return quiet.length ? quiet : samples;
}

function defined(values: ReadonlyArray<number | undefined>): number[] {
  return values.filter((v): v is number => v !== undefined);
}

export function measurement(row: RowResult, id: string): Measurement {
  const found = row.measurements.find((m) => m.id === id);
  if (!found) throw new Error(`row ${row.id} has no measurement "${id}"`);
  return found;
}

/**
 * `subject` reaches at least `minimum` × the baseline's req/s (and every response was 2xx). The
 * CPU-per-request ratio is shown beside it as a cross-check that noise does not move.
 */
export function atLeastRatio(row: RowResult, subject: string, minimum: number): Verdict {
  const m = measurement(row, subject);
  return {
    description: `${row.title}: ${subject} ≥ ${minimum.toFixed(2)} × ${row.baseline} req/s`,
    pass: m.clean && m.ratio.requestsPerSecond >= minimum,
    actual:
      `${m.ratio.requestsPerSecond.toFixed(2)} ×${m.clean ? '' : ' (non-2xx or errors)'}` +
      ` (CPU per request: ${formatRatio(m.ratio.cpuEfficiency)} ×)` +
      noisy(m, measurement(row, row.baseline)),
  };
}

/** `subject` serves more req/s than `other`, with a p99 no worse. */
export function aheadOf(row: RowResult, subject: string, other: string): Verdict {
  const a = measurement(row, subject);
  const b = measurement(row, other);
  return {
    description: `${row.title}: ${subject} ahead of ${other} (more req/s, p99 no higher)`,
    pass:
      a.clean && a.median.requestsPerSecond > b.median.requestsPerSecond && a.median.p99Ms <= b.median.p99Ms,
    actual:
      `${formatInt(a.median.requestsPerSecond)} vs ${formatInt(b.median.requestsPerSecond)} req/s, ` +
      `p99 ${formatMs(a.median.p99Ms)} vs ${formatMs(b.median.p99Ms)} ms ` +
      `(CPU per request ${formatUs(a.median.cpuUsPerRequest)} vs ${formatUs(b.median.cpuUsPerRequest)} µs)` +
      noisy(a, b),
  };
}

/** A warning when a verdict rests on a measurement without a single quiet round. */
function noisy(...measurements: Measurement[]): string {
  const loud = measurements.filter((m) => m.quietSamples === 0).map((m) => m.id);
  return loud.length ? ` [no quiet round for ${loud.join(', ')}: noise may decide this]` : '';
}

/** What the table's columns mean. */
export const TABLE_LEGEND = [
  'req/s, p99: medians of the rounds; × req/s and × p99: against the baseline (req/s above 1 and p99 below 1 are better).',
  'CPU µs/req: target process CPU time per request; × CPU: baseline µs/req ÷ target µs/req (above 1 is cheaper), what × req/s would be if each had a core to itself.',
  'B/resp: bytes received per response, head and body. target/load/other CPU: cores used by the target, by autocannon (this process), and by everything else on the machine (noise).',
  'quiet: rounds during which the rest of the machine stayed under the noise limit; medians use only those when there is any.',
].join('\n');

/** The rows as one Markdown table. */
export function formatTable(rows: readonly RowResult[]): string {
  const header = [
    'Row',
    'Target',
    'Request',
    'req/s',
    '× req/s',
    'p99 ms',
    '× p99',
    'CPU µs/req',
    '× CPU',
    'B/resp',
    'target CPU',
    'load CPU',
    'other CPU',
    'quiet',
  ];
  const lines = [header, header.map((h, i) => (i < 3 ? '---' : '---:'))];
  for (const row of rows) {
    for (const m of row.measurements) {
      lines.push([
        row.title,
        m.id === row.baseline ? `${m.id} (baseline)` : m.id,
        m.request,
        formatInt(m.median.requestsPerSecond) + (m.clean ? '' : ' ⚠'),
        m.ratio.requestsPerSecond.toFixed(2),
        formatMs(m.median.p99Ms),
        m.ratio.p99Ms.toFixed(2),
        formatUs(m.median.cpuUsPerRequest),
        formatRatio(m.ratio.cpuEfficiency),
        String(Math.round(m.median.bytesPerResponse)),
        formatCores(m.median.targetCpu),
        formatCores(m.median.loadCpu),
        formatCores(m.median.otherCpu),
        `${m.quietSamples}/${m.samples.length}`,
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  return lines
    .map((line, index) => {
      const cells = line.map((cell, i) => {
        if (index === 1) return i < 3 ? '-'.repeat(widths[i]!) : '-'.repeat(widths[i]! - 1) + ':';
        return i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!);
      });
      return `| ${cells.join(' | ')} |`;
    })
    .join('\n');
}

export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `${v.pass ? 'PASS' : 'FAIL'}  ${v.description}: ${v.actual}`).join('\n');
}

/** The whole report as text: table, verdicts, notes. */
export function formatReport(report: ScenarioReport): string {
  const notes = report.rows.flatMap((row) => row.notes.map((note) => `- ${row.title}: ${note}`));
  return [
    `## ${report.title}`,
    '',
    formatTable(report.rows),
    '',
    TABLE_LEGEND,
    '',
    formatVerdicts(report.verdicts),
    ...(notes.length ? ['', 'Notes:', ...notes] : []),
    '',
  ].join('\n');
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function formatInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatMs(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '–';
}

function formatUs(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(1);
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(2);
}

function formatCores(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(2);
}
