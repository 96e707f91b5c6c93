/**
 * What every command's action gets, and the one wrapper that turns its outcome into output
 * and an exit code: a returned exit code on success, a rendered {@link CliError} on failure.
 */
import { toCliError } from '../cli-error';
import type { ExitCode } from '../exit-codes';
import type { Io } from '../io';
import { Output } from '../output';

/** Shared by every command: the process's streams and where the exit code goes. */
export interface CommandContext {
  io: Io;
  /** Records the exit code the process ends with. */
  exit(code: ExitCode): void;
}

/**
 * Runs a command body with an {@link Output} configured for `--json` or text, and records its
 * exit code; any error it throws is reported once (JSON error document or stderr line).
 */
export async function runAction(
  context: CommandContext,
  json: boolean,
  body: (out: Output) => Promise<ExitCode>,
): Promise<void> {
  const out = new Output(context.io, json);
  try {
    context.exit(await body(out));
  } catch (error) {
    const failure = toCliError(error);
    out.error(failure);
    context.exit(failure.exitCode);
  }
}
