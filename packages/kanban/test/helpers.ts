/** Small helpers of the kanban tests: temporary directories, waiting for a condition, an independent reader, fast board settings. */
import Database from 'better-sqlite3';
import type { KanbanSection } from '../src';

/**
 * The repository's temporary directories (`tempDir`, `removeTempDirs`, which also removes the
 * leader sockets of the databases in them), from the shared test support package.
 */
export { removeTempDirs, tempDir } from '@baton/test-support/temp';

/**
 * Waits until `check` resolves true, re-checking every `everyMs`. For conditions that no event
 * announces (a count in the database); rejects with `what` after `timeoutMs`.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<void> {
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

/**
 * Fast simulated work and short claim TTLs, so a killed dispatcher's claims come back quickly.
 * @param failRate - the share of simulated runs that fail (and are retried)
 */
export function fastKanban(failRate: number): KanbanSection {
  return {
    max_workers: 8,
    claim_ttl_ms: 1500,
    heartbeat_ms: 300,
    sweep_ms: 300,
    worker: { min_ms: 2, max_ms: 15, fail_rate: failRate },
  };
}
