/**
 * The exit codes of `baton`, in one place so that the help text and every command agree. They
 * follow the convention every Baton command shares (`kanban`, the demo, the benchmarks and the
 * chaos runner too): 0 ok, 1 failed or unhealthy, 2 usage; `kanban` adds 3, nothing to do.
 */

/** What a `baton` process exits with. */
export const ExitCode = {
  /** The command did what was asked (status: a leader answered; check: the database is healthy). */
  Ok: 0,
  /**
   * The command ran and the answer is no: no leader, the leader is unresponsive, the integrity
   * check failed, a statement failed, or an unexpected failure. `--json` says which, by code.
   */
  Failed: 1,
  /**
   * The command line is wrong and nothing was done: an unknown command or option, a bad value, a
   * missing argument, a missing `--yes`, a database that does not exist, a backup destination
   * that does. Fix the command and run it again.
   */
  Usage: 2,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit-code paragraph shown at the end of every `--help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  failed or unhealthy: no leader, leader unresponsive, integrity check failed, statement failed
  2  usage: bad command line, missing --yes, no such database, destination exists (nothing was done)`;
