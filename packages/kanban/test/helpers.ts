/** Small helpers of the kanban tests: temporary directories, waiting for a condition, an independent reader. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import Database from 'better-sqlite3';

const created: string[] = [];

/** A fresh empty directory; removed by `removeTempDirs()` (call it in afterEach/afterAll). */
export function tempDir(prefix = 'baton-kanban-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory made by `tempDir` so far, and the leader sockets of the boards in them. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
      if (entry.endsWith('.db')) fs.rmSync(storePaths(path.join(dir, entry)).socket, { force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

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
