/**
 * Which processes hold a file open, read from /proc/<pid>/fd (Linux): the `lsof` check of
 * Baton's first invariant (one process has the database, its -wal or its -shm open), shared by
 * the CLI, the demo and the tests.
 */
import * as fs from 'node:fs';

/** The database file and its -wal and -shm companions. */
export function databaseFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`];
}

/**
 * The pids of processes that have any of `paths` open, among those this user may inspect. A
 * file deleted while open shows as "<path> (deleted)" and still counts; processes exiting under
 * the scan are skipped. Empty where /proc is not available.
 */
export function pidsHoldingOpen(paths: readonly string[]): number[] {
  const wanted = new Set(paths);
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((entry) => /^\d+$/.test(entry) && holdsAny(entry, wanted)).map(Number);
}

function holdsAny(pid: string, wanted: Set<string>): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/ \(deleted\)$/, ''));
    } catch {
      return false;
    }
  });
}
