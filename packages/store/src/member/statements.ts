/**
 * The member's side of statements and results, with @libsql/client's rules: arguments are
 * bound as libsql binds them (a number is a REAL, a bigint an INTEGER, a boolean follows
 * `intMode`, a Date its epoch milliseconds, an ArrayBuffer a BLOB) and refused with libsql's
 * errors before anything is sent; rows come back array-like and keyed by column name, with
 * integers converted by `intMode`. The wire keeps SQLite's storage class: an INTEGER travels
 * as a 64-bit msgpack integer (a bigint here), a REAL as any other number.
 */
import type { InArgs, InStatement, InValue, IntMode, ResultSet, Row, Value } from '@libsql/core/api';
import { ResultSetImpl } from '../libsql-core';
import { StoreError } from '../errors';
import type { SqlArgs, SqlValue, WireResultSet, WireStatement } from '../protocol/messages';
import { MAX_BATCH_STATEMENTS } from '../protocol/validate';

/** A statement of a batch: libsql's `InStatement` or its `[sql, args]` tuple form. */
export type BatchStatement = InStatement | [string, InArgs?];

const MIN_INTEGER = -9223372036854775808n;
const MAX_INTEGER = 9223372036854775807n;
const MIN_SAFE = -9007199254740991n;
const MAX_SAFE = 9007199254740991n;

/** One argument, as libsql's sqlite3 client binds it (`valueToSql`), with its errors. */
function toSqlValue(value: InValue | undefined, intMode: IntMode): SqlValue {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INTEGER || value > MAX_INTEGER)
      throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument');
    return value;
  }
  if (typeof value === 'boolean') {
    if (intMode === 'bigint') return value ? 1n : 0n;
    if (intMode === 'string') return value ? '1' : '0';
    return value ? 1 : 0;
  }
  if (value === null || typeof value === 'string' || value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Date) {
    // libsql hands NaN on to SQLite, which stores NULL: so does Baton.
    const ms = value.valueOf();
    return Number.isNaN(ms) ? null : ms;
  }
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  throw new StoreError(
    'INVALID_ARGUMENT',
    `SQLite3 can only bind numbers, strings, bigints, buffers, and null (got ${typeof value})`,
  );
}

function toSqlArgs(args: InArgs | undefined, intMode: IntMode): SqlArgs | undefined {
  if (args === undefined || args === null) return undefined;
  if (Array.isArray(args)) {
    const values: SqlValue[] = new Array<SqlValue>(args.length);
    for (let i = 0; i < args.length; i++) values[i] = toSqlValue(args[i], intMode);
    return values;
  }
  if (typeof args !== 'object' || args instanceof Uint8Array)
    throw new StoreError('INVALID_ARGUMENT', 'args must be an array of values or an object of named values');
  const named: Record<string, SqlValue> = {};
  for (const key in args) {
    // libsql strips one prefix character; the leader binds the name with any of them.
    const first = key[0];
    named[first === ':' || first === '@' || first === '$' ? key.slice(1) : key] = toSqlValue(args[key], intMode);
  }
  return named;
}

/**
 * Normalises `execute(sql, args)` / `execute({ sql, args })` / a batch's `[sql, args]` into a
 * wire statement. Throws libsql's RangeError/TypeError for values it refuses, `INVALID_ARGUMENT`
 * for anything that is not a statement.
 */
export function toWireStatement(
  statement: BatchStatement | undefined,
  args: InArgs | undefined,
  intMode: IntMode,
): WireStatement {
  // Typed as libsql types it; checked anyway, for callers without types.
  let sql: unknown;
  let given: InArgs | undefined;
  if (typeof statement === 'string') {
    sql = statement;
    given = args;
  } else if (Array.isArray(statement)) {
    [sql, given] = statement;
  } else if (typeof statement === 'object' && statement !== null) {
    if (args !== undefined)
      throw new StoreError(
        'INVALID_ARGUMENT',
        'pass args either inside the statement object or as the second argument, not both',
      );
    ({ sql, args: given } = statement);
  }
  if (typeof sql !== 'string')
    throw new StoreError('INVALID_ARGUMENT', 'a statement is a SQL string, { sql, args } or (in a batch) [sql, args]');
  const wireArgs = toSqlArgs(given, intMode);
  return wireArgs === undefined ? { sql } : { sql, args: wireArgs };
}

