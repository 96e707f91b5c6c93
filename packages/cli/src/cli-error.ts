/**
 * The one error type commands throw. Every failure the CLI reports carries a stable string
 * `code` (the store's codes are passed through unchanged) and the exit code it maps to, so the
 * text and `--json` renderings and the exit status cannot disagree.
 */
import { StoreError } from '@baton/store';
import { ExitCode } from './exit-codes';

/** Codes the CLI adds to the store's own (`NO_LEADER`, `TIMEOUT`, `SQLITE_ERROR`, ...). */
export type CliErrorCode =
  | 'USAGE'
  | 'DATABASE_NOT_FOUND'
  | 'DESTINATION_EXISTS'
  | 'CONFIRMATION_REQUIRED'
  | 'LEADER_UNRESPONSIVE'
  | 'STEP_DOWN_UNCONFIRMED'
  | 'INTERNAL';

/** Codes that mean the command line was wrong and nothing was done: exit 2. Every other code exits 1. */
const USAGE_CODES = new Set<string>([
  'USAGE',
  'INVALID_ARGUMENT',
  'DATABASE_NOT_FOUND',
  'DESTINATION_EXISTS',
  'CONFIRMATION_REQUIRED',
]);

/** A failure of a command, with its code, exit code and optional extra JSON fields. */
export class CliError extends Error {
  /**
   * @param code - stable machine-readable code (a {@link CliErrorCode} or a store error code)
   * @param message - what went wrong and, where possible, what to do about it
   * @param details - extra fields for the `--json` error object (e.g. `extendedCode`)
   */
  constructor(
    readonly code: CliErrorCode | StoreError['code'],
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** The exit code this error ends the process with. */
  get exitCode(): ExitCode {
    return USAGE_CODES.has(this.code) ? ExitCode.Usage : ExitCode.Failed;
  }
}

/**
 * Turns anything a command threw into a {@link CliError}: store errors keep their code (and
 * SQLite's extended code), with the "CODE: " prefix of their message removed; anything else is `INTERNAL`.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof StoreError) {
    const { message, extendedCode } = error.toWire();
    return new CliError(error.code, message, extendedCode === undefined ? {} : { extendedCode });
  }
  return new CliError('INTERNAL', error instanceof Error ? error.message : String(error));
}
