#!/usr/bin/env node
import { runCli } from './program.js';

// The composition root of the `heartbeat` command: everything else lives in program.ts and commands/.
process.exitCode = await runCli(process.argv.slice(2));
