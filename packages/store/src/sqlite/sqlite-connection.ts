/**
 * One better-sqlite3 connection of the leader engine, with its prepared statements cached by
 * SQL text (preparing is the most expensive step of a small statement, and members send the
 * same few statements over and over) and results shaped for the wire.
 *
 * Statements run with `safeIntegers(true)`: an INTEGER comes out as a bigint and a REAL as a
 * number, and they are sent as they are, so the wire keeps the storage class (docs/protocol.md,
 * "Encoding") without a pass over the values. Arguments are bound as they arrive: a bigint as
 * INTEGER, a number as REAL, as @libsql/client binds them; an array by parameter index, as it
 * does too (parameter-binding.ts).
 */
import Database from 'better-sqlite3';
import type { SqlArgs, SqlValue, WireResultSet, WireStatement } from '../protocol/messages';
import { firstKeyword, stripLeading } from '../protocol/sql-text';
import { bindByIndex, bindingPlan, type BindingPlan } from './parameter-binding';

const CACHE_CAPACITY = 512;

/** Each cached statement's binding plan for array arguments, made on first use. */
const plans = new WeakMap<Database.Statement, BindingPlan>();

/** better-sqlite3's arguments for `args`: an array is bound by index, as libsql binds it. */
function argsOf(statement: Database.Statement, sql: string, args: SqlArgs | undefined): unknown[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) return [args];
  if (args.length === 0) return args;
  let plan = plans.get(statement);
  if (plan === undefined) {
    plan = bindingPlan(sql);
    plans.set(statement, plan);
  }
  return bindByIndex(plan, args);
}

/**
 * Whose statements a connection runs now, with the last rowid their own inserts set: what
 * `lastInsertRowid` reports, as a connection of their own (libsql's) would report it.
 */
export interface RowidOwner {
  lastInsertRowid: bigint;
}

/** True when `sql` is an INSERT or REPLACE (also after a WITH clause). */
function inserts(sql: string): boolean {
  const text = stripLeading(sql);
  const keyword = firstKeyword(text);
  if (keyword === 'INSERT' || keyword === 'REPLACE') return true;
  return keyword === 'WITH' && /\b(INSERT|REPLACE)\b/i.test(text);
}

/** A connection with a statement cache. */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private changesStatement: Database.Statement | undefined;
  /** The connection's last insert rowid after the last statement it ran, Baton's own included. */
  private connectionRowid = 0n;
  /**
   * The member whose statements run now (set by the engine). The writer is shared, so its own
   * last insert rowid may come from another member or from Baton's records; a statement that
   * inserts nothing reports its owner's instead.
   */
  owner: RowidOwner = { lastInsertRowid: 0n };

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
      const rows = prepared.all(...argsOf(prepared, statement.sql, statement.args)) as SqlValue[][];
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
      return {
        columns,
        columnTypes,
        rows,
        rowsAffected: Number(changes),
        lastInsertRowid: this.noteRowid(statement.sql, Number(changes), lastRowid),
      };
    }
    const result = prepared.run(...argsOf(prepared, statement.sql, statement.args));
    return {
      columns: [],
      columnTypes: [],
      rows: [],
      rowsAffected: result.changes,
      lastInsertRowid: this.noteRowid(statement.sql, result.changes, BigInt(result.lastInsertRowid)),
    };
  }

  /**
   * Runs SQL text (a script's statement, a migration) with `exec`, crediting a rowid it inserts
   * to the owner. Throws SQLite's error.
   */
  exec(sql: string): void {
    try {
      this.db.exec(sql);
    } finally {
      if (this.db.open) {
        this.changesStatement ??= this.prepare('SELECT changes(), last_insert_rowid()');
        const [changes, lastRowid] = this.changesStatement.get() as [bigint, bigint];
        this.noteRowid(sql, Number(changes), lastRowid);
      }
    }
  }

  /**
   * The owner's last insert rowid after statement `sql` changed `changes` rows and left the
   * connection's last insert rowid at `rowid`. SQLite changes that only for an insert, so a
   * change is the owner's insert; an insert of the very rowid the connection already had (rowid
   * 1 into two tables) changes nothing, so an INSERT that changed rows counts too.
   */
  private noteRowid(sql: string, changes: number, rowid: bigint): bigint {
    if (rowid !== this.connectionRowid || (changes > 0 && inserts(sql))) {
      this.connectionRowid = rowid;
      this.owner.lastInsertRowid = rowid;
    }
    return this.owner.lastInsertRowid;
  }

  /** Runs a prepared statement of the engine's own (no row shaping) and returns its first row. */
  first(sql: string, ...args: unknown[]): unknown[] | undefined {
    return this.prepare(sql).get(...args) as unknown[] | undefined;
  }

  /** Runs a statement of the engine's own for its effect. */
  write(sql: string, ...args: unknown[]): void {
    // Baton's own records change the connection's last rowid, never a member's.
    this.connectionRowid = BigInt(this.prepare(sql).run(...args).lastInsertRowid);
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
