#!/usr/bin/env node
/** `kanban`: the board's command line. See `kanban --help`. */
import { runCli } from '../cli/main';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kanban: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
