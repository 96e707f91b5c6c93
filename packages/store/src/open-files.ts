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

/**
 * The pids of processes that hold `path` itself open for writing (a descriptor whose access
 * mode is not read-only): the leader, and nobody else (members reading locally open it
 * read-only). Empty where /proc is not available.
 */
export function pidsWritingTo(path: string): number[] {
  const wanted = new Set([path]);
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry) && descriptorsOf(entry, wanted).some((fd) => writable(entry, fd)))
    .map(Number);
}

function holdsAny(pid: string, wanted: Set<string>): boolean {
  return descriptorsOf(pid, wanted).length > 0;
}

/** The descriptors of process `pid` on any of `wanted` (a deleted file still counts). */
function descriptorsOf(pid: string, wanted: Set<string>): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.filter((fd) => {
    try {
      return wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/ \(deleted\)$/, ''));
    } catch {
      return false;
    }
  });
}

/** True when descriptor `fd` of `pid` was opened for writing (its `flags:` in fdinfo, octal, access mode not O_RDONLY). */
function writable(pid: string, fd: string): boolean {
  try {
    const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & 0o3) !== 0;
  } catch {
    return false;
  }
}
