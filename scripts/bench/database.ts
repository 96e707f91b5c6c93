/** The coordinator's direct access to a run's database: create and seed it before, count rows after. */
import Database from 'better-sqlite3';
import { PAYLOAD, SCHEMA_SQL } from './workload';

/**
 * Creates the database in WAL mode with the bench table and `seedRows` rows, then closes it.
 * Called before any member starts, so the coordinator is never a second opener during a run.
 */
export function createDatabase(file: string, seedRows: number): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_SQL);
    const insert = db.prepare('INSERT INTO bench (member, payload) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < seedRows; i++) insert.run(-1, PAYLOAD);
    })();
  } finally {
    db.close();
  }
}

/**
 * Rows written by the run (all rows minus the seed), read after every member has exited.
 * Used to check that the acknowledged writes are all there, so a miscounting harness or a
 * lost write shows up next to the numbers.
 */
export function countWrittenRows(file: string): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    const row = db.prepare('SELECT count(*) AS n FROM bench WHERE member >= 0').get() as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
