/**
 * Baton's errors. Every failure a caller can see, local or forwarded from the leader, is a
 * `StoreError`, which is a `LibsqlError` of the application's @libsql/core (`libsql-core.ts`):
 * code written for @libsql/client catches it unchanged, and SQLite failures carry libsql's `code`
 * (the primary result code), `extendedCode` and `rawCode`. A failure of one statement of a batch is a `StoreBatchError`,
 * which is a `LibsqlBatchError` (with `statementIndex`) and, through a brand check, also an
 * instance of `StoreError`: `catch (e) { if (e instanceof StoreError) ... }` still sees every
 * Baton error with one class.
 *
 * Their `name` is libsql's (`LibsqlError`, `LibsqlBatchError`), set by libsql's constructors:
 * programs and test suites written for @libsql/client read `e.name` as well as `instanceof`, and
 * the class names stay Baton's (`e.constructor.name`).
 */
import { LibsqlBatchError, LibsqlError } from './libsql-core';
import { sqliteCodes } from './sqlite-codes';

/** Baton's own codes, and those of @libsql/client that Baton raises too. Stable: programs may switch on them. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'CLIENT_CLOSED',
  'NO_LEADER',
  'TIMEOUT',
  'PROTOCOL_ERROR',
  'SCHEMA_CONFLICT',
  'TRANSACTION_ABORTED',
  'TRANSACTION_CLOSED',
  'STATEMENT_REFUSED',
  'STATEMENT_TIMEOUT',
  'RESULT_TOO_LARGE',
  'FENCED',
  'LEADER_FAILED',
  'PERMISSION_DENIED',
  'URL_INVALID',
  'URL_SCHEME_NOT_SUPPORTED',
  'URL_PARAM_NOT_SUPPORTED',
  'SYNC_NOT_SUPPORTED',
  'PERMISSIONS_TOO_OPEN',
  'DATABASE_REPLACED',
] as const;

/**
 * A stable, machine-readable error code: one of `ERROR_CODES`, or for a SQLite failure the
 * primary result code's name (`SQLITE_CONSTRAINT`, `SQLITE_BUSY`, ...), as @libsql/client
 * reports it. See `docs/api.md` for what to do about each.
 */
export type ErrorCode = (typeof ERROR_CODES)[number] | `SQLITE_${string}`;

/** The plain shape of an error as it travels in a protocol frame. */
export interface WireError {
  code: ErrorCode;
  message: string;
  /** SQLite's extended result code name, for SQLite failures. */
  extendedCode?: string;
  /** SQLite's extended result code number, for SQLite failures. */
  rawCode?: number;
  /** For a failure of one statement of a batch: its zero-based index. */
  statementIndex?: number;
  /** True when the failing statement made SQLite roll back the interactive transaction it ran in. */
  transactionRolledBack?: boolean;
}

/** Options of a `StoreError`. */
export interface StoreErrorOptions {
  /** SQLite's extended result code name (e.g. `SQLITE_CONSTRAINT_UNIQUE`). */
  extendedCode?: string;
  /** SQLite's extended result code number (e.g. 2067). */
  rawCode?: number;
  /** The underlying error. */
  cause?: unknown;
  /** The failing statement made SQLite roll back the interactive transaction it ran in (see `StoreError.transactionRolledBack`). */
  transactionRolledBack?: boolean;
}

/** Marks both of Baton's error classes, so that `instanceof StoreError` recognises a `StoreBatchError`. */
const BATON_ERROR = Symbol.for('@baton/store.error');

function isBranded(value: unknown): value is BatonError {
  return typeof value === 'object' && value !== null && BATON_ERROR in value;
}

/** Either of Baton's error classes: what `instanceof StoreError` recognises. */
export type BatonError = StoreError | StoreBatchError;

function asError(cause: unknown): Error | undefined {
  return cause instanceof Error ? cause : undefined;
}

/** An error raised by Baton: a `LibsqlError` (and named so) with a stable `code`. */
export class StoreError extends LibsqlError {
  /** Stable machine-readable code, e.g. `TIMEOUT` or `SQLITE_CONSTRAINT`. */
  declare readonly code: ErrorCode;
  /**
   * True (and only then present) when the failing statement made SQLite roll back the whole
   * interactive transaction it ran in (`INSERT OR ROLLBACK`, a trigger's `RAISE(ROLLBACK)`):
   * the error is the statement's own, as libsql reports it, and the transaction is over
   * (`closed`; later statements get `TRANSACTION_CLOSED`).
   */
  readonly transactionRolledBack?: true;

  /**
   * @param code - stable code
   * @param message - human-readable explanation (the code is prefixed to it, as libsql does)
   * @param options - SQLite's extended code and number for SQLite failures, the underlying `cause`,
   *   whether the statement rolled its transaction back
   */
  constructor(code: ErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(message, code, options.extendedCode, options.rawCode, asError(options.cause));
    if (options.transactionRolledBack === true) this.transactionRolledBack = true;
  }

