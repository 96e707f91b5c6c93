/** Which processes hold a file open, read from /proc/<pid>/fd (Linux): the "lsof" of the demo and tests. */
import * as fs from 'node:fs';

/** The database file and its -wal and -shm companions. */
export function databaseFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`];
}

/** The pids of processes that have any of `paths` open; processes exiting under the scan are skipped. */
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

/** What process `pid` has open: its file descriptor targets (sockets as `socket:[inode]`). Empty if it is gone. */
export function openTargets(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const targets: string[] = [];
  for (const fd of fds) {
    try {
      targets.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed while we looked
    }
  }
  return targets;
}
