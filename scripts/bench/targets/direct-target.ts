/**
 * The baseline: the setup Baton replaces. Each process opens the shared WAL database itself
 * with better-sqlite3 and a busy timeout, and inserts in autocommit. SQLITE_BUSY that escapes
 * the busy timeout (the busy handler sleeps and retries, but it is not fair: a process can lose
 * every round for the whole timeout) is counted and retried, as an application would have to.
 */
import Database from 'better-sqlite3';
import type { SyncMode } from '../messages';
import { INSERT_SQL, PAYLOAD, SELECT_SQL } from '../workload';
import { errorCode, type Target } from './target';

/** The busy timeout of the baseline, as in the gateway deployment that motivated Baton. */
export const BUSY_TIMEOUT_MS = 5_000;
/** Give up on one request after this many escaped BUSY errors (it is then reported as an error). */
const MAX_BUSY_RETRIES = 20;

/** Opens the shared database directly, with `synchronous` set for this connection. */
export function openDirectTarget(path: string, sync: SyncMode, index: number): Target {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  const mode = String(db.pragma('journal_mode', { simple: true }));
  if (mode !== 'wal') throw new Error(`the benchmark database is in journal mode ${mode}, expected wal`);
  return new DirectTarget(db, index);
}

class DirectTarget implements Target {
  readonly role = 'direct';
  readonly epoch = 0;
  private busy = 0;
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly index: number,
  ) {
    this.insert = db.prepare(INSERT_SQL);
    this.select = db.prepare(SELECT_SQL);
  }

  get busyEscaped(): number {
    return this.busy;
  }

  async write(): Promise<void> {
    // Yield once: with several requests in flight in this process, each waits its turn
    // behind the others (as concurrent callers of a synchronous driver do), and that wait
    // is part of its latency.
    await Promise.resolve();
    this.retryingBusy(() => this.insert.run(this.index, PAYLOAD));
  }

  async read(id: number): Promise<void> {
    await Promise.resolve();
    this.retryingBusy(() => this.select.get(id));
  }

  private retryingBusy(work: () => unknown): void {
    for (let attempt = 0; ; attempt++) {
      try {
        work();
        return;
      } catch (error) {
        if (!errorCode(error).startsWith('SQLITE_BUSY')) throw error;
        this.busy++;
        if (attempt >= MAX_BUSY_RETRIES) throw error;
      }
    }
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
