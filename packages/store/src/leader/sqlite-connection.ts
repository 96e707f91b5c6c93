/**
 * One better-sqlite3 connection of the leader engine, with its prepared statements cached by
 * SQL text (preparing is the most expensive step of a small statement, and members send the
 * same few statements over and over) and results shaped for the wire.
 *
 * Statements run with `safeIntegers(true)` so no integer is rounded; integers that fit a double
 * are turned back into numbers, the rest stay bigint. Integral numbers are bound as integers
 * (better-sqlite3 would bind every JS number as REAL).
 */
import Database from 'better-sqlite3';
import type { SqlArgs, SqlValue, WireResultSet, WireStatement } from '../protocol/messages';

const CACHE_CAPACITY = 512;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function fromSqlite(value: unknown): SqlValue {
  if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) return Number(value);
  return value as SqlValue;
}

function toSqlite(value: SqlValue): unknown {
  return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
}

function bindArgs(args: SqlArgs | undefined): unknown[] {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(toSqlite);
  const named: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) named[key] = toSqlite(value);
  return [named];
}

/** A connection with a statement cache. */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private changesStatement: Database.Statement | undefined;

  /**
   * @param path - the database file
   * @param readonly - open read-only (the engine's reader): a misrouted write fails instead of writing
   */
  constructor(path: string, readonly: boolean) {
    this.db = new Database(path, { readonly, fileMustExist: readonly });
  }

  /** The prepared statement for `sql`, preparing it on first use. Throws what `prepare` throws. */
  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      statement.safeIntegers(true);
      if (statement.reader) statement.raw(true);
      if (this.statements.size >= CACHE_CAPACITY) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** True when `sql` only reads. False also when it cannot be prepared here (let the writer decide). */
  isReadOnly(sql: string): boolean {
    try {
      return this.prepare(sql).readonly;
    } catch {
      return false;
    }
  }

  /** Runs one statement and shapes its result for the wire. Throws SQLite's error. */
  run(statement: WireStatement): WireResultSet {
    const prepared = this.prepare(statement.sql);
    const args = bindArgs(statement.args);
    if (prepared.reader) {
      const rows = (prepared.all(...args) as unknown[][]).map((row) => row.map(fromSqlite));
      const columns = prepared.columns().map((column) => column.name);
      if (prepared.readonly) return { columns, rows, rowsAffected: 0, lastInsertRowid: null };
      // A write with RETURNING: ask the connection what it changed.
      this.changesStatement ??= this.prepare('SELECT changes(), last_insert_rowid()');
      const [changes, lastRowid] = this.changesStatement.get() as [bigint, bigint];
      return { columns, rows, rowsAffected: Number(changes), lastInsertRowid: fromSqlite(lastRowid) as number | bigint };
    }
    const result = prepared.run(...args);
    return { columns: [], rows: [], rowsAffected: result.changes, lastInsertRowid: fromSqlite(result.lastInsertRowid) as number | bigint };
  }

  /** Runs a prepared statement of the engine's own (no row shaping) and returns its first row. */
  first(sql: string, ...args: unknown[]): unknown[] | undefined {
    return this.prepare(sql).get(...args) as unknown[] | undefined;
  }

  /** Runs a statement of the engine's own for its effect. */
  write(sql: string, ...args: unknown[]): void {
    this.prepare(sql).run(...args);
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
