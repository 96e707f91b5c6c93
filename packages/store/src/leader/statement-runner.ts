/**
 * How the engine runs a member's statements on one connection: one statement or a batch after
 * the statement guard (a batch's failure names its statement, as libsql's `LibsqlBatchError`
 * does), and a script (`executeMultiple`) statement by statement, with its own `BEGIN`,
 * `COMMIT` and `ROLLBACK` played on a savepoint inside the request's, so that a script runs as
 * libsql runs it without ending the shared transaction it is part of.
 */
import { StoreBatchError, StoreError, toStoreError, type BatonError } from '../errors';
import type { WireResultSet, WireStatement } from '../protocol/messages';
import { splitStatements, transactionControl } from '../protocol/sql-text';
import type { SqliteConnection } from '../sqlite/sqlite-connection';
import { checkAllowed, type StatementContext } from '../sqlite/statement-guard';

/** The savepoint standing for a script's own transaction (`BEGIN` ... `COMMIT`). */
const SCRIPT_SAVEPOINT = '_baton_script';

/** Runs one statement after the guard. */
export function runStatement(
  connection: SqliteConnection,
  statement: WireStatement,
  context: StatementContext,
): WireResultSet {
  checkAllowed(statement.sql, context);
  return connection.run(statement);
}

/**
 * Runs statements in order; the first failure stops them and is thrown as a `StoreBatchError`
 * with its index (`failure` may turn it into another error first, e.g. a statement that rolled
 * its transaction back). In a batch, `BEGIN` and `ROLLBACK` fail it as they fail libsql's.
 */
export function runStatements(
  connection: SqliteConnection,
  statements: readonly WireStatement[],
  context: StatementContext,
  failure: (error: unknown) => BatonError = toStoreError,
): WireResultSet[] {
  const results = new Array<WireResultSet>(statements.length);
  for (let i = 0; i < statements.length; i++) {
    if (context === 'batch') failAsLibsqlBatch(statements, i);
    try {
      results[i] = runStatement(connection, statements[i]!, context);
    } catch (error) {
      throw new StoreBatchError(i, failure(error));
    }
  }
  return results;
}

/** A failure SQLite itself would report for this transaction control statement. */
function sqliteError(message: string): StoreError {
  return new StoreError('SQLITE_ERROR', message, { extendedCode: 'SQLITE_ERROR', rawCode: 1 });
}

/**
 * Throws what libsql's batch gives for statement `i` when it is `BEGIN` or `ROLLBACK`; neither
 * runs, as the batch runs inside the leader's transaction. libsql runs a batch in a transaction
 * of its own: a `BEGIN` there fails with SQLite's error; a `ROLLBACK` ends that transaction, so
 * the next statement fails with `TRANSACTION_CLOSED` (or, when it was the last one, the batch's
 * own `COMMIT` fails), and nothing of the batch is kept. Throwing rolls the batch back here too.
 */
function failAsLibsqlBatch(statements: readonly WireStatement[], i: number): void {
  const control = transactionControl(statements[i]!.sql);
  if (control === 'begin') throw new StoreBatchError(i, sqliteError('cannot start a transaction within a transaction'));
  if (control !== 'rollback') return;
  if (i === statements.length - 1) throw sqliteError('cannot commit - no transaction is active');
  throw new StoreBatchError(i + 1, new StoreError('TRANSACTION_CLOSED', 'The transaction has been rolled back'));
}

/**
 * Runs a script inside the engine's transaction as libsql runs it on a connection of its own:
 * statements outside the script's `BEGIN` ... `COMMIT` take effect one by one (a failure keeps
 * those before it), those inside are undone together by its `ROLLBACK`, by a failure, or when
 * the script ends with its transaction still open. Throws the failing statement's error.
 */
export function runScript(connection: SqliteConnection, sql: string): void {
  let open = false;
  const undoScriptTransaction = (): void => {
    connection.write(`ROLLBACK TO ${SCRIPT_SAVEPOINT}`);
    connection.write(`RELEASE ${SCRIPT_SAVEPOINT}`);
    open = false;
  };
  try {
    for (const statement of splitStatements(sql)) {
      const control = transactionControl(statement);
      if (control === 'begin') {
        if (open) throw sqliteError('cannot start a transaction within a transaction');
        connection.write(`SAVEPOINT ${SCRIPT_SAVEPOINT}`);
        open = true;
      } else if (control === 'commit') {
        if (!open) throw sqliteError('cannot commit - no transaction is active');
        connection.write(`RELEASE ${SCRIPT_SAVEPOINT}`);
        open = false;
      } else if (control === 'rollback') {
        if (!open) throw sqliteError('cannot rollback - no transaction is active');
        undoScriptTransaction();
      } else {
        checkAllowed(statement, 'script');
        connection.exec(statement);
      }
    }
  } catch (error) {
    if (open && connection.db.inTransaction) undoScriptTransaction();
    throw error;
  }
  // libsql rolls back what a script left open when its connection goes back to the pool.
  if (open) undoScriptTransaction();
}

/**
 * Runs a script inside an interactive transaction: its statements join the transaction, a
 * nested `BEGIN` fails as SQLite fails it, and ending the transaction from the script is
 * refused (that is the commit and rollback operations' job).
 */
export function runTransactionScript(connection: SqliteConnection, sql: string): void {
  for (const statement of splitStatements(sql)) {
    checkAllowed(statement, 'transaction');
    connection.exec(statement);
  }
}
