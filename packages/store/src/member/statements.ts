/**
 * The member-side shapes of statements and results: what a program passes in (libsql-style
 * `execute(sql, args)` or `execute({ sql, args })`) normalised for the wire, and what comes
 * back shaped into result sets with rows keyed by column name.
 */
import { StoreError } from '../errors';
import type { SqlArgs, SqlValue, WireResultSet, WireStatement } from '../protocol/messages';
import { MAX_BATCH_STATEMENTS } from '../protocol/validate';

/** A value a program may pass as an argument. Booleans become 1/0, Dates their epoch milliseconds. */
export type InValue = SqlValue | boolean | Date | ArrayBuffer;

/** Positional or named arguments as a program passes them. Named keys may carry `:`, `@` or `$`. */
export type InArgs = InValue[] | Record<string, InValue>;

/** A statement as a program passes it. */
export type InStatement = string | { sql: string; args?: InArgs };

/** A row: values keyed by column name. */
export type Row = Record<string, SqlValue>;

/** The result of one statement, shaped like `@libsql/client`'s `ResultSet`. */
export interface ResultSet {
  /** Column names, in order. */
  columns: string[];
  /** Rows as objects keyed by column name. */
  rows: Row[];
  /** Rows changed by a write (0 for a read). */
  rowsAffected: number;
  /** The rowid of the last inserted row, for writes; `undefined` for reads. */
  lastInsertRowid: bigint | undefined;
}

function toValue(value: unknown, where: string): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'bigint' || value instanceof Uint8Array) return value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new StoreError('INVALID_ARGUMENT', `${where} is NaN, which SQLite cannot store`);
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) {
    if (Number.isNaN(value.valueOf())) throw new StoreError('INVALID_ARGUMENT', `${where} is an invalid Date`);
    return value.valueOf();
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new StoreError('INVALID_ARGUMENT', `${where} has type ${value === undefined ? 'undefined' : typeof value}; expected null, number, bigint, string, boolean, Date or bytes`);
}

function toArgs(args: unknown): SqlArgs | undefined {
  if (args === undefined || args === null) return undefined;
  if (Array.isArray(args)) return args.map((value, index) => toValue(value, `argument ${index + 1}`));
  if (typeof args === 'object' && !(args instanceof Uint8Array)) {
    const named: Record<string, SqlValue> = {};
    for (const [key, value] of Object.entries(args)) {
      const name = /^[:@$]/.test(key) ? key.slice(1) : key;
      named[name] = toValue(value, `argument "${key}"`);
    }
    return named;
  }
  throw new StoreError('INVALID_ARGUMENT', 'args must be an array of values or an object of named values');
}

/** Normalises `execute(sql, args)` / `execute({ sql, args })` into a wire statement. Throws `INVALID_ARGUMENT`. */
export function toWireStatement(statement: unknown, args?: unknown): WireStatement {
  if (typeof statement === 'string') {
    const wireArgs = toArgs(args);
    return wireArgs === undefined ? { sql: statement } : { sql: statement, args: wireArgs };
  }
  if (typeof statement === 'object' && statement !== null && typeof (statement as { sql?: unknown }).sql === 'string') {
    if (args !== undefined) throw new StoreError('INVALID_ARGUMENT', 'pass args either inside the statement object or as the second argument, not both');
    const { sql, args: inner } = statement as { sql: string; args?: unknown };
    const wireArgs = toArgs(inner);
    return wireArgs === undefined ? { sql } : { sql, args: wireArgs };
  }
  throw new StoreError('INVALID_ARGUMENT', 'a statement is a SQL string or { sql, args }');
}

/** Normalises the statements of a batch. */
export function toWireStatements(statements: unknown): WireStatement[] {
  if (!Array.isArray(statements)) throw new StoreError('INVALID_ARGUMENT', 'batch expects an array of statements');
  if (statements.length > MAX_BATCH_STATEMENTS) throw new StoreError('INVALID_ARGUMENT', `a batch may hold at most ${MAX_BATCH_STATEMENTS} statements, got ${statements.length}`);
  return statements.map((statement) => toWireStatement(statement));
}

/** Shapes a wire result into a `ResultSet`. */
export function toResultSet(wire: WireResultSet): ResultSet {
  const { columns } = wire;
  const rows = wire.rows.map((values) => {
    const row: Row = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i] ?? null;
    return row;
  });
  const lastInsertRowid = wire.lastInsertRowid === null || wire.lastInsertRowid === undefined ? undefined : BigInt(wire.lastInsertRowid);
  return { columns, rows, rowsAffected: wire.rowsAffected, lastInsertRowid };
}
