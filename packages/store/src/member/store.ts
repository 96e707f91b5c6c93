/**
 * The `Store` a program holds: the public API over a `LeaderLink`. Whichever process hosts the
 * leader, and however often it changes, this object stays the same; failover swaps what is
 * behind the link, never the object the program holds.
 */
import * as path from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { StoreError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { Operation, ResultOf, TransactionMode } from '../protocol/messages';
import type { StoreStatus } from '../protocol/status';
import { LeaderLink } from './leader-link';
import { toResultSet, toWireStatement, toWireStatements, type InArgs, type InStatement, type ResultSet } from './statements';
import type { StoreEvents, StoreRole } from './store-events';
import { StoreTransaction } from './transaction';

export type { FailoverEvent, NotifyEvent, StoreEvents, StoreRole } from './store-events';

/** A member's handle on the shared database. Create with `openStore`. */
export class Store extends EventEmitter<StoreEvents> {
  private readonly link: LeaderLink;
  private closePromise: Promise<void> | null = null;

  /** @internal use `openStore` */
  constructor(private readonly options: ResolvedOptions) {
    super();
    this.link = new LeaderLink(options, this, () => void this.close());
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

  /**
   * Runs one statement on the leader. Reads see the last committed state; writes are
   * committed (durably, with `synchronous: 'full'`) before the promise resolves, exactly once.
   */
  async execute(statement: InStatement, args?: InArgs): Promise<ResultSet> {
    const stmt = toWireStatement(statement, args);
    return toResultSet(await this.request({ k: 'execute', stmt }));
  }

  /**
   * Runs statements atomically in one round trip: all of them commit, or none.
   * @param mode - `write` (default), `read` (a snapshot, never waits for writes) or `deferred`
   */
  async batch(statements: InStatement[], mode: TransactionMode = 'write'): Promise<ResultSet[]> {
    checkMode(mode);
    const stmts = toWireStatements(statements);
    const results = await this.request({ k: 'batch', stmts, mode });
    return results.map(toResultSet);
  }

  /**
   * Opens an interactive transaction held by the leader. A `write` transaction holds the writer
   * (other writes queue behind it, reads do not) and is rolled back after `transactionTimeoutMs`
   * or if the leader dies. A `read` transaction is a snapshot.
   */
  async transaction(mode: TransactionMode = 'write'): Promise<StoreTransaction> {
    checkMode(mode);
    const { txId } = await this.request({ k: 'begin', mode, timeoutMs: this.options.transactionTimeoutMs });
    return new StoreTransaction(this, txId, this.link.generation);
  }

  /** Publishes a notification to every member (this one included) after the current group commit. */
  async notify(channel: string, payload?: unknown): Promise<void> {
    if (typeof channel !== 'string' || channel.length === 0) throw new StoreError('INVALID_ARGUMENT', 'notify needs a non-empty channel name');
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
    if (typeof dest !== 'string' || !path.isAbsolute(dest)) throw new StoreError('INVALID_ARGUMENT', 'backup needs an absolute destination path');
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
   * Closes the store: waits for this member's requests in flight, then, if it hosts the leader,
   * lets the engine finish every member's queued work and hand over to another candidate.
   * Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.closePromise ??= this.link.close();
    return this.closePromise;
  }

  /** @internal Sends one operation to the leader and resolves with its result. */
  request<O extends Operation>(op: O, generation?: number): Promise<ResultOf<O>> {
    return this.link.request(op, generation);
  }
}

function checkMode(mode: unknown): void {
  if (mode !== 'write' && mode !== 'read' && mode !== 'deferred') {
    throw new StoreError('INVALID_ARGUMENT', `transaction mode must be "write", "read" or "deferred", got ${JSON.stringify(mode)}`);
  }
}

