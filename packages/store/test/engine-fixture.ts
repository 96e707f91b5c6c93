/**
 * A leader engine on a database file of its own, for the store's unit tests: a fresh directory
 * per test, the engines opened on its file (all closed by `cleanUp`, with the directory), and
 * a read-only look at the file as another process would have it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LeaderEngine, type WriteJob } from '../src/leader/engine';

/** The exactly-once tests' table: no key, so a write applied twice shows as two rows. */
export const RECORD_TEST_TABLE = { version: 1, sql: 'CREATE TABLE t (id TEXT NOT NULL)' };

/**
 * Request `seq` of client `client-a`: inserts `w<seq>` into the exactly-once tests' table, with
 * `RETURNING id` when `returning` (a result with rows, recorded as a blob).
 */
export function insertJob(seq: number, { retry = false, returning = false } = {}): WriteJob {
  const sql = `INSERT INTO t (id) VALUES (?)${returning ? ' RETURNING id' : ''}`;
  return { clientId: 'client-a', seq, retry, work: { k: 'execute', stmt: { sql, args: [`w${seq}`] } } };
}

/** One test's database and the engines opened on it. */
export class EngineFixture {
  readonly dir: string;
  readonly file: string;
  private readonly engines: LeaderEngine[] = [];

  /** @param name - names the directory and the file, so a leftover says which test made it */
  constructor(name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `baton-${name}-`));
    this.file = path.join(this.dir, `${name}.db`);
  }

  /** Opens an engine on the file as leader `name` of process `pid` (NORMAL, 1 MiB results). */
  open(name: string, pid = process.pid): LeaderEngine {
    const engine = LeaderEngine.open({
      databasePath: this.file,
      synchronous: 'normal',
      pid,
      name,
      electionStartedAt: Date.now(),
      maxResultBytes: 1024 * 1024,
    });
    this.engines.push(engine);
    return engine;
  }

  /** Opens an engine as `open` does, with the exactly-once tests' table (see `insertJob`). */
  openWithTestTable(name: string): LeaderEngine {
    const engine = this.open(name);
    engine.migrate([RECORD_TEST_TABLE]);
    return engine;
  }

  /** Runs `read` on a read-only connection of its own to the file, closed afterwards. */
  read<T>(read: (db: Database.Database) => T): T {
    const db = new Database(this.file, { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  /** Closes every engine opened here and removes the directory. */
  cleanUp(): void {
    for (const engine of this.engines.splice(0)) engine.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
