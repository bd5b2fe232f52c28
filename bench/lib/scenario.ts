/** What every benchmark scenario is, and the settings the runner gives it. */
import type { RoundsOptions } from './load.js';
import type { ScenarioReport } from './report.js';

export interface BenchSettings {
  /** Measured seconds per run (`BENCH_DURATION`, default 8). */
  durationSeconds: number;
  /** Warm-up seconds per run, thrown away (`BENCH_WARMUP`, default 2). */
  warmupSeconds: number;
  /** Rounds per target; medians are reported (`BENCH_ROUNDS`, default 3). */
  rounds: number;
  /** Keep-alive connections (`BENCH_CONNECTIONS`, default 50). */
  connections: number;
  /**
   * A run during which the rest of the machine used more cores than this is noisy: it is run once
   * more, and medians use quiet runs only when a target has any (`BENCH_MAX_NOISE`, default 0.25).
   */
  maxOtherCpu: number;
  /** Seconds that waiting for quiet and re-runs may take in all (`BENCH_NOISE_BUDGET`, default 75). */
  noiseBudget: { seconds: number };
  /** Target ids to run under `node --cpu-prof` (`BENCH_PROFILE=sdk,node:http`), profiles in `profileDir`. */
  profile: ReadonlySet<string>;
  /** Where results and profiles go: `bench/results`. */
  resultsDir: string;
}

export interface Scenario {
  /** The name on the command line and of `bench/results/<name>.json`. */
  name: string;
  title: string;
  /** Roughly how long a run takes, for the runner's watchdog. */
  estimateSeconds(settings: BenchSettings): number;
  run(settings: BenchSettings, log: (line: string) => void): Promise<ScenarioReport>;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv, resultsDir: string): BenchSettings {
  return {
    durationSeconds: positive(env, 'BENCH_DURATION', 8),
    warmupSeconds: positive(env, 'BENCH_WARMUP', 2, true),
    rounds: Math.round(positive(env, 'BENCH_ROUNDS', 3)),
    connections: Math.round(positive(env, 'BENCH_CONNECTIONS', 50)),
    maxOtherCpu: positive(env, 'BENCH_MAX_NOISE', 0.25),
    noiseBudget: { seconds: positive(env, 'BENCH_NOISE_BUDGET', 75, true) },
    profile: new Set((env.BENCH_PROFILE ?? '').split(',').filter(Boolean)),
    resultsDir,
  };
}

export function roundsOptions(
  settings: BenchSettings,
  log: (line: string) => void,
  row: string,
): RoundsOptions {
  return {
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    rounds: settings.rounds,
    noise: { maxOtherCpu: settings.maxOtherCpu, budget: settings.noiseBudget },
    log: (line) => log(`  ${row}: ${line}`),
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroAllowed = false): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
    throw new Error(`${name}=${raw} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  }
  return value;
}
