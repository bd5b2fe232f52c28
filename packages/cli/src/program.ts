import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError, HeartbeatError } from '@heartbeat/sdk';
import { agentCommand } from './commands/agent.js';
import { checkCommand } from './commands/check.js';
import { hubCommand } from './commands/hub.js';
import { keysCommand } from './commands/keys.js';

/** How a command ended; the process exit code follows from it (see `EXIT_CODES`). */
export type CliOutcome = 'ok' | 'failed' | 'usage';

/**
 * 0: done, or the probed service is ok or warning (a warning never fails a probe).
 * 1: the probed service is failing or did not answer. 2: the command line was wrong.
 */
export const EXIT_CODES: Readonly<Record<CliOutcome, number>> = { ok: 0, failed: 1, usage: 2 };

/** Where a command writes and how it reports its outcome; tests and embedders pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** What every command receives besides its parent program. */
export interface CliContext extends CliIo {
  /** Sets how the command ended; the last call wins. Not calling it means `ok`. */
  setOutcome: (outcome: CliOutcome) => void;
}

/** Registers one subcommand on the program: `program.command('name')…`, so it inherits the program's settings. */
export type CommandRegistrar = (program: Command, context: CliContext) => Command;

/** Every `heartbeat` subcommand, in help order. Adding one is one line here (plus its import). */
const COMMANDS: readonly CommandRegistrar[] = [hubCommand, checkCommand, agentCommand, keysCommand];

const PROCESS_IO: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/**
 * The `heartbeat` program with every subcommand. Usage errors throw a `CommanderError` rather
 * than exit, so `runCli` can turn them into exit code 2.
 *
 * @example
 * const program = createProgram({ ...io, setOutcome: (outcome) => { … } });
 * await program.parseAsync(['check', 'http://127.0.0.1:8080/readyz'], { from: 'user' });
 */
export function createProgram(context: CliContext): Command {
  const program = new Command('heartbeat')
    .description(
      'Health checks in every format: probe a health URL, run the Heartbeat hub, run the agent sidecar, manage keys.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({ writeOut: context.out, writeErr: context.err })
    .showHelpAfterError('(add --help for usage and examples)')
    .exitOverride()
    // Program options (-V, -h) before the command, each command's own after it: `agent --version 3.2.0` is the agent's.
    .enablePositionalOptions()
    .addHelpText('after', '\nRun "heartbeat <command> --help" for the options and examples of each command.');
  for (const register of COMMANDS) register(program, context);
  return program;
}

/**
 * Runs the command line (without the `node` and script arguments) and resolves to the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(args: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  let outcome: CliOutcome = 'ok';
  const program = createProgram({
    ...io,
    setOutcome: (next) => {
      outcome = next;
    },
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (thrown) {
    // Commander has already printed its message; help and --version end with exit code 0.
    if (thrown instanceof CommanderError) return thrown.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    if (thrown instanceof HeartbeatError && thrown.code === 'VALIDATION_FAILED') {
      io.err(`error: ${thrown.message}\n`);
      return EXIT_CODES.usage;
    }
    io.err(`heartbeat: ${describeError(thrown)}\n`);
    return EXIT_CODES.failed;
  }
  return EXIT_CODES[outcome];
}

function packageVersion(): string {
  // src/program.ts and dist/program.js both sit one level below package.json.
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
