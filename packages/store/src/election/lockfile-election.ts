/**
 * Election by proper-lockfile, for file systems where flock does not work. It is a lease: a
 * holder that stops refreshing (paused, or on a hung mount) is overtaken after `STALE_MS`, so
 * two leaders can briefly exist. That is only safe because every commit checks the epoch
 * (fencing); `onCompromised` makes the old leader step down as soon as it notices.
 */
import * as fs from 'node:fs';
import * as lockfile from 'proper-lockfile';
import { openOrCreate } from '../file-modes';
import type { Election, LeaderLock } from './election';

/** A lease not refreshed for this long may be taken over. proper-lockfile's minimum is 2000. */
export const STALE_MS = 2000;
const UPDATE_MS = 1000;

/** proper-lockfile-based election on `lockPath` (the lock itself is a `<lockPath>.lock` directory). */
export class LockfileElection implements Election {
  constructor(
    private readonly lockPath: string,
    private readonly fileMode: number,
  ) {}

  async tryAcquire(onLost: (reason: string) => void): Promise<LeaderLock | null> {
    fs.closeSync(openOrCreate(this.lockPath, fs.constants.O_RDWR, this.fileMode));
    let release: () => Promise<void>;
    let held = true;
    try {
      release = await lockfile.lock(this.lockPath, {
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        realpath: false,
        onCompromised: (error: Error) => {
          if (!held) return;
          held = false;
          onLost(`leader lease lost: ${error.message}`);
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
      throw error;
    }
    return {
      release() {
        if (!held) return;
        held = false;
        release().catch(() => undefined); // already released or compromised: nothing to undo
      },
      isIntact() {
        return held; // proper-lockfile watches its own lock and calls onCompromised
      },
    };
  }
}
