import { HeartbeatError } from '@heartbeat/sdk';

/**
 * One thing wrong with the configuration, and where it came from:
 * `config.yaml:4:14`, `HEARTBEAT_SERVER_PORT=abc` or `--port=abc`.
 */
export interface ConfigProblem {
  source: string;
  /** The dotted setting (`instances.validTime`, `apis[0].basepath`), or `''` for the whole source. */
  path: string;
  /** What is wrong and what to do about it. */
  message: string;
}

/** `config.yaml:4:14: instances.validTime: "sixty" is not a duration; write it like 500ms, …` */
export function formatConfigProblem(problem: ConfigProblem): string {
  return [problem.source, problem.path, problem.message].filter((part) => part !== '').join(': ');
}

/**
 * The one error for a configuration that cannot be used: every problem, each on its own line, and
 * in `details.problems` for programs.
 */
export function configurationError(problems: readonly ConfigProblem[]): HeartbeatError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((problem) => `  ${formatConfigProblem(problem)}`);
  return new HeartbeatError('CONFIGURATION_INVALID', [`configuration has ${count}:`, ...lines].join('\n'), {
    problems,
  });
}

/** How a raw value is quoted in messages: strings in quotes, numbers and booleans bare. */
export function showRaw(raw: string | number | boolean): string {
  return typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
}
