/**
 * `npm run bench [-- <scenario>…]`: runs every scenario (or those named), prints each report as a
 * Markdown table with PASS/FAIL lines on stdout (progress on stderr), and writes
 * `bench/results/<scenario>.json`. Exits 1 when a target is missed, 2 on an error.
 */
import { fileURLToPath } from 'node:url';
import { formatReport, writeJson } from './lib/report.js';
import { settingsFromEnv, type Scenario } from './lib/scenario.js';
import { killAllTargets } from './lib/targets.js';
import { sdkEndpoints } from './sdk-endpoints.js';

const SCENARIOS: readonly Scenario[] = [
  sdkEndpoints,
  ...(await import('./hub-scenarios.js')).HUB_SCENARIOS,
  (await import('./pulse.js')).pulse,
  (await import('./dashboard.js')).dashboard,
  (await import('./metrics-scrape.js')).metricsScrape,
  (await import('./notify-storm.js')).notifyStorm,
  (await import('./cluster.js')).cluster,
];

// bench/dist/run.js → bench/results
const resultsDir = fileURLToPath(new URL('../results', import.meta.url));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) {
    log(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  const settings = settingsFromEnv(process.env, resultsDir);

  // Whatever happens, end: a watchdog well past the expected time kills the targets and exits.
  const expected = chosen.reduce((sum, s) => sum + s.estimateSeconds(settings), 0);
  const watchdog = setTimeout(
    () => {
      log(`bench: still running after ${Math.round(expected * 1.5 + 60)} s; giving up`);
      killAllTargets();
      process.exit(2);
    },
    (expected * 1.5 + 60) * 1000,
  );
  watchdog.unref();
  log(
    `bench: ${chosen.map((s) => s.name).join(', ')}; ${settings.rounds} rounds × (${settings.warmupSeconds} s warm-up + ` +
      `${settings.durationSeconds} s) per target, ${settings.connections} connections; about ${Math.round(expected)} s`,
  );

  let pass = true;
  for (const scenario of chosen) {
    const report = await scenario.run(settings, log);
    const file = `${resultsDir}/${scenario.name}.json`;
    writeJson(file, report);
    process.stdout.write(`${formatReport(report)}\n`);
    log(`bench: wrote ${file}`);
    pass &&= report.pass;
  }
  return pass ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
} finally {
  killAllTargets();
  // Should a library leave a handle open, still end soon (an unref'd timer fires only then).
  setTimeout(() => process.exit(), 2000).unref();
}
