/**
 * The leader engine: the only code in the fleet that touches the database file. It owns two
 * connections: the writer, where writes run in group commits and interactive transactions,
 * and the reader, which serves reads from the last committed state (WAL), so an open
 * transaction never leaks uncommitted rows and reads never wait for writes.
 *
 * It knows nothing of sockets: the server feeds it requests and sends what it returns.
 */
import * as fs from 'node:fs';
import { rolledBackTransaction, StoreError, toStoreError, type BatonError } from '../errors';
import {
  APPLIED_RETENTION_MS,
  type FileId,
  type Migration,
  type WireResultSet,
  type WireStatement,
} from '../protocol/messages';
import type { EpochRecord, SynchronousLevel } from '../protocol/status';
import { databaseFileSizes, quarantineCompanions, synchronousLevel } from './database-files';
import { readEpochHistory, takeNextEpoch } from './epochs';
import { maybeInjectFault } from './fault-injection';
import { SqliteConnection, type RowidOwner } from '../sqlite/sqlite-connection';
import type { BusyMarker } from '../protocol/busy-marker';
import { applyMigrations, hasMigrations } from './migrations';
import { installBatonSchema } from './baton-schema';
import { recordApplied } from './applied-record';
import { refusalReason } from '../sqlite/statement-guard';
import { runStatements, runStatement, runTransactionScript } from './statement-runner';
import { runJob, sqlOf, type JobOutcome, type WriteJob } from './write-job';

export type { JobOutcome, WriteJob } from './write-job';

const APPLIED_CLEANUP_EVERY_MS = 60 * 1000;
/**
 * SQLite's own default. The WAL's length is what the next leader replays when it takes over:
 * rebuilding the index of a 1,000-page WAL took 5.6 ms here against 3.1 ms for 256 pages, while
 * checkpointing every 256 pages cost a third of the engine's SQLite time in large groups (each
 * checkpoint copies the hot pages again and, at NORMAL, is the only fsync).
 */
const WAL_AUTOCHECKPOINT_PAGES = 1000;

/** Engine settings. */
export interface EngineOptions {
  databasePath: string;
  synchronous: 'full' | 'normal';
  pid: number;
  name: string;
  /** When the election that made this leader started (ms since epoch), for the failover history. */
  electionStartedAt: number;
  /** Marks which request runs, for the runaway watch in the hosting member's main thread. */
  marker?: BusyMarker;
  /** The largest result a write may return (the frame limit, less the response envelope). */
  maxResultBytes: number;
}

/**
 * A member's promise that it will never re-send a request below `below`: its records can go.
 * Members send it with their requests, so the applied-requests table holds little more than
 * what is in flight, and stays a few pages that every commit touches anyway.
 */
export interface ForgetBelow {
  clientId: string;
  below: number;
}

/** Why the engine refuses to commit: it is no longer the rightful leader. */
export class FencedError extends StoreError {
  constructor(reason: string) {
    super('FENCED', reason);
  }
}

/** How many members' last insert rowids the engine keeps (see `actFor`). */
const MAX_ROWID_OWNERS = 10_000;

/** The leader engine. Create with `LeaderEngine.open`. */
export class LeaderEngine {
  /** This leader's epoch: one more than the previous leader's. */
  readonly epoch: number;
  private readonly writer: SqliteConnection;
  private readonly reader: SqliteConnection;
  /**
   * The database file this engine opened, named in the welcome (local readers read only this
   * file); null for a scratch engine, which has no file.
   */
  readonly inode: FileId | null;
  private lastCleanup = Date.now();
  private txOpen = false;
  /** Set once the path stops naming the opened file: its -wal and -shm then belong to the lost file. */
  private fileLost = false;
  private readonly counters = { commits: 0, groupedWrites: 0, reads: 0, writes: 0, failedWrites: 0 };
  /** Each connected member's last insert rowid on the writer, by client id. */
  private readonly rowidOwners = new Map<string, RowidOwner>();

  private constructor(
    private readonly options: EngineOptions,
    scratch: boolean,
  ) {
    this.writer = new SqliteConnection(scratch ? ':memory:' : options.databasePath, false);
    try {
      const stat = scratch ? null : fs.statSync(options.databasePath);
      this.inode = stat === null ? null : { dev: stat.dev, ino: stat.ino };
      const db = this.writer.db;
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      installBatonSchema(db);
      this.epoch = takeNextEpoch(this.writer, options.pid, options.name, options.electionStartedAt);
      // An in-memory database is private to its connection: a scratch engine reads on its writer.
      this.reader = scratch ? this.writer : new SqliteConnection(options.databasePath, true);
    } catch (error) {
      this.writer.close();
      throw error;
    }
  }

