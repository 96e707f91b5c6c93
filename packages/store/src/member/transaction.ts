/**
 * An interactive transaction, held by the leader on behalf of one member. Shaped like
 * `@libsql/client`'s `Transaction`.
 */
import { StoreError } from '../errors';
import type { Operation, ResultOf } from '../protocol/messages';
import { toResultSet, toWireStatement, toWireStatements, type InArgs, type InStatement, type ResultSet } from './statements';

/** The part of the store a transaction sends its requests through. */
export interface TransactionChannel {
  request<O extends Operation>(op: O, generation?: number): Promise<ResultOf<O>>;
}

/** An open interactive transaction. Call `commit()` or `rollback()`; `close()` rolls back if neither was called. */
export class StoreTransaction {
  private done = false;

  /** @internal created by `Store.transaction()` */
  constructor(
    private readonly channel: TransactionChannel,
    /** The leader's id for this transaction. */
    readonly id: number,
    private readonly generation: number,
  ) {}

  /** True once committed, rolled back or closed. */
  get closed(): boolean {
    return this.done;
  }

  /** Runs one statement inside the transaction. */
  async execute(statement: InStatement, args?: InArgs): Promise<ResultSet> {
    const stmt = toWireStatement(statement, args);
    return toResultSet(await this.send({ k: 'execute', stmt, txId: this.id }));
  }

  /** Runs statements inside the transaction, atomically (all or none of them). */
  async batch(statements: InStatement[]): Promise<ResultSet[]> {
    const stmts = toWireStatements(statements);
    const results = await this.send({ k: 'batch', stmts, mode: 'write', txId: this.id });
    return results.map(toResultSet);
  }

  /** Commits. Rejects with `TRANSACTION_ABORTED` if the leader rolled it back (timeout, leader died). */
  async commit(): Promise<void> {
    this.checkOpen();
    this.done = true;
    await this.channel.request({ k: 'commit', txId: this.id }, this.generation);
  }

  /** Rolls back. */
  async rollback(): Promise<void> {
    this.checkOpen();
    this.done = true;
    await this.channel.request({ k: 'rollback', txId: this.id }, this.generation);
  }

  /** Rolls back if still open; never throws. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.channel.request({ k: 'rollback', txId: this.id }, this.generation).catch(() => undefined);
  }

  private send<O extends Operation>(op: O): Promise<ResultOf<O>> {
    this.checkOpen();
    return this.channel.request(op, this.generation);
  }

  private checkOpen(): void {
    if (this.done) throw new StoreError('TRANSACTION_CLOSED', `transaction ${this.id} is already committed, rolled back or closed`);
  }
}
