/** Process facts for tests, from /proc (Linux). Who holds the database open: the store's `pidsHoldingOpen`. */
import * as fs from 'node:fs';

export { databaseFiles, pidsHoldingOpen } from '@baton/store';

/** True while a process with this pid exists (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
