#!/usr/bin/env node
import { runCli } from './program.js';

// A reader that stops early (`heartbeat --help | head -3`) closes the pipe under us: stop quietly,
// as a command killed by SIGPIPE would, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

// The composition root of the `heartbeat` command: everything else lives in program.ts and commands/.
process.exitCode = await runCli(process.argv.slice(2));
