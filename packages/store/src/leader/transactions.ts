/**
 * Interactive transactions on the leader. A write transaction holds the engine's writer: one
 * at a time, and group commits wait until it ends (the next `begin` waits in the write queue).
 * A read transaction holds its own snapshot connection and blocks nobody. Every transaction
 * ends on commit, rollback, its timeout (capped at `MAX_TRANSACTION_MS` whatever the member
 * asked), its member's disconnection, or a statement that rolled it back.
 */
import { StoreError, toStoreError } from '../errors';
import { MAX_TRANSACTION_MS, type RequestFrame, type TransactionMode, type WireStatement } from '../protocol/messages';
import type { InvalidRequest } from '../protocol/validate';
import { FencedError, type JobOutcome, type LeaderEngine } from './engine';
import { maybeInjectTransactionFault, noteTransactionSql } from './fault-injection';
import { runStatement, runStatements, runTransactionScript } from './statement-runner';
import type { Session } from './session';

/** What a request can do inside a transaction. */
export interface TransactionRunner {
  execute(statement: WireStatement): unknown;
  batch(statements: WireStatement[]): unknown;
  script(sql: string): void;
}

/** The transactions of every session of one leader. */
export class Transactions {
  private nextId = 1;
  private writerOwner: Session | null = null;

  /** @param onWriterFreed - called whenever a write transaction ends: queued writes may run */
  constructor(
    private readonly engine: LeaderEngine,
    private readonly onWriterFreed: () => void,
  ) {}

  /** True while a write transaction holds the writer. */
  get writerHeld(): boolean {
    return this.writerOwner !== null;
  }

  /** True when `request` is for the session's open transaction (all that may still run during a handover). */
  belongsTo(session: Session, request: RequestFrame | InvalidRequest): boolean {
    if (request.t === 'invalid' || session.transaction === null) return false;
    const { op } = request;
    return 'txId' in op && op.txId === session.transaction.id;
  }

  /** Opens a transaction for `session` (for `write`, the caller ensured the writer is free) and returns its id. */
  open(session: Session, mode: TransactionMode, timeoutMs: number): number {
    const id = this.nextId++;
    let snapshot = null;
    if (mode === 'read') {
      snapshot = this.engine.openSnapshot();
    } else {
      this.engine.beginWrite();
      noteTransactionSql(() => [], true);
      this.writerOwner = session;
    }
    // Capped here, not only in the member's options: one member must not hold the writer forever.
    const limit = Math.min(timeoutMs, MAX_TRANSACTION_MS);
    const timer = setTimeout(() => this.close(session, `rolled back after its timeout of ${limit} ms`), limit);
    session.transaction = { id, mode, snapshot, timer };
    session.abortedTransaction = null;
    return id;
  }

  /** Ends the session's transaction without committing; `reason` is what later requests for it are told. */
  close(session: Session, reason: string | null): void {
    const tx = session.transaction;
    if (tx === null) return;
    clearTimeout(tx.timer);
    session.transaction = null;
    if (reason !== null) session.abortedTransaction = { id: tx.id, reason };
    if (tx.snapshot !== null) {
      tx.snapshot.close();
    } else {
      this.engine.rollbackWrite();
      this.freeWriter();
    }
  }

  /**
   * Runs `work` in the session's transaction `txId` and returns its result. Throws
   * `TRANSACTION_ABORTED` when that transaction is not open (`TRANSACTION_CLOSED` after one of
   * its statements rolled it back), and what the work throws.
   */
  run(session: Session, txId: number, work: (tx: TransactionRunner) => unknown): unknown {
    const tx = session.transaction;
    if (tx === null || tx.id !== txId) throw this.gone(session, txId);
    const snapshot = tx.snapshot;
    if (snapshot === null) this.engine.actFor(session.hello!.clientId);
    const runner: TransactionRunner =
      snapshot === null
        ? {
            execute: (s) => (noteTransactionSql(() => [s.sql]), this.engine.txExecute(s)),
            batch: (s) => (noteTransactionSql(() => s.map((statement) => statement.sql)), this.engine.txBatch(s)),
            script: (sql) => (noteTransactionSql(() => [sql]), this.engine.txScript(sql)),
          }
        : {
            execute: (s) => runStatement(snapshot, s, 'transaction'),
            batch: (s) => runStatements(snapshot, s, 'transaction'),
            script: (sql) => runTransactionScript(snapshot, sql),
          };
    try {
      return work(runner);
    } finally {
      if (snapshot === null && !this.engine.transactionOpen) {
        // A statement rolled the whole transaction back: it is over, the writer is free.
        clearTimeout(tx.timer);
        session.transaction = null;
        session.abortedTransaction = { id: tx.id, reason: null };
        this.freeWriter();
      }
    }
  }

  /**
   * Commits or rolls back the session's transaction `txId` for request `requestId`. A commit
   * re-sent after a failover, for a transaction this leader never held, is answered from the
   * applied-requests table. Throws `FencedError` (nothing committed) when this leader may no
   * longer commit.
   */
  end(session: Session, requestId: number, txId: number, retry: boolean, how: 'commit' | 'rollback'): JobOutcome {
    const tx = session.transaction;
    if (tx === null || tx.id !== txId) {
      // A commit re-sent after a failover: the previous leader may have committed it.
      if (how === 'commit' && retry && this.engine.wasApplied(session.hello!.clientId, requestId)) return { ok: null };
      if (how === 'rollback') return { ok: null }; // rolled back already: rollback is idempotent
      return { err: this.gone(session, txId).toWire() };
    }
    if (how === 'rollback' || tx.snapshot !== null) {
      this.close(session, null);
      return { ok: null };
    }
    clearTimeout(tx.timer);
    session.transaction = null;
    try {
      this.engine.commitWrite(session.hello!.clientId, requestId);
      maybeInjectTransactionFault('crash-after-commit'); // committed, not yet answered
      return { ok: null };
    } catch (error) {
      if (error instanceof FencedError) throw error;
      return { err: toStoreError(error).toWire() };
    } finally {
      this.freeWriter();
    }
  }

  private freeWriter(): void {
    this.writerOwner = null;
    this.onWriterFreed();
  }

  private gone(session: Session, txId: number): StoreError {
    const aborted = session.abortedTransaction?.id === txId ? session.abortedTransaction : null;
    // A statement rolled it back and its error said so: what libsql answers afterwards.
    if (aborted !== null && aborted.reason === null)
      return new StoreError('TRANSACTION_CLOSED', 'The transaction is closed');
    const why = aborted?.reason ?? 'it is not open on this leader (it was rolled back, or its leader changed)';
    return new StoreError('TRANSACTION_ABORTED', `transaction ${txId}: ${why}`);
  }
}
