/**
 * A member's own read-only connection, for `reads: 'local'`: standalone reads run here, in the
 * member's process, instead of crossing the socket to the leader.
 *
 * Why it is safe. SQLite's WAL makes every commit visible to every connection on the host as
 * soon as it is committed, so a read that starts after a write was acknowledged (the leader
 * replies after COMMIT) sees it, and an uncommitted row of an open transaction is never seen.
 * What broke the original fleet was several writers, one of them on a replaced file; this
 * connection is opened read-only (`SQLITE_OPEN_READONLY`, the database file `O_RDONLY`) and it
 * reads only the file the leader opened: before every read it checks that the path still names
 * the file the leader named in its welcome (device and inode) and that its connection is on that
 * file, and reopens when the connection is on another. When the path names another file than
 * the leader's (the file was replaced or deleted and the leader has not taken over the new one),
 * the read is not served here: it goes to the leader, which notices the replacement before its
 * next commit and steps down, as in the default mode.
 *
 * "A read" is what SQLite says: a statement the guard allows outside a transaction and whose
 * prepared form is read-only. Anything else, and anything that fails to prepare (so that its
 * error comes from the leader, as in the default mode), is forwarded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError, toStoreError } from '../errors';
import { SqliteConnection } from '../sqlite/sqlite-connection';
import { refusalReason } from '../sqlite/statement-guard';
import type { FileId, WireResultSet, WireStatement } from '../protocol/messages';

/**
 * File systems whose byte-range locks or shared memory are not coherent between processes:
 * SQLite's WAL cannot be shared there (its documentation says so), so `reads: 'local'` is
 * refused on them. By `statfs` magic number.
 */
const NETWORK_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x73757245, 'Coda'],
  [0x5346414f, 'AFS'],
  [0x01021997, '9P'],
  [0x00c36400, 'Ceph'],
]);

/** The name of the network file system with `statfs` type `type`, or undefined for a local one. */
export function networkFileSystem(type: number): string | undefined {
  return NETWORK_FILE_SYSTEMS.get(type);
}

/** How many SQL texts' verdicts (read here, or forward) are remembered; as many as the statement cache holds. */
const VERDICT_CAPACITY = 512;

/** Which file `file` names now, or null when nothing does. */
function fileAt(file: string): FileId | null {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat === undefined ? null : { dev: stat.dev, ino: stat.ino };
}

function sameFile(a: FileId, b: FileId): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/** Serves a member's standalone reads on a read-only connection of its own. */
export class LocalReader {
  private connection: SqliteConnection | null = null;
  /** The file `connection` is on. */
  private connectionFile: FileId | null = null;
  /** The file the current (or last reached) leader opened; null before the first welcome. */
  private leaderFile: FileId | null = null;
  /**
   * Whether each SQL text may be read here: the guard's verdict and SQLite's `readonly` depend
   * on the text alone, and working them out again costs as much as a small read's own work.
   */
  private readonly verdicts = new Map<string, boolean>();
  private served = 0;
  private closed = false;

  /**
   * Refuses a database on a network file system with `INVALID_ARGUMENT` (see
   * `NETWORK_FILE_SYSTEMS`); opens nothing yet.
   * @param databasePath - the shared database file (absolute)
   */
  constructor(private readonly databasePath: string) {
    let type: number | undefined;
    try {
      type = fs.statfsSync(path.dirname(databasePath)).type;
    } catch {
      return; // a missing directory is reported when the store connects
    }
    const network = networkFileSystem(type);
    if (network !== undefined)
      throw new StoreError(
        'INVALID_ARGUMENT',
        `reads: "local" is refused on ${network}: SQLite's WAL cannot be shared safely between processes on a network file system; use reads: "leader"`,
      );
  }

  /** How many reads this member has served itself. */
  get readsServed(): number {
    return this.served;
  }

  /**
   * A leader welcomed this member: `file` is the database file it opened. A leader that does not
   * say (or says it in another shape) gets every read forwarded to it. A leader hosted in this
   * process is no exception: its member reads here too (see `releaseBeforeStepDown`).
   */
  leaderOpened(file: FileId | undefined): void {
    this.leaderFile =
      file !== undefined && Number.isSafeInteger(file.dev) && Number.isSafeInteger(file.ino)
        ? { dev: file.dev, ino: file.ino }
        : null;
  }

  /**
   * Runs `statement` here when it is a standalone read and the path names the leader's file.
   * @returns its result, or null when it must go to the leader instead
   * @throws the `StoreError` SQLite's failure maps to, as the leader would answer it
   */
  read(statement: WireStatement): WireResultSet | null {
    const leaderFile = this.leaderFile;
    if (leaderFile === null || this.closed) return null;
    const current = fileAt(this.databasePath);
    if (current === null || !sameFile(current, leaderFile)) return null;
    const connection = this.connectionOn(current);
    if (connection === null || !this.readable(connection, statement.sql)) return null;
    try {
      const result = connection.run(statement);
      this.served++;
      return result;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * Closes the connection, if open, until the next read opens it again. The engine hosted in
   * this process calls this after it closed the database and before it gives up the election
   * lock: SQLite keeps every descriptor of a file open in a process while any connection of that
   * process holds a lock on it (a WAL reader always holds one), so an open reader would keep the
   * engine's read-write descriptor open after it stepped down, beside the next leader's.
   */
  releaseBeforeStepDown(): void {
    this.drop();
  }

  /** Closes the connection (idempotent); reads are forwarded from then on. */
  close(): void {
    this.closed = true;
    this.drop();
  }

  /** After `close()`: serving reads again, on a connection opened at the next read. */
  reopen(): void {
    this.closed = false;
  }

  /** True when `sql` is a read this connection may run (see the class comment). */
  private readable(connection: SqliteConnection, sql: string): boolean {
    let verdict = this.verdicts.get(sql);
    if (verdict === undefined) {
      if (refusalReason(sql) !== null) verdict = false;
      else {
        try {
          verdict = connection.prepare(sql).readonly;
        } catch {
          return false; // not remembered: it may prepare once the schema has what it names
        }
      }
      if (this.verdicts.size >= VERDICT_CAPACITY) this.verdicts.clear();
      this.verdicts.set(sql, verdict);
    }
    return verdict;
  }

  /** A connection on `file`, opening one when the current one is on another file (or none is open). */
  private connectionOn(file: FileId): SqliteConnection | null {
    if (this.connection !== null && this.connectionFile !== null && sameFile(this.connectionFile, file))
      return this.connection;
    this.drop();
    let connection: SqliteConnection;
    try {
      connection = new SqliteConnection(this.databasePath, true);
    } catch {
      return null; // replaced or deleted between the stat and the open: the leader answers this one
    }
    // Which file did the open get? The path named `file` before it; if it still does after,
    // the open got `file` (a rename in between would have to put `file` back to fool this).
    const after = fileAt(this.databasePath);
    if (after === null || !sameFile(after, file)) {
      connection.close();
      return null;
    }
    this.connection = connection;
    this.connectionFile = file;
    return connection;
  }

  private drop(): void {
    this.connection?.close();
    this.connection = null;
    this.connectionFile = null;
  }
}
