/**
 * @baton/cli: the `baton` command. The executable is `dist/src/bin.js`; this entry point lets
 * other tools run it in-process or reuse its status report.
 */
export { main } from './main';
export { createProgram } from './program';
export { ExitCode, EXIT_CODES_HELP } from './exit-codes';
export { CliError, toCliError } from './cli-error';
export type { CliErrorCode } from './cli-error';
export { processIo, colorAllowed } from './io';
export type { Io, OutputStream } from './io';
export { StatusObserver } from './status/status-observer';
export type {
  StatusReport,
  LeaderState,
  LeaderView,
  MemberView,
  MemberRole,
  LoadView,
  FilesView,
  FailoverView,
  RecordView,
} from './status/status-report';
export type { CheckReport, ForeignKeyViolation } from './commands/check';
export type { ExecReport } from './commands/exec';
export type { ResetReport } from './commands/reset';
export type { StepDownReport, LeaderRef } from './commands/step-down';
export type { BackupReport } from './commands/backup';
