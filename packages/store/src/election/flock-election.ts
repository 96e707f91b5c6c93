/**
 * Election by flock(2) on a sidecar lock file. The kernel releases the lock the instant its
 * holder dies, and a paused holder keeps it: safety before liveness.
 */
import * as fs from 'node:fs';
import { flockSync } from 'fs-ext';
import { openOrCreate } from '../file-modes';
import type { Election, LeaderLock } from './election';

const MAX_INODE_RETRIES = 5;

function isWouldBlock(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/** flock-based election on `lockPath` (created with `fileMode` if missing, never unlinked). */
export class FlockElection implements Election {
  constructor(
    private readonly lockPath: string,
    private readonly fileMode: number,
  ) {}

  tryAcquire(): Promise<LeaderLock | null> {
    // flock with LOCK_NB never waits: the work is synchronous, a failure becomes a rejection.
    return new Promise((resolve) => resolve(this.acquireNow()));
  }

  private acquireNow(): LeaderLock | null {
    for (let attempt = 0; attempt < MAX_INODE_RETRIES; attempt++) {
      const fd = openOrCreate(this.lockPath, fs.constants.O_RDWR, this.fileMode);
      try {
        flockSync(fd, 'exnb');
      } catch (error) {
        fs.closeSync(fd);
        if (isWouldBlock(error)) return null;
        throw error;
      }
      // The lock only counts if the path still names the file we locked: someone may have
      // replaced the lock file between our open and our flock.
      if (namesSameFile(this.lockPath, fd)) return flockLock(this.lockPath, fd);
      fs.closeSync(fd);
    }
    return null;
  }
}

function namesSameFile(lockPath: string, fd: number): boolean {
  try {
    const held = fs.fstatSync(fd);
    const named = fs.statSync(lockPath);
    return held.ino === named.ino && held.dev === named.dev;
  } catch {
    return false;
  }
}

function flockLock(lockPath: string, fd: number): LeaderLock {
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      fs.closeSync(fd); // closing the only descriptor releases the flock
    },
    isIntact() {
      return held && namesSameFile(lockPath, fd);
    },
  };
}
