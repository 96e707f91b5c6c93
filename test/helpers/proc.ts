/** Which processes hold a file open, read from /proc/<pid>/fd (Linux). */
import * as fs from 'node:fs';

/**
 * The pids of processes that have any of `paths` open. Races with exiting processes are
 * ignored (their fd directory vanishes under us).
 */
export function pidsHoldingOpen(paths: string[]): number[] {
  const wanted = new Set(paths);
  const holders: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target.replace(/ \(deleted\)$/, ''))) {
        holders.push(Number(entry));
        break;
      }
    }
  }
  return holders;
}

/** The database file and its -wal and -shm companions. */
export function databaseFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`];
}

/** True while a process with this pid exists (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