/** Normalises the statements of a batch (libsql's `InStatement` and `[sql, args]` forms). */
export function toWireStatements(statements: readonly BatchStatement[], intMode: IntMode): WireStatement[] {
  // Checked on a copy of the reference: Array.isArray narrows what it checks to any[].
  const list: unknown = statements;
  if (!Array.isArray(list)) throw new StoreError('INVALID_ARGUMENT', 'batch expects an array of statements');
  if (statements.length > MAX_BATCH_STATEMENTS)
    throw new StoreError(
      'INVALID_ARGUMENT',
      `a batch may hold at most ${MAX_BATCH_STATEMENTS} statements, got ${statements.length}`,
    );
  const wire: WireStatement[] = new Array<WireStatement>(statements.length);
  for (let i = 0; i < statements.length; i++) wire[i] = toWireStatement(statements[i], undefined, intMode);
  return wire;
}

/** One value of a row, converted as libsql converts it (`valueFromSql`). */
function fromSqlValue(value: SqlValue, intMode: IntMode): Value {
  if (typeof value === 'bigint') {
    if (intMode === 'bigint') return value;
    if (intMode === 'string') return `${value}`;
    if (value < MIN_SAFE || value > MAX_SAFE)
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(value);
  }
  if (value instanceof Uint8Array) {
    // libsql returns blobs as ArrayBuffers of their own; msgpackr's are views into the frame.
    const { buffer } = value;
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength)
      return buffer;
    return Uint8Array.prototype.slice.call(value).buffer;
  }
  return value;
}

/**
 * A row as libsql builds it (`rowFromSql`): values at non-enumerable indexes, a non-enumerable
 * `length`, and each column name, the first of duplicates winning, as an enumerable property.
 */
function toRow(values: readonly SqlValue[], columns: readonly string[], intMode: IntMode): Row {
  const row: Row = { length: values.length };
  Object.defineProperty(row, 'length', { enumerable: false, writable: false, configurable: false });
  for (let i = 0; i < values.length; i++) {
    const value = fromSqlValue(values[i]!, intMode);
    Object.defineProperty(row, i, { value });
    const column = columns[i]!;
    if (Object.hasOwn(row, column)) continue;
    // An assignment makes the same enumerable, writable, configurable property, at a fraction of
    // defineProperty's cost; except for `__proto__`, which an assignment would take as the prototype.
    if (column === '__proto__')
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
    else row[column] = value;
  }
  return row;
}

/** Shapes a wire result into libsql's `ResultSet`. Throws libsql's RangeError for an unsafe integer in `number` mode. */
export function toResultSet(wire: WireResultSet, intMode: IntMode): ResultSet {
  const { columns, rows: wireRows } = wire;
  const rows: Row[] = new Array<Row>(wireRows.length);
  for (let i = 0; i < wireRows.length; i++) rows[i] = toRow(wireRows[i]!, columns, intMode);
  const lastInsertRowid =
    wire.lastInsertRowid === null || wire.lastInsertRowid === undefined ? undefined : BigInt(wire.lastInsertRowid);
  return new ResultSetImpl(columns, wire.columnTypes, rows, wire.rowsAffected, lastInsertRowid);
}

/** Shapes the results of a batch. */
export function toResultSets(wire: readonly WireResultSet[], intMode: IntMode): ResultSet[] {
  const results: ResultSet[] = new Array<ResultSet>(wire.length);
  for (let i = 0; i < wire.length; i++) results[i] = toResultSet(wire[i]!, intMode);
  return results;
}
