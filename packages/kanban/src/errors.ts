/**
 * The kanban package's error class. Board operations fail with a `KanbanError` carrying a
 * stable `code`; failures of the client underneath (a timeout, no leader: `LibsqlError`s, which
 * Baton's `StoreError`s are) stay as they are, so a caller can tell "the board said no" from
 * "the database could not be reached".
 */
import { LibsqlError } from '@baton/store';

/** Every code a `KanbanError` can carry. */
export const KANBAN_ERROR_CODES = [
  /** Bad input: fix the call (an id of the wrong shape, an empty title, an unknown status). */
  'INVALID_ARGUMENT',
  /** The task (or parent) does not exist. */
  'NOT_FOUND',
  /** The link would make the task graph cyclic. */
  'CYCLE',
  /** The task is not in a state that allows the operation (e.g. completing a task that is not running). */
  'INVALID_STATE',
  /** The claim this worker held was released or completed by someone else: stop working on it. */
  'CLAIM_LOST',
  /** A gateway's config.yaml is invalid. */
  'CONFIG_INVALID',
] as const;

/** A stable, machine-readable kanban error code. */
export type KanbanErrorCode = (typeof KANBAN_ERROR_CODES)[number];

/** An error raised by a board operation, the gateway config loader or the CLI. */
export class KanbanError extends Error {
  /** Stable code, e.g. `NOT_FOUND`. */
  readonly code: KanbanErrorCode;

  /**
   * @param code - stable code
   * @param message - human-readable explanation (the code is prefixed to it)
   * @param cause - the underlying error, if any
   */
  constructor(code: KanbanErrorCode, message: string, cause?: unknown) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'KanbanError';
    this.code = code;
  }
}

/**
 * Maps a client failure caused by the board's own constraints to a `KanbanError`; anything else
 * is returned as is. A foreign key failure means a referenced task does not exist.
 */
export function fromClientError(error: unknown, what: string): unknown {
  if (error instanceof LibsqlError) {
    if (error.extendedCode === 'SQLITE_CONSTRAINT_FOREIGNKEY')
      return new KanbanError('NOT_FOUND', `${what}: a referenced task does not exist`, error);
    if (error.extendedCode === 'SQLITE_CONSTRAINT_CHECK')
      return new KanbanError('INVALID_ARGUMENT', `${what}: ${error.message}`, error);
  }
  return error;
}
