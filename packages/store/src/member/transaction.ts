/**
 * An interactive transaction, held by the leader on behalf of one member: @libsql/client's
 * `Transaction`, with its life cycle. `closed` turns true on `commit()`, `rollback()`,
 * `close()`, a `COMMIT`/`END`/`ROLLBACK` statement, or a failure that ended it on the leader;
 * afterwards statements and `commit()` fail with `TRANSACTION_CLOSED`, and `rollback()` or
 * `close()` does nothing, as in libsql.
 */
import type { InArgs, InStatement, IntMode, ResultSet, Transaction } from '@libsql/core/api';
import { ResultSetImpl } from '../libsql-core';
import { StoreBatchError, StoreError, type BatonError } from '../errors';
import type { Operation, ResultOf } from '../protocol/messages';
import { transactionControl } from '../protocol/sql-text';
import { toResultSet, toResultSets, toWireStatement, toWireStatements, type BatchStatement } from './statements';

/** The part of the store a transaction sends its requests through. */
export interface TransactionChannel {
  request<O extends Operation>(op: O, generation?: number): Promise<ResultOf<O>>;
}

/**
 * `open`: usable. `ended`: over on the leader by a COMMIT/ROLLBACK statement but not yet settled
 * by `commit`/`rollback`/`close` (libsql's `rollback()` then fails). `settled`: done (committed,
 * rolled back, closed or aborted); `rollback()` is then a no-op.
 */
type State = 'open' | 'ended' | 'settled';

/** An open interactive transaction. Call `commit()` or `rollback()`; `close()` rolls back if neither was called. */
export class StoreTransaction implements Transaction {
  private state: State = 'open';

  /** @internal created by `Store.transaction()` */
  constructor(
    private readonly channel: TransactionChannel,
    /** The leader's id for this transaction. */
    readonly id: number,
    private readonly generation: number,
    private readonly intMode: IntMode,
    /** Called once, when the transaction is settled (the store forgets it then). */
    private readonly onSettled: () => void = () => undefined,
  ) {}

  /** True once committed, rolled back, closed, or ended by a statement or by the leader. */
  get closed(): boolean {
    return this.state !== 'open';
  }

  /**
   * Runs one statement inside the transaction. `COMMIT`, `END` and `ROLLBACK` end it as
   * `commit()` and `rollback()` do (so the exactly-once record of a commit is kept).
   */
  async execute(statement: InStatement, args?: InArgs): Promise<ResultSet> {
    const stmt = toWireStatement(statement, args, this.intMode);
    this.checkOpen();
    const control = transactionControl(stmt.sql);
    if (control === 'commit' || control === 'rollback') {
      await this.end(control);
      this.state = 'ended';
      return new ResultSetImpl([], [], [], 0, undefined);
    }
    return toResultSet(await this.send({ k: 'execute', stmt, txId: this.id }), this.intMode);
  }

  /**
   * Runs statements inside the transaction in order. As in libsql, a failing statement stops the
   * batch with a `StoreBatchError` naming it; the statements before it stay in the transaction.
   * A `COMMIT`/`END` or `ROLLBACK` statement ends the transaction there, as `execute` does: the
   * statements before it are sent as a batch, then the commit or rollback, and a statement after
   * it fails the batch with `TRANSACTION_CLOSED`, as libsql's closed transaction fails it.
   */
  async batch(statements: BatchStatement[]): Promise<ResultSet[]> {
    const stmts = toWireStatements(statements, this.intMode);
    if (this.state !== 'open') {
      // libsql checks the transaction before each statement, so a closed one fails the first
      // statement as a batch error (and an empty batch runs nothing and succeeds).
      if (stmts.length === 0) return [];
      throw new StoreBatchError(0, closedError());
    }
    const at = stmts.findIndex((stmt) => endsTransactionAsStatement(stmt.sql));
    const before = at < 0 ? stmts : stmts.slice(0, at);
    const results =
      before.length === 0
        ? []
        : toResultSets(await this.send({ k: 'batch', stmts: before, mode: 'write', txId: this.id }), this.intMode);
    if (at < 0) return results;
    try {
      await this.end(transactionControl(stmts[at]!.sql) === 'commit' ? 'commit' : 'rollback');
    } catch (error) {
      throw error instanceof StoreError ? new StoreBatchError(at, error) : error;
    }
    this.state = 'ended';
    if (at < stmts.length - 1) throw new StoreBatchError(at + 1, closedError());
    return [...results, new ResultSetImpl([], [], [], 0, undefined)];
  }

  /** Runs a script of statements separated by semicolons inside the transaction; results are ignored. */
  async executeMultiple(sql: string): Promise<void> {
    if (typeof sql !== 'string')
      throw new StoreError('INVALID_ARGUMENT', 'executeMultiple expects the SQL script as a string');
    this.checkOpen();
    await this.send({ k: 'script', sql, txId: this.id });
  }

  /** Commits. Rejects with `TRANSACTION_ABORTED` if the leader rolled it back (timeout, leader died). */
  async commit(): Promise<void> {
    if (this.state !== 'open') {
      this.settle();
      throw closedError();
    }
    await this.end('commit');
  }

  /** Rolls back; does nothing once the transaction was settled. */
  async rollback(): Promise<void> {
    if (this.state === 'settled') return;
    if (this.state === 'ended') {
      this.settle();
      throw closedError();
    }
    await this.end('rollback');
  }

  /** Rolls back if still open; never throws, does not wait. */
  close(): void {
    if (this.state === 'open')
      this.channel.request({ k: 'rollback', txId: this.id }, this.generation).catch(() => undefined);
    this.settle();
  }

  private settle(): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.onSettled();
  }

  private async end(how: 'commit' | 'rollback'): Promise<void> {
    this.settle();
    await this.channel.request({ k: how, txId: this.id }, this.generation);
  }

  private async send<O extends Operation>(op: O): Promise<ResultOf<O>> {
    try {
      return await this.channel.request(op, this.generation);
    } catch (error) {
      // The leader no longer holds it (this statement or an earlier one rolled it back, it timed
      // out, the leader changed): it is settled, so that `closed` is true, as in libsql, and an
      // ORM's rollback() after this error does nothing and the error itself reaches the program.
      if (error instanceof StoreError && endsTransaction(error)) this.settle();
      throw error;
    }
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw closedError();
  }
}

/** True for `COMMIT`, `END` and `ROLLBACK` (not `ROLLBACK TO`): statements that end the transaction. */
function endsTransactionAsStatement(sql: string): boolean {
  const control = transactionControl(sql);
  return control === 'commit' || control === 'rollback';
}

/** True for an error after which the leader no longer holds the transaction. */
function endsTransaction(error: BatonError): boolean {
  return (
    error.transactionRolledBack === true || error.code === 'TRANSACTION_ABORTED' || error.code === 'TRANSACTION_CLOSED'
  );
}

function closedError(): StoreError {
  return new StoreError('TRANSACTION_CLOSED', 'The transaction is closed');
}
