/**
 * The Prometheus text exposition format, version 0.0.4, written by hand: the hub computes most of
 * its metrics from its registries at scrape time, so a client library's "set a gauge when things
 * change" model would only add a copy of state it already has.
 *
 * @example
 * const out = new Exposition();
 * out.family('heartbeat_apis', 'gauge', 'APIs by status');
 * out.sample('heartbeat_apis', ['status'], ['UP'], 3);
 * out.text(); // '# HELP heartbeat_apis APIs by status\n# TYPE heartbeat_apis gauge\nheartbeat_apis{status="UP"} 3\n'
 */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export class Exposition {
  private readonly lines: string[] = [];

  /** Starts a metric family: its HELP and TYPE lines. Every sample of the family follows it. */
  family(name: string, type: MetricType, help: string): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  /** One sample; `names` and `values` are the label names and values, in the same order. */
  sample(name: string, names: readonly string[], values: readonly string[], value: number): void {
    this.lines.push(`${name}${labelText(names, values)} ${formatValue(value)}`);
  }

  /** A sample whose label text (`{a="b"}`, or `''`) is already built and escaped. */
  sampleWithLabels(name: string, labels: string, value: number): void {
    this.lines.push(`${name}${labels} ${formatValue(value)}`);
  }

  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

/** `{a="x",b="y"}` with the values escaped, or `''` without labels. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  let text = '{';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) text += ',';
    text += `${names[i]}="${escapeLabelValue(values[i] ?? '')}"`;
  }
  return `${text}}`;
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's float formatting as Prometheus reads it: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
