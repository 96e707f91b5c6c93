/**
 * The exit codes of `baton`, in one place so that the help text and every command agree.
 */

/** What a `baton` process exits with. */
export const ExitCode = {
  /** The command did what was asked (status: a leader answered; check: the database is healthy). */
  Ok: 0,
  /** Usage error (bad arguments, missing --yes, no such database) or an unexpected failure. */
  Failure: 1,
  /** The meaningful negative: no leader, the leader is unresponsive, or the integrity check failed. */
  Negative: 2,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit-code paragraph shown at the end of every `--help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  usage error or unexpected failure
  2  no leader, leader unresponsive, or integrity check failed`;
