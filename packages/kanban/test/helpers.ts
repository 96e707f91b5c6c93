/** Small helpers of the kanban tests: temporary directories, waiting for a condition, an independent reader. */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type * as TempHelpers from '../../../test/helpers/temp';

/**
 * The repository's temporary directories (test/helpers/temp.ts: `tempDir`, `removeTempDirs`,
 * which also removes the leader sockets of the databases in them), loaded from where it is
 * compiled: this file runs from packages/kanban/dist/test/, so no relative import names
 * test/dist from both the source and the compiled file. The types come from the source.
 */
const temp = require(path.join(__dirname, '..', '..', '..', '..', 'test', 'dist', 'helpers', 'temp.js')) as typeof TempHelpers;
export const { tempDir, removeTempDirs } = temp;

/**
 * Waits until `check` resolves true, re-checking every `everyMs`. For conditions that no event
 * announces (a count in the database); rejects with `what` after `timeoutMs`.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs `read` on a fresh read-only connection to `file` (use only once no member runs). */
export function readFile<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