  /**
   * True for both `StoreError` and `StoreBatchError` (which extends `LibsqlBatchError`, so it
   * cannot extend this class too); a subclass of `StoreError` keeps the ordinary check.
   */
  static override [Symbol.hasInstance](value: unknown): value is BatonError {
    if (this !== StoreError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isBranded(value);
  }

  /** The error as sent over the wire (the message without the code prefix). */
  toWire(): WireError {
    const wire = wireOf(this.code, this.message, this.extendedCode, this.rawCode);
    if (this.transactionRolledBack === true) wire.transactionRolledBack = true;
    return wire;
  }

  /** Rebuilds an error from its wire form: a `StoreBatchError` when it names a statement; an unknown code becomes `PROTOCOL_ERROR`. */
  static fromWire(wire: WireError): BatonError {
    const code: ErrorCode = isErrorCode(wire.code) ? wire.code : 'PROTOCOL_ERROR';
    const options: StoreErrorOptions = {};
    if (typeof wire.extendedCode === 'string') options.extendedCode = wire.extendedCode;
    if (typeof wire.rawCode === 'number') options.rawCode = wire.rawCode;
    if (wire.transactionRolledBack === true) options.transactionRolledBack = true;
    const error = new StoreError(code, String(wire.message), options);
    if (typeof wire.statementIndex !== 'number') return error;
    // libsql's one batch error of its own making, after a ROLLBACK statement, says
    // "TRANSACTION_CLOSED: The transaction has been rolled back"; every other one wraps the
    // statement's error, whose message already starts with its code.
    const own = code === 'TRANSACTION_CLOSED' ? String(wire.message) : undefined;
    return new StoreBatchError(wire.statementIndex, error, own);
  }
}
Object.defineProperty(StoreError.prototype, BATON_ERROR, { value: true });

/**
 * The failure of one statement of a batch (`batch`, `migrate`, `tx.batch`): a
 * `LibsqlBatchError` with `statementIndex`, and a `StoreError` for `instanceof`. Its message is
 * built as libsql builds it, from the statement's error message, code prefix included.
 */
export class StoreBatchError extends LibsqlBatchError {
  /** Stable machine-readable code, e.g. `SQLITE_CONSTRAINT`. */
  declare readonly code: ErrorCode;
  /** As `StoreError.transactionRolledBack`, for the statement that failed. */
  readonly transactionRolledBack?: true;

  /**
   * @param statementIndex - the zero-based index of the statement that failed
   * @param error - that statement's error (kept as `cause`)
   * @param message - the explanation when the batch itself failed there, as libsql words its own
   *   batch errors (one code prefix); by default the statement's error message, prefix included
   */
  constructor(statementIndex: number, error: BatonError, message?: string) {
    super(message ?? error.message, statementIndex, error.code, error.extendedCode, error.rawCode, error);
    if (error.transactionRolledBack === true) this.transactionRolledBack = true;
  }

  /** The error as sent over the wire, with its statement index. */
  toWire(): WireError {
    const cause = this.cause;
    const inner = isBranded(cause) ? cause.toWire() : wireOf(this.code, this.message, this.extendedCode, this.rawCode);
    return { ...inner, statementIndex: this.statementIndex };
  }
}
Object.defineProperty(StoreBatchError.prototype, BATON_ERROR, { value: true });

function wireOf(
  code: ErrorCode,
  message: string,
  extendedCode: string | undefined,
  rawCode: number | undefined,
): WireError {
  const prefix = `${code}: `;
  const wire: WireError = { code, message: message.startsWith(prefix) ? message.slice(prefix.length) : message };
  if (extendedCode !== undefined) wire.extendedCode = extendedCode;
  if (rawCode !== undefined) wire.rawCode = rawCode;
  return wire;
}

/**
 * A statement's `error` marked as having made SQLite roll back the interactive transaction it ran
 * in: the member sees the statement's own error, as libsql reports it, and learns that the
 * transaction is over.
 */
export function rolledBackTransaction(error: BatonError): BatonError {
  return StoreError.fromWire({ ...error.toWire(), transactionRolledBack: true });
}

/** True when `value` is a documented error code (Baton's own or a SQLite result code name). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return (
    typeof value === 'string' &&
    ((ERROR_CODES as readonly string[]).includes(value) || /^SQLITE_[A-Z_0-9]+$/.test(value))
  );
}

/**
 * A thrown value as an `Error`, for a promise's rejection: what the member's conversions throw
 * (libsql's RangeError and TypeError, a `StoreError`) is one already and passes as it is.
 */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/**
 * Maps anything thrown while running SQL to a `StoreError`. better-sqlite3 throws `SqliteError`
 * with the extended code's name (`SQLITE_CONSTRAINT_UNIQUE`); it becomes libsql's `code`,
 * `extendedCode` and `rawCode`. Other errors (a RangeError for a wrong number of parameters, a
 * TypeError for an unbindable value) are the caller's input.
 */
export function toStoreError(error: unknown): BatonError {
  if (isBranded(error)) return error;
  // Duck-typed rather than `instanceof Error`: errors from another realm (a worker, a test
  // sandbox, a native addon) fail `instanceof` but carry the same fields.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { message, code, name } = error as { message: string; code?: unknown; name?: unknown };
    // better-sqlite3 names a code its table lacks `UNKNOWN_SQLITE_ERROR_<n>`.
    if (typeof code === 'string' && (code.startsWith('SQLITE_') || code.startsWith('UNKNOWN_SQLITE_ERROR_'))) {
      const codes = sqliteCodes(code);
      return new StoreError(codes.code, message, {
        extendedCode: codes.extendedCode,
        rawCode: codes.rawCode,
        cause: error,
      });
    }
    if (name === 'RangeError' || name === 'TypeError') {
      return new StoreError('INVALID_ARGUMENT', message, { cause: error });
    }
    return new StoreError('SQLITE_ERROR', message, { extendedCode: 'SQLITE_ERROR', rawCode: 1, cause: error });
  }
  return new StoreError('SQLITE_ERROR', String(error), { extendedCode: 'SQLITE_ERROR', rawCode: 1 });
}
