/**
 * `node --cpu-prof` for a target, and a summary of the profile it writes on exit: the functions
 * with the most self time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Node flags that make a target write `<dir>/<name>.cpuprofile` when it exits. */
export function cpuProfileFlags(dir: string, name: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`];
}

export function cpuProfilePath(dir: string, name: string): string {
  return join(dir, `${name}.cpuprofile`);
}

export interface SelfTime {
  /** `name (file:line)` */
  function: string;
  /** Share of the samples in which the process was busy (idle and GC-free samples excluded). */
  percentOfBusy: number;
  ms: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idlePercent: number;
  top: SelfTime[];
}

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** The `top` functions by self time in a `.cpuprofile`, or undefined when the file is not there. */
export function summarizeCpuProfile(file: string, top = 15): ProfileSummary | undefined {
  if (!existsSync(file)) return undefined;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nameOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` (${shorten(url)}:${lineNumber + 1})` : '';
    nameOf.set(node.id, `${functionName || '(anonymous)'}${where}`);
  }
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // Each sample's time is the gap to the next sample.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const name = nameOf.get(profile.samples[i]!) ?? '?';
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
    totalUs += us;
  }
  const idleUs = selfUs.get('(idle)') ?? 0;
  const busyUs = totalUs - idleUs;
  const ranked = [...selfUs.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      function: name,
      percentOfBusy: Math.round((us / busyUs) * 1000) / 10,
      ms: Math.round(us / 1000),
    }));
  return {
    file,
    totalMs: Math.round(totalUs / 1000),
    idlePercent: Math.round((idleUs / totalUs) * 1000) / 10,
    top: ranked,
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  return [
    `${summary.file}: ${summary.totalMs} ms sampled, ${summary.idlePercent}% idle; top self time (% of busy):`,
    ...summary.top.map((entry) => `  ${entry.percentOfBusy.toFixed(1).padStart(5)}%  ${entry.function}`),
  ].join('\n');
}

/** `node_modules/…` and workspace paths, without the machine-specific prefix. */
function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  const packages = path.search(/\/(packages|bench|examples)\//);
  return packages >= 0 ? path.slice(packages + 1) : path;
}
