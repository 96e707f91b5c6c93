/**
 * The one error class of Baton. Every failure a caller can see, local or forwarded from the
 * leader, is a `StoreError` with a stable string `code`; the original error is kept as `cause`.
 */

/** Every code a `StoreError` can carry. Stable: programs may switch on them. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'STORE_CLOSED',
  'NO_LEADER',
  'TIMEOUT',
  'PROTOCOL_ERROR',
  'SCHEMA_CONFLICT',
  'TRANSACTION_ABORTED',
  'TRANSACTION_CLOSED',
  'STATEMENT_REFUSED',
  'STATEMENT_TIMEOUT',
  'RESULT_TOO_LARGE',
  'SQLITE_ERROR',
  'FENCED',
  'LEADER_FAILED',
  'PERMISSION_DENIED',
  'PERMISSIONS_TOO_OPEN',
] as const;

/** A stable, machine-readable error code. See `docs/api.md` for what to do about each. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The plain shape of an error as it travels in a protocol frame. */
export interface WireError {
  code: ErrorCode;
  message: string;
  sqliteCode?: string;
}

/** An error raised by Baton, with a stable `code` and, for SQLite failures, `sqliteCode`. */
export class StoreError extends Error {
  /** Stable machine-readable code, e.g. `TIMEOUT` or `SQLITE_ERROR`. */
  readonly code: ErrorCode;
  /** SQLite's extended result code name (e.g. `SQLITE_CONSTRAINT_UNIQUE`) when `code` is `SQLITE_ERROR`. */
  readonly sqliteCode: string | undefined;

  /**
   * @param code - stable code
   * @param message - human-readable explanation (the code is prefixed to it)
   * @param options - `sqliteCode` for SQLite failures, `cause` for the underlying error
   */
  constructor(code: ErrorCode, message: string, options: { sqliteCode?: string; cause?: unknown } = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.sqliteCode = options.sqliteCode;
  }

  /** The error as sent over the wire (the message without the code prefix). */
  toWire(): WireError {
    const prefix = `${this.code}: `;
    const message = this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
    return this.sqliteCode === undefined ? { code: this.code, message } : { code: this.code, message, sqliteCode: this.sqliteCode };
  }

  /** Rebuilds a `StoreError` from its wire form; an unknown code becomes `PROTOCOL_ERROR`. */
  static fromWire(wire: WireError): StoreError {
    const code: ErrorCode = isErrorCode(wire.code) ? wire.code : 'PROTOCOL_ERROR';
    return new StoreError(code, String(wire.message), wire.sqliteCode === undefined ? {} : { sqliteCode: wire.sqliteCode });
  }
}

/** True when `value` is one of the documented error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Maps anything thrown while running SQL to a `StoreError`. better-sqlite3 throws `SqliteError`
 * with an extended `code` such as `SQLITE_CONSTRAINT_UNIQUE`; other errors (a RangeError for a
 * wrong number of parameters, a TypeError for an unbindable value) are the caller's input.
 */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  // Duck-typed rather than `instanceof Error`: errors from another realm (a worker, a test
  // sandbox, a native addon) fail `instanceof` but carry the same fields.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { message, code, name } = error as { message: string; code?: unknown; name?: unknown };
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      return new StoreError('SQLITE_ERROR', message, { sqliteCode: code, cause: error });
    }
    if (name === 'RangeError' || name === 'TypeError') {
      return new StoreError('INVALID_ARGUMENT', message, { cause: error });
    }
    return new StoreError('SQLITE_ERROR', message, { sqliteCode: 'SQLITE_ERROR', cause: error });
  }
  return new StoreError('SQLITE_ERROR', String(error), { sqliteCode: 'SQLITE_ERROR' });
}