  /** Opens the database, takes the next epoch (the first commit of this leader) and returns the engine. */
  static open(options: EngineOptions): LeaderEngine {
    return new LeaderEngine(options, false);
  }

  /**
   * An engine on a private in-memory database with Baton's own tables, which never opens
   * `options.databasePath`: the same code on a database nobody shares, to warm the hot path
   * up before a real engine is needed (see warm-up.ts). Its reads run on its writer.
   */
  static scratch(options: EngineOptions): LeaderEngine {
    return new LeaderEngine(options, true);
  }

  /** The highest applied migration version (0 when none). */
  get schemaVersion(): number {
    const row = this.reader.first('SELECT coalesce(max(version), 0) FROM _baton_migrations');
    return Number(row?.[0] ?? 0);
  }

  /** Counters for `status()`. */
  get stats(): Readonly<typeof this.counters> {
    return this.counters;
  }

  /** True while an interactive write transaction holds the writer. */
  get transactionOpen(): boolean {
    return this.txOpen;
  }

  /**
   * Throws `FencedError` unless this engine may still commit: the epoch in the database is its
   * own and the path still names the file it opened. Called inside the write transaction, so
   * the epoch cannot change before the COMMIT; a rename of the file in that instant can (the
   * commit then lands in the replaced file, and the next check steps down).
   */
  checkFence(): void {
    const row = this.writer.first(`SELECT value FROM _baton_meta WHERE key = 'epoch'`);
    const epoch = row === undefined ? 0 : Number(row[0]);
    if (epoch !== this.epoch) throw new FencedError(`epoch ${this.epoch} was superseded by ${epoch}`);
    this.checkInode();
  }

