/**
 * Runs `baton` with an argument vector and resolves with the exit code; never calls
 * `process.exit`, so piped output is always flushed before the process ends.
 */
import { CommanderError } from 'commander';
import { CliError } from './cli-error';
import { ExitCode } from './exit-codes';
import { processIo, type Io } from './io';
import { Output } from './output';
import { createProgram } from './program';

/**
 * Parses `argv` (node's `process.argv` layout: node, script, arguments), runs the command and
 * returns its exit code. Usage errors exit 2; under `--json` they print `{"error":{...}}`.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Ok;
  const json = argv.slice(2).includes('--json');
  const program = createProgram({ io, exit: (code) => (exitCode = code) }, json);
  // The store's timers are unref()'d, and while no leader socket exists nothing else holds the
  // event loop: a pending openStore() would let node exit mid-command with code 0. Hold the
  // loop open ourselves until the command has finished.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here too, with exit code 0.
    if (error.exitCode === 0) return ExitCode.Ok;
    if (json) new Output(io, true).error(new CliError('USAGE', error.message.replace(/^error: /, '')));
    return ExitCode.Usage;
  } finally {
    clearInterval(keepAlive);
  }
  return exitCode;
}
