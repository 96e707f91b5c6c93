/**
 * The command line of every script (demo, benchmarks, chaos): node's own `parseArgs` for the
 * syntax, precise messages for values, and the exit-code convention every Baton command shares.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The flags a script declares, in `parseArgs`'s terms. */
export type FlagsConfig = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseFlags} returns for `O`: each flag's value typed by its declaration. */
export type FlagValues<O extends FlagsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values'];

/** What a script exits with: the same convention as `baton` and `kanban`. */
export const ExitCode = {
  /** Every check passed, every run completed. */
  Ok: 0,
  /** A check failed or a run did not complete. */
  Failed: 1,
  /** Bad command line: nothing was run. */
  Usage: 2,
} as const;

/** A mistake on the command line: the script prints it with its help and exits {@link ExitCode.Usage}. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses `argv` (without node and the script) against `options`: long flags only as declared,
 * `--flag value` and `--flag=value`, no positionals. node's message becomes a {@link UsageError}.
 */
export function parseFlags<const O extends FlagsConfig>(argv: readonly string[], options: O): FlagValues<O> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Bounds of a numeric flag. */
export interface NumberBounds {
  min: number;
  max?: number;
  integer?: boolean;
}

/**
 * The number `value` of `--flag`, or `fallback` when the flag was not given; anything that is not
 * a number within `bounds` is a {@link UsageError} naming the flag, the bounds and the value.
 */
export function numberFlag<F extends number | null>(
  flag: string,
  value: string | undefined,
  bounds: NumberBounds,
  fallback: F,
): number | F {
  if (value === undefined) return fallback;
  const n = Number(value);
  const { min, max = Number.MAX_SAFE_INTEGER, integer = false } = bounds;
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(
      `--${flag} must be ${integer ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * Runs a script's `main` and resolves with the exit code it ends with, by the shared
 * conventions: `main`'s own code; for a {@link UsageError}, its message and `help` on stderr
 * and {@link ExitCode.Usage}; for any other failure, its stack and {@link ExitCode.Failed}.
 * `onFailure` runs first in both failure cases, to stop what `main` started.
 */
export async function runScript(
  name: string,
  help: string,
  main: () => Promise<number>,
  onFailure: () => Promise<void> = () => Promise.resolve(),
): Promise<number> {
  try {
    return await main();
  } catch (error) {
    await onFailure();
    if (error instanceof UsageError) {
      process.stderr.write(`${name}: ${error.message}\n\n${help}\n`);
      return ExitCode.Usage;
    }
    process.stderr.write(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Failed;
  }
}
