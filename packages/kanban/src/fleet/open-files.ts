/** What a process has open, read from /proc/<pid>/fd (Linux). Which processes hold the database open is the store's `pidsHoldingOpen`. */
import * as fs from 'node:fs';

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
