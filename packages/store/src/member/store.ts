/**
 * The `Store` a program holds: the public API over a `LeaderLink`. Whichever process hosts the
 * leader, and however often it changes, this object stays the same; failover swaps what is
 * behind the link, never the object the program holds.
 */
import type { Client, InArgs, InStatement, Replicated, ResultSet } from '@libsql/core/api';
import * as path from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { toError, StoreError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { Operation, ResultOf, TransactionMode, WireResultSet, WireStatement } from '../protocol/messages';
import type { StoreStatus } from '../protocol/status';
import { asIs, closedError, LeaderLink } from './leader-link';
import { LocalReader } from './local-reader';
import { toResultSet, toResultSets, toWireStatement, toWireStatements, type BatchStatement } from './statements';
import type { StoreEvents, StoreRole } from './store-events';
import { StoreTransaction } from './transaction';

export type { FailoverEvent, NotifyEvent, StoreEvents, StoreRole } from './store-events';

/**
 * A member's handle on the shared database, and an @libsql/client `Client`. Create with
 * `createClient` (synchronous, connects on first use) or `openStore` (resolves once connected).
 */
export class Store extends EventEmitter<StoreEvents> implements Client {
  /** As @libsql/client's for a local database: `'file'`. */
  readonly protocol = 'file';
  private readonly link: LeaderLink;
  /** This member's own read-only connection, with `reads: 'local'`. */
  private readonly localReader: LocalReader | null;
  private closePromise: Promise<void> | null = null;
  /** Transactions not settled yet, closed with the store. */
  private readonly openTransactions = new Set<StoreTransaction>();
  /** An `execute` answer as libsql's `ResultSet`: made once, so a request costs no closure for it. */
  private readonly shapeResultSet = (wire: WireResultSet): ResultSet => toResultSet(wire, this.options.intMode);

  /** @internal use `createClient` or `openStore` */
  constructor(private readonly options: ResolvedOptions) {
    super();
    const localReader = options.reads === 'local' ? new LocalReader(options.path) : null;
    this.localReader = localReader;
    this.link = new LeaderLink(options, this, () => void this.close(), {
      onWelcome: (welcome) => localReader?.leaderOpened(welcome.file),
      beforeLockRelease: () => localReader?.releaseBeforeStepDown(),
    });
  }

  /** @internal Elects or finds the leader; resolves once connected (closes the store on failure). */
  async start(): Promise<void> {
    try {
      await this.link.connect();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** This member's role. `leader` means this process hosts the leader engine. */
  get role(): StoreRole {
    return this.link.role;
  }

  /** The epoch of the leader this member last reached (0 before the first). */
  get epoch(): number {
    return this.link.epoch;
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.closePromise !== null;
  }

  /** This member's name, as shown in status. */
  get name(): string {
    return this.options.name;
  }

  /** Where this member's standalone reads run: `leader` (forwarded) or `local` (see `StoreOptions.reads`). */
  get reads(): 'leader' | 'local' {
    return this.options.reads;
  }

  /** How many reads this member served itself on its own read-only connection (always 0 with `reads: 'leader'`). */
  get localReads(): number {
    return this.localReader?.readsServed ?? 0;
  }

  /**
   * Runs one statement on the leader. Reads see the last committed state; writes are
   * committed (durably, with `synchronous: 'full'`) before the promise resolves, exactly once.
   * With `reads: 'local'`, a read-only statement runs in this process instead, on the same
   * last committed state.
   */
  execute(statement: InStatement, args?: InArgs): Promise<ResultSet> {
    // Not `async`: the request's own promise is returned, one promise and turn fewer on every
    // statement; what is thrown before it exists is returned as a rejection, as `async` would.
    const { intMode } = this.options;
    let stmt: WireStatement;
    try {
      stmt = toWireStatement(statement, args, intMode);
      if (this.localReader !== null && !this.closed) {
        const local = this.localReader.read(stmt);
        if (local !== null) return Promise.resolve(toResultSet(local, intMode));
      }
    } catch (error) {
      return Promise.reject(toError(error));
    }
    return this.link.request({ k: 'execute', stmt }, undefined, this.shapeResultSet);
  }

  /**
   * Runs statements atomically in one round trip: all of them commit, or none. A failure is a
   * `StoreBatchError` naming the statement. Statements may be `[sql, args]` tuples.
   * @param mode - `deferred` (default, as libsql: one snapshot read if every statement only
   *   reads, else a write), `write`, or `read` (a snapshot, never waits for writes)
   */
  async batch(statements: BatchStatement[], mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    if (this.closed) throw closedError();
    checkMode(mode);
    const stmts = toWireStatements(statements, this.options.intMode);
    return toResultSets(await this.request({ k: 'batch', stmts, mode }), this.options.intMode);
  }

  /**
   * Runs statements as one write with foreign keys off, all of them or none, as libsql's
   * `migrate` does (Drizzle's migrator calls it).
   */
  async migrate(statements: InStatement[]): Promise<ResultSet[]> {
    const stmts = toWireStatements(statements, this.options.intMode);
    return toResultSets(await this.request({ k: 'migrate', stmts }), this.options.intMode);
  }

  /**
   * Runs a script of statements separated by semicolons, as libsql's `executeMultiple`: its own
   * `BEGIN`/`COMMIT` work; outside them each statement takes effect on its own, and a failure
   * stops the script keeping what ran before it. Results are ignored. It is one write request,
   * applied exactly once like any other.
   */
  async executeMultiple(sql: string): Promise<void> {
    if (typeof sql !== 'string')
      throw new StoreError('INVALID_ARGUMENT', 'executeMultiple expects the SQL script as a string');
    await this.request({ k: 'script', sql });
  }

  /**
   * Opens an interactive transaction held by the leader. A `write` transaction holds the writer
   * (other writes queue behind it, reads do not) and is rolled back after `transactionTimeoutMs`
   * or if the leader dies. A `read` transaction is a snapshot.
   */
  async transaction(mode: TransactionMode = 'write'): Promise<StoreTransaction> {
    if (this.closed) throw closedError();
    checkMode(mode);
    const { txId } = await this.request({ k: 'begin', mode, timeoutMs: this.options.transactionTimeoutMs });
    const tx = new StoreTransaction(this, txId, this.link.generation, this.options.intMode, () =>
      this.openTransactions.delete(tx),
    );
    this.openTransactions.add(tx);
    // Closed while BEGIN was on its way: the transaction belongs to a closed client.
    if (this.closed) tx.close();
    return tx;
  }

  /**
   * A Baton store has no remote replica to sync with: rejects with `SYNC_NOT_SUPPORTED`, as
   * libsql's client fails `sync()` for a plain local file.
   */
  sync(): Promise<Replicated> {
    if (this.closed) return Promise.reject(closedError());
    return Promise.reject(
      new StoreError(
        'SYNC_NOT_SUPPORTED',
        'SyncNotSupported("File"): a Baton store is one shared file with no replica to sync',
      ),
    );
  }

  /**
   * Closes the store if it is open (as `close()`), then makes it usable again: the next request
   * looks for the leader anew, as after `createClient`.
   */
  // libsql's Client types reconnect() as void; Baton's returns a promise a caller may await.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  async reconnect(): Promise<void> {
    await this.close();
    this.link.reopen();
    this.localReader?.reopen();
    this.closePromise = null;
  }

  /** Publishes a notification to every member (this one included) after the current group commit. */
  async notify(channel: string, payload?: unknown): Promise<void> {
    if (typeof channel !== 'string' || channel.length === 0)
      throw new StoreError('INVALID_ARGUMENT', 'notify needs a non-empty channel name');
    await this.request({ k: 'notify', channel, payload: payload ?? null });
  }

  /** The leader's view of the fleet: who leads, who is connected, counters, database sizes, recent failovers. */
  async status(): Promise<StoreStatus> {
    return this.request({ k: 'status' });
  }

  /**
   * The safe "init": drops every application table and view and replays the recorded
   * migrations, in one leader transaction. Baton's own tables and the database file stay.
   */
  async reset(): Promise<void> {
    await this.request({ k: 'reset' });
  }

  /**
   * Writes a consistent copy of the database to `dest` (an absolute path that must not exist
   * yet), taken by the leader with VACUUM INTO. The fleet stays up, but its requests wait for
   * the copy to finish.
   */
  async backup(dest: string): Promise<{ dest: string; bytes: number }> {
    if (typeof dest !== 'string' || !path.isAbsolute(dest))
      throw new StoreError('INVALID_ARGUMENT', 'backup needs an absolute destination path');
    return this.request({ k: 'backup', dest });
  }

  /**
   * Asks the leader to hand over: it finishes its queued work and steps down; another candidate
   * takes over (the member that hosted it waits briefly before standing again).
   * @returns the pid and epoch of the leader that stepped down
   */
  async stepDown(): Promise<{ pid: number; epoch: number }> {
    return this.request({ k: 'stepdown' });
  }

  /**
   * Closes the store: closes its open transactions (they answer `TRANSACTION_CLOSED` from then
   * on, as libsql's), waits for this member's requests in flight, then, if it hosts the leader,
   * lets the engine finish every member's queued work and hand over to another candidate.
   * Idempotent: later calls return the same promise.
   */
  // libsql's Client types close() as void; Baton's returns a promise, because a leader closing
  // hands over first (a listed difference), and a caller may await it.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  close(): Promise<void> {
    if (this.closePromise === null) {
      // As libsql's client closes the connections its transactions hold: each is closed (its
      // rollback is sent before the link closes, so the close waits for it) and answers
      // TRANSACTION_CLOSED from now on.
      for (const tx of this.openTransactions) tx.close();
      this.localReader?.close();
      this.closePromise = this.link.close();
    }
    return this.closePromise;
  }

  /** @internal Sends one operation to the leader and resolves with its result. */
  request<O extends Operation>(op: O, generation?: number): Promise<ResultOf<O>> {
    return this.link.request(op, generation, asIs);
  }
}

/**
 * Refuses a mode libsql does not know with libsql's own RangeError (@libsql/core's
 * `transactionModeToBegin` throws it), so code that catches it behaves the same on both.
 */
function checkMode(mode: unknown): void {
  if (mode !== 'write' && mode !== 'read' && mode !== 'deferred') {
    throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
  }
}