  /** Throws `FencedError` when the database path no longer names the file this engine opened. */
  checkInode(): void {
    if (this.inode === null) return; // a scratch engine has no file to lose
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(this.options.databasePath);
    } catch {
      // deleted: handled below
    }
    if (stat !== null && stat.ino === this.inode.ino && stat.dev === this.inode.dev) return;
    this.fileLost = true;
    throw new FencedError(stat === null ? 'the database file was deleted' : 'the database file was replaced');
  }

  /**
   * True when `statement` only reads and may run on the reader. The guard runs only for what
   * SQLite calls read-only (a cached prepared statement's flag): a write is guarded once, where
   * it runs, not here too.
   */
  isRead(statement: WireStatement): boolean {
    return this.reader.isReadOnly(statement.sql) && refusalReason(statement.sql) === null;
  }

  /** Runs a read-only statement on the reader (last committed state). */
  read(statement: WireStatement): WireResultSet {
    this.counters.reads++;
    try {
      return this.reader.run(statement);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Runs read-only statements as one snapshot on the reader. Throws a `StoreBatchError` naming the failing statement. */
  readBatch(statements: WireStatement[]): WireResultSet[] {
    this.counters.reads++;
    return this.reader.db.transaction(() => runStatements(this.reader, statements, 'batch'))();
  }

  /**
   * Runs `jobs` as one group commit: one transaction, each job in its own savepoint so a
   * failing job fails alone. A re-sent job already applied is answered from the
   * applied-requests table. Throws `FencedError` (nothing committed) when this engine may no
   * longer commit; any other failure of the COMMIT itself fails every job of the group.
   */
  runGroup(jobs: readonly WriteJob[], forget: readonly ForgetBelow[] = []): JobOutcome[] {
    if (jobs.length !== 1 || jobs[0]!.work.k !== 'migrate') return this.runJobs(jobs, forget);
    // libsql's migrate() runs with foreign keys off, which SQLite only switches between
    // transactions: a migration is a group of its own (the server sends it alone).
    this.writer.db.pragma('foreign_keys = OFF');
    try {
      return this.runJobs(jobs, forget);
    } finally {
      this.writer.db.pragma('foreign_keys = ON');
    }
  }

  private runJobs(jobs: readonly WriteJob[], forget: readonly ForgetBelow[]): JobOutcome[] {
    const w = this.writer;
    w.write('BEGIN IMMEDIATE');
    let committed = false;
    try {
      this.checkFence();
      const outcomes: JobOutcome[] = [];
      for (let index = 0; index < jobs.length; index++) {
        this.actFor(jobs[index]!.clientId);
        const { outcome, undoable } = runJob(w, jobs[index]!, this.options);
        if (!undoable || !w.db.inTransaction) {
          // This job cannot be taken out of the transaction alone (its statement rolled the
          // whole transaction back, or it succeeded but must be refused): it fails alone, and
          // the rest of the group is run again in a new transaction.
          this.options.marker?.end();
          if (w.db.inTransaction) w.write('ROLLBACK');
          const others = [...jobs.slice(0, index), ...jobs.slice(index + 1)];
          const rerun = others.length === 0 ? [] : this.runJobs(others, forget);
          rerun.splice(index, 0, outcome);
          this.counters.failedWrites++; // the re-run counted the others; this one failed alone
          return rerun;
        }
        outcomes.push(outcome);
      }
      this.options.marker?.end(); // what follows (cleanup, fsync) is no request's fault
      for (const { clientId, below } of forget)
        w.write('DELETE FROM _baton_applied WHERE client_id = ? AND seq < ?', clientId, below);
      this.cleanupApplied();
      maybeInjectFault('crash-before-commit', () => jobs.flatMap(sqlOf));
      w.write('COMMIT');
      committed = true;
      maybeInjectFault('crash-after-commit', () => jobs.flatMap(sqlOf));
      this.counters.commits++;
      this.counters.groupedWrites += jobs.length;
      for (const outcome of outcomes) {
        if ('ok' in outcome) this.counters.writes++;
        else this.counters.failedWrites++;
      }
      return outcomes;
    } catch (error) {
      if (error instanceof FencedError) throw error;
      const failure = toStoreError(error).toWire();
      return jobs.map(() => ({ err: failure }));
    } finally {
      this.options.marker?.end();
      if (!committed && w.db.inTransaction) w.write('ROLLBACK');
    }
  }

  /** Forgets records of members that went away without saying so (a scan: the table is small). */
  private cleanupApplied(): void {
    const now = Date.now();
    if (now - this.lastCleanup < APPLIED_CLEANUP_EVERY_MS) return;
    this.lastCleanup = now;
    this.writer.write('DELETE FROM _baton_applied WHERE at < ?', now - APPLIED_RETENTION_MS);
  }

  /**
   * True when every one of `migrations` is already applied with the same SQL (read from the
   * last committed state). Throws `SCHEMA_CONFLICT` when one is applied with other SQL.
   */
  hasMigrations(migrations: readonly Migration[]): boolean {
    return hasMigrations(this.reader, migrations);
  }

  /**
   * Applies the migrations the database has not seen, in version order, in one transaction
   * (after the fence check). Throws `SCHEMA_CONFLICT` when a version is known with other SQL.
   * @returns the schema version afterwards
   */
  migrate(migrations: readonly Migration[]): number {
    if (!this.hasMigrations(migrations)) applyMigrations(this.writer, migrations, () => this.checkFence());
    return this.schemaVersion;
  }

  /**
   * Makes the writer's next statements those of member `clientId`: their `lastInsertRowid` is
   * the last rowid this member inserted, as on a libsql connection of its own, never another
   * member's or Baton's records'.
   */
  actFor(clientId: string): void {
    let owner = this.rowidOwners.get(clientId);
    if (owner === undefined) {
      owner = { lastInsertRowid: 0n };
      this.rowidOwners.set(clientId, owner);
      // Bounded: the member seen longest ago is forgotten (it would start again at 0, as a new
      // libsql connection does), so a leader serving many short-lived members stays small.
      if (this.rowidOwners.size > MAX_ROWID_OWNERS)
        this.rowidOwners.delete(this.rowidOwners.keys().next().value as string);
    }
    this.writer.owner = owner;
  }

  /** Starts an interactive write transaction on the writer (the caller ensured it is free). */
  beginWrite(): void {
    this.writer.write('BEGIN IMMEDIATE');
    this.txOpen = true;
  }

  /** Runs one statement inside the open interactive write transaction. */
  txExecute(statement: WireStatement): WireResultSet {
    try {
      return runStatement(this.writer, statement, 'transaction');
    } catch (error) {
      throw this.transactionFailure(error);
    }
  }

  /** Runs a script inside the open interactive write transaction. */
  txScript(sql: string): void {
    try {
      runTransactionScript(this.writer, sql);
    } catch (error) {
      throw this.transactionFailure(error);
    }
  }

  /**
   * The error of a failed statement in an interactive transaction. When the statement rolled
   * the whole transaction back (`OR ROLLBACK`, RAISE(ROLLBACK), some I/O errors), the
   * transaction is over: later statements must not autocommit one by one. The statement gets
   * its own error, as in libsql, marked so that the member closes the transaction.
   */
  private transactionFailure(error: unknown): BatonError {
    const failure = toStoreError(error);
    if (this.writer.db.inTransaction) return failure;
    this.txOpen = false;
    return rolledBackTransaction(failure);
  }

  /**
   * Runs statements inside the open interactive write transaction, in order. As in libsql, the
   * first failure stops them (a `StoreBatchError` naming it) and those before it stay.
   */
  txBatch(statements: WireStatement[]): WireResultSet[] {
    return runStatements(this.writer, statements, 'transaction', (error) => this.transactionFailure(error));
  }

  /**
   * Commits the interactive transaction after the fence check, recording `clientId`/`seq` of
   * the commit request so a commit re-sent after a failover is answered, not lost.
   */
  commitWrite(clientId: string, seq: number): void {
    const w = this.writer;
    try {
      this.checkFence();
      recordApplied(w, clientId, seq, { rowsAffected: null, lastRowid: null, result: null }); // a nil outcome
      w.write('COMMIT');
      this.counters.commits++;
    } catch (error) {
      if (w.db.inTransaction) w.write('ROLLBACK');
      throw error instanceof FencedError ? error : toStoreError(error);
    } finally {
      this.txOpen = false;
    }
  }

  /** Rolls the interactive write transaction back. Idempotent. */
  rollbackWrite(): void {
    if (this.writer.db.inTransaction) this.writer.write('ROLLBACK');
    this.txOpen = false;
  }

  /** True when a commit re-sent after a failover had been applied by an earlier leader. */
  wasApplied(clientId: string, seq: number): boolean {
    return (
      this.reader.first('SELECT 1 FROM _baton_applied WHERE client_id = ? AND seq = ?', clientId, seq) !== undefined
    );
  }

  /** Opens a separate read-only connection holding one snapshot, for a read transaction. */
  openSnapshot(): SqliteConnection {
    const connection = new SqliteConnection(this.options.databasePath, true);
    connection.write('BEGIN');
    return connection;
  }

  /**
   * Writes a consistent copy of the last committed state to `dest` (which must not exist) with
   * `VACUUM INTO` on the reader. It runs on the engine thread, so every member's requests wait
   * for the copy to finish; the copy is consistent whatever was committed before it began.
   */
  backup(dest: string): { dest: string; bytes: number } {
    if (fs.existsSync(dest)) throw new StoreError('INVALID_ARGUMENT', `backup destination ${dest} already exists`);
    try {
      this.reader.db.prepare('VACUUM INTO ?').run(dest);
    } catch (error) {
      throw toStoreError(error);
    }
    return { dest, bytes: fs.statSync(dest).size };
  }

  /**
   * Copies the WAL into the database without waiting for anyone (PASSIVE), so that the next
   * write starts the WAL afresh and a failover while idle has almost nothing to recover.
   */
  checkpoint(): void {
    this.writer.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** The database and WAL sizes, and the durability the live writer runs with (read from SQLite, not the options), for status. */
  databaseStatus(): { databaseBytes: number; walBytes: number; synchronous: SynchronousLevel } {
    return {
      ...databaseFileSizes(this.options.databasePath),
      synchronous: synchronousLevel(this.writer.db.pragma('synchronous', { simple: true })),
    };
  }

  /** The recent leader changes, newest first. */
  epochHistory(limit: number): EpochRecord[] {
    return readEpochHistory(this.reader, limit);
  }

  /**
   * Closes both connections. A clean close checkpoints the WAL into the database file.
   * @returns where the lost file's -wal and -shm were moved, when the file was replaced or deleted
   */
  close(): string[] {
    this.rollbackWrite();
    this.reader.close();
    this.writer.close();
    return this.fileLost ? quarantineCompanions(this.options.databasePath, this.epoch) : [];
  }
}
