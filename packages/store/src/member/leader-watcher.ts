/**
 * Finds the leader's socket and wakes an electing member the moment a new leader announces
 * itself. Each new leader renames its record (`<db>-baton.json`) into place next to the
 * database, right after its socket is listening; inotify (fs.watch) on the database's
 * directory reports that rename at once, so followers connect without waiting out a polling
 * interval. Polling with backoff stays as the fallback where watching does not work.
 *
 * Watching happens only while electing: the directory also holds the database, its -wal and
 * -shm, so a watch kept open while connected would wake every member on every commit.
 *
 * The socket path is read from the record, not only derived: members started with different
 * environments (a systemd unit without XDG_RUNTIME_DIR, a login shell with it) derive
 * different runtime directories, but all of them share the database's directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLeaderRecord } from '../paths';

/** Watches one store's leader record. */
export class LeaderWatcher {
  private watcher: fs.FSWatcher | null = null;
  private wakers: (() => void)[] = [];
  /** A record was written while nobody slept: the next sleep returns at once. */
  private recordChanged = false;

  /**
   * @param recordPath - the leader record next to the database
   * @param derivedSocket - this member's own derivation of the socket path, the fallback
   */
  constructor(
    private readonly recordPath: string,
    private readonly derivedSocket: string,
  ) {}

  /** The socket the current leader announced, or the derived path when there is no record. */
  socketPath(): string {
    return readLeaderRecord(this.recordPath)?.socketPath ?? this.derivedSocket;
  }

  /**
   * Starts watching for a new record (idempotent). Call it before looking for the leader, so
   * a record written between that look and the next `sleep` still wakes the sleeper.
   */
  watch(): void {
    if (this.watcher !== null) return;
    const name = path.basename(this.recordPath);
    try {
      this.watcher = fs.watch(path.dirname(this.recordPath), { persistent: false }, (_event, filename) => {
        if (filename !== name) return;
        if (this.wakers.length === 0) this.recordChanged = true;
        for (const wake of [...this.wakers]) wake();
      });
      this.watcher.on('error', () => this.unwatch());
    } catch {
      this.watcher = null; // not watchable here: plain polling
    }
  }

  /** Stops watching (idempotent); sleepers still wake at their timeout. */
  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
    this.recordChanged = false;
  }

  /** Resolves after `ms`, or earlier when a leader record is written (also while nobody slept). */
  sleep(ms: number): Promise<void> {
    if (this.recordChanged) {
      this.recordChanged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers = this.wakers.filter((w) => w !== wake);
        resolve();
      };
      // Ref'd: between connection attempts this timer may be all that keeps the process alive,
      // and an open store must keep it alive through an election as its connection does
      // (a script awaiting a write would otherwise exit mid-await when the leader dies).
      const timer = setTimeout(wake, ms);
      this.wakers.push(wake);
    });
  }

  /** Stops watching and wakes every sleeper. Idempotent. */
  close(): void {
    this.unwatch();
    for (const wake of this.wakers.splice(0)) wake();
  }
}
