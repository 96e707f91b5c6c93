/**
 * One better-sqlite3 connection of the leader engine, with its prepared statements cached by
 * SQL text (preparing is the most expensive step of a small statement, and members send the
 * same few statements over and over) and results shaped for the wire.
 *
 * Statements run with `safeIntegers(true)`: an INTEGER comes out as a bigint and a REAL as a
 * number, and they are sent as they are, so the wire keeps the storage class (docs/protocol.md,
 * "Encoding") without a pass over the values. Arguments are bound as they arrive: a bigint as
 * INTEGER, a number as REAL, as @libsql/client binds them.
 */
import Database from 'better-sqlite3';
import type { SqlArgs, SqlValue, WireResultSet, WireStatement } from '../protocol/messages';

const CACHE_CAPACITY = 512;

function all(statement: Database.Statement, args: SqlArgs | undefined): SqlValue[][] {
  if (args === undefined) return statement.all() as SqlValue[][];
  return (Array.isArray(args) ? statement.all(...args) : statement.all(args)) as SqlValue[][];
}

function run(statement: Database.Statement, args: SqlArgs | undefined): Database.RunResult {
  if (args === undefined) return statement.run();
  return Array.isArray(args) ? statement.run(...args) : statement.run(args);
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
    if (prepared.reader) {
      const rows = all(prepared, statement.args);
      const described = prepared.columns();
      const columns = new Array<string>(described.length);
      const columnTypes = new Array<string>(described.length);
      for (let i = 0; i < described.length; i++) {
        columns[i] = described[i]!.name;
        columnTypes[i] = described[i]!.type ?? '';
      }
      if (prepared.readonly) return { columns, columnTypes, rows, rowsAffected: 0, lastInsertRowid: null };
      // A write with RETURNING: ask the connection what it changed.
      this.changesStatement ??= this.prepare('SELECT changes(), last_insert_rowid()');
      const [changes, lastRowid] = this.changesStatement.get() as [bigint, bigint];
      return { columns, columnTypes, rows, rowsAffected: Number(changes), lastInsertRowid: lastRowid };
    }
    const result = run(prepared, statement.args);
    return { columns: [], columnTypes: [], rows: [], rowsAffected: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) };
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
